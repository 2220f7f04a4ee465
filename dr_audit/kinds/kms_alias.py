"""The ``kms_alias`` kind. A KMS key alias.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def kms_alias(r: Reader) -> dict:
    return {"name": r.arg("name")}


# ----- the account -------------------------------------------------------------

def kms_aliases(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("kms_alias", region, alias.get("AliasArn", alias["AliasName"]), name=alias["AliasName"])
            for alias in reader.paginate("kms", region, "list_aliases", "Aliases")]


KIND = declare_kind(
    "kms_alias", "regional", "A KMS key alias.",
    tags=False,  # a KMS alias cannot be tagged (its key can)
    attributes={
        "name": (STR, "alias name, alias/..."),
    },
    terraform={"aws_kms_alias": kms_alias},
    service="kms", collect=kms_aliases,
    reads={"kms": {"ListAliases": "kms:ListAliases"}},
)
