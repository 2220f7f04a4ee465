"""The ``iam_role`` kind. An IAM role.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import GLOBAL, live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def iam_role(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: a name is generated")}


# ----- the account -------------------------------------------------------------

def iam_roles(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("iam_role", GLOBAL, role["Arn"], name=role["RoleName"])
            for role in reader.paginate("iam", reader.global_region, "list_roles", "Roles")]


KIND = declare_kind(
    "iam_role", "global", "An IAM role.",
    attributes={
        "name": (STR, "role name"),
    },
    terraform={"aws_iam_role": iam_role},
    service="iam", collect=iam_roles,
    reads={"iam": {"ListRoles": "iam:ListRoles"}},
)
