"""The ``internet_gateway`` kind. An internet gateway.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource, tag_map, vpc_names
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def internet_gateway(r: Reader) -> dict:
    return {"name": r.tag("Name"), "vpc": r.linked("vpc_id", lambda v: v.tag("Name"))}


# ----- the account -------------------------------------------------------------

def internet_gateways(reader: AwsReader, region: str) -> list[Resource]:
    names = vpc_names(reader, region)
    found = []
    for gateway in reader.paginate("ec2", region, "describe_internet_gateways", "InternetGateways"):
        attached = [a.get("VpcId") for a in gateway.get("Attachments") or []]
        found.append(live_resource("internet_gateway", region, gateway["InternetGatewayId"],
                                   name=tag_map(gateway.get("Tags")).get("Name"),
                                   vpc=names.get(attached[0]) if attached else None))
    return found


KIND = declare_kind(
    "internet_gateway", "regional", "An internet gateway.",
    attributes={
        "name": (STR, "the Name tag"),
        "vpc": (STR, "Name tag of the attached VPC"),
    },
    terraform={"aws_internet_gateway": internet_gateway},
    service="ec2", collect=internet_gateways,
    reads={
        "ec2": {"DescribeVpcs": "ec2:DescribeVpcs", "DescribeVpcAttribute": "ec2:DescribeVpcAttribute",
                "DescribeInternetGateways": "ec2:DescribeInternetGateways"},
    },
)
