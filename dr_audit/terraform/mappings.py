"""Terraform resource types mapped onto the normalized kinds of ``kinds.py``.

One function per Terraform type: it reads the evaluated instance through a
:class:`Reader` and returns ``{attribute: AttributeValue}``. A value not
written in code is the provider's documented default (with a note saying so)
or Unknown when AWS chooses it at apply time. An argument written as ``null``
(or as an expression that evaluates to null) is not set, exactly as
Terraform treats it. Attributes the provider also lets other resources set
(split resources such as ``aws_s3_bucket_versioning``) are read there too.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from dr_audit import arns
from dr_audit.inventory import AttributeValue
from dr_audit.terraform.module import BlockInstance, Evidence, ResourceInstance
from dr_audit.terraform.values import Ref, Unknown, is_known

_NOT_SET = object()


def _given(block: BlockInstance, name: str) -> Evidence | None:
    """Argument ``name`` of ``block`` as evaluated; None when unwritten or null.

    Terraform treats ``x = null`` (and ``x = var.y`` with ``y`` null) as if
    ``x`` were not written, so a null value is never evidence of anything.
    """
    evidence = block.evidence(name)
    return evidence if evidence is not None and evidence.value is not None else None


def _uncertain(blocks: list) -> bool:
    """True when a ``dynamic`` block among ``blocks`` could not be expanded."""
    return any(getattr(b, "uncertain", False) for b in blocks)


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

    def reader(self, instance: ResourceInstance) -> "Reader":
        """A Reader of another instance of the same tree."""
        return Reader(instance, self.by_address, self.by_type)

    def given(self, name: str) -> Evidence | None:
        """The argument ``name`` as evaluated, or None when unwritten or null."""
        return _given(self.instance, name)

    def arg(self, name: str, default: Any = _NOT_SET, unset_reason: str = "not set in code") -> AttributeValue:
        """The argument ``name``; when unwritten or null, ``default`` (noted) or Unknown."""
        evidence = self.given(name)
        if evidence is not None:
            return _value_of(evidence)
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
            evidence = _given(holder, name)
            if evidence is not None:
                return _value_of(evidence)
        if default is not _NOT_SET:
            return self._at_block(default, f"{path} not set: provider default")
        return self._at_block(Unknown(f"{self.instance.address}.{path}", unset_reason), f"{path} not set")

    def blocks(self, block_type: str) -> list:
        return self.instance.blocks(block_type)

    def tag(self, key: str) -> AttributeValue:
        tags = self.given("tags")
        if tags is None:
            return self._at_block(None, "no tags")
        value = tags.value
        if isinstance(value, dict):
            found = value.get(key)
            return AttributeValue(_plain(found, tags.expression) if found is not None else None,
                                  tags.file, tags.line, tags.expression)
        return AttributeValue(Unknown(tags.expression or "tags", "tags are unresolved"), tags.file, tags.line,
                              tags.expression)

    def follow(self, name: str) -> tuple["Reader | None", AttributeValue]:
        """Follow the argument ``name`` (a reference) to the instance it names."""
        evidence = self.given(name)
        if evidence is None:
            return None, self._at_block(Unknown(f"{self.instance.address}.{name}", "not set in code"), f"{name} not set")
        value = evidence.value
        where = AttributeValue(value, evidence.file, evidence.line, evidence.expression)
        if isinstance(value, Ref) and value.address in self.by_address:
            return self.reader(self.by_address[value.address]), where
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
        evidence = self.given(name)
        if evidence is None:
            return self._at_block([], f"{name} not set")
        items = evidence.value if isinstance(evidence.value, list) else [evidence.value]
        names = []
        for item in items:
            if isinstance(item, Ref) and item.address in self.by_address:
                found = read(self.reader(self.by_address[item.address]))
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
        evidence = self.given(name)
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
        return [self.reader(other) for other in self.by_type.get(type_, [])
                if self._names_me(_given(other, argument))]

    def maybe_attached(self, type_: str, argument: str) -> list["Reader"]:
        """Instances of ``type_`` whose ``argument`` is unresolved: they may refer to this instance."""
        found = []
        for other in self.by_type.get(type_, []):
            evidence = _given(other, argument)
            if evidence is not None and isinstance(evidence.value, Unknown):
                found.append(self.reader(other))
        return found

    def _names_me(self, evidence: Evidence | None) -> bool:
        if evidence is None:
            return False
        value = evidence.value
        if isinstance(value, Ref):
            return value.address == self.instance.address
        own = _own_name(self.instance)
        return isinstance(value, str) and own is not None and value == own


def _own_name(instance: ResourceInstance) -> Any:
    evidence = _given(instance, "bucket") or _given(instance, "name")
    return evidence.value if evidence is not None else None


def _value_of(evidence: Evidence) -> AttributeValue:
    return AttributeValue(_plain(evidence.value, evidence.expression), evidence.file, evidence.line,
                          evidence.expression)


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
    """gateway_id also takes virtual private gateways (other) and, leniently, NAT gateways."""
    if isinstance(value, Ref):
        address = f".{value.address}"
        return ("internet_gateway" if ".aws_internet_gateway." in address
                else "nat_gateway" if ".aws_nat_gateway." in address else "other")
    if isinstance(value, str):
        return ("internet_gateway" if value.startswith("igw-")
                else "nat_gateway" if value.startswith("nat-") else "other")
    return "other"


#: route arguments that name where traffic goes, besides gateway_id and nat_gateway_id
_OTHER_ROUTE_TARGETS = ("carrier_gateway_id", "core_network_arn", "egress_only_gateway_id", "local_gateway_id",
                        "network_interface_id", "transit_gateway_id", "vpc_endpoint_id",
                        "vpc_peering_connection_id", "odb_network_arn", "instance_id")


def _route_target(route: BlockInstance) -> AttributeValue:
    """What one route (an inline ``route`` block or an ``aws_route``) sends its traffic to."""
    nat = _given(route, "nat_gateway_id")
    gateway = _given(route, "gateway_id")
    others = [e for e in (_given(route, name) for name in _OTHER_ROUTE_TARGETS) if e is not None]
    for evidence in [e for e in (nat, gateway, *others) if e is not None]:
        if isinstance(evidence.value, Unknown):  # it may be null: which target applies is unknown
            return AttributeValue(Unknown(evidence.expression or "route target", evidence.value.reason),
                                  evidence.file, evidence.line, evidence.expression)
    if nat is not None:
        return AttributeValue("nat_gateway", nat.file, nat.line, nat.expression)
    if gateway is not None:
        return AttributeValue(_gateway_kind(gateway.value), gateway.file, gateway.line, gateway.expression)
    return AttributeValue("other", route.file, route.line, None, "the route names no gateway")


def _default_route_target(r: Reader) -> AttributeValue:
    """Where 0.0.0.0/0 goes: inline ``route`` blocks or ``aws_route`` resources naming this table."""
    routes = [(block, "cidr_block") for block in r.blocks("route")]
    routes += [(route.instance, "destination_cidr_block") for route in r.attached("aws_route", "route_table_id")]
    found, doubtful = None, None
    for route, key in routes:
        destination = _given(route, key)
        if destination is None:
            continue
        if not is_known(destination.value):
            doubtful = AttributeValue(Unknown(destination.expression or key, "the route's destination is unresolved: "
                                              "it may be 0.0.0.0/0"), destination.file, destination.line,
                                      destination.expression)
        elif destination.value == "0.0.0.0/0":
            found = _route_target(route)
    for route in r.maybe_attached("aws_route", "route_table_id"):
        destination = _given(route.instance, "destination_cidr_block")
        if destination is not None and destination.value == "0.0.0.0/0":
            table = _given(route.instance, "route_table_id")
            doubtful = AttributeValue(Unknown(table.expression or "route_table_id",
                                              f"{route.instance.address} ({route.instance.file}:{route.instance.line}) "
                                              f"routes 0.0.0.0/0 and may be in this table: {table.value.reason}"),
                                      table.file, table.line, table.expression)
    if found is not None:
        return found
    return doubtful if doubtful is not None else r._at_block("none", "no 0.0.0.0/0 route in code")


def _associated_subnets(r: Reader) -> AttributeValue:
    """Subnets explicitly associated (``aws_route_table_association``), as AWS lists them.

    A main route table also serves every subnet without an explicit
    association; AWS does not list those as the table's subnets, nor do we.
    """
    subnets = [a.linked("subnet_id", lambda s: s.tag("Name"))
               for a in r.attached("aws_route_table_association", "route_table_id") if a.given("subnet_id")]
    unknown = next((s for s in subnets if not s.known), None)
    if unknown is not None:
        return unknown
    doubtful = [a for a in r.maybe_attached("aws_route_table_association", "route_table_id") if a.given("subnet_id")]
    if doubtful:
        table = doubtful[0].given("route_table_id")
        return AttributeValue(Unknown(table.expression or "route_table_id",
                                      f"{doubtful[0].instance.address} may associate a subnet with this table: "
                                      f"{table.value.reason}"), table.file, table.line, table.expression)
    return AttributeValue(sorted(s.value for s in subnets if s.value is not None), r.instance.file, r.instance.line,
                          None, None if subnets else "no aws_route_table_association refers to it")


def route_table(r: Reader) -> dict:
    return {"name": r.tag("Name"), "vpc": r.linked("vpc_id", lambda v: v.tag("Name")),
            "subnets": _associated_subnets(r), "default_route_target": _default_route_target(r)}


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
    if r.given("desired_capacity") is None:
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
            "instance_types": _node_instance_types(r),
            "min_size": r.nested("scaling_config.min_size"),
            "max_size": r.nested("scaling_config.max_size"),
            "desired_size": r.nested("scaling_config.desired_size")}


_EKS_DEFAULT_INSTANCE_TYPES = ["t3.medium"]


def _node_instance_types(r: Reader) -> AttributeValue:
    """``instance_types``, else the launch template's ``instance_type``, else EKS's default."""
    written = r.given("instance_types")
    if written is not None:
        return _value_of(written)
    templates = r.blocks("launch_template")
    if not templates:
        return r._at_block(_EKS_DEFAULT_INSTANCE_TYPES, "instance_types not set: provider default")
    reference = _given(templates[0], "id") or _given(templates[0], "name")
    if reference is None:
        return AttributeValue(Unknown(f"{r.instance.address}.launch_template", "names no launch template"),
                              r.instance.file, templates[0].line)
    template = _launch_template(r, reference.value)
    where = (reference.file, reference.line, reference.expression)
    if template is None:
        reason = getattr(reference.value, "reason", "the launch template is not declared in this code")
        return AttributeValue(Unknown(reference.expression or "launch_template", reason), *where)
    instance_type = template.given("instance_type")
    note = f"via {template.instance.address} ({template.instance.file}:{template.instance.line})"
    if instance_type is None:
        return AttributeValue(_EKS_DEFAULT_INSTANCE_TYPES, *where,
                              f"{note}: the launch template sets no instance_type: provider default")
    value = _plain(instance_type.value, instance_type.expression)
    return AttributeValue([value] if is_known(value) else value, *where, note)


def _launch_template(r: Reader, value: Any) -> "Reader | None":
    """The declared ``aws_launch_template`` a reference or a literal name names, else None."""
    if isinstance(value, Ref):
        target = r.by_address.get(value.address)
        return r.reader(target) if target is not None and target.type == "aws_launch_template" else None
    if isinstance(value, str):
        for template in r.by_type.get("aws_launch_template", []):
            name = _given(template, "name")
            if name is not None and name.value == value:
                return r.reader(template)
    return None


def _replica_source(r: Reader) -> tuple[AttributeValue, AttributeValue]:
    evidence = r.given("replicate_source_db")
    if evidence is None:
        none = r._at_block(None, "not a read replica")
        return none, none
    value = evidence.value
    where = (evidence.file, evidence.line, evidence.expression)
    if isinstance(value, Ref) and value.address in r.by_address:
        source = r.reader(r.by_address[value.address])
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


def _is_replica(r: Reader) -> AttributeValue:
    """True when ``replicate_source_db`` evaluates to a source; null or unwritten: not a replica."""
    evidence = r.given("replicate_source_db")
    if evidence is None:
        return r._at_block(False, "replicate_source_db not set")
    if isinstance(evidence.value, Unknown):  # it may evaluate to null
        return AttributeValue(evidence.value, evidence.file, evidence.line, evidence.expression)
    return AttributeValue(True, evidence.file, evidence.line, evidence.expression)


_ENGINE_PORTS = {"mysql": 3306, "mariadb": 3306, "postgres": 5432, "aurora-mysql": 3306,
                 "aurora-postgresql": 5432, "oracle-ee": 1521, "sqlserver-ee": 1433}


def rds_instance(r: Reader) -> dict:
    is_replica = _is_replica(r)
    replica = is_replica.value is not False  # a possible replica may inherit what it does not set
    inherited = "not set: a replica inherits it from its source at apply time"
    engine = r.arg("engine", unset_reason=inherited if replica else "not set in code")
    port = r.arg("port")
    if r.given("port") is None and engine.known and engine.value in _ENGINE_PORTS:
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
            "is_read_replica": is_replica,
            "replicate_source_identifier": source_id,
            "replicate_source_region": source_region,
            "storage_encrypted": _storage_encrypted(r, replica),
            "kms_key_region": _kms_key_region(r, replica),
            "deletion_protection": r.arg("deletion_protection", False)}


def _kms_key_region(r: Reader, replica: bool) -> AttributeValue:
    """The key's region; unset, an encrypted instance uses its own region's aws/rds key."""
    if r.given("kms_key_id") is not None:
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
    if r.given("storage_encrypted") is not None or not replica:
        return r.arg("storage_encrypted", False)
    key = r.given("kms_key_id")
    if key is not None and isinstance(key.value, Unknown):  # it may evaluate to null
        return _value_of(key)
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
    stream = r.arg("stream_enabled", False)
    return {"name": r.arg("name"), "stream_enabled": stream,
            "stream_view_type": r.arg("stream_view_type", None),
            "replica_regions": _table_replica_regions(r),
            "point_in_time_recovery": r.nested("point_in_time_recovery.enabled", False)}


def _table_replica_regions(r: Reader) -> AttributeValue:
    """Regions of ``replica`` blocks (a null region_name is no replica) and of
    ``aws_dynamodb_table_replica`` resources whose ``global_table_arn`` names this table."""
    regions: list[Any] = []
    where: list[tuple[str, int | None]] = []
    for block in r.blocks("replica"):
        evidence = _given(block, "region_name")
        if evidence is not None:
            regions.append(_plain(evidence.value, evidence.expression))
            where.append((evidence.file, evidence.line))
    for replica in r.attached("aws_dynamodb_table_replica", "global_table_arn") + _replicas_by_arn(r):
        regions.append(replica.instance.region)
        where.append((replica.instance.file, replica.instance.line))
    if not regions:
        return r._at_block([], "no replica blocks and no aws_dynamodb_table_replica names it")
    return AttributeValue(regions, *where[0])


def _replicas_by_arn(r: Reader) -> list[Reader]:
    """``aws_dynamodb_table_replica`` instances whose literal ``global_table_arn`` is this table's ARN."""
    name = r.given("name")
    if name is None or not isinstance(name.value, str):
        return []
    found = []
    for replica in r.by_type.get("aws_dynamodb_table_replica", []):
        arn = _given(replica, "global_table_arn")
        if (arn is not None and isinstance(arn.value, str) and arn.value.endswith(f":table/{name.value}")
                and arns.region(arn.value) == r.instance.region):
            found.append(r.reader(replica))
    return found


def dynamodb_table_data(r: Reader) -> dict:
    live = "a data source: read from the account at plan time"
    unknown = lambda name: r._at_block(Unknown(f"{r.instance.address}.{name}", live), live)
    return {"name": r.arg("name"), "stream_enabled": unknown("stream_enabled"),
            "stream_view_type": unknown("stream_view_type"), "replica_regions": unknown("replica"),
            "point_in_time_recovery": unknown("point_in_time_recovery")}


def s3_bucket(r: Reader) -> dict:
    rules = _replication_rules(r)
    if isinstance(rules, AttributeValue):  # unresolved: every replication attribute is
        replication = {"replication_destination_buckets": rules, "replication_time_minutes": rules,
                       "delete_marker_replication": rules}
    else:
        replication = {"replication_destination_buckets": _destination_buckets(r, rules),
                       "replication_time_minutes": _replication_time(r, rules),
                       "delete_marker_replication": _delete_markers(r, rules)}
    return {"name": r.arg("bucket", unset_reason="not set: a name is generated at apply time"),
            "versioning": _versioning(r), **replication}


def _versioning(r: Reader) -> AttributeValue:
    """The inline ``versioning`` block (AWS provider v3), else ``aws_s3_bucket_versioning``."""
    if r.blocks("versioning"):
        enabled = r.nested("versioning.enabled", False)
        return _derived("Enabled" if enabled.value else "Suspended", enabled)
    attached = r.attached("aws_s3_bucket_versioning", "bucket")
    if attached:
        return attached[-1].nested("versioning_configuration.status")
    doubtful = r.maybe_attached("aws_s3_bucket_versioning", "bucket")
    if doubtful:
        return _maybe_for_this(doubtful[0], "bucket")
    return r._at_block("Disabled", "no versioning configuration in code")


def _maybe_for_this(other: Reader, argument: str) -> AttributeValue:
    """Unknown: ``other`` may configure this resource (its ``argument`` is unresolved)."""
    evidence = other.given(argument)
    return AttributeValue(Unknown(evidence.expression or argument,
                                  f"{other.instance.address} may configure it: {evidence.value.reason}"),
                          evidence.file, evidence.line, evidence.expression)


def _replication_rules(r: Reader) -> "list[BlockInstance] | AttributeValue":
    """Enabled replication rules: ``aws_s3_bucket_replication_configuration`` ``rule`` blocks
    and the inline ``replication_configuration { rules {} }`` of AWS provider v3.

    An AttributeValue (Unknown) when whether a rule applies cannot be told.
    """
    candidates = [rule for configuration in r.blocks("replication_configuration")
                  for rule in configuration.blocks("rules")]
    candidates += [rule for attached in r.attached("aws_s3_bucket_replication_configuration", "bucket")
                   for rule in attached.blocks("rule")]
    if not candidates:
        doubtful = r.maybe_attached("aws_s3_bucket_replication_configuration", "bucket")
        if doubtful:
            return _maybe_for_this(doubtful[0], "bucket")
    rules = []
    for rule in candidates:
        status = _given(rule, "status")
        if status is not None and not is_known(status.value):
            return AttributeValue(_plain(status.value, status.expression), status.file, status.line,
                                  status.expression)
        if status is not None and status.value == "Enabled":
            rules.append(rule)
    return rules


def _destination_buckets(r: Reader, rules: list) -> AttributeValue:
    destinations: list[Any] = []
    where = r._at_block([], "no replication configuration in code")
    for rule in rules:
        for destination in rule.blocks("destination"):
            evidence = _given(destination, "bucket")
            if evidence is not None:
                value = _plain(_bucket_named(r, evidence.value), evidence.expression)
                destinations.append(value.split(":::")[-1] if isinstance(value, str) else value)
                if where.value == []:
                    where = AttributeValue(None, evidence.file, evidence.line, evidence.expression)
    return AttributeValue(destinations, where.file, where.line, where.expression, where.note)


def _bucket_named(r: Reader, value: Any) -> Any:
    """A bucket's ARN or id is known at plan time when its name is: follow the reference."""
    if isinstance(value, Ref) and value.attribute in ("arn", "id", "bucket") and value.address in r.by_address:
        target = r.by_address[value.address]
        if target.type == "aws_s3_bucket":
            name = _given(target, "bucket")
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
        status = _given(controls[0], "status") if controls else None
        if status is None or status.value != "Enabled":
            return AttributeValue(None, rule.file, rule.line, None, "a rule has no replication_time")
        times = controls[0].blocks("time")  # the split resource nests minutes in time {}; v3 inline does not
        evidence = _given(times[0], "minutes") if times else _given(controls[0], "minutes")
        if evidence is None:
            return AttributeValue(None, controls[0].file, controls[0].line, None, "replication_time has no minutes")
        if not is_known(evidence.value):
            return _value_of(evidence)
        minutes.append((evidence.value, evidence))
    value, evidence = max(minutes, key=lambda m: m[0])
    return AttributeValue(value, evidence.file, evidence.line, evidence.expression)


def _delete_markers(r: Reader, rules: list) -> AttributeValue:
    if not rules:
        return r._at_block(False, "no replication rule in code")
    for rule in rules:
        blocks = rule.blocks("delete_marker_replication")
        # the split resource has a delete_marker_replication {} block; v3 inline rules an argument
        evidence = _given(blocks[0], "status") if blocks else _given(rule, "delete_marker_replication_status")
        if evidence is None:
            return AttributeValue(False, rule.file, rule.line, None, "a rule does not replicate delete markers")
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
            regions = [_given(d, "region") for d in rule.blocks("destination")]
            destinations = [_plain(e.value, e.expression) for e in regions if e is not None]
            prefixes = [_plain(f.get_attribute("filter"), "filter") for f in rule.blocks("repository_filter")]
            rules.append({"destinations": destinations, "prefixes": prefixes})
    regions = sorted({d for rule in rules for d in rule["destinations"] if isinstance(d, str)}) if is_known(rules) \
        else Unknown(f"{r.instance.address}.replication_configuration", "a rule is unresolved")
    return {"rules": AttributeValue(rules if is_known(rules) else regions, r.instance.file, line),
            "destination_regions": AttributeValue(regions, r.instance.file, line)}


def secretsmanager_secret(r: Reader) -> dict:
    # the AWS provider has no separate secret replica resource: replica blocks are the only place
    replicas = r.blocks("replica")
    regions = [e for e in (_given(b, "region") for b in replicas) if e is not None]
    return {"name": r.arg("name", unset_reason="not set: name_prefix or generated"),
            "replica_regions": AttributeValue([_plain(e.value, e.expression) for e in regions],
                                              regions[0].file if regions else r.instance.file,
                                              regions[0].line if regions else r.instance.line,
                                              regions[0].expression if regions else None,
                                              None if regions else "no replica block with a region")}


def cloudfront_distribution(r: Reader) -> dict:
    groups = r.blocks("origin_group")
    group_ids = [g.get_attribute("origin_id") for g in groups]
    target = r.nested("default_cache_behavior.target_origin_id")
    failover = _derived(bool(groups) and target.value in group_ids, target)
    codes = _derived([], target, note="the default behaviour does not target an origin group")
    for group in groups:
        if target.known and group.get_attribute("origin_id") == target.value:
            criteria = group.blocks("failover_criteria")
            evidence = _given(criteria[0], "status_codes") if criteria else None
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
    """A managed zone is private when created with a ``vpc`` block (it has no private_zone argument)."""
    return {"name": _strip_dot(r.arg("name")), "private_zone": _zone_private(r)}


def route53_zone_data(r: Reader) -> dict:
    """The data source's ``private_zone`` is a filter: it selects a private zone when true."""
    return {"name": _strip_dot(r.arg("name")), "private_zone": r.arg("private_zone", False)}


def _zone_private(r: Reader) -> AttributeValue:
    vpcs = r.blocks("vpc")
    if _uncertain(vpcs):
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
    return r._at_block(False, "no vpc block: a public zone")


def route53_record(r: Reader) -> dict:
    name = _strip_dot(r.arg("name"))
    zone = r.linked("zone_id", lambda z: _strip_dot(z.arg("name")))
    if name.known and zone.known and isinstance(zone.value, str) and not (
            name.value == zone.value or name.value.endswith("." + zone.value)):
        name = AttributeValue(f"{name.value}.{zone.value}", name.file, name.line, name.expression,
                              f"relative to zone {zone.value}")
    return {"name": name, "type": r.arg("type"),
            "set_identifier": r.arg("set_identifier", None),
            "failover_role": r.nested("failover_routing_policy.type", None),
            "has_health_check": _is_set(r, "health_check_id"),
            "alias_dns_name": _strip_dot(r.nested("alias.name", None))}


def _is_set(r: Reader, name: str) -> AttributeValue:
    """Whether argument ``name`` evaluates to a value (null is not set; unresolved is Unknown)."""
    evidence = r.given(name)
    if evidence is None:
        return r._at_block(False, f"{name} not set")
    if isinstance(evidence.value, Unknown):  # it may evaluate to null
        return AttributeValue(evidence.value, evidence.file, evidence.line, evidence.expression)
    return AttributeValue(True, evidence.file, evidence.line, evidence.expression)


#: Route 53 health-check types that check an endpoint (the others watch checks, alarms or controls)
_ENDPOINT_CHECKS = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")


def route53_health_check(r: Reader) -> dict:
    """Defaults by type: AWS documents RequestInterval 30 and FailureThreshold 3 when
    unset, neither for RECOVERY_CONTROL; port and fqdn belong to endpoint checks only."""
    type_ = r.arg("type")
    attributes = {"name": r.tag("Name"), "type": type_,
                  "fqdn": _strip_dot(r.arg("fqdn", None)),
                  "port": r.arg("port", unset_reason="not set: the API reference documents no default port"),
                  "resource_path": r.arg("resource_path", None),
                  "request_interval": r.arg("request_interval", 30),
                  "failure_threshold": r.arg("failure_threshold", 3)}
    if not type_.known:
        for name in ("port", "request_interval", "failure_threshold"):
            if r.given(name) is None:
                attributes[name] = type_
        return attributes
    kind = str(type_.value).upper()
    if kind not in _ENDPOINT_CHECKS:
        for name in ("fqdn", "port", "resource_path"):
            attributes[name] = r._at_block(None, f"not applicable to type {kind}")
    if kind in ("CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL"):
        for name in ("request_interval", "failure_threshold"):
            attributes[name] = r._at_block(None, f"not applicable to type {kind}")
    return attributes


def acm_certificate(r: Reader) -> dict:
    """Status and validity are ACM's to assign once the certificate is validated: only the account knows them."""
    after_apply = lambda name: r._at_block(Unknown(f"{r.instance.address}.{name}",
                                                   "assigned by ACM after validation: known only after apply"),
                                           "computed")
    return {"domain_name": r.arg("domain_name"), "status": after_apply("status"), "not_after": after_apply("not_after")}


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
            "role": _role_name(r), "actions": actions, "resources": resources}


def _role_name(r: Reader) -> AttributeValue:
    """``role`` takes the role's name (its id is the name too): a resolved string is the name
    itself (``aws_iam_role.app.name`` where the name is written); a reference is followed."""
    written = r.given("role")
    if written is not None and isinstance(written.value, str):
        return AttributeValue(written.value, written.file, written.line, written.expression)
    return r.linked("role", lambda role: role.arg("name", unset_reason="a name is generated at apply time"))


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
    return {"name": r.arg("name"),
            "origins": AttributeValue(names, r.instance.file, origins[0].line if origins else r.instance.line,
                                      None, None if origins else "no origins blocks"),
            "has_monitor": _is_set(r, "monitor"),
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
    ("data", "aws_route53_zone"): ("route53_zone", route53_zone_data),
    ("managed", "aws_route53_record"): ("route53_record", route53_record),
    ("managed", "aws_route53_health_check"): ("route53_health_check", route53_health_check),
    ("managed", "aws_acm_certificate"): ("acm_certificate", acm_certificate),
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
