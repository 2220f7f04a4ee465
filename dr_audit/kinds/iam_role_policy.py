"""The ``iam_role_policy`` kind. An inline policy of an IAM role.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from dr_audit.aws.collecting import GLOBAL, detail, live_resource, unreadable
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def iam_role_policy(r: Reader) -> dict:
    document = r.arg("policy")
    actions = resources = document
    if document.known:
        try:
            parsed = json.loads(document.value) if isinstance(document.value, str) else document.value
            statements = parsed.get("Statement", [])
            statements = statements if isinstance(statements, list) else [statements]
            allowed = [s for s in statements if isinstance(s, dict) and s.get("Effect") == "Allow"]
            actions = AttributeValue(sorted({a for s in allowed for a in _as_list(s.get("Action"))}), document.file,
                                     document.line, document.expression)
            resources = AttributeValue(sorted({x for s in allowed for x in _as_list(s.get("Resource"))}),
                                       document.file, document.line, document.expression)
        except (ValueError, AttributeError, TypeError) as error:
            actions = resources = AttributeValue(Unknown(document.expression or "policy", f"not a policy document: {error}"),
                                                 document.file, document.line, document.expression)
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "role": _role_name(r), "actions": actions, "resources": resources}


def _role_name(r: Reader) -> AttributeValue:
    """``role`` takes the role's name (its id is the name too): a resolved string is the name
    itself (``aws_iam_role.app.name`` where the name is written); a reference is followed."""
    written = r.given("role")
    if written is not None and isinstance(written.value, str):
        return AttributeValue(written.value, written.file, written.line, written.expression)
    return r.linked("role", lambda role: role.arg("name", unset_reason="a name is generated at apply time"))


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


# ----- the account -------------------------------------------------------------

def iam_role_policies(reader: AwsReader, region: str) -> list[Resource]:
    """Inline policies of every role: one ListRolePolicies per role, one GetRolePolicy per policy."""
    found = []
    for role in reader.paginate("iam", reader.global_region, "list_roles", "Roles"):
        name = role["RoleName"]
        try:
            policy_names = reader.paginate("iam", reader.global_region, "list_role_policies", "PolicyNames",
                                           RoleName=name)
        except AwsReadError as error:
            unread = unreadable(error)
            found.append(live_resource("iam_role_policy", GLOBAL, f"{role['Arn']}/inline-policies", name=unread,
                                       role=name, actions=unread, resources=unread))
            continue
        for policy_name in policy_names:
            document = detail(lambda: reader.call("iam", reader.global_region, "get_role_policy", RoleName=name,
                                                   PolicyName=policy_name)["PolicyDocument"])
            actions: Any = document
            resources: Any = document
            if not isinstance(document, Unreadable):
                statements = _policy_statements(document)
                allowed = [s for s in statements if s.get("Effect") == "Allow"]
                actions = sorted({a for s in allowed for a in _listed(s.get("Action"))})
                resources = sorted({r for s in allowed for r in _listed(s.get("Resource"))})
            found.append(live_resource("iam_role_policy", GLOBAL, f"{role['Arn']}/{policy_name}", name=policy_name,
                                       role=name, actions=actions, resources=resources))
    return found


def _policy_statements(document: Any) -> list[dict]:
    """boto3 decodes the URL-encoded document into a dict; a plain string is JSON."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    statements = document.get("Statement") or []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


KIND = declare_kind(
    "iam_role_policy", "global", "An inline policy of an IAM role.",
    tags=False,  # an inline policy cannot be tagged
    attributes={
        "name": (STR, "policy name"),
        "role": (STR, "name of the role it belongs to"),
        "actions": (STR_LIST, "every action an Allow statement grants"),
        "resources": (STR_LIST, "every resource an Allow statement names"),
    },
    terraform={"aws_iam_role_policy": iam_role_policy},
    service="iam", collect=iam_role_policies,
    reads={
        "iam": {"ListRoles": "iam:ListRoles", "ListRolePolicies": "iam:ListRolePolicies",
                "GetRolePolicy": "iam:GetRolePolicy"},
    },
)
