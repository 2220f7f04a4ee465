"""The ``elasticache_replication_group`` kind. An ElastiCache (Redis OSS / Valkey) replication group.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, INT, STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given, names_instance, value_of
from dr_audit.terraform.values import Ref, Unknown


# ----- Terraform ---------------------------------------------------------------

def elasticache_replication_group(r: Reader) -> dict:
    return {"id": r.arg("replication_group_id"), "node_type": r.arg("node_type"),
            "multi_az": r.arg("multi_az_enabled", False),
            "automatic_failover": r.arg("automatic_failover_enabled", False),
            "transit_encryption": r.arg("transit_encryption_enabled", False),
            "at_rest_encryption": r.arg("at_rest_encryption_enabled", False),
            "snapshot_retention_limit": r.arg("snapshot_retention_limit", 0),
            **_global_datastore(r)}


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

def elasticache_replication_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("elasticache_replication_group", region, group.get("ARN", group["ReplicationGroupId"]),
                          id=group["ReplicationGroupId"], node_type=group.get("CacheNodeType"),
                          multi_az=group.get("MultiAZ") == "enabled",
                          automatic_failover=group.get("AutomaticFailover") in ("enabled", "enabling"),
                          transit_encryption=bool(group.get("TransitEncryptionEnabled")),
                          at_rest_encryption=bool(group.get("AtRestEncryptionEnabled")),
                          snapshot_retention_limit=group.get("SnapshotRetentionLimit"),
                          **_live_global_datastore(group))
            for group in reader.paginate("elasticache", region, "describe_replication_groups", "ReplicationGroups")]


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
        "global_datastore": (STR, "id of the Global Datastore it belongs to, none when it is in none"),
        "global_datastore_role": (STR, "primary or secondary in its Global Datastore, none when it is in none"),
    },
    terraform={"aws_elasticache_replication_group": elasticache_replication_group},
    service="elasticache", collect=elasticache_replication_groups,
    reads={"elasticache": {"DescribeReplicationGroups": "elasticache:DescribeReplicationGroups"}},
    states={
        # ElastiCache replication group states: a group still creating, failed to create or being
        # deleted does not replicate in its Global Datastore
        "elasticache_replication_group.global_member": StateRule(
            "Status", frozenset({"available", "modifying", "snapshotting"}),
            "a group that is not available takes no part in its Global Datastore"),
    },
)
