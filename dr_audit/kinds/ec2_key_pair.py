"""The ``ec2_key_pair`` kind. An EC2 key pair.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader

#: the key type AWS creates when none is given (and an imported public key's usual type)
DEFAULT_KEY_TYPE = "rsa"


# ----- Terraform ---------------------------------------------------------------

def key_pair(r: Reader) -> dict:
    return {"name": r.arg("key_name", unset_reason="not set: generated (key_name_prefix) at apply time"),
            "key_type": r.arg("key_type", DEFAULT_KEY_TYPE) if r.given("key_type") is not None else r.at_block(
                _key_type_of(r), "key_type: the type of the imported public_key")}


def _key_type_of(r: Reader):
    """aws_key_pair imports ``public_key``: its type follows from the key's own prefix."""
    key = r.given("public_key")
    text = key.value if key is not None and isinstance(key.value, str) else ""
    return "ed25519" if text.startswith("ssh-ed25519") else DEFAULT_KEY_TYPE


# ----- the account -------------------------------------------------------------

def key_pairs(reader: AwsReader, region: str) -> list[Resource]:
    # DescribeKeyPairs has no pages: one answer holds every key pair of the region
    answer = reader.call("ec2", region, "describe_key_pairs")
    return [live_resource("ec2_key_pair", region, pair.get("KeyPairId") or pair["KeyName"], name=pair["KeyName"],
                          key_type=pair.get("KeyType") or DEFAULT_KEY_TYPE)
            for pair in answer.get("KeyPairs") or []]


KIND = declare_kind(
    "ec2_key_pair", "regional", "An EC2 key pair.",
    attributes={
        "name": (STR, "key pair name"),
        "key_type": (STR, "rsa or ed25519"),
    },
    terraform={"aws_key_pair": key_pair},
    service="ec2", collect=key_pairs,
    reads={"ec2": {"DescribeKeyPairs": "ec2:DescribeKeyPairs"}},
)
