"""Terraform resource types mapped onto the normalized kinds of ``kinds.py``.

One function per Terraform type: it reads the evaluated instance through a
:class:`Reader` and returns ``{attribute: AttributeValue}``. A value not
written in code is the provider's documented default (with a note saying so)
or Unknown when AWS chooses it at apply time.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from dr_audit import arns
from dr_audit.inventory import AttributeValue
from dr_audit.terraform.module import ResourceInstance
from dr_audit.terraform.values import Ref, Unknown, is_known

_NOT_SET = object()


class Reader:
    """Reads one instance's arguments as AttributeValues, following links.

    ``by_address`` indexes every instance of the tree so a ``Ref`` such as
    ``aws_vpc.main.id`` can be followed to the VPC it names.
    """

    def __init__(self, instance: ResourceInstance, by_address: dict[str, ResourceInstance],
                 by_type: dict[str, list[ResourceInstance]]):
        self.instance = instance
        self.by_address = by_address
        self.by_type = by_type

    def _at_block(self, value: Any, note: str) -> AttributeValue:
        return AttributeValue(value, self.instance.file, self.instance.line, None, note)

    def arg(self, name: str, default: Any = _NOT_SET, unset_reason: str = "not set in code") -> AttributeValue:
        """The argument ``name``; when unwritten, ``default`` (noted) or Unknown."""
        evidence = self.instance.evidence(name)
        if evidence is not None:
            return AttributeValue(_plain(evidence.value, evidence.expression), evidence.file,
                                  evidence.line, evidence.expression)
        if default is not _NOT_SET:
            return self._at_block(default, f"{name} not set: provider default")
        return self._at_block(Unknown(f"{self.instance.address}.{name}", unset_reason), f"{name} not set")

    def nested(self, path: str, default: Any = _NOT_SET, unset_reason: str = "not set in code") -> AttributeValue:
        """An argument inside nested blocks: ``"scaling_config.min_size"`` (first block)."""
        *blocks, name = path.split(".")
        holder = self.instance
        for block_type in blocks:
            found = holder.blocks(block_type)
            if not found:
                holder = None
                break
            holder = found[0]
        if holder is not None:
            evidence = holder.evidence(name)
            if evidence is not None:
                return AttributeValue(_plain(evidence.value, evidence.expression), evidence.file,
                                      evidence.line, evidence.expression)
        if default is not _NOT_SET:
            return self._at_block(default, f"{path} not set: provider default")
        return self._at_block(Unknown(f"{self.instance.address}.{path}", unset_reason), f"{path} not set")

    def blocks(self, block_type: str) -> list:
        return self.instance.blocks(block_type)

    def tag(self, key: str) -> AttributeValue:
        tags = self.instance.evidence("tags")
        if tags is None:
            return self._at_block(None, "no tags")
        value = tags.value
        if isinstance(value, dict):
            found = value.get(key)
            return AttributeValue(_plain(found, tags.expression) if key in value else None,
                                  tags.file, tags.line, tags.expression)
        return AttributeValue(Unknown(tags.expression or "tags", "tags are unresolved"), tags.file, tags.line,
                              tags.expression)

    def follow(self, name: str) -> tuple["Reader | None", AttributeValue]:
        """Follow the argument ``name`` (a reference) to the instance it names."""
        evidence = self.instance.evidence(name)
        if evidence is None:
            return None, self._at_block(Unknown(f"{self.instance.address}.{name}", "not set in code"), f"{name} not set")
        value = evidence.value
        where = AttributeValue(value, evidence.file, evidence.line, evidence.expression)
        if isinstance(value, Ref) and value.address in self.by_address:
            return Reader(self.by_address[value.address], self.by_address, self.by_type), where
        return None, where

    def linked(self, name: str, read: Callable[["Reader"], AttributeValue]) -> AttributeValue:
        """An attribute of the instance that argument ``name`` refers to."""
        other, where = self.follow(name)
        if other is None:
            reason = ("refers to something not declared in this code" if is_known(where.value) or isinstance(where.value, Ref)
                      else getattr(where.value, "reason", "unresolved"))
            return AttributeValue(Unknown(where.expression or name, reason), where.file, where.line, where.expression)
        found = read(other)
        return AttributeValue(found.value, where.file, where.line, where.expression,
                              f"via {other.instance.address} ({found.file}:{found.line})")

    def linked_names(self, name: str, read: Callable[["Reader"], AttributeValue]) -> AttributeValue:
        """``read`` over every instance a list argument refers to: ``[aws_lb_target_group.web.arn]``."""
        evidence = self.instance.evidence(name)
        if evidence is None:
            return self._at_block([], f"{name} not set")
        items = evidence.value if isinstance(evidence.value, list) else [evidence.value]
        names = []
        for item in items:
            if isinstance(item, Ref) and item.address in self.by_address:
                found = read(Reader(self.by_address[item.address], self.by_address, self.by_type))
                if not found.known:
                    return AttributeValue(found.value, evidence.file, evidence.line, evidence.expression)
                names.append(found.value)
            elif is_known(item) and not isinstance(item, Ref):
                names.append(item.rsplit("/", 2)[-2] if isinstance(item, str) and item.count("/") >= 2 else item)
            else:
                reason = "refers to something not declared in this code" if isinstance(item, Ref) else getattr(
                    item, "reason", "unresolved")
                return AttributeValue(Unknown(evidence.expression or name, reason), evidence.file, evidence.line,
                                      evidence.expression)
        return AttributeValue(names, evidence.file, evidence.line, evidence.expression)

    def region_of_reference(self, name: str) -> AttributeValue:
        """The region of what argument ``name`` names: a declared resource's provider region, or an ARN's."""
        evidence = self.instance.evidence(name)
        if evidence is None:
            return self._at_block(None, f"{name} not set")
        value = evidence.value
        where = (evidence.file, evidence.line, evidence.expression)
        if isinstance(value, Ref) and value.address in self.by_address:
            other = self.by_address[value.address]
            return AttributeValue(other.region, *where, f"via {other.address} ({other.file}:{other.line})")
        if arns.region(value):
            return AttributeValue(arns.region(value), *where)
        reason = "refers to something not declared in this code" if isinstance(value, Ref) else getattr(
            value, "reason", f"not an ARN: {value!r}")
        return AttributeValue(Unknown(evidence.expression or name, reason), *where)

    def attached(self, type_: str, argument: str) -> list["Reader"]:
        """Instances of ``type_`` whose ``argument`` refers to this instance (or its name)."""
        found = []
        for other in self.by_type.get(type_, []):
            evidence = other.evidence(argument)
            if evidence is None:
                continue
            value = evidence.value
            if isinstance(value, Ref) and value.address == self.instance.address:
                found.append(Reader(other, self.by_address, self.by_type))
            elif isinstance(value, str) and value == _own_name(self.instance):
                found.append(Reader(other, self.by_address, self.by_type))
        return found


def _own_name(instance: ResourceInstance) -> Any:
    evidence = instance.evidence("bucket") or instance.evidence("name")
    return evidence.value if evidence is not None else None


def _plain(value: Any, expression: str | None) -> Any:
    """Refs do not survive into the inventory: they are values known after apply."""
    if isinstance(value, Ref):
        return Unknown(expression or str(value), f"{value} is only known after apply")
    if isinstance(value, list):
        return [_plain(v, expression) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, expression) for k, v in value.items()}
    return value


def _derived(value: Any, *sources: AttributeValue, note: str | None = None) -> AttributeValue:
    first = sources[0] if sources else AttributeValue(None)
    for source in sources:
        if not source.known:
            return source
    return AttributeValue(value, first.file, first.line, first.expression, note)


def _strip_dot(value: AttributeValue) -> AttributeValue:
    if isinstance(value.value, str):
        return AttributeValue(value.value.rstrip(".").lower(), value.file, value.line, value.expression, value.note)
    return value




# ----- per-type mappings ---------------------------------------------------

def vpc(r: Reader) -> dict:
    return {"name": r.tag("Name"), "cidr_block": r.arg("cidr_block"),
            "enable_dns_hostnames": r.arg("enable_dns_hostnames", False)}


def subnet(r: Reader) -> dict:
    return {"name": r.tag("Name"), "vpc": r.linked("vpc_id", lambda v: v.tag("Name")),
            "cidr_block": r.arg("cidr_block"), "availability_zone": r.arg("availability_zone"),
            "map_public_ip_on_launch": r.arg("map_public_ip_on_launch", False)}


def nat_gateway(r: Reader) -> dict:
    return {"name": r.tag("Name"),
            "subnet": r.linked("subnet_id", lambda s: s.tag("Name")),
            "availability_zone": r.linked("subnet_id", lambda s: s.arg("availability_zone")),
            "vpc": r.linked("subnet_id", lambda s: s.linked("vpc_id", lambda v: v.tag("Name"))),
            "connectivity_type": r.arg("connectivity_type", "public")}


def internet_gateway(r: Reader) -> dict:
    return {"name": r.tag("Name"), "vpc": r.linked("vpc_id", lambda v: v.tag("Name"))}


def _gateway_kind(value: Any) -> str:
    """gateway_id also takes virtual private gateways: only an IGW counts as one."""
    if isinstance(value, Ref):
        return "internet_gateway" if ".aws_internet_gateway." in f".{value.address}" else "other"
    return "internet_gateway" if isinstance(value, str) and value.startswith("igw-") else "other"


def route_table(r: Reader) -> dict:
    target = r._at_block("none", "no 0.0.0.0/0 route in code")
    for route in r.blocks("route"):
        if route.get_attribute("cidr_block") != "0.0.0.0/0":
            continue
        gateway, nat = route.evidence("gateway_id"), route.evidence("nat_gateway_id")
        kind = "nat_gateway" if nat is not None else _gateway_kind(gateway.value) if gateway is not None else "other"
        target = AttributeValue(kind, r.instance.file, route.line)
    subnets = [a.linked("subnet_id", lambda s: s.tag("Name")) for a in r.attached("aws_route_table_association",
                                                                                   "route_table_id")]
    unknown = next((s for s in subnets if not s.known), None)
    names = unknown if unknown is not None else AttributeValue(
        sorted(s.value for s in subnets if s.value is not None), r.instance.file, r.instance.line,
        None, None if subnets else "no aws_route_table_association refers to it")
    return {"name": r.tag("Name"), "vpc": r.linked("vpc_id", lambda v: v.tag("Name")),
            "subnets": names, "default_route_target": target}


def load_balancer(r: Reader) -> dict:
    internal = r.arg("internal", False)
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "type": r.arg("load_balancer_type", "application"),
            "scheme": _derived("internal" if internal.value else "internet-facing", internal)}


def lb_target_group(r: Reader) -> dict:
    protocol = r.arg("protocol", unset_reason="not set: depends on the target type")
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "protocol": protocol, "port": r.arg("port", unset_reason="not set: depends on the target type"),
            "health_check_path": r.nested("health_check.path", "/"),
            "health_check_interval": r.nested("health_check.interval", 30),
            "healthy_threshold": r.nested("health_check.healthy_threshold", 3),
            "unhealthy_threshold": r.nested("health_check.unhealthy_threshold", 3),
            "health_check_matcher": r.nested("health_check.matcher", "200")}


def autoscaling_group(r: Reader) -> dict:
    minimum = r.arg("min_size")
    desired = r.arg("desired_capacity")
    if not r.instance.has("desired_capacity"):
        desired = AttributeValue(minimum.value, minimum.file, minimum.line, minimum.expression,
                                 "desired_capacity not set: AWS starts at min_size")
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "min_size": minimum, "max_size": r.arg("max_size"), "desired_capacity": desired,
            "health_check_type": r.arg("health_check_type", "EC2"),
            "target_groups": _sorted(r.linked_names("target_group_arns", lambda t: t.arg(
                "name", unset_reason="a name is generated at apply time")))}


def _sorted(value: AttributeValue) -> AttributeValue:
    if not isinstance(value.value, list):
        return value
    return AttributeValue(sorted(value.value, key=str), value.file, value.line, value.expression, value.note)


def eks_cluster(r: Reader) -> dict:
    configs = r.blocks("encryption_config")
    encrypted = any("secrets" in (c.get_attribute("resources") or []) for c in configs
                    if isinstance(c.get_attribute("resources"), list))
    return {"name": r.arg("name"),
            "version": r.arg("version", unset_reason="not set: AWS picks the default version at apply time"),
            "secrets_encrypted": AttributeValue(encrypted, r.instance.file,
                                                configs[0].line if configs else r.instance.line)}


def eks_node_group(r: Reader) -> dict:
    return {"name": r.arg("node_group_name", unset_reason="not set: a name is generated at apply time"),
            "cluster": r.arg("cluster_name"),
            "instance_types": r.arg("instance_types", ["t3.medium"]),
            "min_size": r.nested("scaling_config.min_size"),
            "max_size": r.nested("scaling_config.max_size"),
            "desired_size": r.nested("scaling_config.desired_size")}


def _replica_source(r: Reader) -> tuple[AttributeValue, AttributeValue]:
    evidence = r.instance.evidence("replicate_source_db")
    if evidence is None:
        none = r._at_block(None, "not a read replica")
        return none, none
    value = evidence.value
    where = (evidence.file, evidence.line, evidence.expression)
    if isinstance(value, Ref) and value.address in r.by_address:
        source = Reader(r.by_address[value.address], r.by_address, r.by_type)
        identifier = source.arg("db_instance_identifier") if source.instance.mode == "data" else source.arg("identifier")
        region = source.instance.region
        note = f"via {source.instance.address} ({source.instance.file}:{source.instance.line})"
        return (AttributeValue(identifier.value, *where, note),
                AttributeValue(region, *where, note))
    if isinstance(value, str):
        parsed = arns.rds_instance(value)
        if parsed:
            return AttributeValue(parsed[0], *where), AttributeValue(parsed[1], *where)
        return AttributeValue(value, *where), AttributeValue(r.instance.region, *where, "same-region replica")
    unknown = Unknown(evidence.expression or "replicate_source_db", getattr(value, "reason", "unresolved"))
    return AttributeValue(unknown, *where), AttributeValue(unknown, *where)


_ENGINE_PORTS = {"mysql": 3306, "mariadb": 3306, "postgres": 5432, "aurora-mysql": 3306,
                 "aurora-postgresql": 5432, "oracle-ee": 1521, "sqlserver-ee": 1433}


def rds_instance(r: Reader) -> dict:
    replica = r.instance.has("replicate_source_db")
    inherited = "not set: a replica inherits it from its source at apply time"
    engine = r.arg("engine", unset_reason=inherited if replica else "not set in code")
    port = r.arg("port")
    if not r.instance.has("port") and engine.known and engine.value in _ENGINE_PORTS:
        port = AttributeValue(_ENGINE_PORTS[engine.value], r.instance.file, r.instance.line, None,
                              f"port not set: engine {engine.value} default")
    source_id, source_region = _replica_source(r)
    return {"identifier": r.arg("identifier", unset_reason="not set: a name is generated at apply time"),
            "engine": engine,
            "engine_version": r.arg("engine_version", unset_reason=inherited if replica else "not set: AWS picks the default version"),
            "instance_class": r.arg("instance_class"),
            "port": port,
            "multi_az": r.arg("multi_az", False),
            "backup_retention_period": r.arg("backup_retention_period", unset_reason="not set: AWS picks it at apply time"),
            "backup_window": r.arg("backup_window", unset_reason="not set: AWS assigns a window at apply time"),
            "db_subnet_group": r.arg("db_subnet_group_name", unset_reason="not set: the default subnet group is used"),
            "is_read_replica": AttributeValue(replica, r.instance.file, r.instance.line),
            "replicate_source_identifier": source_id,
            "replicate_source_region": source_region,
            "storage_encrypted": _storage_encrypted(r, replica),
            "kms_key_region": _kms_key_region(r, replica),
            "deletion_protection": r.arg("deletion_protection", False)}


def _kms_key_region(r: Reader, replica: bool) -> AttributeValue:
    """The key's region; unset, an encrypted instance uses its own region's aws/rds key."""
    if r.instance.has("kms_key_id"):
        return r.region_of_reference("kms_key_id")
    encrypted = _storage_encrypted(r, replica)
    if not encrypted.known:
        return encrypted
    if encrypted.value:
        return AttributeValue(r.instance.region, encrypted.file, encrypted.line, encrypted.expression,
                              "kms_key_id not set: the region's default aws/rds key")
    return r._at_block(None, "not encrypted")


def _storage_encrypted(r: Reader, replica: bool) -> AttributeValue:
    """Unset on a replica, encryption follows its KMS key or, without one, its source."""
    if r.instance.has("storage_encrypted") or not replica:
        return r.arg("storage_encrypted", False)
    key = r.instance.evidence("kms_key_id")
    if key is not None:
        return AttributeValue(True, key.file, key.line, key.expression, "storage_encrypted not set: a KMS key encrypts it")
    return r._at_block(Unknown(f"{r.instance.address}.storage_encrypted",
                               "not set: a replica inherits it from its source at apply time"), "storage_encrypted not set")


def elasticache_replication_group(r: Reader) -> dict:
    return {"id": r.arg("replication_group_id"), "node_type": r.arg("node_type"),
            "multi_az": r.arg("multi_az_enabled", False),
            "automatic_failover": r.arg("automatic_failover_enabled", False),
            "transit_encryption": r.arg("transit_encryption_enabled", False),
            "at_rest_encryption": r.arg("at_rest_encryption_enabled", False),
            "snapshot_retention_limit": r.arg("snapshot_retention_limit", 0)}


def dynamodb_table(r: Reader) -> dict:
    replicas = r.blocks("replica")
    regions = [b.evidence("region_name") for b in replicas]
    replica_value = (AttributeValue([_plain(e.value, e.expression) for e in regions if e is not None],
                                    r.instance.file, replicas[0].line) if replicas
                     else r._at_block([], "no replica blocks"))
    stream = r.arg("stream_enabled", False)
    return {"name": r.arg("name"), "stream_enabled": stream,
            "stream_view_type": r.arg("stream_view_type", None),
            "replica_regions": replica_value,
            "point_in_time_recovery": r.nested("point_in_time_recovery.enabled", False)}


def dynamodb_table_data(r: Reader) -> dict:
    live = "a data source: read from the account at plan time"
    unknown = lambda name: r._at_block(Unknown(f"{r.instance.address}.{name}", live), live)
    return {"name": r.arg("name"), "stream_enabled": unknown("stream_enabled"),
            "stream_view_type": unknown("stream_view_type"), "replica_regions": unknown("replica"),
            "point_in_time_recovery": unknown("point_in_time_recovery")}


def s3_bucket(r: Reader) -> dict:
    versioning = r._at_block("Disabled", "no versioning configuration in code")
    for attached in r.attached("aws_s3_bucket_versioning", "bucket"):
        versioning = attached.nested("versioning_configuration.status")
    if r.blocks("versioning"):
        enabled = r.nested("versioning.enabled", False)
        versioning = _derived("Enabled" if enabled.value else "Suspended", enabled)
    destinations: list[Any] = []
    where = r._at_block([], "no replication configuration in code")
    rules = [rule for attached in r.attached("aws_s3_bucket_replication_configuration", "bucket")
             for rule in attached.blocks("rule") if rule.get_attribute("status") != "Disabled"]
    for rule in rules:
        for destination in rule.blocks("destination"):
            evidence = destination.evidence("bucket")
            if evidence is not None:
                value = _bucket_named(r, evidence.value)
                value = _plain(value, evidence.expression)
                destinations.append(value.split(":::")[-1] if isinstance(value, str) else value)
                where = AttributeValue(None, evidence.file, evidence.line, evidence.expression)
    return {"name": r.arg("bucket", unset_reason="not set: a name is generated at apply time"),
            "versioning": versioning,
            "replication_destination_buckets": AttributeValue(destinations, where.file, where.line, where.expression,
                                                              where.note),
            "replication_time_minutes": _replication_time(r, rules),
            "delete_marker_replication": _delete_markers(r, rules)}


def _bucket_named(r: Reader, value: Any) -> Any:
    """A bucket's ARN or id is known at plan time when its name is: follow the reference."""
    if isinstance(value, Ref) and value.attribute in ("arn", "id", "bucket") and value.address in r.by_address:
        target = r.by_address[value.address]
        if target.type == "aws_s3_bucket":
            name = target.evidence("bucket")
            if name is not None and isinstance(name.value, str):
                return name.value
    return value


def _replication_time(r: Reader, rules: list) -> AttributeValue:
    """The RTC threshold every enabled rule keeps (the largest), None when any rule has none."""
    if not rules:
        return r._at_block(None, "no replication rule in code")
    minutes = []
    for rule in rules:
        controls = [c for d in rule.blocks("destination") for c in d.blocks("replication_time")]
        if not controls or controls[0].get_attribute("status") != "Enabled":
            return AttributeValue(None, r.instance.file, rule.line, None, "a rule has no replication_time")
        times = controls[0].blocks("time")
        evidence = times[0].evidence("minutes") if times else None
        if evidence is None:
            return AttributeValue(None, r.instance.file, controls[0].line, None, "replication_time has no minutes")
        if not is_known(evidence.value):
            return AttributeValue(_plain(evidence.value, evidence.expression), evidence.file, evidence.line,
                                  evidence.expression)
        minutes.append((evidence.value, evidence))
    value, evidence = max(minutes, key=lambda m: m[0])
    return AttributeValue(value, evidence.file, evidence.line, evidence.expression)


def _delete_markers(r: Reader, rules: list) -> AttributeValue:
    if not rules:
        return r._at_block(False, "no replication rule in code")
    for rule in rules:
        blocks = rule.blocks("delete_marker_replication")
        evidence = blocks[0].evidence("status") if blocks else None
        if evidence is None:
            return AttributeValue(False, r.instance.file, rule.line, None, "a rule has no delete_marker_replication")
        if evidence.value != "Enabled":
            return AttributeValue(_plain(evidence.value, evidence.expression) == "Enabled" if is_known(evidence.value)
                                  else _plain(evidence.value, evidence.expression),
                                  evidence.file, evidence.line, evidence.expression)
    return AttributeValue(True, evidence.file, evidence.line, evidence.expression)


def ecr_repository(r: Reader) -> dict:
    return {"name": r.arg("name"), "image_tag_mutability": r.arg("image_tag_mutability", "MUTABLE")}


def ecr_replication(r: Reader) -> dict:
    rules = []
    line = r.instance.line
    for configuration in r.blocks("replication_configuration"):
        for rule in configuration.blocks("rule"):
            line = rule.line
            destinations = [_plain(d.get_attribute("region"), "region") for d in rule.blocks("destination")]
            prefixes = [_plain(f.get_attribute("filter"), "filter") for f in rule.blocks("repository_filter")]
            rules.append({"destinations": destinations, "prefixes": prefixes})
    regions = sorted({d for rule in rules for d in rule["destinations"] if isinstance(d, str)}) if is_known(rules) \
        else Unknown(f"{r.instance.address}.replication_configuration", "a rule is unresolved")
    return {"rules": AttributeValue(rules if is_known(rules) else regions, r.instance.file, line),
            "destination_regions": AttributeValue(regions, r.instance.file, line)}


def secretsmanager_secret(r: Reader) -> dict:
    replicas = r.blocks("replica")
    regions = [_plain(b.get_attribute("region"), "region") for b in replicas]
    return {"name": r.arg("name", unset_reason="not set: name_prefix or generated"),
            "replica_regions": AttributeValue(regions, r.instance.file, replicas[0].line if replicas else r.instance.line,
                                              None, None if replicas else "no replica blocks")}


def cloudfront_distribution(r: Reader) -> dict:
    groups = r.blocks("origin_group")
    group_ids = [g.get_attribute("origin_id") for g in groups]
    target = r.nested("default_cache_behavior.target_origin_id")
    failover = _derived(bool(groups) and target.value in group_ids, target)
    codes = _derived([], target, note="the default behaviour does not target an origin group")
    for group in groups:
        if target.known and group.get_attribute("origin_id") == target.value:
            criteria = group.blocks("failover_criteria")
            evidence = criteria[0].evidence("status_codes") if criteria else None
            codes = (AttributeValue(_plain(evidence.value, evidence.expression), evidence.file, evidence.line,
                                    evidence.expression) if evidence is not None
                     else AttributeValue([], r.instance.file, group.line, None, "origin group has no failover_criteria"))
    return {"id": r._at_block(Unknown(f"{r.instance.address}.id", "assigned by AWS at apply time"), "computed"),
            "comment": r.arg("comment", ""),
            "aliases": r.arg("aliases", []),
            "has_origin_failover": failover,
            "origin_failover_status_codes": codes,
            "viewer_protocol_policy": r.nested("default_cache_behavior.viewer_protocol_policy")}


def route53_zone(r: Reader) -> dict:
    return {"name": _strip_dot(r.arg("name")), "private_zone": r.arg("private_zone", False)}


def route53_record(r: Reader) -> dict:
    name = _strip_dot(r.arg("name"))
    zone = r.linked("zone_id", lambda z: _strip_dot(z.arg("name")))
    if name.known and zone.known and isinstance(zone.value, str) and not (
            name.value == zone.value or name.value.endswith("." + zone.value)):
        name = AttributeValue(f"{name.value}.{zone.value}", name.file, name.line, name.expression,
                              f"relative to zone {zone.value}")
    health = r.instance.evidence("health_check_id")
    has_health = AttributeValue(health is not None and health.value is not None,
                                health.file if health else r.instance.file,
                                health.line if health else r.instance.line,
                                health.expression if health else None)
    return {"name": name, "type": r.arg("type"),
            "set_identifier": r.arg("set_identifier", None),
            "failover_role": r.nested("failover_routing_policy.type", None),
            "has_health_check": has_health,
            "alias_dns_name": _strip_dot(r.nested("alias.name", None))}


def route53_health_check(r: Reader) -> dict:
    return {"name": r.tag("Name"), "type": r.arg("type"), "fqdn": _strip_dot(r.arg("fqdn", None)),
            "port": r.arg("port", unset_reason="not set: the type's default port"),
            "resource_path": r.arg("resource_path", None),
            "request_interval": r.arg("request_interval", 30),
            "failure_threshold": r.arg("failure_threshold", 3)}


def iam_role_policy(r: Reader) -> dict:
    document = r.arg("policy")
    actions = resources = document
    if document.known:
        try:
            parsed = json.loads(document.value) if isinstance(document.value, str) else document.value
            statements = parsed.get("Statement", [])
            statements = statements if isinstance(statements, list) else [statements]
            allowed = [s for s in statements if isinstance(s, dict) and s.get("Effect") == "Allow"]
            actions = AttributeValue(sorted({a for s in allowed for a in _as_list(s.get("Action"))}), document.file,
                                     document.line, document.expression)
            resources = AttributeValue(sorted({x for s in allowed for x in _as_list(s.get("Resource"))}),
                                       document.file, document.line, document.expression)
        except (ValueError, AttributeError, TypeError) as error:
            actions = resources = AttributeValue(Unknown(document.expression or "policy", f"not a policy document: {error}"),
                                                 document.file, document.line, document.expression)
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "role": r.linked("role", lambda role: role.arg("name", unset_reason="a name is generated at apply time")),
            "actions": actions, "resources": resources}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def cloudwatch_alarm(r: Reader) -> dict:
    actions = r.arg("alarm_actions", [])
    return {"name": r.arg("alarm_name"), "namespace": r.arg("namespace", None),
            "metric_name": r.arg("metric_name", None),
            "comparison_operator": r.arg("comparison_operator"), "threshold": r.arg("threshold", None),
            "period": r.arg("period", None), "evaluation_periods": r.arg("evaluation_periods"),
            "has_actions": (AttributeValue(bool(actions.value), actions.file, actions.line, actions.expression,
                                           actions.note) if isinstance(actions.value, list)
                            else actions)}


def gcp_sql_instance(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "database_version": r.arg("database_version"),
            "availability_type": r.nested("settings.availability_type", "ZONAL"),
            "backup_enabled": r.nested("settings.backup_configuration.enabled", False),
            "point_in_time_recovery": r.nested("settings.backup_configuration.point_in_time_recovery_enabled", False),
            "deletion_protection": r.arg("deletion_protection", True)}


def gcp_redis_instance(r: Reader) -> dict:
    return {"name": r.arg("name"), "tier": r.arg("tier", "BASIC"),
            "replica_count": r.arg("replica_count", unset_reason="not set: chosen by the service for the tier"),
            "redis_version": r.arg("redis_version", unset_reason="not set: the service's current default")}


def cloudflare_lb_monitor(r: Reader) -> dict:
    return {"description": r.arg("description", None), "type": r.arg("type", "http"), "path": r.arg("path", "/"),
            "interval": r.arg("interval", 60), "retries": r.arg("retries", 2), "timeout": r.arg("timeout", 5),
            "expected_codes": r.arg("expected_codes", None)}


def cloudflare_lb_pool(r: Reader) -> dict:
    origins = r.blocks("origins")
    names = [_plain(o.get_attribute("name"), "origins.name") for o in origins]
    monitor = r.instance.evidence("monitor")
    return {"name": r.arg("name"),
            "origins": AttributeValue(names, r.instance.file, origins[0].line if origins else r.instance.line,
                                      None, None if origins else "no origins blocks"),
            "has_monitor": AttributeValue(monitor is not None and monitor.value is not None,
                                          monitor.file if monitor else r.instance.file,
                                          monitor.line if monitor else r.instance.line),
            "minimum_origins": r.arg("minimum_origins", 1)}


def cloudflare_load_balancer(r: Reader) -> dict:
    pool_name = lambda p: p.arg("name")
    return {"name": r.arg("name"), "default_pools": r.linked_names("default_pool_ids", pool_name),
            "fallback_pool": r.linked("fallback_pool_id", pool_name),
            "steering_policy": r.arg("steering_policy", "off"), "proxied": r.arg("proxied", False)}


#: Terraform (mode, type) -> (kind, mapping)
MAPPINGS: dict[tuple[str, str], tuple[str, Callable[[Reader], dict]]] = {
    ("managed", "aws_vpc"): ("vpc", vpc),
    ("managed", "aws_subnet"): ("subnet", subnet),
    ("managed", "aws_nat_gateway"): ("nat_gateway", nat_gateway),
    ("managed", "aws_internet_gateway"): ("internet_gateway", internet_gateway),
    ("managed", "aws_route_table"): ("route_table", route_table),
    ("managed", "aws_lb"): ("load_balancer", load_balancer),
    ("managed", "aws_alb"): ("load_balancer", load_balancer),
    ("managed", "aws_lb_target_group"): ("lb_target_group", lb_target_group),
    ("managed", "aws_alb_target_group"): ("lb_target_group", lb_target_group),
    ("managed", "aws_autoscaling_group"): ("autoscaling_group", autoscaling_group),
    ("managed", "aws_eks_cluster"): ("eks_cluster", eks_cluster),
    ("managed", "aws_eks_node_group"): ("eks_node_group", eks_node_group),
    ("managed", "aws_db_instance"): ("rds_instance", rds_instance),
    ("managed", "aws_elasticache_replication_group"): ("elasticache_replication_group",
                                                        elasticache_replication_group),
    ("managed", "aws_dynamodb_table"): ("dynamodb_table", dynamodb_table),
    ("data", "aws_dynamodb_table"): ("dynamodb_table", dynamodb_table_data),
    ("managed", "aws_s3_bucket"): ("s3_bucket", s3_bucket),
    ("managed", "aws_cognito_user_pool"): ("cognito_user_pool", lambda r: {"name": r.arg("name")}),
    ("managed", "aws_ecr_repository"): ("ecr_repository", ecr_repository),
    ("managed", "aws_ecr_replication_configuration"): ("ecr_replication", ecr_replication),
    ("managed", "aws_secretsmanager_secret"): ("secretsmanager_secret", secretsmanager_secret),
    ("managed", "aws_cloudfront_distribution"): ("cloudfront_distribution", cloudfront_distribution),
    ("managed", "aws_route53_zone"): ("route53_zone", route53_zone),
    ("data", "aws_route53_zone"): ("route53_zone", route53_zone),
    ("managed", "aws_route53_record"): ("route53_record", route53_record),
    ("managed", "aws_route53_health_check"): ("route53_health_check", route53_health_check),
    ("managed", "aws_acm_certificate"): ("acm_certificate", lambda r: {"domain_name": r.arg("domain_name")}),
    ("managed", "aws_kms_alias"): ("kms_alias", lambda r: {"name": r.arg("name")}),
    ("managed", "aws_iam_role"): ("iam_role", lambda r: {"name": r.arg("name", unset_reason="not set: a name is generated")}),
    ("managed", "aws_iam_role_policy"): ("iam_role_policy", iam_role_policy),
    ("managed", "aws_cloudwatch_metric_alarm"): ("cloudwatch_alarm", cloudwatch_alarm),
    ("managed", "google_sql_database_instance"): ("gcp_sql_instance", gcp_sql_instance),
    ("managed", "google_redis_instance"): ("gcp_redis_instance", gcp_redis_instance),
    ("managed", "cloudflare_load_balancer_monitor"): ("cloudflare_lb_monitor", cloudflare_lb_monitor),
    ("managed", "cloudflare_load_balancer_pool"): ("cloudflare_lb_pool", cloudflare_lb_pool),
    ("managed", "cloudflare_load_balancer"): ("cloudflare_load_balancer", cloudflare_load_balancer),
}
