"""The ``route53_record`` kind. A Route 53 record set.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import GLOBAL, hosted_zones, live_resource, name_without_dot
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, has_uncertain_block, is_set, value_without_dot
from dr_audit.terraform.values import Unknown


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
            "alias_dns_name": value_without_dot(r.nested("alias.name", None)),
            **_targets(r)}


def _targets(r: Reader) -> dict:
    """``records`` of a plain record, ``evaluate_target_health`` of an alias: each is None
    (not applicable) on the other sort, as in Route 53; records may not be written with an alias."""
    aliases = r.blocks("alias")
    if has_uncertain_block(aliases):
        unknown = r.at_block(Unknown(f"{r.instance.address}.alias", "a dynamic alias block could not be expanded"),
                             "alias")
        return {"records": unknown, "evaluate_target_health": unknown}
    if aliases:
        return {"records": r.at_block(None, "an alias record has no records"),
                "evaluate_target_health": r.nested("alias.evaluate_target_health",
                                                   unset_reason="not set in code (the provider requires it)")}
    records = r.arg("records")
    if records.known and isinstance(records.value, list):
        records = AttributeValue(sorted(record_value(v) for v in records.value), records.file, records.line,
                                 records.expression, records.note)
    return {"records": records, "evaluate_target_health": r.at_block(None, "not an alias record")}


def record_value(value: object) -> object:
    """A record value as both sides compare it: without a trailing dot."""
    return value.rstrip(".") if isinstance(value, str) and value not in (".",) else value


def _live_value(record_type: str, value: str) -> str:
    """Route 53 returns TXT and SPF values quoted; Terraform writes them bare (the provider quotes them)."""
    if record_type in ("TXT", "SPF") and len(value) >= 2 and value[0] == value[-1] == '"' and '" "' not in value:
        value = value[1:-1]
    return record_value(value)


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
            records = None if alias else sorted(_live_value(record["Type"], item["Value"])
                                                for item in record.get("ResourceRecords") or [] if "Value" in item)
            found.append(live_resource("route53_record", GLOBAL, address, name=name, type=record["Type"],
                                       set_identifier=record.get("SetIdentifier"), failover_role=record.get("Failover"),
                                       has_health_check=bool(record.get("HealthCheckId")),
                                       alias_dns_name=name_without_dot(alias.get("DNSName")), records=records,
                                       evaluate_target_health=alias.get("EvaluateTargetHealth") if alias else None))
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
        "records": (STR_LIST, "the values of a non-alias record (sorted, without a trailing dot; "
                              "TXT unquoted); none for an alias record"),
        "evaluate_target_health": (BOOL, "an alias record answers only while its target is healthy; "
                                         "none for a non-alias record"),
    },
    tags=False,  # Route 53 record sets cannot be tagged
    terraform={"aws_route53_record": route53_record},
    service="route53", collect=route53_records,
    reads={
        "route53": {"ListHostedZones": "route53:ListHostedZones",
                    "ListResourceRecordSets": "route53:ListResourceRecordSets"},
    },
)
