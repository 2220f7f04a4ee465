"""The ``security_group`` kind. A VPC security group and its rules.

Its attributes, how Terraform declares it (the group's inline ``ingress``/``egress``
blocks and the split rule resources) and how the account is read.

A rule is normalized as ``{protocol, from_port, to_port, cidr_blocks,
source_security_groups}``, one per (protocol, port range), as AWS groups its
permissions: the IPv4 and IPv6 ranges and the source groups (by name) of every
rule on that range are merged and sorted. ``-1`` (all protocols) is written
with ports 0 and 0, as Terraform writes it; protocol numbers 1, 6 and 17 are
``icmp``, ``tcp`` and ``udp``.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, live_resource, vpc_names
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import ANY, STR, declare_kind
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Ref, Unknown, is_known

ALL_PROTOCOLS = "-1"
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "all": ALL_PROTOCOLS, ALL_PROTOCOLS: ALL_PROTOCOLS}
#: the split resources that add one rule to a group, and which side each adds to
_LEGACY_RULE = "aws_security_group_rule"
_SPLIT_RULES = {"aws_vpc_security_group_ingress_rule": "ingress", "aws_vpc_security_group_egress_rule": "egress"}


class Unresolved(Exception):
    """A rule part that cannot be resolved from code; carries the Unknown to report."""

    def __init__(self, unknown: Unknown, file: str | None = None, line: int | None = None,
                 expression: str | None = None):
        super().__init__(unknown.reason)
        self.value = AttributeValue(unknown, file, line, expression)

    @classmethod
    def at(cls, value: AttributeValue) -> "Unresolved":
        return cls(value.value, value.file, value.line, value.expression)


# ----- rules, as both sides normalize them ----------------------------------------

def normalized_protocol(protocol: Any) -> str:
    text = str(protocol).lower()
    return _PROTOCOL_NAMES.get(text, text)


def merged_rules(parts: list[tuple[str, int, int, list, list]]) -> list[dict]:
    """(protocol, from, to, cidrs, source names) parts -> one sorted rule per (protocol, from, to)."""
    merged: dict[tuple, tuple[set, set]] = {}
    for protocol, low, high, cidrs, sources in parts:
        protocol = normalized_protocol(protocol)
        key = (protocol, 0, 0) if protocol == ALL_PROTOCOLS else (protocol, low, high)
        cidr_set, source_set = merged.setdefault(key, (set(), set()))
        cidr_set.update(cidrs)
        source_set.update(sources)
    return [{"protocol": p, "from_port": low, "to_port": high, "cidr_blocks": sorted(c),
             "source_security_groups": sorted(s)}
            for (p, low, high), (c, s) in sorted(merged.items(), key=lambda item: tuple(map(str, item[0])))]


# ----- Terraform ---------------------------------------------------------------

def declared_group_names(r: Reader, argument: str, block: Any = None) -> AttributeValue:
    """Names of the security groups a list argument (``vpc_security_group_ids``, ``security_groups``)
    of ``r``'s instance (or of its nested ``block``) refers to, sorted. A group id written as text, or a
    group not declared in this code, is Unknown: its name is only in the account."""
    holder = block if block is not None else r.instance
    evidence = given(holder, argument)
    if evidence is None:
        return AttributeValue([], holder.file, holder.line, None, f"{argument} not set")
    try:
        names = _names_of_groups(r, evidence.value, evidence)
    except Unresolved as unresolved:
        return unresolved.value
    return AttributeValue(sorted(names), evidence.file, evidence.line, evidence.expression)


def _names_of_groups(r: Reader, value: Any, evidence: Any) -> list[str]:
    names = []
    for item in value if isinstance(value, list) else [value]:
        names.append(_group_name(r, item, evidence))
    return names


def _group_name(r: Reader, item: Any, evidence: Any) -> str:
    where = (evidence.file, evidence.line, evidence.expression)
    if isinstance(item, Ref) and item.address in r.by_address and item.address.startswith("aws_security_group."):
        name = r.reader(r.by_address[item.address]).arg("name", unset_reason="a name is generated at apply time")
        if name.known:
            return name.value
        raise Unresolved(name.value, *where)
    if is_known(item) and not isinstance(item, Ref) and not str(item).startswith("sg-"):
        return str(item)  # EC2-Classic style: groups named directly
    reason = getattr(item, "reason", None) or "a security group not declared in this code: its name is unknown"
    raise Unresolved(Unknown(evidence.expression or "security group", reason), *where)


def security_group(r: Reader) -> dict:
    name = r.arg("name", unset_reason="not set: a name is generated at apply time (name_prefix or terraform-*)")
    return {"name": name, "vpc": r.linked("vpc_id", lambda v: v.tag("Name")) if r.given("vpc_id") is not None
            else r.at_block(Unknown(f"{r.instance.address}.vpc_id", "not set: the region's default VPC"),
                            "vpc_id not set"),
            "ingress": _rules(r, "ingress"), "egress": _rules(r, "egress")}


def _rules(r: Reader, side: str) -> AttributeValue:
    """Inline ``side`` blocks plus every split rule resource that adds to this group."""
    blocks = r.blocks(side)
    if any(getattr(b, "uncertain", False) for b in blocks):
        return r.at_block(Unknown(f"{r.instance.address}.{side}", f"a dynamic {side} block could not be expanded"),
                          f"{side} unresolved")
    try:
        parts = [_inline_part(r, block) for block in blocks]
        parts += [_legacy_part(r, other) for other in r.attached(_LEGACY_RULE, "security_group_id")
                  if _evidence_value(other, "type") == side]
        parts += [_split_part(r, other) for type_, on in _SPLIT_RULES.items() if on == side
                  for other in r.attached(type_, "security_group_id")]
        for type_ in [_LEGACY_RULE] + [t for t, on in _SPLIT_RULES.items() if on == side]:
            for other in r.maybe_attached(type_, "security_group_id"):
                written = _evidence_value(other, "type")
                if type_ == _LEGACY_RULE and isinstance(written, str) and written != side:
                    continue  # a rule of the other side, wherever it goes
                raise Unresolved.at(r.may_refer_here(other, "security_group_id", f"add an {side} rule to"))
    except Unresolved as unresolved:
        return unresolved.value
    where = blocks[0] if blocks else r.instance
    note = None if blocks else f"no inline {side} blocks (Terraform removes AWS's default egress rule)"
    return AttributeValue(merged_rules(parts), where.file, where.line, None, note)


def _evidence_value(r: Reader, name: str) -> Any:
    evidence = r.given(name)
    return evidence.value if evidence is not None else None


def _known(block: Any, name: str, default: Any = None) -> Any:
    evidence = given(block, name)
    if evidence is None:
        return default
    if not is_known(evidence.value) or isinstance(evidence.value, Ref):
        raise Unresolved(Unknown(evidence.expression or name, getattr(evidence.value, "reason", "only known after apply")),
                         evidence.file, evidence.line, evidence.expression)
    return evidence.value


def _own_name(r: Reader) -> str:
    name = r.arg("name", unset_reason="a name is generated at apply time")
    if not name.known:
        raise Unresolved.at(name)
    return name.value


def _inline_part(r: Reader, block: Any) -> tuple:
    cidrs = list(_known(block, "cidr_blocks", [])) + list(_known(block, "ipv6_cidr_blocks", []))
    sources = _sources(r, block, "security_groups")
    if _known(block, "self", False):
        sources.append(_own_name(r))
    return (_known(block, "protocol"), _known(block, "from_port"), _known(block, "to_port"), cidrs, sources)


def _sources(r: Reader, block: Any, argument: str) -> list[str]:
    evidence = given(block, argument)
    return [] if evidence is None else _names_of_groups(r, evidence.value, evidence)


def _legacy_part(group: Reader, rule: Reader) -> tuple:
    block = rule.instance
    cidrs = list(_known(block, "cidr_blocks", [])) + list(_known(block, "ipv6_cidr_blocks", []))
    sources = _sources(group, block, "source_security_group_id")
    if _known(block, "self", False):
        sources.append(_own_name(group))
    return (_known(block, "protocol"), _known(block, "from_port"), _known(block, "to_port"), cidrs, sources)


def _split_part(group: Reader, rule: Reader) -> tuple:
    block = rule.instance
    protocol = normalized_protocol(_known(block, "ip_protocol"))
    cidrs = [c for c in (_known(block, "cidr_ipv4"), _known(block, "cidr_ipv6")) if c is not None]
    sources = _sources(group, block, "referenced_security_group_id")
    if protocol == ALL_PROTOCOLS:
        return (protocol, 0, 0, cidrs, sources)
    return (protocol, _known(block, "from_port"), _known(block, "to_port"), cidrs, sources)


# ----- the account -------------------------------------------------------------

def list_security_groups(reader: AwsReader, region: str) -> list[dict]:
    return reader.paginate("ec2", region, "describe_security_groups", "SecurityGroups")


def group_names_by_id(reader: AwsReader, region: str) -> Any:
    """Security group id -> name in ``region`` (every lookup Unreadable when the listing fails)."""
    try:
        return {g["GroupId"]: g.get("GroupName") for g in list_security_groups(reader, region)}
    except AwsReadError as error:
        return FailedLookup(error)


def names_of_group_ids(ids: list, names: Any) -> Any:
    """Group ids -> sorted names (an id the listing lacks stays an id); Unreadable when the listing failed."""
    if isinstance(names, FailedLookup):
        return names.get(None)
    return sorted(names.get(i) or i for i in ids)


def _live_rules(permissions: list[dict], names: dict) -> list[dict]:
    parts = []
    for permission in permissions:
        cidrs = [r["CidrIp"] for r in permission.get("IpRanges") or [] if "CidrIp" in r]
        cidrs += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges") or [] if "CidrIpv6" in r]
        sources = [names.get(p.get("GroupId")) or p.get("GroupName") or p.get("GroupId")
                   for p in permission.get("UserIdGroupPairs") or []]
        parts.append((permission.get("IpProtocol"), permission.get("FromPort"), permission.get("ToPort"), cidrs,
                      sources))
    return merged_rules(parts)


def security_groups(reader: AwsReader, region: str) -> list[Resource]:
    groups = list_security_groups(reader, region)
    names = {g["GroupId"]: g.get("GroupName") for g in groups}
    vpcs: Any = vpc_names(reader, region) if groups else {}
    return [live_resource("security_group", region, g["GroupId"], name=g.get("GroupName"),
                          vpc=vpcs.get(g.get("VpcId")) if g.get("VpcId") else None,
                          ingress=_live_rules(g.get("IpPermissions") or [], names),
                          egress=_live_rules(g.get("IpPermissionsEgress") or [], names))
            for g in groups]


_RULE_DOC = ("one {protocol, from_port, to_port, cidr_blocks, source_security_groups} per protocol and port range, "
             "sorted; sources by group name; protocol -1 (all) with ports 0 and 0")

KIND = declare_kind(
    "security_group", "regional", "A VPC security group and its rules.",
    attributes={
        "name": (STR, "group name"),
        "vpc": (STR, "Name tag of its VPC"),
        "ingress": (ANY, "inbound rules: " + _RULE_DOC + " (Terraform: inline ingress blocks, "
                         "aws_security_group_rule and aws_vpc_security_group_ingress_rule)"),
        "egress": (ANY, "outbound rules, as ingress (Terraform: inline egress blocks, aws_security_group_rule and "
                        "aws_vpc_security_group_egress_rule; with none written, Terraform removes AWS's default "
                        "allow-all rule)"),
    },
    terraform={"aws_security_group": security_group},
    service="ec2", collect=security_groups,
    reads={"ec2": {"DescribeSecurityGroups": "ec2:DescribeSecurityGroups", "DescribeVpcs": "ec2:DescribeVpcs"}},
)
