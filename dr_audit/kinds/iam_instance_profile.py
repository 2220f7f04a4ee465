"""The ``iam_instance_profile`` kind. An IAM instance profile and the role it carries.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import GLOBAL, live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def iam_instance_profile(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"), "role": _role(r)}


def _role(r: Reader) -> AttributeValue:
    """``role`` takes the role's name: a resolved string is the name; a reference is followed."""
    written = r.given("role")
    if written is None:
        return r.at_block(None, "role not set: a profile without a role")
    if isinstance(written.value, str):
        return AttributeValue(written.value, written.file, written.line, written.expression)
    return r.linked("role", lambda role: role.arg("name", unset_reason="a name is generated at apply time"))


# ----- the account -------------------------------------------------------------

def iam_instance_profiles(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for profile in reader.paginate("iam", reader.global_region, "list_instance_profiles", "InstanceProfiles"):
        roles = sorted(role["RoleName"] for role in profile.get("Roles") or [])
        found.append(live_resource("iam_instance_profile", GLOBAL, profile["Arn"], name=profile["InstanceProfileName"],
                                   role=",".join(roles) or None))
    return found


KIND = declare_kind(
    "iam_instance_profile", "global", "An IAM instance profile and the role it carries.",
    attributes={
        "name": (STR, "instance profile name"),
        "role": (STR, "name of the role it carries (null: none; AWS allows one)"),
    },
    terraform={"aws_iam_instance_profile": iam_instance_profile},
    service="iam", collect=iam_instance_profiles,
    reads={"iam": {"ListInstanceProfiles": "iam:ListInstanceProfiles"}},
)
