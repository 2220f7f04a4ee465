"""Small patches to moto, for the sandbox only, where it lacks what estates need.

Each shim names the AWS behaviour it adds and is applied once per process by
:func:`apply_shims` (the sandbox server runs in this process). The collectors
never depend on a shim: they are proven against botocore's real response
shapes with Stubber in the tests.

- DynamoDB global tables: moto ignores ``UpdateTable(ReplicaUpdates=...)``.
  The shim records the replica regions, creates the replica table in each
  region (as AWS does) and reports the other members in each region's
  ``DescribeTable.Table.Replicas``.
- CloudFront origin failover: moto refuses a default behaviour that targets
  an origin group. The shim accepts origin-group ids as targets.
- S3 replication: moto answers ``GetBucketReplication`` with every rule's
  ``DeleteMarkerReplication`` as Disabled whatever was put. The shim answers
  with the rule's own ``DeleteMarkerReplication`` and ``Filter``.
- CloudFront ids are random in moto; an estate that must match a policy's
  distribution id pins it with :func:`pin_distribution_id`.
"""

from __future__ import annotations

import threading
from typing import Any

_applied = False
_lock = threading.Lock()


def apply_shims() -> None:
    """Install every shim (idempotent)."""
    global _applied
    with _lock:
        if _applied:
            return
        _dynamodb_global_table_replicas()
        _cloudfront_origin_group_targets()
        _s3_replication_rule_fields()
        _applied = True


def _dynamodb_global_table_replicas() -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    original_update = DynamoHandler.update_table
    original_describe = Table.describe

    def update_table(self) -> Any:
        updates = self.body.get("ReplicaUpdates") or []
        if updates:
            table = self.dynamodb_backend.get_table(self.body["TableName"])
            regions = set(getattr(table, "shim_replica_regions", ()))
            for update in updates:
                if "Create" in update:
                    region = update["Create"]["RegionName"]
                    regions.add(region)
                    _create_replica_table(dynamodb_backends[self.current_account][region], table)
                elif "Delete" in update:
                    regions.discard(update["Delete"]["RegionName"])
            table.shim_replica_regions = sorted(regions)
            # each replica, described in its own region, names the other members
            for region in regions:
                replica = dynamodb_backends[self.current_account][region].tables.get(table.name)
                if replica is not None:
                    replica.shim_replica_regions = sorted((regions - {region}) | {self.region})
        return original_update(self)

    def describe(self, base_key: str = "TableDescription") -> dict:
        result = original_describe(self, base_key)
        regions = getattr(self, "shim_replica_regions", None)
        if regions:
            result[base_key]["Replicas"] = [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in regions]
        return result

    DynamoHandler.update_table = update_table
    Table.describe = describe


def _create_replica_table(backend: Any, source: Any) -> None:
    if source.name in backend.tables:
        return
    backend.create_table(
        source.name, schema=source.schema, throughput=source.throughput, attr=source.attr,
        global_indexes=[i.describe() for i in source.global_indexes] or None,
        indexes=[i.describe() for i in source.indexes] or None,
        streams=source.stream_specification, billing_mode=source.billing_mode,
        sse_specification=None, tags=[], deletion_protection_enabled=False, warm_throughput=None)


def _cloudfront_origin_group_targets() -> None:
    from moto.cloudfront import models

    original_init = models.DistributionConfig.__init__

    def init(self, config: dict) -> None:
        groups = [g.get("Id") for g in (config.get("OriginGroups") or {}).get("Items") or []]
        behaviour = config.get("DefaultCacheBehavior") or {}
        target = behaviour.get("TargetOriginId")
        if target in groups and config.get("Origins", {}).get("Items"):
            # let moto's origin check pass, then restore the real target
            first = config["Origins"]["Items"][0]
            behaviour["TargetOriginId"] = first.get("Id") if isinstance(first, dict) else first.id
            original_init(self, config)
            self.DefaultCacheBehavior.target_origin_id = target
            return
        original_init(self, config)

    models.DistributionConfig.__init__ = init


def _s3_replication_rule_fields() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError
    from moto.s3.responses import S3Response

    def stored_rule(rule: dict) -> dict:
        answer = {key: rule[key] for key in ("ID", "Priority", "Status", "Destination") if key in rule}
        answer["Filter"] = rule.get("Filter") or {"Prefix": rule.get("Prefix", "")}
        answer["DeleteMarkerReplication"] = rule.get("DeleteMarkerReplication") or {"Status": "Disabled"}
        return answer

    def get_bucket_replication(self) -> Any:
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        return self.serialized(ActionResult({"ReplicationConfiguration": {
            "Role": replication["Role"], "Rules": [stored_rule(r) for r in replication["Rule"]]}}))

    S3Response.get_bucket_replication = get_bucket_replication


def pin_distribution_id(account_id: str, distribution_id: str, pinned: str) -> None:
    """Give a sandbox distribution a fixed id, as an estate's policy expects."""
    from moto.cloudfront.models import cloudfront_backends

    backend = cloudfront_backends[account_id]["aws"]
    distribution = backend.distributions.pop(distribution_id)
    distribution.distribution_id = distribution.id = pinned
    distribution.arn = distribution.arn.rsplit("/", 1)[0] + "/" + pinned
    backend.distributions[pinned] = distribution
