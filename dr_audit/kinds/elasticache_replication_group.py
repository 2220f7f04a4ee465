"""The ``elasticache_replication_group`` kind. An ElastiCache (Redis OSS / Valkey) replication group.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import BOOL, INT, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def elasticache_replication_group(r: Reader) -> dict:
    return {"id": r.arg("replication_group_id"), "node_type": r.arg("node_type"),
            "multi_az": r.arg("multi_az_enabled", False),
            "automatic_failover": r.arg("automatic_failover_enabled", False),
            "transit_encryption": r.arg("transit_encryption_enabled", False),
            "at_rest_encryption": r.arg("at_rest_encryption_enabled", False),
            "snapshot_retention_limit": r.arg("snapshot_retention_limit", 0)}


# ----- the account -------------------------------------------------------------

def elasticache_replication_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("elasticache_replication_group", region, group.get("ARN", group["ReplicationGroupId"]),
                          id=group["ReplicationGroupId"], node_type=group.get("CacheNodeType"),
                          multi_az=group.get("MultiAZ") == "enabled",
                          automatic_failover=group.get("AutomaticFailover") in ("enabled", "enabling"),
                          transit_encryption=bool(group.get("TransitEncryptionEnabled")),
                          at_rest_encryption=bool(group.get("AtRestEncryptionEnabled")),
                          snapshot_retention_limit=group.get("SnapshotRetentionLimit"))
            for group in reader.paginate("elasticache", region, "describe_replication_groups", "ReplicationGroups")]


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
    },
    terraform={"aws_elasticache_replication_group": elasticache_replication_group},
    service="elasticache", collect=elasticache_replication_groups,
    reads={"elasticache": {"DescribeReplicationGroups": "elasticache:DescribeReplicationGroups"}},
)
