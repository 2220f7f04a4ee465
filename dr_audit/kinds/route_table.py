"""The ``route_table`` kind. A VPC route table.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, list_subnets, live_resource, tag_map, vpc_names
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import STR, STR_LIST, declare_kind
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
            "subnets": _associated_subnets(r), "default_route_target": _default_route_target(r)}


# ----- the account -------------------------------------------------------------

def route_tables(reader: AwsReader, region: str) -> list[Resource]:
    names = vpc_names(reader, region)
    try:
        subnet_names: Any = {s["SubnetId"]: tag_map(s.get("Tags")).get("Name") for s in list_subnets(reader, region)}
    except AwsReadError as error:
        subnet_names = FailedLookup(error)
    found = []
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
                                   default_route_target=target))
    return found


KIND = declare_kind(
    "route_table", "regional", "A VPC route table.",
    attributes={
        "name": (STR, "the Name tag"),
        "vpc": (STR, "Name tag of its VPC"),
        "subnets": (STR_LIST, "Name tags of the subnets associated with it"),
        "default_route_target": (STR, "where 0.0.0.0/0 goes: internet_gateway, nat_gateway, other or none"),
    },
    terraform={"aws_route_table": route_table},
    service="ec2", collect=route_tables,
    reads={
        "ec2": {"DescribeSubnets": "ec2:DescribeSubnets", "DescribeVpcs": "ec2:DescribeVpcs",
                "DescribeVpcAttribute": "ec2:DescribeVpcAttribute",
                "DescribeRouteTables": "ec2:DescribeRouteTables"},
    },
)
