"""Data sources Terraform resolves without reading the account.

In: a data instance (its evaluated arguments, nested blocks and provider
region) and the attribute an expression reads. Out: the value the AWS
provider would compute, an :class:`Unknown` saying why it cannot be known
statically, or :data:`NOT_COMPUTED` when the attribute is none of these (the
caller then falls back to what is written, or a ``Ref``).

- ``aws_region``: ``name``/``region``/``id``, ``endpoint`` (EC2's), ``description``
- ``aws_partition``: ``partition``/``id``, ``dns_suffix``, ``reverse_dns_prefix``
- ``aws_caller_identity``: ``account_id``/``id`` from the audited account, when known
- ``aws_iam_policy_document``: ``json`` and ``minified_json``, rendered as the provider does
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from dr_audit.partitions import partition_record
from dr_audit.terraform.values import Ref, Unknown, as_unknown, is_known

#: returned when a data source attribute is not one computed here
NOT_COMPUTED = object()

STATIC_ACCOUNT = "the account id is read from AWS at plan time (static mode)"


def computed_attribute(instance: Any, name: str, account_id: str | None) -> Any:
    """What ``data.<type>.<name>.<attribute>`` holds before apply (see the module docstring)."""
    compute = _COMPUTED.get(instance.type)
    if compute is None:
        return NOT_COMPUTED
    return compute(instance, name, account_id)


def _written(instance: Any, argument: str) -> Any:
    """An argument's value, None when not written (null written is also None: not set)."""
    evidence = instance.evidence(argument)
    return None if evidence is None else evidence.value


# ----- aws_region / aws_partition -------------------------------------------
def _selected_region(instance: Any) -> Any:
    """The region an ``aws_region`` describes: v6 ``region``, v5 ``name``, an EC2 ``endpoint``, else the provider's."""
    for argument in ("region", "name"):
        value = _written(instance, argument)
        if value is not None:
            return value
    endpoint = _written(instance, "endpoint")
    if isinstance(endpoint, str):
        match = re.match(r"^(?:https://)?ec2\.([a-z0-9-]+)\.", endpoint)
        return match.group(1) if match else Unknown(endpoint, "not an EC2 regional endpoint")
    if endpoint is not None:
        return endpoint
    return instance.region


def _region_attribute(instance: Any, name: str, account_id: str | None) -> Any:
    if name not in ("name", "region", "id", "endpoint", "description"):
        return NOT_COMPUTED
    region = _selected_region(instance)
    if not isinstance(region, str):
        return as_unknown(region, f"{instance.address}.{name}") if not is_known(region) else Unknown(
            f"{instance.address}.{name}", f"region {region!r} is not a string")
    if name in ("name", "region", "id"):
        return region
    partition = partition_record(region)
    if partition is None:
        return Unknown(f"{instance.address}.{name}", f"{region!r} is in no known AWS partition")
    if name == "endpoint":
        return f"ec2.{region}.{partition['dnsSuffix']}"
    description = partition.get("regions", {}).get(region, {}).get("description")
    return description if description else Unknown(f"{instance.address}.{name}",
                                                   f"no description known for {region!r}")


def _partition_attribute(instance: Any, name: str, account_id: str | None) -> Any:
    if name not in ("partition", "id", "dns_suffix", "reverse_dns_prefix"):
        return NOT_COMPUTED
    region = instance.region
    if not isinstance(region, str):
        return as_unknown(region, f"{instance.address}.{name}") if not is_known(region) else Unknown(
            f"{instance.address}.{name}", "the provider's region is not set")
    partition = partition_record(region)
    if partition is None:
        return Unknown(f"{instance.address}.{name}", f"{region!r} is in no known AWS partition")
    if name in ("partition", "id"):
        return partition["partition"]
    if name == "dns_suffix":
        return partition["dnsSuffix"]
    return ".".join(reversed(partition["dnsSuffix"].split(".")))


def _caller_identity_attribute(instance: Any, name: str, account_id: str | None) -> Any:
    if name in ("account_id", "id"):
        return account_id if account_id else Unknown(f"{instance.address}.{name}", STATIC_ACCOUNT)
    if name in ("arn", "user_id"):
        return Ref(instance.address, name)  # the caller's identity: only AWS knows it
    return NOT_COMPUTED


# ----- aws_iam_policy_document ------------------------------------------------
class _Unresolved(Exception):
    """A part of the document could not be evaluated; carries the Unknown."""

    def __init__(self, unknown: Unknown):
        super().__init__(unknown.reason)
        self.unknown = unknown


def _known(value: Any, expression: str) -> Any:
    if not is_known(value):
        raise _Unresolved(as_unknown(value, expression))
    return value


def _string_set(block: Any, argument: str, where: str) -> list[str] | None:
    """A set-of-strings argument, or None when unset or empty (the provider omits it)."""
    evidence = block.evidence(argument)
    if evidence is None or evidence.value is None:
        return None
    value = _known(evidence.value, evidence.expression or where)
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in items):
        raise _Unresolved(Unknown(evidence.expression or where, f"{argument} must be strings"))
    distinct = sorted({str(item) if not isinstance(item, str) else item for item in items})
    return distinct or None


def _single_or_reversed(items: list[str]) -> Any:
    """One value stays a string; several are listed in reverse sorted order (the provider's rendering)."""
    return items[0] if len(items) == 1 else sorted(items, reverse=True)


def _variables(value: Any) -> Any:
    """``&{aws:username}`` is how HCL writes the IAM variable ``${aws:username}``."""
    if isinstance(value, list):
        return [item.replace("&{", "${") for item in value]
    return value.replace("&{", "${")


def _counted_blocks(holder: Any, block_type: str, where: str) -> list:
    """Nested blocks, refusing a dynamic block whose repetitions are unknown."""
    blocks = holder.blocks(block_type)
    if any(getattr(block, "uncertain", False) for block in blocks):
        raise _Unresolved(Unknown(f"{where}.{block_type}", f"a dynamic {block_type} block is unresolved"))
    return blocks


def _principals(statement: Any, block_type: str, where: str) -> Any:
    blocks = _counted_blocks(statement, block_type, where)
    if not blocks:
        return None
    identifiers_by_type: list[tuple[str, Any]] = []
    for block in blocks:
        type_ = _known(_written(block, "type"), f"{where}.{block_type}.type")
        identifiers = _string_set(block, "identifiers", f"{where}.{block_type}.identifiers") or []
        identifiers_by_type.append((str(type_), _variables(_single_or_reversed(identifiers))))
    if len(identifiers_by_type) == 1 and identifiers_by_type[0] in (("*", "*"), ("*", ["*"])):
        return "*"
    merged: dict[str, Any] = {}
    for type_, identifiers in identifiers_by_type:
        previous = merged.get(type_)
        if isinstance(identifiers, list):
            reversed_sorted = sorted(identifiers, reverse=True)
            merged[type_] = ([] if previous is None else [previous] if isinstance(previous, str)
                             else list(previous)) + reversed_sorted
        else:
            merged[type_] = identifiers if previous is None else (
                [previous, identifiers] if isinstance(previous, str) else list(previous) + [identifiers])
    return {key: merged[key] for key in sorted(merged)}


def _conditions(statement: Any, where: str) -> Any:
    blocks = _counted_blocks(statement, "condition", where)
    if not blocks:
        return None
    tests: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        test = _known(_written(block, "test"), f"{where}.condition.test")
        variable = _known(_written(block, "variable"), f"{where}.condition.variable")
        values = _known(_written(block, "values"), f"{where}.condition.values")
        values = values if isinstance(values, list) else [values]
        tests.setdefault(str(test), {}).setdefault(str(variable), []).extend(
            _variables(["" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in values]))
    return {test: {variable: (values[0] if len(values) == 1 else values)
                   for variable, values in sorted(tests[test].items())}
            for test in sorted(tests)}


def _statement(block: Any, where: str) -> dict:
    """One ``statement`` block as the provider renders it (keys in its order, empty parts left out)."""
    rendered: dict[str, Any] = {}
    sid = _known(_written(block, "sid"), f"{where}.sid")
    if sid:
        rendered["Sid"] = sid
    rendered["Effect"] = _known(_written(block, "effect"), f"{where}.effect") or "Allow"
    for argument, key, variables in (("actions", "Action", False), ("not_actions", "NotAction", False),
                                     ("resources", "Resource", True), ("not_resources", "NotResource", True)):
        items = _string_set(block, argument, f"{where}.{argument}")
        if items:
            value = _single_or_reversed(items)
            rendered[key] = _variables(value) if variables else value
    for block_type, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        principals = _principals(block, block_type, where)
        if principals:
            rendered[key] = principals
    conditions = _conditions(block, where)
    if conditions:
        rendered["Condition"] = conditions
    return rendered


_STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                   "NotPrincipal", "Condition")


def _from_json(text: Any, where: str) -> dict:
    """A source or override document, re-rendered the way the provider re-reads one."""
    text = _known(text, where)
    try:
        document = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise _Unresolved(Unknown(where, "not a JSON policy document"))
    statements = document.get("Statement") or []
    statements = statements if isinstance(statements, list) else [statements]
    result = {"Version": document.get("Version") or "", "Id": document.get("Id") or "", "Statement": []}
    for statement in statements:
        if not isinstance(statement, dict):
            raise _Unresolved(Unknown(where, "a statement is not an object"))
        rendered = {key: statement[key] for key in _STATEMENT_KEYS if statement.get(key) not in (None, "", [], {})}
        for key in ("Principal", "NotPrincipal"):
            if rendered.get(key) in ({"*": "*"}, {"*": ["*"]}):
                rendered[key] = "*"
            elif isinstance(rendered.get(key), dict):
                rendered[key] = {k: (sorted(v, reverse=True) if isinstance(v, list) else v)
                                 for k, v in sorted(rendered[key].items())}
        if isinstance(rendered.get("Condition"), dict):
            rendered["Condition"] = {
                test: {variable: (str(v).lower() if isinstance(v, bool) else v[0] if isinstance(v, list) and len(v) == 1
                                  else v) for variable, v in sorted(variables.items())}
                for test, variables in sorted(rendered["Condition"].items()) if isinstance(variables, dict)}
        result["Statement"].append(rendered)
    return result


def _merge(into: dict, document: dict) -> None:
    """The provider's merge: later Id wins, newer Version wins, a statement with the same Sid is replaced."""
    if document["Id"]:
        into["Id"] = document["Id"]
    if document["Version"] > into["Version"]:
        into["Version"] = document["Version"]
    for statement in document["Statement"]:
        sid = statement.get("Sid")
        position = next((i for i, s in enumerate(into["Statement"]) if sid and s.get("Sid") == sid), None)
        if position is None:
            into["Statement"].append(statement)
        else:
            into["Statement"][position] = statement


def _document_list(instance: Any, argument: str) -> list:
    value = _written(instance, argument)
    if value is None:
        return []
    value = _known(value, f"{instance.address}.{argument}")
    return [v for v in (value if isinstance(value, list) else [value]) if v is not None]


def policy_document(instance: Any) -> dict:
    """The merged policy document of an ``aws_iam_policy_document`` (raises :class:`_Unresolved`)."""
    merged = {"Version": "", "Id": "", "Statement": []}
    for index, text in enumerate(_document_list(instance, "source_policy_documents")):
        _merge(merged, _from_json(text, f"{instance.address}.source_policy_documents[{index}]"))
    own = {"Version": _known(_written(instance, "version"), f"{instance.address}.version") or "2012-10-17",
           "Id": _known(_written(instance, "policy_id"), f"{instance.address}.policy_id") or "",
           "Statement": [_statement(block, f"{instance.address}.statement[{n}]")
                         for n, block in enumerate(_counted_blocks(instance, "statement", instance.address))]}
    _merge(merged, own)
    for index, text in enumerate(_document_list(instance, "override_policy_documents")):
        _merge(merged, _from_json(text, f"{instance.address}.override_policy_documents[{index}]"))
    return {key: merged[key] for key in ("Version", "Id", "Statement") if merged[key]}


def render_policy(document: dict, minified: bool) -> str:
    """JSON as the provider's Go encoder writes it (two-space indent; <, > and & escaped)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":") if minified else (",", ": "),
                      indent=None if minified else 2)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _policy_document_attribute(instance: Any, name: str, account_id: str | None) -> Any:
    if name not in ("json", "minified_json"):
        return NOT_COMPUTED
    try:
        document = policy_document(instance)
    except _Unresolved as unresolved:
        return Unknown(f"{instance.address}.{name}", unresolved.unknown.reason)
    return render_policy(document, minified=name == "minified_json")


_COMPUTED: dict[str, Callable[[Any, str, str | None], Any]] = {
    "aws_region": _region_attribute,
    "aws_partition": _partition_attribute,
    "aws_caller_identity": _caller_identity_attribute,
    "aws_iam_policy_document": _policy_document_attribute,
}
