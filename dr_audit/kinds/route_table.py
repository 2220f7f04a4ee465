"""The ``route_table`` kind. A VPC route table.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, list_subnets, live_resource, tag_map, vpc_names
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import ANY, STR, STR_LIST, declare_kind
from dr_audit.kinds.vpc_peering_connection import peering_names
from dr_audit.terraform.module import BlockInstance
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Ref, Unknown, is_known


# ----- Terraform ---------------------------------------------------------------

def _gateway_kind(value: Any) -> str:
    """gateway_id also takes virtual private gateways (other) and, leniently, NAT gateways."""
    if isinstance(value, Ref):
        address = f".{value.address}"
        return ("internet_gateway" if ".aws_internet_gateway." in address
                else "nat_gateway" if ".aws_nat_gateway." in address else "other")
    if isinstance(value, str):
        return ("internet_gateway" if value.startswith("igw-")
                else "nat_gateway" if value.startswith("nat-") else "other")
    return "other"


#: route arguments that name where traffic goes, besides gateway_id and nat_gateway_id
_OTHER_ROUTE_TARGETS = ("carrier_gateway_id", "core_network_arn", "egress_only_gateway_id", "local_gateway_id",
                        "network_interface_id", "transit_gateway_id", "vpc_endpoint_id",
                        "vpc_peering_connection_id", "odb_network_arn", "instance_id")


def _route_target(route: BlockInstance) -> AttributeValue:
    """What one route (an inline ``route`` block or an ``aws_route``) sends its traffic to."""
    nat = given(route, "nat_gateway_id")
    gateway = given(route, "gateway_id")
    others = [e for e in (given(route, name) for name in _OTHER_ROUTE_TARGETS) if e is not None]
    for evidence in [e for e in (nat, gateway, *others) if e is not None]:
        if isinstance(evidence.value, Unknown):  # it may be null: which target applies is unknown
            return AttributeValue(Unknown(evidence.expression or "route target", evidence.value.reason),
                                  evidence.file, evidence.line, evidence.expression)
    if nat is not None:
        return AttributeValue("nat_gateway", nat.file, nat.line, nat.expression)
    if gateway is not None:
        return AttributeValue(_gateway_kind(gateway.value), gateway.file, gateway.line, gateway.expression)
    return AttributeValue("other", route.file, route.line, None, "the route names no gateway")


def _default_route_target(r: Reader) -> AttributeValue:
    """Where 0.0.0.0/0 goes: inline ``route`` blocks or ``aws_route`` resources naming this table."""
    routes = [(block, "cidr_block") for block in r.blocks("route")]
    routes += [(route.instance, "destination_cidr_block") for route in r.attached("aws_route", "route_table_id")]
    found, doubtful = None, None
    for route, key in routes:
        destination = given(route, key)
        if destination is None:
            continue
        if not is_known(destination.value):
            doubtful = AttributeValue(Unknown(destination.expression or key, "the route's destination is unresolved: "
                                              "it may be 0.0.0.0/0"), destination.file, destination.line,
                                      destination.expression)
        elif destination.value == "0.0.0.0/0":
            found = _route_target(route)
    for route in r.maybe_attached("aws_route", "route_table_id"):
        destination = given(route.instance, "destination_cidr_block")
        if destination is not None and destination.value == "0.0.0.0/0":
            table = given(route.instance, "route_table_id")
            doubtful = AttributeValue(Unknown(table.expression or "route_table_id",
                                              f"{route.instance.address} ({route.instance.file}:{route.instance.line}) "
                                              f"routes 0.0.0.0/0 and may be in this table: {table.value.reason}"),
                                      table.file, table.line, table.expression)
    if found is not None:
        return found
    return doubtful if doubtful is not None else r.at_block("none", "no 0.0.0.0/0 route in code")


#: route argument -> the kind of target it names (gateway_id is read by its value: igw-, vgw-, ...)
_TARGET_KINDS = {"nat_gateway_id": "nat_gateway", "vpc_peering_connection_id": "vpc_peering_connection",
                 "transit_gateway_id": "transit_gateway", "egress_only_gateway_id": "egress_only_internet_gateway",
                 "carrier_gateway_id": "carrier_gateway", "local_gateway_id": "local_gateway",
                 "network_interface_id": "network_interface", "vpc_endpoint_id": "vpc_endpoint",
                 "core_network_arn": "core_network", "instance_id": "instance", "odb_network_arn": "odb_network"}
#: Terraform types whose ``.id`` is a gateway_id target, and the kind they are
_GATEWAY_TYPES = {"aws_internet_gateway": "internet_gateway", "aws_vpn_gateway": "vpn_gateway",
                  "aws_nat_gateway": "nat_gateway"}
#: the id prefixes of gateway_id values, and the kind they name
_GATEWAY_PREFIXES = {"igw-": "internet_gateway", "vgw-": "vpn_gateway", "nat-": "nat_gateway"}


def _routes(r: Reader) -> AttributeValue:
    """Every route of the table (inline ``route`` blocks and ``aws_route`` resources naming it), as
    ``{destination, target_kind, target}``; Unknown when one of them cannot be resolved."""
    # a route of another region's provider cannot be in this table
    doubtful = [route for route in r.maybe_attached("aws_route", "route_table_id")
                if not (isinstance(route.instance.region, str) and isinstance(r.instance.region, str)
                        and route.instance.region != r.instance.region)]
    if doubtful:
        return r.may_refer_here(doubtful[0], "route_table_id", "add a route to this table")
    entries = [_route_entry(r, block, ("cidr_block", "ipv6_cidr_block", "destination_prefix_list_id"))
               for block in r.blocks("route")]
    entries += [_route_entry(r, route.instance, ("destination_cidr_block", "destination_ipv6_cidr_block",
                                                 "destination_prefix_list_id"))
                for route in r.attached("aws_route", "route_table_id")]
    unknown = next((e for e in entries if not e.known), None)
    if unknown is not None:
        return unknown
    routes = sorted((e.value for e in entries), key=lambda e: (str(e["destination"]), e["target_kind"]))
    return r.at_block(routes, "inline route blocks and the aws_route resources naming it" if routes
                      else "no route in code")


def _route_entry(r: Reader, route: BlockInstance, destination_keys: tuple[str, ...]) -> AttributeValue:
    """One route as ``{destination, target_kind, target}``: the target's Name tag, else its id."""
    destination = next((e for e in (given(route, key) for key in destination_keys) if e is not None), None)
    if destination is None:
        return AttributeValue(Unknown(f"{route.address} destination", "the route names no destination"),
                              route.file, route.line)
    if not is_known(destination.value):
        return AttributeValue(Unknown(destination.expression or "destination", "the route's destination is unresolved"),
                              destination.file, destination.line, destination.expression)
    targets = [(name, e) for name, e in ((n, given(route, n)) for n in ("gateway_id", *_TARGET_KINDS)) if e is not None]
    if len(targets) != 1:
        return AttributeValue(Unknown(f"{route.address} target", f"{len(targets)} targets written: which applies "
                                      "is unresolved"), destination.file, destination.line)
    name, evidence = targets[0]
    kind, target = _target_of(r, name, evidence.value)
    if not is_known(target):
        return AttributeValue(Unknown(evidence.expression or name, getattr(target, "reason", "unresolved")),
                              evidence.file, evidence.line, evidence.expression)
    return AttributeValue({"destination": destination.value, "target_kind": kind, "target": target},
                          evidence.file, evidence.line, evidence.expression)


def _target_of(r: Reader, argument: str, value: Any) -> tuple[str, Any]:
    """(target kind, the target's Name tag or id) of a route argument's value."""
    if isinstance(value, Ref) and value.address in r.by_address:
        target = r.by_address[value.address]
        kind = _GATEWAY_TYPES.get(target.type, "other") if argument == "gateway_id" else _TARGET_KINDS[argument]
        if target.type == "aws_vpc_peering_connection_accepter":  # the accepter's id is the connection's
            requester, _ = r.reader(target).follow("vpc_peering_connection_id")
            if requester is None:
                return kind, Unknown(str(value), "the accepter's connection is not declared in this code")
            target = requester.instance
        return kind, r.reader(target).tag("Name").value
    if isinstance(value, Ref):
        return _TARGET_KINDS.get(argument, "other"), Unknown(str(value), "refers to something not declared in this code")
    if argument == "gateway_id":
        if value == "local":
            return "local", "local"
        return next((k for p, k in _GATEWAY_PREFIXES.items() if str(value).startswith(p)), "other"), value
    return _TARGET_KINDS[argument], value


def _associated_subnets(r: Reader) -> AttributeValue:
    """Subnets explicitly associated (``aws_route_table_association``), as AWS lists them.

    A main route table also serves every subnet without an explicit
    association; AWS does not list those as the table's subnets, nor do we.
    """
    subnets = [a.linked("subnet_id", lambda s: s.tag("Name"))
               for a in r.attached("aws_route_table_association", "route_table_id") if a.given("subnet_id")]
    unknown = next((s for s in subnets if not s.known), None)
    if unknown is not None:
        return unknown
    doubtful = [a for a in r.maybe_attached("aws_route_table_association", "route_table_id") if a.given("subnet_id")]
    if doubtful:
        table = doubtful[0].given("route_table_id")
        return AttributeValue(Unknown(table.expression or "route_table_id",
                                      f"{doubtful[0].instance.address} may associate a subnet with this table: "
                                      f"{table.value.reason}"), table.file, table.line, table.expression)
    return AttributeValue(sorted(s.value for s in subnets if s.value is not None), r.instance.file, r.instance.line,
                          None, None if subnets else "no aws_route_table_association refers to it")


def route_table(r: Reader) -> dict:
    return {"name": r.tag("Name"), "vpc": r.linked("vpc_id", lambda v: v.tag("Name")),
            "subnets": _associated_subnets(r), "default_route_target": _default_route_target(r),
            "routes": _routes(r)}


# ----- the account -------------------------------------------------------------

def route_tables(reader: AwsReader, region: str) -> list[Resource]:
    names = vpc_names(reader, region)
    try:
        subnet_names: Any = {s["SubnetId"]: tag_map(s.get("Tags")).get("Name") for s in list_subnets(reader, region)}
    except AwsReadError as error:
        subnet_names = FailedLookup(error)
    found = []
    targets = _TargetNames(reader, region)
    for table in reader.paginate("ec2", region, "describe_route_tables", "RouteTables"):
        target = "none"
        for route in table.get("Routes") or []:
            if route.get("DestinationCidrBlock") == "0.0.0.0/0":
                gateway = route.get("GatewayId") or ""
                target = ("internet_gateway" if gateway.startswith("igw-") else
                          "nat_gateway" if route.get("NatGatewayId") else "other")
        associated = [subnet_names.get(a["SubnetId"]) for a in table.get("Associations") or [] if a.get("SubnetId")]
        unread = next((n for n in associated if isinstance(n, Unreadable)), None)
        found.append(live_resource("route_table", region, table["RouteTableId"], name=tag_map(table.get("Tags")).get("Name"),
                                   vpc=names.get(table.get("VpcId")),
                                   subnets=unread if unread is not None else sorted(n for n in associated if n),
                                   default_route_target=target, routes=_live_routes(table, targets)))
    return found


#: DescribeRouteTables route field -> the kind of target it names
_LIVE_TARGETS = (("NatGatewayId", "nat_gateway"), ("VpcPeeringConnectionId", "vpc_peering_connection"),
                 ("TransitGatewayId", "transit_gateway"), ("EgressOnlyInternetGatewayId", "egress_only_internet_gateway"),
                 ("CarrierGatewayId", "carrier_gateway"), ("LocalGatewayId", "local_gateway"),
                 ("InstanceId", "instance"),  # an instance route also names the instance's interface
                 ("NetworkInterfaceId", "network_interface"), ("CoreNetworkArn", "core_network"),
                 ("OdbNetworkArn", "odb_network"))


def _live_routes(table: dict, targets: "_TargetNames") -> Any:
    """The table's routes as ``{destination, target_kind, target}``, sorted. Left out: the local
    route the table is created with (Terraform declares none), routes a VPN gateway propagated
    (the provider leaves them out of ``route``: they are vpn_gateway.propagated_routes) and routes
    not ``active``: a blackhole route's target is gone (AWS keeps it, but it carries no traffic)."""
    routes = []
    for route in table.get("Routes") or []:
        if route.get("State", "active") != "active" or route.get("Origin") in ("CreateRouteTable",
                                                                               "EnableVgwRoutePropagation"):
            continue
        destination = (route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
                       or route.get("DestinationPrefixListId"))
        kind, target_id = _live_target(route)
        target = targets.name(kind, target_id)
        if isinstance(target, Unreadable):
            return target
        routes.append({"destination": destination, "target_kind": kind, "target": target})
    return sorted(routes, key=lambda e: (str(e["destination"]), e["target_kind"]))


def _live_target(route: dict) -> tuple[str, str | None]:
    gateway = route.get("GatewayId")
    if gateway:
        if gateway == "local":
            return "local", "local"
        return next((k for p, k in _GATEWAY_PREFIXES.items() if gateway.startswith(p)), "other"), gateway
    return next(((kind, route[field]) for field, kind in _LIVE_TARGETS if route.get(field)), ("other", None))


class _TargetNames:
    """Route target id -> its Name tag (else its id), read once per target kind and region."""

    _LISTINGS = {"internet_gateway": ("describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
                 "nat_gateway": ("describe_nat_gateways", "NatGateways", "NatGatewayId"),
                 "vpn_gateway": ("describe_vpn_gateways", "VpnGateways", "VpnGatewayId"),
                 "transit_gateway": ("describe_transit_gateways", "TransitGateways", "TransitGatewayId")}

    def __init__(self, reader: AwsReader, region: str):
        self.reader, self.region = reader, region
        self.tables: dict[str, Any] = {}

    def name(self, kind: str, target_id: str | None) -> Any:
        if kind not in self._LISTINGS and kind != "vpc_peering_connection":
            return target_id
        if kind not in self.tables:
            self.tables[kind] = self._names(kind)
        found = self.tables[kind].get(target_id)
        return found if found is not None else target_id

    def _names(self, kind: str) -> dict:
        if kind == "vpc_peering_connection":
            return peering_names(self.reader, self.region)
        operation, key, id_field = self._LISTINGS[kind]
        try:
            return {item[id_field]: tag_map(item.get("Tags")).get("Name")
                    for item in self.reader.paginate("ec2", self.region, operation, key)}
        except AwsReadError as error:
            return FailedLookup(error)


KIND = declare_kind(
    "route_table", "regional", "A VPC route table.",
    attributes={
        "name": (STR, "the Name tag"),
        "vpc": (STR, "Name tag of its VPC"),
        "subnets": (STR_LIST, "Name tags of the subnets associated with it"),
        "default_route_target": (STR, "where 0.0.0.0/0 goes: internet_gateway, nat_gateway, other or none"),
        "routes": (ANY, "list of {destination, target_kind, target}: destination CIDR (or prefix list), the kind of "
                        "target (internet_gateway, nat_gateway, vpc_peering_connection, vpn_gateway, "
                        "transit_gateway, ...) and its Name tag (its id when unnamed); not the local route, "
                        "not blackhole routes, not routes a VPN gateway propagated"),
    },
    terraform={"aws_route_table": route_table},
    service="ec2", collect=route_tables,
    reads={
        "ec2": {"DescribeSubnets": "ec2:DescribeSubnets", "DescribeVpcs": "ec2:DescribeVpcs",
                "DescribeVpcAttribute": "ec2:DescribeVpcAttribute",
                "DescribeRouteTables": "ec2:DescribeRouteTables",
                "DescribeInternetGateways": "ec2:DescribeInternetGateways",
                "DescribeNatGateways": "ec2:DescribeNatGateways", "DescribeVpnGateways": "ec2:DescribeVpnGateways",
                "DescribeTransitGateways": "ec2:DescribeTransitGateways",
                "DescribeVpcPeeringConnections": "ec2:DescribeVpcPeeringConnections"},
    },
)
