"""The ``vpc_peering_connection`` kind and ``route_table.routes``: Terraform (the accepter decides
the status; inline ``route`` blocks and split ``aws_route`` resources; a route to an accepter names
the connection; for_each keys known only after apply leave the routes unknown), the collectors
against AWS's response shapes (Stubber: every page, a connection pending acceptance, one listed in
its accepter's region, the accepter side's own tags, blackhole and local routes) and the sandbox
(with the shim giving each region its own side's tags)."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.terraform.values import Unknown
from tests.conftest import one

PRIMARY, DR = "ap-northeast-2", "ap-northeast-1"
ACCOUNT = "123456789012"
PEERING = {"destination": "10.1.0.0/16", "target_kind": "vpc_peering_connection", "target": "seoul-to-tokyo"}

PEERED_TF = f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
    resource "aws_vpc" "seoul" {{
      cidr_block = "10.0.0.0/16"
      tags       = {{ Name = "seoul-vpc" }}
    }}
    resource "aws_vpc" "tokyo" {{
      provider   = aws.dr
      cidr_block = "10.1.0.0/16"
      tags       = {{ Name = "tokyo-vpc" }}
    }}
    resource "aws_internet_gateway" "seoul" {{
      vpc_id = aws_vpc.seoul.id
      tags   = {{ Name = "seoul-igw" }}
    }}
    resource "aws_vpc_peering_connection" "link" {{
      vpc_id      = aws_vpc.seoul.id
      peer_vpc_id = aws_vpc.tokyo.id
      peer_region = "{DR}"
      tags        = {{ Name = "seoul-to-tokyo" }}
    }}
    resource "aws_vpc_peering_connection_accepter" "link" {{
      provider                  = aws.dr
      vpc_peering_connection_id = aws_vpc_peering_connection.link.id
      auto_accept               = true
      tags                      = {{ Name = "tokyo-accepts" }}
    }}
    resource "aws_route_table" "seoul" {{
      vpc_id = aws_vpc.seoul.id
      route {{
        cidr_block = "0.0.0.0/0"
        gateway_id = aws_internet_gateway.seoul.id
      }}
      tags = {{ Name = "seoul-rt" }}
    }}
    resource "aws_route" "seoul_to_tokyo" {{
      route_table_id            = aws_route_table.seoul.id
      destination_cidr_block    = aws_vpc.tokyo.cidr_block
      vpc_peering_connection_id = aws_vpc_peering_connection.link.id
    }}
    resource "aws_route_table" "tokyo" {{
      provider = aws.dr
      vpc_id   = aws_vpc.tokyo.id
      tags     = {{ Name = "tokyo-rt" }}
    }}
    resource "aws_route" "tokyo_to_seoul" {{
      provider                  = aws.dr
      route_table_id            = aws_route_table.tokyo.id
      destination_cidr_block    = "10.0.0.0/16"
      vpc_peering_connection_id = aws_vpc_peering_connection_accepter.link.id
    }}
'''


# ----- Terraform ---------------------------------------------------------------------

def test_a_connection_accepted_by_its_accepter_is_active_with_both_vpcs(tree):
    link = one(tree({"main.tf": PEERED_TF}), "vpc_peering_connection", name="seoul-to-tokyo")
    assert link.region == PRIMARY
    assert [link.value(n) for n in ("vpc", "peer_vpc", "peer_region", "status")] == [
        "seoul-vpc", "tokyo-vpc", DR, "active"]


def test_the_accepter_name_is_the_accepters_own_name_tag_not_the_requesters(tree):
    link = one(tree({"main.tf": PEERED_TF}), "vpc_peering_connection", name="seoul-to-tokyo")
    assert link.value("accepter_name") == "tokyo-accepts"


def test_the_accepter_name_comes_from_default_tags_when_its_own_tags_have_none(tree):
    defaulted = PEERED_TF.replace(f'alias  = "dr"\n      region = "{DR}"', f'''alias  = "dr"
      region = "{DR}"
      default_tags {{
        tags = {{ Name = "tokyo-default" }}
      }}''').replace('tags                      = { Name = "tokyo-accepts" }', "")
    assert one(tree({"main.tf": defaulted}), "vpc_peering_connection").value("accepter_name") == "tokyo-default"


def test_without_an_accepter_in_code_nothing_names_the_accepters_side(tree):
    unaccepted = PEERED_TF.split('resource "aws_vpc_peering_connection_accepter"')[0]
    link = one(tree({"main.tf": unaccepted}), "vpc_peering_connection")
    assert link.value("accepter_name") is None
    assert "no aws_vpc_peering_connection_accepter" in link.attributes["accepter_name"].note


def test_a_connection_nobody_accepts_stays_pending_acceptance(tree):
    unaccepted = PEERED_TF.replace("auto_accept               = true", "auto_accept               = false")
    assert one(tree({"main.tf": unaccepted}), "vpc_peering_connection").value("status") == "pending-acceptance"
    # the accepter is read as part of the connection, never as a connection of its own
    assert len([r for r in tree({"main.tf": PEERED_TF}).resources if r.kind == "vpc_peering_connection"]) == 1


def test_routes_come_from_inline_blocks_and_split_aws_route_resources(tree):
    inventory = tree({"main.tf": PEERED_TF})
    seoul = one(inventory, "route_table", name="seoul-rt")
    assert seoul.value("routes") == [
        {"destination": "0.0.0.0/0", "target_kind": "internet_gateway", "target": "seoul-igw"}, PEERING]
    # a route to the accepter's id names the connection, as the account does
    tokyo = one(inventory, "route_table", name="tokyo-rt")
    assert tokyo.value("routes") == [{**PEERING, "destination": "10.0.0.0/16"}]


def test_routes_whose_tables_are_known_only_after_apply_leave_every_table_of_their_region_unknown(tree):
    unknown_keys = PEERED_TF.replace('''resource "aws_route" "seoul_to_tokyo" {
      route_table_id''', '''resource "aws_route" "seoul_to_tokyo" {
      for_each                  = toset([aws_route_table.seoul.id])
      route_table_id''').replace("route_table_id            = aws_route_table.seoul.id",
                                 "route_table_id            = each.value")
    inventory = tree({"main.tf": unknown_keys})
    routes = one(inventory, "route_table", name="seoul-rt").value("routes")
    assert isinstance(routes, Unknown) and "may add a route" in routes.reason
    # a route of the Seoul provider cannot be in a Tokyo table
    assert one(inventory, "route_table", name="tokyo-rt").value("routes") == [{**PEERING, "destination": "10.0.0.0/16"}]


# ----- the account: AWS's response shapes ------------------------------------------------

def stubbed(*regions: str):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, [Stubber(reader.client("ec2", region)) for region in regions]


def _connection(pcx: str, status: str, name: str, requester: str = PRIMARY) -> dict:
    return {"VpcPeeringConnectionId": pcx, "Status": {"Code": status, "Message": status},
            "RequesterVpcInfo": {"VpcId": "vpc-seoul", "Region": requester, "OwnerId": ACCOUNT},
            "AccepterVpcInfo": {"VpcId": "vpc-tokyo", "Region": DR, "OwnerId": ACCOUNT},
            "Tags": [{"Key": "Name", "Value": name}]}


def _vpcs(vpc_id: str, name: str) -> dict:
    return {"Vpcs": [{"VpcId": vpc_id, "CidrBlock": "10.0.0.0/16", "Tags": [{"Key": "Name", "Value": name}]}]}


def test_connections_are_read_from_every_page_and_only_active_ones_count():
    reader, (seoul, tokyo) = stubbed(PRIMARY, DR)
    seoul.add_response("describe_vpcs", _vpcs("vpc-seoul", "seoul-vpc"))
    seoul.add_response("describe_vpc_peering_connections",
                       {"VpcPeeringConnections": [_connection("pcx-1", "active", "seoul-to-tokyo")], "NextToken": "p2"})
    seoul.add_response("describe_vpc_peering_connections",
                       {"VpcPeeringConnections": [_connection("pcx-2", "pending-acceptance", "waiting"),
                                                  _connection("pcx-3", "active", "requested-in-tokyo", DR)]},
                       {"NextToken": "p2"})
    tokyo.add_response("describe_vpcs", _vpcs("vpc-tokyo", "tokyo-vpc"))
    # the accepter's region lists the connections with its own side's tags (every page)
    tokyo.add_response("describe_vpc_peering_connections",
                       {"VpcPeeringConnections": [_connection("pcx-1", "active", "tokyo-accepts")], "NextToken": "t2"})
    tokyo.add_response("describe_vpc_peering_connections",
                       {"VpcPeeringConnections": [_connection("pcx-2", "pending-acceptance", "tokyo-waits")]},
                       {"NextToken": "t2"})
    with seoul, tokyo:
        found = {r.address: r for r in KINDS["vpc_peering_connection"].collect(reader, PRIMARY)}
    seoul.assert_no_pending_responses()
    tokyo.assert_no_pending_responses()
    assert set(found) == {"pcx-1", "pcx-2"}  # pcx-3 belongs to its requester's (Tokyo's) inventory
    assert [found["pcx-1"].value(n) for n in ("name", "vpc", "peer_vpc", "peer_region", "status", "accepter_name")] == [
        "seoul-to-tokyo", "seoul-vpc", "tokyo-vpc", DR, "active", "tokyo-accepts"]
    assert found["pcx-2"].value("accepter_name") == "tokyo-waits"
    assert found["pcx-1"].out_of_service is None
    assert found["pcx-2"].out_of_service.startswith("Status.Code pending-acceptance")


def _one_connection_listed_in_seoul():
    reader, (seoul, tokyo) = stubbed(PRIMARY, DR)
    seoul.add_response("describe_vpcs", _vpcs("vpc-seoul", "seoul-vpc"))
    seoul.add_response("describe_vpc_peering_connections",
                       {"VpcPeeringConnections": [_connection("pcx-1", "active", "seoul-to-tokyo")]})
    tokyo.add_response("describe_vpcs", _vpcs("vpc-tokyo", "tokyo-vpc"))
    return reader, seoul, tokyo


def test_the_accepter_name_is_unreadable_when_the_accepters_listing_fails():
    reader, seoul, tokyo = _one_connection_listed_in_seoul()
    tokyo.add_client_error("describe_vpc_peering_connections", "UnauthorizedOperation", "denied", 403)
    with seoul, tokyo:
        (link,) = KINDS["vpc_peering_connection"].collect(reader, PRIMARY)
    assert isinstance(link.value("accepter_name"), Unreadable)  # not read is not "no Name tag"


def test_the_accepter_name_is_unknown_when_the_accepters_region_does_not_list_the_connection():
    reader, seoul, tokyo = _one_connection_listed_in_seoul()
    tokyo.add_response("describe_vpc_peering_connections", {"VpcPeeringConnections": []})
    with seoul, tokyo:
        (link,) = KINDS["vpc_peering_connection"].collect(reader, PRIMARY)
    omitted = link.value("accepter_name")
    assert isinstance(omitted, Unknown) and not isinstance(omitted, Unreadable)


def _table(*routes: dict) -> dict:
    return {"RouteTables": [{"RouteTableId": "rtb-tokyo", "VpcId": "vpc-tokyo", "Associations": [],
                             "Tags": [{"Key": "Name", "Value": "tokyo-rt"}], "Routes": list(routes)}]}


def test_routes_leave_out_the_local_and_blackhole_routes_and_name_a_connection_as_its_requester_does():
    reader, (seoul, tokyo) = stubbed(PRIMARY, DR)
    tokyo.add_response("describe_vpcs", _vpcs("vpc-tokyo", "tokyo-vpc"))
    tokyo.add_response("describe_subnets", {"Subnets": []})
    tokyo.add_response("describe_route_tables", _table(
        {"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
        {"DestinationCidrBlock": "10.0.0.0/16", "VpcPeeringConnectionId": "pcx-1", "Origin": "CreateRoute",
         "State": "active"},
        {"DestinationCidrBlock": "10.9.0.0/16", "VpcPeeringConnectionId": "pcx-gone", "Origin": "CreateRoute",
         "State": "blackhole"},
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "Origin": "CreateRoute", "State": "active"}))
    # Tokyo lists the connection with its own tags; its name is the requester's (Seoul's)
    tokyo.add_response("describe_vpc_peering_connections",
                       {"VpcPeeringConnections": [_connection("pcx-1", "active", "tokyo-accepts")]})
    seoul.add_response("describe_vpc_peering_connections",
                       {"VpcPeeringConnections": [_connection("pcx-1", "active", "seoul-to-tokyo")]})
    tokyo.add_response("describe_nat_gateways", {"NatGateways": [
        {"NatGatewayId": "nat-1", "Tags": [{"Key": "Name", "Value": "tokyo-nat"}]}]})
    with seoul, tokyo:
        (table,) = KINDS["route_table"].collect(reader, DR)
    seoul.assert_no_pending_responses()
    tokyo.assert_no_pending_responses()
    assert table.value("routes") == [
        {"destination": "0.0.0.0/0", "target_kind": "nat_gateway", "target": "tokyo-nat"},
        {"destination": "10.0.0.0/16", "target_kind": "vpc_peering_connection", "target": "seoul-to-tokyo"}]


def test_routes_are_unreadable_when_a_target_listing_fails():
    reader, (tokyo,) = stubbed(DR)
    tokyo.add_response("describe_vpcs", _vpcs("vpc-tokyo", "tokyo-vpc"))
    tokyo.add_response("describe_subnets", {"Subnets": []})
    tokyo.add_response("describe_route_tables", _table(
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "Origin": "CreateRoute", "State": "active"}))
    tokyo.add_client_error("describe_nat_gateways", "UnauthorizedOperation", "denied", 403)
    with tokyo:
        (table,) = KINDS["route_table"].collect(reader, DR)
    assert isinstance(table.value("routes"), Unreadable)


def test_the_sandbox_shows_an_accepted_connection_and_the_routes_across_it(reader_for, sandbox):
    client = {region: sandbox.session().client("ec2", region_name=region, endpoint_url=sandbox.url)
              for region in (PRIMARY, DR)}
    named = lambda kind, name: [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]  # noqa: E731
    seoul = client[PRIMARY].create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=named("vpc", "seoul-vpc"))
    tokyo = client[DR].create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=named("vpc", "tokyo-vpc"))
    pcx = client[PRIMARY].create_vpc_peering_connection(
        VpcId=seoul["Vpc"]["VpcId"], PeerVpcId=tokyo["Vpc"]["VpcId"], PeerRegion=DR,
        TagSpecifications=named("vpc-peering-connection", "seoul-to-tokyo"))["VpcPeeringConnection"]
    client[DR].accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    table = client[PRIMARY].create_route_table(VpcId=seoul["Vpc"]["VpcId"],
                                               TagSpecifications=named("route-table", "seoul-rt"))
    client[PRIMARY].create_route(RouteTableId=table["RouteTable"]["RouteTableId"], DestinationCidrBlock="10.1.0.0/16",
                                 VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    reader = reader_for()
    (link,) = KINDS["vpc_peering_connection"].collect(reader, PRIMARY)
    assert link.out_of_service is None and link.value("peer_vpc") == "tokyo-vpc"
    assert KINDS["vpc_peering_connection"].collect(reader, DR) == []  # listed in Tokyo, counted in Seoul
    rt = next(r for r in KINDS["route_table"].collect(reader, PRIMARY) if r.value("name") == "seoul-rt")
    assert rt.value("routes") == [PEERING]


def test_the_sandbox_gives_each_region_its_own_sides_tags(reader_for, sandbox):
    """The shim: CreateTags in the accepter's region tags the accepter's side only."""
    client = {region: sandbox.session().client("ec2", region_name=region, endpoint_url=sandbox.url)
              for region in (PRIMARY, DR)}
    named = lambda kind, name: [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]  # noqa: E731
    seoul = client[PRIMARY].create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=named("vpc", "seoul-vpc"))
    tokyo = client[DR].create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=named("vpc", "tokyo-vpc"))
    pcx_id = client[PRIMARY].create_vpc_peering_connection(
        VpcId=seoul["Vpc"]["VpcId"], PeerVpcId=tokyo["Vpc"]["VpcId"], PeerRegion=DR,
        TagSpecifications=named("vpc-peering-connection", "seoul-to-tokyo"))["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    client[DR].accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    (untagged,) = KINDS["vpc_peering_connection"].collect(reader_for(), PRIMARY)
    assert untagged.value("accepter_name") is None  # the requester's tags are not the accepter's
    client[DR].create_tags(Resources=[pcx_id], Tags=[{"Key": "Name", "Value": "tokyo-accepts"}])
    (link,) = KINDS["vpc_peering_connection"].collect(reader_for(), PRIMARY)
    assert (link.value("name"), link.value("accepter_name")) == ("seoul-to-tokyo", "tokyo-accepts")
