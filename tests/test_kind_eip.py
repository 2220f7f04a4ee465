"""The ``eip`` kind: Terraform (``domain``, the deprecated ``vpc`` flag, null as not set, the NAT
gateway holding it by ``allocation_id`` or ``secondary_allocation_ids``), the collector against AWS's
response shapes (Stubber: DescribeAddresses is one unpaginated call, every page of NAT gateways, a
deleted NAT gateway no longer holds its address, a failed NAT listing is unreadable) and the sandbox."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.kinds.eip import eips
from dr_audit.terraform.values import Unknown
from tests.conftest import one

REGION = "ap-northeast-1"

NAT_TF = '''
    provider "aws" {
      region = "ap-northeast-1"
    }
    resource "aws_subnet" "public" {
      vpc_id     = "vpc-0abc"
      cidr_block = "10.1.1.0/24"
      tags = { Name = "public-a" }
    }
    resource "aws_eip" "nat" {
      domain = "vpc"
      tags = { Name = "nat-eip" }
    }
    resource "aws_eip" "old_style" {
      vpc  = true
      tags = { Name = "old-style-eip" }
    }
    resource "aws_eip" "classic" {
      vpc  = false
      tags = { Name = "classic-eip" }
    }
    resource "aws_eip" "nulled" {
      domain = null
      tags = { Name = "nulled-eip" }
    }
    resource "aws_nat_gateway" "dr" {
      allocation_id            = aws_eip.nat.id
      secondary_allocation_ids = [aws_eip.old_style.id]
      subnet_id                = aws_subnet.public.id
      tags = { Name = "dr-nat" }
    }
'''


# ----- Terraform ---------------------------------------------------------------------

def test_domain_comes_from_domain_or_the_deprecated_vpc_flag(tree):
    inventory = tree({"main.tf": NAT_TF})
    assert one(inventory, "eip", name="nat-eip").value("domain") == "vpc"
    assert one(inventory, "eip", name="old-style-eip").value("domain") == "vpc"
    assert one(inventory, "eip", name="classic-eip").value("domain") == "standard"


def test_a_domain_written_as_null_is_not_set_and_aws_chooses_it(tree):
    # domain = null is as if unwritten; the provider documents no default: AWS picks it at allocation
    domain = one(tree({"main.tf": NAT_TF}), "eip", name="nulled-eip").value("domain")
    assert isinstance(domain, Unknown) and "AWS chooses" in domain.reason


def test_the_nat_gateway_holding_an_address_is_named_by_its_primary_or_secondary_allocation(tree):
    inventory = tree({"main.tf": NAT_TF})
    assert one(inventory, "eip", name="nat-eip").value("nat_gateway") == "dr-nat"
    assert one(inventory, "eip", name="old-style-eip").value("nat_gateway") == "dr-nat"
    assert one(inventory, "eip", name="classic-eip").value("nat_gateway") is None


def test_a_nat_gateway_whose_allocation_is_unresolved_may_hold_any_address(tree):
    unresolved = NAT_TF.replace("allocation_id            = aws_eip.nat.id",
                                "allocation_id            = var.allocation")
    inventory = tree({"main.tf": unresolved + '\n    variable "allocation" {}\n'})
    held = one(inventory, "eip", name="classic-eip").value("nat_gateway")
    assert isinstance(held, Unknown) and "may hold this address" in held.reason


# ----- the account: AWS's response shapes ------------------------------------------------

def stubbed():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("ec2", REGION))


def _address(allocation: str, name: str | None = None, **more) -> dict:
    tags = [{"Key": "Name", "Value": name}] if name else []
    return {"AllocationId": allocation, "PublicIp": f"203.0.113.{len(allocation)}", "Domain": "vpc", "Tags": tags,
            **more}


def _gateway(nat: str, state: str, name: str, *allocations: str) -> dict:
    return {"NatGatewayId": nat, "State": state, "SubnetId": "subnet-1", "VpcId": "vpc-1",
            "Tags": [{"Key": "Name", "Value": name}],
            "NatGatewayAddresses": [{"AllocationId": a, "IsPrimary": i == 0} for i, a in enumerate(allocations)]}


def test_addresses_come_from_one_call_and_name_the_nat_gateway_from_every_page():
    reader, ec2 = stubbed()
    # DescribeAddresses has no NextToken in the service model: the one response is the whole listing
    ec2.add_response("describe_addresses", {"Addresses": [
        _address("eipalloc-1", "nat-eip", AssociationId="eipassoc-1", NetworkInterfaceId="eni-1"),
        _address("eipalloc-2", "spare-eip"), _address("eipalloc-3", "left-behind")]}, {})
    ec2.add_response("describe_nat_gateways", {"NatGateways": [_gateway("nat-9", "deleted", "gone-nat", "eipalloc-3")],
                                               "NextToken": "p2"}, {})
    ec2.add_response("describe_nat_gateways", {"NatGateways": [_gateway("nat-1", "available", "dr-nat", "eipalloc-1")]},
                     {"NextToken": "p2"})
    with ec2:
        found = {r.value("name"): r for r in eips(reader, REGION)}
    ec2.assert_no_pending_responses()
    assert {name: (r.address, r.value("domain"), r.value("nat_gateway")) for name, r in found.items()} == {
        "nat-eip": ("eipalloc-1", "vpc", "dr-nat"), "spare-eip": ("eipalloc-2", "vpc", None),
        # a deleted NAT gateway holds no address any more
        "left-behind": ("eipalloc-3", "vpc", None)}
    assert found["nat-eip"].value("tags") == {"Name": "nat-eip"}


def test_a_failed_nat_gateway_listing_leaves_the_holder_unreadable_not_none():
    reader, ec2 = stubbed()
    ec2.add_response("describe_addresses", {"Addresses": [_address("eipalloc-1", "nat-eip")]}, {})
    ec2.add_client_error("describe_nat_gateways", "UnauthorizedOperation", "denied", 403)
    with ec2:
        (address,) = eips(reader, REGION)
    assert address.value("domain") == "vpc" and isinstance(address.value("nat_gateway"), Unreadable)


def test_no_address_means_no_nat_gateway_read():
    reader, ec2 = stubbed()
    ec2.add_response("describe_addresses", {"Addresses": []}, {})
    with ec2:
        assert eips(reader, REGION) == []
    ec2.assert_no_pending_responses()


# ----- the sandbox -----------------------------------------------------------------

def test_the_sandbox_shows_the_nat_gateways_address_and_forgets_it_once_the_gateway_is_deleted(reader_for, sandbox):
    ec2 = sandbox.session().client("ec2", region_name=REGION, endpoint_url=sandbox.url)
    named = lambda kind, name: [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]  # noqa: E731
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    kept = ec2.allocate_address(Domain="vpc", TagSpecifications=named("elastic-ip", "nat-eip"))["AllocationId"]
    freed = ec2.allocate_address(Domain="vpc", TagSpecifications=named("elastic-ip", "freed-eip"))["AllocationId"]
    ec2.create_nat_gateway(SubnetId=subnet, AllocationId=kept, TagSpecifications=named("natgateway", "dr-nat"))
    gone = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=freed, TagSpecifications=named("natgateway", "old"))
    ec2.delete_nat_gateway(NatGatewayId=gone["NatGateway"]["NatGatewayId"])
    found = {r.value("name"): r for r in KINDS["eip"].collect(reader_for(), REGION)}
    assert (found["nat-eip"].address, found["nat-eip"].value("domain"), found["nat-eip"].value("nat_gateway")) == (
        kept, "vpc", "dr-nat")
    assert found["freed-eip"].value("nat_gateway") is None
