"""The ``vpn_gateway`` kind: Terraform (the VPC from ``vpc_id`` or the split attachment; propagation
from ``aws_vpn_gateway_route_propagation`` or a route table's ``propagating_vgws``, undone by a table
that lists other gateways; propagated routes known only in the account), the collector against AWS's
response shapes (Stubber: route tables on two pages, a detached, a pending and a deleted gateway, a
failed route-table listing) and the sandbox with the route-propagation shim."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.sandbox.moto_shims import learn_bgp_routes
from dr_audit.sandbox.server import SANDBOX_ACCOUNT
from dr_audit.terraform.values import Unknown
from tests.conftest import one

REGION = "ap-northeast-2"
GCP_CIDR = "10.20.0.0/20"

VPC_TF = '''
    resource "aws_vpc" "main" {
      cidr_block = "10.30.0.0/16"
      tags       = { Name = "dr-vpc" }
    }
'''
PROPAGATING_TF = VPC_TF + '''
    resource "aws_vpn_gateway" "gw" {
      vpc_id = aws_vpc.main.id
      tags   = { Name = "dr-vgw" }
    }
    resource "aws_vpn_gateway_route_propagation" "main" {
      vpn_gateway_id = aws_vpn_gateway.gw.id
      route_table_id = aws_vpc.main.main_route_table_id
    }
'''
ATTACHED_TF = VPC_TF + '''
    resource "aws_vpn_gateway" "gw" {
      tags = { Name = "dr-vgw" }
    }
    resource "aws_vpn_gateway_attachment" "gw" {
      vpc_id         = aws_vpc.main.id
      vpn_gateway_id = aws_vpn_gateway.gw.id
    }
'''


# ----- Terraform ---------------------------------------------------------------------

def test_a_propagation_resource_makes_the_gateway_propagate_and_its_routes_known_only_in_the_account(tree):
    gateway = one(tree({"main.tf": PROPAGATING_TF}), "vpn_gateway", name="dr-vgw")
    assert gateway.value("vpc") == "dr-vpc" and gateway.value("propagates_routes") is True
    routes = gateway.value("propagated_routes")
    assert isinstance(routes, Unknown) and "learned by BGP" in routes.reason
    assert isinstance(gateway.value("state"), Unknown)


def test_the_vpc_comes_from_the_split_attachment_and_no_propagation_means_no_propagated_routes(tree):
    gateway = one(tree({"main.tf": ATTACHED_TF}), "vpn_gateway", name="dr-vgw")
    assert gateway.value("vpc") == "dr-vpc"
    assert gateway.value("propagates_routes") is False and gateway.value("propagated_routes") == []
    alone = one(tree({"main.tf": 'resource "aws_vpn_gateway" "gw" {\n  tags = { Name = "lone" }\n}\n'},
                     root="alone"), "vpn_gateway")
    assert alone.value("vpc") is None


def test_a_route_tables_propagating_vgws_makes_the_gateway_propagate(tree):
    listed = ATTACHED_TF + '''
        resource "aws_route_table" "private" {
          vpc_id           = aws_vpc.main.id
          propagating_vgws = [aws_vpn_gateway.gw.id]
        }
    '''
    assert one(tree({"main.tf": listed}), "vpn_gateway").value("propagates_routes") is True


def test_a_table_listing_other_gateways_undoes_a_propagation_resource(tree):
    """The provider documents that a table with propagating_vgws removes every propagation it does not list."""
    undone = ATTACHED_TF + '''
        resource "aws_vpn_gateway" "other" {
          vpc_id = aws_vpc.main.id
        }
        resource "aws_route_table" "private" {
          vpc_id           = aws_vpc.main.id
          propagating_vgws = [aws_vpn_gateway.other.id]
        }
        resource "aws_vpn_gateway_route_propagation" "private" {
          vpn_gateway_id = aws_vpn_gateway.gw.id
          route_table_id = aws_route_table.private.id
        }
    '''
    gateway = one(tree({"main.tf": undone}), "vpn_gateway", name="dr-vgw")
    assert gateway.value("propagates_routes") is False
    assert "removes the propagation" in gateway.attributes["propagates_routes"].note
    assert gateway.value("propagated_routes") == []


@pytest.mark.parametrize("doubt", [
    'resource "aws_vpn_gateway_route_propagation" "maybe" {\n  vpn_gateway_id = var.gateway_id\n'
    '  route_table_id = aws_vpc.main.main_route_table_id\n}\n',
    'resource "aws_route_table" "maybe" {\n  vpc_id           = aws_vpc.main.id\n  propagating_vgws = [var.gateway_id]\n}\n',
], ids=["propagation-of-an-unresolved-gateway", "propagating-vgws-unresolved"])
def test_a_propagation_that_may_name_the_gateway_leaves_it_unknown(tree, doubt):
    code = ATTACHED_TF + 'variable "gateway_id" {\n  type = string\n}\n' + doubt
    gateway = one(tree({"main.tf": code}), "vpn_gateway", name="dr-vgw")
    for attribute in ("propagates_routes", "propagated_routes"):
        assert isinstance(gateway.value(attribute), Unknown), attribute


# ----- the account: AWS's response shapes ------------------------------------------------

def stubbed():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("ec2", REGION))


def _gateway(vgw: str, state: str, attachments: list[tuple[str, str]], name: str) -> dict:
    return {"VpnGatewayId": vgw, "State": state, "Type": "ipsec.1",
            "VpcAttachments": [{"VpcId": vpc, "State": s} for vpc, s in attachments],
            "Tags": [{"Key": "Name", "Value": name}]}


def _route(cidr: str, gateway: str, origin: str = "EnableVgwRoutePropagation", state: str = "active") -> dict:
    return {"DestinationCidrBlock": cidr, "GatewayId": gateway, "Origin": origin, "State": state}


def _table(table_id: str, vpc: str, propagating: list[str], *routes: dict) -> dict:
    return {"RouteTableId": table_id, "VpcId": vpc, "PropagatingVgws": [{"GatewayId": g} for g in propagating],
            "Routes": [_route("10.30.0.0/16", "local", "CreateRouteTable"), *routes], "Associations": []}


VPCS = {"Vpcs": [{"VpcId": "vpc-dr", "CidrBlock": "10.30.0.0/16", "Tags": [{"Key": "Name", "Value": "dr-vpc"}]},
                 {"VpcId": "vpc-old", "CidrBlock": "10.40.0.0/16", "Tags": [{"Key": "Name", "Value": "old-vpc"}]}]}


def test_gateways_read_every_route_table_page_and_only_an_available_attached_gateway_counts():
    reader, ec2 = stubbed()
    ec2.add_response("describe_vpn_gateways", {"VpnGateways": [
        _gateway("vgw-1", "available", [("vpc-dr", "attached")], "dr-vgw"),
        _gateway("vgw-2", "available", [("vpc-old", "detached")], "left-behind"),
        _gateway("vgw-3", "pending", [], "new"),
        _gateway("vgw-4", "deleted", [], "gone")]})
    ec2.add_response("describe_vpcs", VPCS)
    ec2.add_response("describe_route_tables", {"RouteTables": [
        _table("rtb-other-vpc", "vpc-old", ["vgw-1"], _route("10.99.0.0/16", "vgw-1"))], "NextToken": "p2"})
    ec2.add_response("describe_route_tables", {"RouteTables": [
        _table("rtb-main", "vpc-dr", ["vgw-1"], _route(GCP_CIDR, "vgw-1"), _route("10.21.0.0/16", "vgw-1"),
               _route("10.22.0.0/20", "vgw-1", state="blackhole"),  # withdrawn: sends nothing
               _route("172.16.0.0/12", "vgw-1", origin="CreateRoute"),  # a static route, not propagated
               _route("10.23.0.0/20", "vgw-9"))]}, {"NextToken": "p2"})
    with ec2:
        found = {g.address: g for g in KINDS["vpn_gateway"].collect(reader, REGION)}
    ec2.assert_no_pending_responses()
    assert set(found) == {"vgw-1", "vgw-2", "vgw-3"}  # a deleted gateway is gone
    serving = found["vgw-1"]
    assert serving.out_of_service is None
    assert [serving.value(n) for n in ("name", "state", "vpc", "propagates_routes", "propagated_routes")] == [
        "dr-vgw", "available", "dr-vpc", True, [GCP_CIDR, "10.21.0.0/16"]]
    assert found["vgw-2"].out_of_service.startswith("VpcAttachments.State detached")
    assert found["vgw-2"].value("vpc") is None and found["vgw-2"].value("propagates_routes") is False
    assert found["vgw-3"].out_of_service.startswith("State pending")


def test_a_failed_route_table_listing_leaves_only_the_propagation_unreadable():
    reader, ec2 = stubbed()
    ec2.add_response("describe_vpn_gateways", {"VpnGateways": [
        _gateway("vgw-1", "available", [("vpc-dr", "attached")], "dr-vgw")]})
    ec2.add_response("describe_vpcs", VPCS)
    ec2.add_client_error("describe_route_tables", "UnauthorizedOperation", "denied", 403)
    with ec2:
        (gateway,) = KINDS["vpn_gateway"].collect(reader, REGION)
    assert gateway.value("vpc") == "dr-vpc"
    assert isinstance(gateway.value("propagates_routes"), Unreadable)
    assert isinstance(gateway.value("propagated_routes"), Unreadable)


def test_no_gateway_reads_nothing_more():
    reader, ec2 = stubbed()
    ec2.add_response("describe_vpn_gateways", {"VpnGateways": []})
    with ec2:
        assert KINDS["vpn_gateway"].collect(reader, REGION) == []
    ec2.assert_no_pending_responses()


def test_a_route_table_leaves_out_the_routes_a_gateway_propagated():
    """The provider leaves propagated routes out of aws_route_table's ``route``: so does the collector."""
    reader, ec2 = stubbed()
    ec2.add_response("describe_vpcs", VPCS)
    ec2.add_response("describe_subnets", {"Subnets": []})
    ec2.add_response("describe_route_tables", {"RouteTables": [
        _table("rtb-main", "vpc-dr", ["vgw-1"], _route(GCP_CIDR, "vgw-1"),
               _route("172.16.0.0/12", "vgw-1", origin="CreateRoute"))]})
    ec2.add_response("describe_vpn_gateways", {"VpnGateways": [
        _gateway("vgw-1", "available", [("vpc-dr", "attached")], "dr-vgw")]})
    with ec2:
        (table,) = KINDS["route_table"].collect(reader, REGION)
    assert table.value("routes") == [{"destination": "172.16.0.0/12", "target_kind": "vpn_gateway", "target": "dr-vgw"}]


# ----- the sandbox: the route-propagation shim ---------------------------------------------

def _vpn(sandbox) -> tuple:
    """A VPC with an attached gateway and a BGP connection; returns (client, vpc, gateway, main table, connection)."""
    ec2 = sandbox.session().client("ec2", region_name=REGION, endpoint_url=sandbox.url)
    named = lambda kind, name: [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]  # noqa: E731
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=named("vpc", "dr-vpc"))["Vpc"]["VpcId"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", TagSpecifications=named("vpn-gateway", "dr-vgw"))
    vgw = vgw["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="35.242.10.20", BgpAsn=65000)
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
                                    VpnGatewayId=vgw)["VpnConnection"]["VpnConnectionId"]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])
    return ec2, vpc, vgw, main["RouteTables"][0]["RouteTableId"], vpn


def test_the_sandbox_propagates_learned_routes_until_propagation_is_disabled(sandbox, reader_for):
    ec2, _, vgw, main, vpn = _vpn(sandbox)
    ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=main)
    assert learn_bgp_routes(SANDBOX_ACCOUNT, REGION, vpn, [GCP_CIDR]) == 1
    (table,) = ec2.describe_route_tables(RouteTableIds=[main])["RouteTables"]
    assert table["PropagatingVgws"] == [{"GatewayId": vgw}]
    assert {"DestinationCidrBlock": GCP_CIDR, "GatewayId": vgw, "Origin": "EnableVgwRoutePropagation",
            "State": "active"} in table["Routes"]
    (gateway,) = KINDS["vpn_gateway"].collect(reader_for(), REGION)
    assert [gateway.value(n) for n in ("name", "vpc", "propagates_routes", "propagated_routes")] == [
        "dr-vgw", "dr-vpc", True, [GCP_CIDR]]
    # the route table kind leaves the propagated route out, as the provider does
    assert next(t for t in KINDS["route_table"].collect(reader_for(), REGION)
                if t.address == main).value("routes") == []
    ec2.disable_vgw_route_propagation(GatewayId=vgw, RouteTableId=main)
    (gateway,) = KINDS["vpn_gateway"].collect(reader_for(), REGION)
    assert gateway.value("propagates_routes") is False and gateway.value("propagated_routes") == []


def test_a_detached_gateway_in_the_sandbox_counts_for_nothing(sandbox, reader_for):
    ec2, vpc, vgw, main, vpn = _vpn(sandbox)
    ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=main)
    learn_bgp_routes(SANDBOX_ACCOUNT, REGION, vpn, [GCP_CIDR])
    ec2.detach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    (gateway,) = KINDS["vpn_gateway"].collect(reader_for(), REGION)
    assert gateway.out_of_service.startswith("VpcAttachments.State detached")
    assert gateway.value("propagated_routes") == []
    with pytest.raises(ClientError) as refused:  # AWS propagates only from a gateway attached to the VPC
        ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=main)
    assert refused.value.response["Error"]["Code"] == "Gateway.NotAttached"


def test_a_static_connection_learns_nothing_over_bgp(sandbox):
    ec2, _, vgw, _, _ = _vpn(sandbox)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.7", BgpAsn=65001)
    static = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
                                       VpnGatewayId=vgw, Options={"StaticRoutesOnly": True})
    with pytest.raises(ValueError, match="static routes only"):
        learn_bgp_routes(SANDBOX_ACCOUNT, REGION, static["VpnConnection"]["VpnConnectionId"], [GCP_CIDR])
