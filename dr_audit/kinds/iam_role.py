"""The ``iam_role`` kind. An IAM role.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from dr_audit.aws.collecting import GLOBAL, live_resource, tag_map
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import STR, STR_LIST, TAGS_COLLECTED, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Ref, Unknown, is_known

#: the split resource that attaches one managed policy to a role
_ATTACHMENT = "aws_iam_role_policy_attachment"


# ----- the trust policy, as both sides read it ------------------------------------

def trusted_services_in(document: Any) -> list[str]:
    """The AWS services an Allow statement of a trust policy lets assume the role, sorted.

    >>> trusted_services_in({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
    ...                                     "Principal": {"Service": "ec2.amazonaws.com"}}]})
    ['ec2.amazonaws.com']
    """
    if isinstance(document, str):
        document = json.loads(unquote(document)) if document.strip() else {}
    statements = (document or {}).get("Statement") or []
    services = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action")
        if not any(str(a).lower().startswith("sts:assumerole") or a == "*" for a in _listed(actions)):
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            services.update(_listed(principal.get("Service")))
    return sorted(services)


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


# ----- Terraform ---------------------------------------------------------------

def iam_role(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: a name is generated"),
            "trusted_services": _trusted_services(r), "managed_policy_arns": _managed_policy_arns(r)}


def _trusted_services(r: Reader) -> AttributeValue:
    document = r.arg("assume_role_policy")
    if not document.known:
        return document
    try:
        services = trusted_services_in(document.value)
    except (ValueError, AttributeError, TypeError) as error:
        return AttributeValue(Unknown(document.expression or "assume_role_policy", f"not a policy document: {error}"),
                              document.file, document.line, document.expression)
    return AttributeValue(services, document.file, document.line, document.expression)


def _managed_policy_arns(r: Reader) -> AttributeValue:
    """The role's own ``managed_policy_arns`` (exclusive when written) plus every
    ``aws_iam_role_policy_attachment`` naming the role; Unknown when one may name it."""
    arns: list = []
    own = r.given("managed_policy_arns")
    where = AttributeValue(None, own.file, own.line, own.expression) if own is not None else r.at_block(None, None)
    if own is not None:
        arns += own.value if isinstance(own.value, list) else [own.value]
    for attachment in r.attached(_ATTACHMENT, "role"):
        written = attachment.given("policy_arn")
        arns.append(written.value if written is not None else Unknown(attachment.instance.address, "policy_arn not set"))
    for attachment in r.maybe_attached(_ATTACHMENT, "role"):
        return r.may_refer_here(attachment, "role", "attach a policy to")
    for arn in arns:
        if not is_known(arn) or isinstance(arn, Ref):
            reason = "only known after apply" if isinstance(arn, Ref) else getattr(arn, "reason", "unresolved")
            return AttributeValue(Unknown(str(arn), reason), where.file, where.line, where.expression)
    return AttributeValue(sorted(set(arns)), where.file, where.line, where.expression,
                          None if own is not None else f"from {_ATTACHMENT} resources naming the role")


# ----- the account -------------------------------------------------------------

def role_details(reader: AwsReader) -> list[dict]:
    """Every role of the account as GetAccountAuthorizationDetails reports it (``Filter: Role``,
    every page): trust policy, inline policies with their documents, attached managed policies
    and tags. One listing, read once per run and shared by the IAM kinds, instead of one
    ListAttachedRolePolicies and one ListRolePolicies (and a GetRolePolicy per policy) per role:
    IAM's request quota is low, and an account holds hundreds of service-linked and SSO roles."""
    return reader.paginate("iam", reader.global_region, "get_account_authorization_details", "RoleDetailList",
                           Filter=["Role"])


def iam_roles(reader: AwsReader, region: str) -> list[Resource]:
    """Each role with its trust, attached managed policies and tags (the Tagging API lists no
    IAM role, so the tags come from the same listing)."""
    return [live_resource("iam_role", GLOBAL, role["Arn"], name=role["RoleName"],
                          trusted_services=trusted_services_in(role.get("AssumeRolePolicyDocument")),
                          managed_policy_arns=sorted({p["PolicyArn"] for p in role.get("AttachedManagedPolicies") or []
                                                      if "PolicyArn" in p}),
                          tags=tag_map(role.get("Tags")))
            for role in role_details(reader)]


KIND = declare_kind(
    "iam_role", "global", "An IAM role.",
    tags=TAGS_COLLECTED,  # the authorization listing carries them; the Tagging API lists no IAM role
    attributes={
        "name": (STR, "role name"),
        "trusted_services": (STR_LIST, "AWS services its trust policy lets assume it (Allow sts:AssumeRole*), sorted"),
        "managed_policy_arns": (STR_LIST, "ARNs of the managed policies attached to it, sorted (Terraform: "
                                          "managed_policy_arns and aws_iam_role_policy_attachment)"),
    },
    terraform={"aws_iam_role": iam_role},
    service="iam", collect=iam_roles,
    reads={"iam": {"GetAccountAuthorizationDetails": "iam:GetAccountAuthorizationDetails"}},
)
