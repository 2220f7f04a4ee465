"""The ``cognito_user_pool`` kind. A Cognito user pool.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def cognito_user_pool(r: Reader) -> dict:
    return {"name": r.arg("name")}


# ----- the account -------------------------------------------------------------

def cognito_user_pools(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("cognito_user_pool", region, pool["Id"], name=pool.get("Name"))
            for pool in reader.paginate("cognito-idp", region, "list_user_pools", "UserPools", MaxResults=60)]


KIND = declare_kind(
    "cognito_user_pool", "regional", "A Cognito user pool.",
    attributes={
        "name": (STR, "pool name"),
    },
    terraform={"aws_cognito_user_pool": cognito_user_pool},
    service="cognito-idp", collect=cognito_user_pools,
    reads={"cognito-idp": {"ListUserPools": "cognito-idp:ListUserPools"}},
)
