"""The ``subnet`` kind. A VPC subnet.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import list_subnets, live_resource, tag_map, vpc_names
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import BOOL, CIDR, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def subnet(r: Reader) -> dict:
    return {"name": r.tag("Name"), "vpc": r.linked("vpc_id", lambda v: v.tag("Name")),
            "cidr_block": r.arg("cidr_block"), "availability_zone": r.arg("availability_zone"),
            "map_public_ip_on_launch": r.arg("map_public_ip_on_launch", False)}


# ----- the account -------------------------------------------------------------

def subnets(reader: AwsReader, region: str) -> list[Resource]:
    names = vpc_names(reader, region)
    return [live_resource("subnet", region, s["SubnetId"], name=tag_map(s.get("Tags")).get("Name"),
                          vpc=names.get(s.get("VpcId")), cidr_block=s.get("CidrBlock"),
                          availability_zone=s.get("AvailabilityZone"),
                          map_public_ip_on_launch=bool(s.get("MapPublicIpOnLaunch")))
            for s in list_subnets(reader, region)]


KIND = declare_kind(
    "subnet", "regional", "A VPC subnet.",
    attributes={
        "name": (STR, "the Name tag"),
        "vpc": (STR, "Name tag of the VPC it belongs to"),
        "cidr_block": (CIDR, "IPv4 CIDR"),
        "availability_zone": (STR, "availability zone name, e.g. us-east-1a"),
        "map_public_ip_on_launch": (BOOL, "instances get a public IP (a public subnet)"),
    },
    terraform={"aws_subnet": subnet},
    service="ec2", collect=subnets,
    reads={
        "ec2": {"DescribeSubnets": "ec2:DescribeSubnets", "DescribeVpcs": "ec2:DescribeVpcs",
                "DescribeVpcAttribute": "ec2:DescribeVpcAttribute"},
    },
)
