"""The ``route53_record`` kind. A Route 53 record set.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import GLOBAL, hosted_zones, live_resource, name_without_dot
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, STR, declare_kind
from dr_audit.terraform.reading import Reader, is_set, value_without_dot


# ----- Terraform ---------------------------------------------------------------

def route53_record(r: Reader) -> dict:
    name = value_without_dot(r.arg("name"))
    zone = r.linked("zone_id", lambda z: value_without_dot(z.arg("name")))
    if name.known and zone.known and isinstance(zone.value, str) and not (
            name.value == zone.value or name.value.endswith("." + zone.value)):
        name = AttributeValue(f"{name.value}.{zone.value}", name.file, name.line, name.expression,
                              f"relative to zone {zone.value}")
    return {"name": name, "type": r.arg("type"),
            "set_identifier": r.arg("set_identifier", None),
            "failover_role": r.nested("failover_routing_policy.type", None),
            "has_health_check": is_set(r, "health_check_id"),
            "alias_dns_name": value_without_dot(r.nested("alias.name", None))}


# ----- the account -------------------------------------------------------------

def route53_records(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for zone in hosted_zones(reader):
        zone_id = zone["Id"].split("/")[-1]
        for record in reader.paginate("route53", reader.global_region, "list_resource_record_sets", "ResourceRecordSets",
                                      HostedZoneId=zone_id):
            name = name_without_dot(record["Name"].replace("\\052", "*"))
            alias = record.get("AliasTarget") or {}
            address = f"{zone_id}/{name}/{record['Type']}" + (f"/{record['SetIdentifier']}" if "SetIdentifier" in record else "")
            found.append(live_resource("route53_record", GLOBAL, address, name=name, type=record["Type"],
                                       set_identifier=record.get("SetIdentifier"), failover_role=record.get("Failover"),
                                       has_health_check=bool(record.get("HealthCheckId")),
                                       alias_dns_name=name_without_dot(alias.get("DNSName"))))
    return found


KIND = declare_kind(
    "route53_record", "global", "A Route 53 record set.",
    attributes={
        "name": (STR, "record name without the trailing dot"),
        "type": (STR, "record type"),
        "set_identifier": (STR, "set identifier of a routing-policy record"),
        "failover_role": (STR, "PRIMARY or SECONDARY for failover routing, else none"),
        "has_health_check": (BOOL, "a health check is attached"),
        "alias_dns_name": (STR, "alias target DNS name without the trailing dot"),
    },
    terraform={"aws_route53_record": route53_record},
    service="route53", collect=route53_records,
    reads={
        "route53": {"ListHostedZones": "route53:ListHostedZones",
                    "ListResourceRecordSets": "route53:ListResourceRecordSets"},
    },
)
