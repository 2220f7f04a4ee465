"""The ``elasticache_replication_group`` kind. An ElastiCache (Redis OSS / Valkey) replication group.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import FailedLookup, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, INT, STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given, is_set, names_instance, value_of
from dr_audit.terraform.values import Ref, Unknown


# ----- Terraform ---------------------------------------------------------------

def elasticache_replication_group(r: Reader) -> dict:
    return {"id": r.arg("replication_group_id"), "node_type": r.arg("node_type"),
            "multi_az": r.arg("multi_az_enabled", False),
            "automatic_failover": r.arg("automatic_failover_enabled", False),
            "transit_encryption": r.arg("transit_encryption_enabled", False),
            "at_rest_encryption": r.arg("at_rest_encryption_enabled", False),
            "snapshot_retention_limit": r.arg("snapshot_retention_limit", 0),
            "engine_version": r.arg("engine_version", unset_reason="not set: AWS picks its current default version"),
            "num_cache_clusters": r.arg("num_cache_clusters",
                                        unset_reason="not set: the node count follows num_node_groups and replicas"),
            "auth_token_enabled": _auth_token_enabled(r),
            **_global_datastore(r)}


def _auth_token_enabled(r: Reader) -> AttributeValue:
    """Whether ``auth_token`` evaluates to a token (null is none). Only where it is written is kept:
    never its expression, which may be the token itself."""
    found = is_set(r, "auth_token")
    if isinstance(found.value, Unknown):
        return AttributeValue(Unknown("auth_token", "the token's expression is unresolved (it may be null)"),
                              found.file, found.line)
    return AttributeValue(found.value, found.file, found.line, None, found.note)


def _global_datastore(r: Reader) -> dict:
    """``global_datastore`` and ``global_datastore_role``: a group naming one in
    ``global_replication_group_id`` is a secondary; the group an
    ``aws_elasticache_global_replication_group`` names in ``primary_replication_group_id`` is its
    primary. AWS names a Global Datastore (a prefix it picks + the suffix), so a declared one's id is
    known only after apply."""
    joined = r.given("global_replication_group_id")
    if joined is not None:
        where = (joined.file, joined.line, joined.expression)
        datastore = value_of(joined)
        if isinstance(joined.value, Ref) and joined.value.address in r.by_address:
            datastore = AttributeValue(_generated_id(r.reader(r.by_address[joined.value.address])), *where)
        role = (AttributeValue("secondary", *where) if not isinstance(joined.value, Unknown)
                else AttributeValue(joined.value, *where))  # it may evaluate to null
        return {"global_datastore": datastore, "global_datastore_role": role}
    for other in r.by_type.get("aws_elasticache_global_replication_group", []):
        names = _names_group(r, other)
        if names is None:
            unknown = AttributeValue(Unknown(f"{other.address}.primary_replication_group_id",
                                             f"{other.address} may name it as primary: unresolved"),
                                     other.file, other.line)
            return {"global_datastore": unknown, "global_datastore_role": unknown}
        if names:
            primary = given(other, "primary_replication_group_id")
            where = (primary.file, primary.line, primary.expression)
            return {"global_datastore": AttributeValue(_generated_id(r.reader(other)), *where),
                    "global_datastore_role": AttributeValue("primary", *where)}
    none = r.at_block(None, "not a member of a Global Datastore")
    return {"global_datastore": none, "global_datastore_role": none}


def _generated_id(datastore: Reader) -> Unknown:
    suffix = datastore.given("global_replication_group_id_suffix")
    shown = suffix.value if suffix is not None and isinstance(suffix.value, str) else "its suffix"
    return Unknown(f"{datastore.instance.address}.global_replication_group_id",
                   f"AWS names the Global Datastore at apply time: a generated prefix and {shown}")


def _names_group(r: Reader, datastore) -> bool | None:
    """Whether ``primary_replication_group_id`` of a Global Datastore names this group: True, False or None."""
    return names_instance(given(datastore, "primary_replication_group_id"), r, "replication_group_id")


# ----- the account -------------------------------------------------------------

def engine_version(version: str | None) -> str | None:
    """The version a row compares: major.minor from Redis OSS 6 on (AWS runs the newest patch of
    it, and Terraform is written ``7.0``), the full version before.

    >>> engine_version("7.0.7"), engine_version("5.0.6")
    ('7.0', '5.0.6')
    """
    if not isinstance(version, str):
        return version
    parts = version.split(".")
    return ".".join(parts[:2]) if parts[0].isdigit() and int(parts[0]) >= 6 else version


def _member_versions(reader: AwsReader, region: str) -> dict:
    """Replication group id -> the engine versions its member clusters run (DescribeCacheClusters:
    DescribeReplicationGroups does not report the version)."""
    try:
        clusters = reader.paginate("elasticache", region, "describe_cache_clusters", "CacheClusters")
    except AwsReadError as error:
        return FailedLookup(error)
    versions: dict = {}
    for cluster in clusters:
        group = cluster.get("ReplicationGroupId")
        if group:
            versions.setdefault(group, set()).add(engine_version(cluster.get("EngineVersion")))
    return versions


def _group_version(versions: dict, group_id: str) -> object:
    """The one version every member runs; none, noted, when members differ (an upgrade under way)."""
    found = versions.get(group_id)
    if found is None:
        return AttributeValue(None, note="DescribeCacheClusters lists no member of the group")
    if not isinstance(found, set):
        return found
    if len(found) == 1:
        return next(iter(found))
    return AttributeValue(None, note=f"members run different versions: {', '.join(sorted(map(str, found)))}")


def elasticache_replication_groups(reader: AwsReader, region: str) -> list[Resource]:
    groups = reader.paginate("elasticache", region, "describe_replication_groups", "ReplicationGroups")
    versions = _member_versions(reader, region) if groups else {}
    return [live_resource("elasticache_replication_group", region, group.get("ARN", group["ReplicationGroupId"]),
                          id=group["ReplicationGroupId"], node_type=group.get("CacheNodeType"),
                          multi_az=group.get("MultiAZ") == "enabled",
                          automatic_failover=group.get("AutomaticFailover") in ("enabled", "enabling"),
                          transit_encryption=bool(group.get("TransitEncryptionEnabled")),
                          at_rest_encryption=bool(group.get("AtRestEncryptionEnabled")),
                          snapshot_retention_limit=group.get("SnapshotRetentionLimit"),
                          engine_version=_group_version(versions, group["ReplicationGroupId"]),
                          num_cache_clusters=len(group.get("MemberClusters") or []),
                          auth_token_enabled=bool(group.get("AuthTokenEnabled")),
                          **_live_global_datastore(group))
            for group in groups]


def _live_global_datastore(group: dict) -> dict:
    """From ``GlobalReplicationGroupInfo``: the Global Datastore id and the role (lower case), both
    None when the group is in none, or when the group's state does not let its membership count."""
    info = group.get("GlobalReplicationGroupInfo") or {}
    datastore = info.get("GlobalReplicationGroupId") or None
    if datastore is None:
        return {"global_datastore": None, "global_datastore_role": None}
    reason = out_of_service("elasticache_replication_group.global_member", group.get("Status"))
    if reason:
        note = f"member of {datastore} not counted: {reason}"
        return {"global_datastore": AttributeValue(None, note=note), "global_datastore_role": AttributeValue(None, note=note)}
    role = info.get("GlobalReplicationGroupMemberRole")
    return {"global_datastore": datastore, "global_datastore_role": role.lower() if isinstance(role, str) else None}


KIND = declare_kind(
    "elasticache_replication_group", "regional", "An ElastiCache (Redis OSS / Valkey) replication group.",
    attributes={
        "id": (STR, "replication group id"),
        "node_type": (STR, "cache node type"),
        "multi_az": (BOOL, "Multi-AZ enabled"),
        "automatic_failover": (BOOL, "automatic failover enabled"),
        "transit_encryption": (BOOL, "in-transit encryption enabled"),
        "at_rest_encryption": (BOOL, "at-rest encryption enabled"),
        "snapshot_retention_limit": (INT, "days automatic snapshots are kept (0: off)"),
        "engine_version": (STR, "engine version: major.minor from Redis OSS 6 on (AWS runs its newest patch)"),
        "num_cache_clusters": (INT, "cache clusters (nodes: the primary and its replicas) in the group"),
        "auth_token_enabled": (BOOL, "clients must present an AUTH token (the token itself is never read)"),
        "global_datastore": (STR, "id of the Global Datastore it belongs to, none when it is in none"),
        "global_datastore_role": (STR, "primary or secondary in its Global Datastore, none when it is in none"),
    },
    terraform={"aws_elasticache_replication_group": elasticache_replication_group},
    service="elasticache", collect=elasticache_replication_groups,
    reads={"elasticache": {"DescribeReplicationGroups": "elasticache:DescribeReplicationGroups",
                           "DescribeCacheClusters": "elasticache:DescribeCacheClusters"}},
    states={
        # ElastiCache replication group states: a group still creating, failed to create or being
        # deleted does not replicate in its Global Datastore
        "elasticache_replication_group.global_member": StateRule(
            "Status", frozenset({"available", "modifying", "snapshotting"}),
            "a group that is not available takes no part in its Global Datastore"),
    },
)
