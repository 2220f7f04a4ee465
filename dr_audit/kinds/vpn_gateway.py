"""The ``vpn_gateway`` kind. A virtual private gateway: the VPC's end of a site-to-site VPN.

Its attributes, how Terraform declares it and how the account is read. A
gateway puts the routes its VPN connections bring (learned over BGP, or a
connection's static routes) into a route table only when route propagation
is enabled for that table: ``propagates_routes`` says whether it is, and
``propagated_routes`` which destinations it has put there.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import first_reason, live_resource, out_of_service, tag_map, unreadable, vpc_names
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import BOOL, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Ref, Unknown, is_known

#: the Route.Origin AWS gives a route a gateway propagated into a table
PROPAGATED = "EnableVgwRoutePropagation"
#: Terraform types whose ``propagating_vgws`` lists the gateways propagating into them
_TABLE_TYPES = ("aws_route_table", "aws_default_route_table")


# ----- Terraform ---------------------------------------------------------------

def vpn_gateway(r: Reader) -> dict:
    """The gateway's VPC comes from ``vpc_id`` or an ``aws_vpn_gateway_attachment``; propagation
    from an ``aws_vpn_gateway_route_propagation`` or a route table's ``propagating_vgws``."""
    propagates = _propagates_routes(r)
    return {"name": r.tag("Name"), "vpc": _vpc(r),
            "state": r.at_block(Unknown(f"{r.instance.address}.state", "assigned by AWS: known only after apply"),
                                "computed"),
            "propagates_routes": propagates, "propagated_routes": _propagated_routes(r, propagates)}


def _vpc(r: Reader) -> AttributeValue:
    """Name tag of the VPC the gateway is attached to (None: attached to none in code)."""
    if r.given("vpc_id") is not None:
        return r.linked("vpc_id", lambda v: v.tag("Name"))
    attachments = r.attached("aws_vpn_gateway_attachment", "vpn_gateway_id")
    if attachments:
        return attachments[0].linked("vpc_id", lambda v: v.tag("Name"))
    maybe = r.maybe_attached("aws_vpn_gateway_attachment", "vpn_gateway_id")
    if maybe:
        return r.may_refer_here(maybe[0], "vpn_gateway_id", "attach this gateway to a VPC")
    return r.at_block(None, "no vpc_id and no aws_vpn_gateway_attachment names it: attached to no VPC")


def _lists_me(r: Reader, value: Any) -> bool | None:
    """Whether a ``propagating_vgws`` value names ``r``'s gateway: True, False, or None when unresolved."""
    if not isinstance(value, list):
        return None
    if any(isinstance(item, Ref) and item.address == r.instance.address for item in value):
        return True
    # a reference to another declared resource names that one; anything else unresolved may be this one
    return False if all(isinstance(item, Ref) or is_known(item) for item in value) else None


def _undone_by_its_table(r: Reader, propagation: Reader) -> bool:
    """True when the propagation's route table sets ``propagating_vgws`` without this gateway: the
    provider documents that such a table removes every propagation its list does not name."""
    table, _ = propagation.follow("route_table_id")
    if table is None or table.instance.type not in _TABLE_TYPES:
        return False
    listed = table.given("propagating_vgws")
    return listed is not None and isinstance(listed.value, list) and bool(listed.value) \
        and _lists_me(r, listed.value) is False


def _propagates_routes(r: Reader) -> AttributeValue:
    """True when some route table gets this gateway's routes; Unknown when one may."""
    propagations = r.attached("aws_vpn_gateway_route_propagation", "vpn_gateway_id")
    kept = [p for p in propagations if not _undone_by_its_table(r, p)]
    if kept:
        return AttributeValue(True, kept[0].instance.file, kept[0].instance.line, None,
                              f"{kept[0].instance.address} enables propagation")
    doubtful = None
    for table in [t for type_ in _TABLE_TYPES for t in r.by_type.get(type_, [])]:
        listed = given(table, "propagating_vgws")
        if listed is None:
            continue
        named = _lists_me(r, listed.value)
        if named:
            return AttributeValue(True, listed.file, listed.line, listed.expression,
                                  f"{table.address} lists it in propagating_vgws")
        if named is None:
            doubtful = AttributeValue(Unknown(listed.expression or "propagating_vgws",
                                              f"{table.address}'s propagating_vgws is unresolved: it may list this gateway"),
                                      listed.file, listed.line, listed.expression)
    maybe = r.maybe_attached("aws_vpn_gateway_route_propagation", "vpn_gateway_id")
    if maybe:
        return r.may_refer_here(maybe[0], "vpn_gateway_id", "enable propagation from this gateway")
    if doubtful is not None:
        return doubtful
    if propagations:
        return r.at_block(False, f"{propagations[0].instance.address} names a route table whose propagating_vgws "
                                 "leaves this gateway out: the table removes the propagation")
    return r.at_block(False, "no aws_vpn_gateway_route_propagation names it and no route table's "
                             "propagating_vgws lists it")


def _propagated_routes(r: Reader, propagates: AttributeValue) -> AttributeValue:
    """Without propagation no route table gets a route from the gateway; with it, the routes are what
    the other side announces over BGP, which only the account shows."""
    if propagates.value is False:
        return AttributeValue([], propagates.file, propagates.line, propagates.expression,
                              "the gateway propagates into no route table")
    if not propagates.known:
        return propagates
    return AttributeValue(Unknown(f"{r.instance.address} propagated routes",
                                  "learned by BGP at run time: known only in the account"),
                          propagates.file, propagates.line, propagates.expression)


# ----- the account -------------------------------------------------------------

def _current_attachment(gateway: dict) -> dict | None:
    """The gateway's attachment to a VPC: the one not detached, else the last one AWS still lists."""
    attachments = gateway.get("VpcAttachments") or []
    current = [a for a in attachments if a.get("State") != "detached"]
    return (current or attachments or [None])[-1]


def _route_tables(reader: AwsReader, region: str) -> Any:
    """Every route table of the region (every page), or Unreadable when the listing fails."""
    try:
        return reader.paginate("ec2", region, "describe_route_tables", "RouteTables")
    except AwsReadError as error:
        return unreadable(error)


def _propagation(tables: Any, vpc_id: str | None, gateway_id: str) -> tuple[Any, Any]:
    """(whether a table of ``vpc_id`` lists the gateway in PropagatingVgws, the sorted destinations
    of the active routes it propagated into them); both Unreadable when the tables are."""
    if isinstance(tables, Unreadable):
        return tables, tables
    own = [t for t in tables if vpc_id is not None and t.get("VpcId") == vpc_id]
    propagates = any(p.get("GatewayId") == gateway_id for t in own for p in t.get("PropagatingVgws") or [])
    destinations = {route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
                    for t in own for route in t.get("Routes") or []
                    if route.get("Origin") == PROPAGATED and route.get("GatewayId") == gateway_id
                    and route.get("State", "active") == "active"}  # a blackhole route sends nothing
    return propagates, sorted(d for d in destinations if d)


def vpn_gateways(reader: AwsReader, region: str) -> list[Resource]:
    """Every gateway in one DescribeVpnGateways call (the API has no pages). A deleted gateway stays
    listed in state deleted: it is gone and left out. One that is not available, or not attached
    to a VPC, is kept but does not count."""
    gateways = [g for g in reader.paginate("ec2", region, "describe_vpn_gateways", "VpnGateways")
                if g.get("State") != "deleted"]
    if not gateways:
        return []
    names, tables = vpc_names(reader, region), _route_tables(reader, region)
    found = []
    for gateway in gateways:
        attachment = _current_attachment(gateway) or {}
        attached = attachment.get("State") not in (None, "detached")
        vpc_id = attachment.get("VpcId") if attached else None
        propagates, routes = _propagation(tables, vpc_id, gateway["VpnGatewayId"])
        found.append(live_resource(
            "vpn_gateway", region, gateway["VpnGatewayId"],
            not_serving=first_reason(out_of_service("vpn_gateway", gateway.get("State")),
                                     out_of_service("vpn_gateway.attachment", attachment.get("State"))),
            name=tag_map(gateway.get("Tags")).get("Name"), state=gateway.get("State"),
            vpc=names.get(vpc_id) if vpc_id else None, propagates_routes=propagates, propagated_routes=routes))
    return found


KIND = declare_kind(
    "vpn_gateway", "regional", "A virtual private gateway: the VPC's end of a site-to-site VPN.",
    attributes={
        "name": (STR, "the Name tag"),
        "state": (STR, "pending, available, deleting: only an available gateway attached to a VPC meets a row"),
        "vpc": (STR, "Name tag of the VPC it is attached to"),
        "propagates_routes": (BOOL, "a route table of its VPC gets its routes by propagation (Terraform: an "
                                    "aws_vpn_gateway_route_propagation, or a route table's propagating_vgws)"),
        "propagated_routes": (STR_LIST, "destinations of the active routes it propagated into its VPC's route "
                                        "tables (Origin EnableVgwRoutePropagation): learned over BGP or a "
                                        "connection's static routes, so known only in the account"),
    },
    terraform={"aws_vpn_gateway": vpn_gateway},
    service="ec2", collect=vpn_gateways,
    reads={"ec2": {"DescribeVpnGateways": "ec2:DescribeVpnGateways", "DescribeVpcs": "ec2:DescribeVpcs",
                   "DescribeRouteTables": "ec2:DescribeRouteTables"}},
    states={
        "vpn_gateway": StateRule("State", frozenset({"available"}),
                                 "a gateway still pending or being deleted carries no traffic"),
        "vpn_gateway.attachment": StateRule("VpcAttachments.State", frozenset({"attached"}),
                                            "a gateway not attached to a VPC routes nothing into it"),
    },
)
