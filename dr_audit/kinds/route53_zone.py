"""The ``route53_zone`` kind. A Route 53 hosted zone.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import GLOBAL, hosted_zones, live_resource, name_without_dot
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, STR, declare_kind
from dr_audit.terraform.reading import Reader, has_uncertain_block, value_without_dot
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def route53_zone(r: Reader) -> dict:
    """A managed zone is private when created with a ``vpc`` block (it has no private_zone argument)."""
    return {"name": value_without_dot(r.arg("name")), "private_zone": _zone_private(r)}


def route53_zone_data(r: Reader) -> dict:
    """The data source's ``private_zone`` is a filter: it selects a private zone when true."""
    return {"name": value_without_dot(r.arg("name")), "private_zone": r.arg("private_zone", False)}


def _zone_private(r: Reader) -> AttributeValue:
    vpcs = r.blocks("vpc")
    if has_uncertain_block(vpcs):
        return AttributeValue(Unknown(f"{r.instance.address}.vpc", "a dynamic vpc block is unresolved"),
                              r.instance.file, vpcs[0].line)
    if vpcs:
        return AttributeValue(True, vpcs[0].file, vpcs[0].line, None, "created with a vpc block")
    associations = r.attached("aws_route53_zone_association", "zone_id")
    if associations:
        # CreateHostedZone without a VPC makes a public zone, and AWS refuses to associate
        # a VPC with a public zone (PublicZoneVPCAssociation): the association cannot apply
        first = associations[0].instance
        return AttributeValue(False, first.file, first.line, None,
                              f"no vpc block: the zone is public and {first.address} would be refused by AWS")
    return r.at_block(False, "no vpc block: a public zone")


# ----- the account -------------------------------------------------------------

def route53_zones(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("route53_zone", GLOBAL, zone["Id"], name=name_without_dot(zone["Name"]),
                          private_zone=bool((zone.get("Config") or {}).get("PrivateZone")))
            for zone in hosted_zones(reader)]


KIND = declare_kind(
    "route53_zone", "global", "A Route 53 hosted zone.",
    attributes={
        "name": (STR, "zone name without the trailing dot"),
        "private_zone": (BOOL, "private hosted zone"),
    },
    terraform={"aws_route53_zone": route53_zone, "data.aws_route53_zone": route53_zone_data},
    service="route53", collect=route53_zones,
    reads={"route53": {"ListHostedZones": "route53:ListHostedZones"}},
)
