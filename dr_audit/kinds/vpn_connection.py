"""The ``vpn_connection`` kind. A site-to-site VPN connection and its two tunnels.

Its attributes, how Terraform declares it and how the account is read. The
pre-shared keys are never read: not from Terraform, not from the account.
"""

from __future__ import annotations

from dr_audit.aws.collecting import FailedLookup, live_resource, out_of_service, tag_map
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Unknown

#: AWS gives every site-to-site VPN connection two tunnels, to two of its endpoints
TUNNELS_PER_CONNECTION = 2


# ----- Terraform ---------------------------------------------------------------

def vpn_connection(r: Reader) -> dict:
    """Tunnel status exists only once AWS brings the tunnels up: the code cannot show it."""
    after_apply = r.at_block(Unknown(f"{r.instance.address}.vgw_telemetry",
                                     "tunnel status is reported by AWS once the tunnels run: known only after apply"),
                             "computed")
    return {"name": r.tag("Name"), "state": r.at_block(Unknown(f"{r.instance.address}.state",
                                                               "assigned by AWS: known only after apply"), "computed"),
            "tunnel_count": r.at_block(TUNNELS_PER_CONNECTION, "AWS gives every connection two tunnels"),
            "tunnels_up": after_apply,
            "customer_gateway_ip": r.linked("customer_gateway_id", lambda g: g.arg("ip_address")),
            "static_routes_only": r.arg("static_routes_only", False),
            "static_routes": _static_routes(r)}


def _static_routes(r: Reader) -> AttributeValue:
    """Destination CIDR blocks of the ``aws_vpn_connection_route`` resources naming this connection."""
    routes = r.attached("aws_vpn_connection_route", "vpn_connection_id")
    maybe = r.maybe_attached("aws_vpn_connection_route", "vpn_connection_id")
    if maybe:
        return r.may_refer_here(maybe[0], "vpn_connection_id", "add a static route to")
    blocks = []
    for route in routes:
        evidence = given(route.instance, "destination_cidr_block")
        if evidence is None or not isinstance(evidence.value, str):
            return AttributeValue(Unknown(f"{route.instance.address}.destination_cidr_block", "unresolved"),
                                  route.instance.file, route.instance.line)
        blocks.append(evidence.value)
    if not routes:
        return r.at_block([], "no aws_vpn_connection_route names this connection")
    return AttributeValue(sorted(blocks), routes[0].instance.file, routes[0].instance.line)


# ----- the account -------------------------------------------------------------

def _customer_gateway_ips(reader: AwsReader, region: str) -> dict:
    """Customer gateway id -> its public IP address (every lookup Unreadable when the listing fails)."""
    try:
        gateways = reader.paginate("ec2", region, "describe_customer_gateways", "CustomerGateways")
    except AwsReadError as error:
        return FailedLookup(error)
    return {g["CustomerGatewayId"]: g.get("IpAddress") for g in gateways}


def _tunnels_up(connection: dict) -> int:
    """Tunnels AWS reports UP in ``VgwTelemetry``; a DOWN tunnel carries no traffic."""
    return sum(1 for tunnel in connection.get("VgwTelemetry") or [] if tunnel.get("Status") == "UP")


def _available_routes(connection: dict) -> list[str]:
    """Static routes in state available (a pending or deleting route sends nothing)."""
    return sorted(route["DestinationCidrBlock"] for route in connection.get("Routes") or []
                  if route.get("DestinationCidrBlock") and out_of_service("vpn_connection.route", route.get("State")) is None)


def vpn_connections(reader: AwsReader, region: str) -> list[Resource]:
    """Every connection in one DescribeVpnConnections call (the API has no pages). A deleted connection
    stays listed in state deleted (botocore's VpnConnectionDeleted waiter waits for it): it is gone and
    left out; any other state that is not available is kept but does not count."""
    gateways = _customer_gateway_ips(reader, region)
    found = []
    for connection in reader.paginate("ec2", region, "describe_vpn_connections", "VpnConnections"):
        if connection.get("State") == "deleted":
            continue
        found.append(live_resource(
            "vpn_connection", region, connection["VpnConnectionId"],
            not_serving=out_of_service("vpn_connection", connection.get("State")),
            name=tag_map(connection.get("Tags")).get("Name"), state=connection.get("State"),
            tunnel_count=len(connection.get("VgwTelemetry") or []), tunnels_up=_tunnels_up(connection),
            customer_gateway_ip=gateways.get(connection.get("CustomerGatewayId")),
            static_routes_only=bool((connection.get("Options") or {}).get("StaticRoutesOnly")),
            static_routes=_available_routes(connection)))
    return found


KIND = declare_kind(
    "vpn_connection", "regional", "A site-to-site VPN connection and its two tunnels.",
    attributes={
        "name": (STR, "the Name tag"),
        "state": (STR, "pending, available, deleting: only an available connection meets a row"),
        "tunnel_count": (INT, "tunnels AWS reports for it (two)"),
        "tunnels_up": (INT, "tunnels whose status is UP (VgwTelemetry); known only in the account"),
        "customer_gateway_ip": (STR, "public IP address of its customer gateway (the other side)"),
        "static_routes_only": (BOOL, "routes are static, not exchanged by BGP"),
        "static_routes": (STR_LIST, "destination CIDR blocks of its available static routes"),
    },
    terraform={"aws_vpn_connection": vpn_connection},
    service="ec2", collect=vpn_connections,
    reads={"ec2": {"DescribeVpnConnections": "ec2:DescribeVpnConnections",
                   "DescribeCustomerGateways": "ec2:DescribeCustomerGateways"}},
    states={
        "vpn_connection": StateRule("State", frozenset({"available"}),
                                    "a connection still pending or being deleted carries no traffic"),
        "vpn_connection.route": StateRule("State", frozenset({"available"}),
                                          "a static route still pending or being deleted sends nothing"),
    },
)
