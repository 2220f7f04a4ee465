"""The ``iam_role_policy`` kind. An inline policy of an IAM role.

Its attributes, how Terraform declares it and how the account is read. Both
sides read the policy document with one function, :func:`granted_by`.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any
from urllib.parse import unquote

from dr_audit.aws.collecting import GLOBAL, live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.iam_role import role_details
from dr_audit.kinds.spec import MAP, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown, as_unknown, first_unknown

#: what a statement granting an action without a Condition element contributes to ``conditions``
ALWAYS = "always"
#: the attributes :func:`granted_by` reads from a document
DOCUMENT_ATTRIBUTES = ("actions", "resources", "conditions")


# ----- the policy document, as both sides read it ---------------------------------

def granted_by(document: Any) -> dict[str, Any]:
    """``actions``, ``resources`` and ``conditions`` of a policy document.

    ``document`` is a JSON string (URL-encoded as IAM's wire form, or not) or its
    decoded dict; Terraform's may hold unresolved parts (an ARN known only after
    apply): an attribute that needs such a part is that part (an Unknown or Ref),
    the others are read. Raises ValueError for text that is not JSON.

    Only Allow statements grant. ``conditions`` maps each action an Allow
    statement names (lower-cased: IAM action names are case-insensitive) to the
    conditions under which the document grants it: each granting statement's
    clauses ("StringLike kms:viaservice = s3.region-a.amazonaws.com", context
    keys lower-cased as IAM compares them, values as written) joined by " AND ",
    and the statements, sorted, by " OR "; a statement without a Condition
    element contributes ``always``. A statement grants an action when one of its
    Action patterns matches it, or none of its NotAction patterns does.

    >>> granted_by({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
    ...     "Condition": {"StringLike": {"kms:ViaService": "s3.region-a.amazonaws.com"}}}]})["conditions"]
    {'kms:decrypt': 'StringLike kms:viaservice = s3.region-a.amazonaws.com'}
    """
    if first_unknown(document) is document:  # wholly unresolved: each attribute is, for its reason
        return dict.fromkeys(DOCUMENT_ATTRIBUTES, document)
    statements = _statements(_decoded(document))
    if not isinstance(statements, list):
        return dict.fromkeys(DOCUMENT_ATTRIBUTES, statements)
    allowed = [s for s in statements if s.get("Effect") == "Allow"]
    return {"actions": _union(allowed, "Action"), "resources": _union(allowed, "Resource"),
            "conditions": _conditions(allowed)}


def _decoded(document: Any) -> Any:
    if not isinstance(document, str):
        return document
    try:
        return json.loads(document)
    except ValueError:
        return json.loads(unquote(document))  # IAM's wire form is URL-encoded JSON


def _statements(document: Any) -> Any:
    """The document's statements as a list of dicts, or the unresolved part that hides them."""
    if not isinstance(document, dict):
        raise ValueError(f"a policy document is a JSON object, not {type(document).__name__}")
    statements = document.get("Statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    hidden = next((s for s in statements if first_unknown(s) is not None and not isinstance(s, dict)), None)
    if hidden is not None:
        return hidden
    unresolved_effect = next((s["Effect"] for s in statements if isinstance(s, dict)
                              and first_unknown(s.get("Effect")) is not None), None)
    return unresolved_effect if unresolved_effect is not None else [s for s in statements if isinstance(s, dict)]


def _union(statements: list[dict], element: str) -> Any:
    """Every value ``element`` lists across ``statements``, sorted; an unresolved part instead."""
    values = [v for s in statements for v in _listed(s.get(element))]
    unresolved = first_unknown(values)
    return unresolved if unresolved is not None else sorted(set(values))


def _conditions(statements: list[dict]) -> Any:
    unresolved = first_unknown([[s.get("Action"), s.get("NotAction"), s.get("Condition")] for s in statements])
    if unresolved is not None:
        return unresolved
    actions = sorted({str(a).lower() for s in statements for a in _listed(s.get("Action"))})
    return {action: " OR ".join(sorted({_clauses(s.get("Condition")) for s in statements if _grants(s, action)}))
            for action in actions}


def _grants(statement: dict, action: str) -> bool:
    if "NotAction" in statement:
        return not any(_matches(pattern, action) for pattern in _listed(statement["NotAction"]))
    return any(_matches(pattern, action) for pattern in _listed(statement.get("Action")))


def _matches(pattern: Any, action: str) -> bool:
    # IAM's action wildcards: * any run of characters, ? one character; names are case-insensitive
    return fnmatch.fnmatchcase(action, str(pattern).lower())


def _clauses(condition: Any) -> str:
    """One statement's Condition element as text: its clauses, sorted, joined by " AND "."""
    if not condition:
        return ALWAYS
    if not isinstance(condition, dict):
        raise ValueError(f"a Condition element is a JSON object, not {type(condition).__name__}")
    clauses = []
    for operator, tests in condition.items():
        for key, values in (tests.items() if isinstance(tests, dict) else [("?", tests)]):
            texts = sorted({_text(v) for v in _listed(values)})
            shown = f"= {texts[0]}" if len(texts) == 1 else f"in [{', '.join(texts)}]"
            clauses.append(f"{operator} {str(key).lower()} {shown}")
    return " AND ".join(sorted(clauses))


def _text(value: Any) -> str:
    # IAM compares condition values as text; JSON's true is the text "true"
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


# ----- Terraform ---------------------------------------------------------------

def iam_role_policy(r: Reader) -> dict:
    document = _document(r)
    try:
        granted = granted_by(document.value)
    except (ValueError, AttributeError, TypeError) as error:
        granted = dict.fromkeys(DOCUMENT_ATTRIBUTES, Unknown(document.expression or "policy",
                                                             f"not a policy document: {error}"))
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "role": _role_name(r),
            **{name: AttributeValue(_resolved(value, document), document.file, document.line, document.expression,
                                    document.note)
               for name, value in granted.items()}}


def _document(r: Reader) -> AttributeValue:
    """``policy`` as evaluated; when written as ``jsonencode({...})`` and not wholly known,
    the object inside the call, so a value known only after apply (a bucket ARN in a
    Resource) leaves unknown only what needs it, not the actions and conditions beside it."""
    written = r.arg("policy")
    if written.known:
        return written
    inner = r.call_argument("policy", "jsonencode")
    if inner is None:
        return written
    return AttributeValue(inner, written.file, written.line, written.expression,
                          "read inside jsonencode(): the parts known before apply")


def _resolved(value: Any, document: AttributeValue) -> Any:
    """``value`` itself, or an Unknown quoting the document when it is an unresolved part."""
    if first_unknown(value) is None:
        return value
    return as_unknown(value, document.expression or "policy")


def _role_name(r: Reader) -> AttributeValue:
    """``role`` takes the role's name (its id is the name too): a resolved string is the name
    itself (``aws_iam_role.app.name`` where the name is written); a reference is followed."""
    written = r.given("role")
    if written is not None and isinstance(written.value, str):
        return AttributeValue(written.value, written.file, written.line, written.expression)
    return r.linked("role", lambda role: role.arg("name", unset_reason="a name is generated at apply time"))


# ----- the account -------------------------------------------------------------

def iam_role_policies(reader: AwsReader, region: str) -> list[Resource]:
    """Inline policies of every role, with their documents, from the roles' authorization
    listing (:func:`~dr_audit.kinds.iam_role.role_details`: one paginated read for every role)."""
    found = []
    for role in role_details(reader):
        for policy in role.get("RolePolicyList") or []:
            where = f"{role['Arn']}/{policy['PolicyName']}"
            found.append(live_resource("iam_role_policy", GLOBAL, where, name=policy["PolicyName"],
                                       role=role["RoleName"], **_live_grants(policy.get("PolicyDocument"), where)))
    return found


def _live_grants(document: Any, where: str) -> dict[str, Any]:
    """The document's attributes; an unreadable document (or one IAM returns that is not
    JSON) leaves each of them Unreadable, never empty."""
    if isinstance(document, Unreadable):
        return dict.fromkeys(DOCUMENT_ATTRIBUTES, document)
    try:
        return granted_by(document)
    except (ValueError, AttributeError, TypeError) as error:
        return dict.fromkeys(DOCUMENT_ATTRIBUTES, Unreadable(where, f"not a policy document: {error}"))


KIND = declare_kind(
    "iam_role_policy", "global", "An inline policy of an IAM role.",
    tags=False,  # an inline policy cannot be tagged
    attributes={
        "name": (STR, "policy name"),
        "role": (STR, "name of the role it belongs to"),
        "actions": (STR_LIST, "every action an Allow statement grants"),
        "resources": (STR_LIST, "every resource an Allow statement names"),
        "conditions": (MAP, "each action an Allow statement names (lower-cased) -> the conditions it is granted "
                            "under: each granting statement's clauses ('StringLike kms:viaservice = x', context "
                            "keys lower-cased) joined by ' AND ', statements sorted and joined by ' OR '; "
                            "'always' for a statement without a Condition"),
    },
    terraform={"aws_iam_role_policy": iam_role_policy},
    service="iam", collect=iam_role_policies,
    reads={
        "iam": {"GetAccountAuthorizationDetails": "iam:GetAccountAuthorizationDetails"},
    },
)
