"""The ``vpc`` kind. A VPC.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import detail, live_resource, tag_map
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import BOOL, CIDR, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def vpc(r: Reader) -> dict:
    return {"name": r.tag("Name"), "cidr_block": r.arg("cidr_block"),
            "enable_dns_hostnames": r.arg("enable_dns_hostnames", False),
            "enable_dns_support": r.arg("enable_dns_support", True)}


# ----- the account -------------------------------------------------------------

def vpcs(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for vpc in reader.paginate("ec2", region, "describe_vpcs", "Vpcs"):
        found.append(live_resource("vpc", region, vpc["VpcId"], name=tag_map(vpc.get("Tags")).get("Name"),
                                   cidr_block=vpc.get("CidrBlock"),
                                   enable_dns_hostnames=_attribute(reader, region, vpc["VpcId"], "enableDnsHostnames"),
                                   enable_dns_support=_attribute(reader, region, vpc["VpcId"], "enableDnsSupport")))
    return found


def _attribute(reader: AwsReader, region: str, vpc_id: str, attribute: str):
    """One boolean VPC attribute (``enableDnsSupport`` -> ``EnableDnsSupport.Value``); Unreadable on failure."""
    answer_key = attribute[0].upper() + attribute[1:]
    return detail(lambda: reader.call("ec2", region, "describe_vpc_attribute", VpcId=vpc_id,
                                      Attribute=attribute)[answer_key]["Value"])


KIND = declare_kind(
    "vpc", "regional", "A VPC.",
    attributes={
        "name": (STR, "the Name tag"),
        "cidr_block": (CIDR, "primary IPv4 CIDR"),
        "enable_dns_hostnames": (BOOL, "DNS hostnames enabled"),
        "enable_dns_support": (BOOL, "the Amazon DNS server resolves in the VPC (Terraform's default: true)"),
    },
    terraform={"aws_vpc": vpc},
    service="ec2", collect=vpcs,
    reads={"ec2": {"DescribeVpcs": "ec2:DescribeVpcs", "DescribeVpcAttribute": "ec2:DescribeVpcAttribute"}},
)
