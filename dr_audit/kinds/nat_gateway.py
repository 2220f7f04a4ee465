"""The ``nat_gateway`` kind. A NAT gateway.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, list_subnets, live_resource, tag_map, vpc_names
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def nat_gateway(r: Reader) -> dict:
    return {"name": r.tag("Name"),
            "subnet": r.linked("subnet_id", lambda s: s.tag("Name")),
            "availability_zone": r.linked("subnet_id", lambda s: s.arg("availability_zone")),
            "vpc": r.linked("subnet_id", lambda s: s.linked("vpc_id", lambda v: v.tag("Name"))),
            "connectivity_type": r.arg("connectivity_type", "public")}


# ----- the account -------------------------------------------------------------

def nat_gateways(reader: AwsReader, region: str) -> list[Resource]:
    names = vpc_names(reader, region)
    try:
        by_id: Any = {s["SubnetId"]: s for s in list_subnets(reader, region)}
    except AwsReadError as error:
        by_id = FailedLookup(error)
    found = []
    for nat in reader.paginate("ec2", region, "describe_nat_gateways", "NatGateways"):
        if nat.get("State") in ("deleted", "deleting", "failed"):
            continue
        subnet = by_id.get(nat.get("SubnetId"))
        if isinstance(subnet, dict):
            subnet_name, zone = tag_map(subnet.get("Tags")).get("Name"), subnet.get("AvailabilityZone")
        else:
            subnet_name = zone = subnet
        found.append(live_resource("nat_gateway", region, nat["NatGatewayId"], name=tag_map(nat.get("Tags")).get("Name"),
                                   vpc=names.get(nat.get("VpcId")), subnet=subnet_name, availability_zone=zone,
                                   connectivity_type=nat.get("ConnectivityType", "public")))
    return found


KIND = declare_kind(
    "nat_gateway", "regional", "A NAT gateway.",
    attributes={
        "name": (STR, "the Name tag"),
        "vpc": (STR, "Name tag of the VPC of its subnet"),
        "subnet": (STR, "Name tag of the subnet it sits in"),
        "availability_zone": (STR, "availability zone of its subnet"),
        "connectivity_type": (STR, "public or private"),
    },
    terraform={"aws_nat_gateway": nat_gateway},
    service="ec2", collect=nat_gateways,
    reads={
        "ec2": {"DescribeSubnets": "ec2:DescribeSubnets", "DescribeNatGateways": "ec2:DescribeNatGateways",
                "DescribeVpcs": "ec2:DescribeVpcs", "DescribeVpcAttribute": "ec2:DescribeVpcAttribute"},
    },
)
