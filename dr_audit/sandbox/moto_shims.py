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
- S3 paginated ListBuckets: moto cuts the list at ``MaxBuckets`` without a
  ``ContinuationToken`` and never returns ``BucketRegion``. The shim pages
  by bucket name and returns each bucket's region, as AWS does.
- ACM: moto keeps a requested certificate PENDING_VALIDATION for
  ``MOTO_ACM_VALIDATION_WAIT`` seconds; the sandbox has no DNS to validate,
  so the shim issues it at once (as a validated certificate would be).
- DynamoDB legacy global tables (version 2017.11.29): moto lacks
  CreateGlobalTable, ListGlobalTables and DescribeGlobalTable. The shim keeps
  each global table's replication group on every member region's backend.
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
        _s3_paginated_bucket_list()
        _acm_issue_requested_certificates()
        _dynamodb_legacy_global_tables()
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


def _s3_paginated_bucket_list() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    original = S3Response.all_buckets

    def all_buckets(self) -> Any:
        size = self._get_param("max-buckets")
        token = self._get_param("continuation-token")
        if size is None and token is None:
            return original(self)  # the unpaginated form: no regions, as AWS answers it
        self.data["Action"] = "ListBuckets"
        region, prefix = self._get_param("bucket-region"), self._get_param("prefix") or ""
        buckets = sorted((b for b in self.backend.buckets.values()
                          if b.name.startswith(prefix) and region in (None, b.region_name)), key=lambda b: b.name)
        remaining = [b for b in buckets if token is None or b.name > token]
        page = remaining[:int(size or 10_000)]
        result: dict[str, Any] = {
            "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
            "Buckets": [{"Name": b.name, "CreationDate": b.creation_date_ISO8601, "BucketRegion": b.region_name}
                        for b in page]}
        if len(remaining) > len(page):
            result["ContinuationToken"] = page[-1].name
        return self.serialized(ActionResult(result))

    S3Response.all_buckets = all_buckets


def _acm_issue_requested_certificates() -> None:
    from moto import settings

    settings.ACM_VALIDATION_WAIT = -1


def _dynamodb_legacy_global_tables() -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.exceptions import ResourceNotFoundException
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.responses import DynamoHandler

    def groups(handler: Any) -> dict:
        backend = dynamodb_backends[handler.current_account][handler.region]
        return backend.__dict__.setdefault("shim_legacy_global_tables", {})

    def described(handler: Any, name: str) -> dict:
        group = groups(handler).get(name)
        if group is None:
            raise ResourceNotFoundException(f"Global table not found: {name}")
        return {"GlobalTableName": name, "GlobalTableStatus": "ACTIVE",
                "GlobalTableArn": f"arn:aws:dynamodb::{handler.current_account}:global-table/{name}",
                "ReplicationGroup": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in group]}

    def create_global_table(self) -> Any:
        name = self.body["GlobalTableName"]
        regions = sorted(r["RegionName"] for r in self.body.get("ReplicationGroup") or [])
        for region in regions:  # as AWS requires, each member table already exists
            if name not in dynamodb_backends[self.current_account][region].tables:
                raise ResourceNotFoundException(f"Table not found in {region}: {name}")
            dynamodb_backends[self.current_account][region].__dict__.setdefault(
                "shim_legacy_global_tables", {})[name] = regions
        return ActionResult({"GlobalTableDescription": described(self, name)})

    def list_global_tables(self) -> Any:
        start = self.body.get("ExclusiveStartGlobalTableName")
        names = sorted(n for n in groups(self) if start is None or n > start)
        page = names[:int(self.body.get("Limit") or 100)]
        result: dict[str, Any] = {"GlobalTables": [
            {"GlobalTableName": n, "ReplicationGroup": [{"RegionName": r} for r in groups(self)[n]]} for n in page]}
        if len(names) > len(page):
            result["LastEvaluatedGlobalTableName"] = page[-1]
        return ActionResult(result)

    def describe_global_table(self) -> Any:
        return ActionResult({"GlobalTableDescription": described(self, self.body["GlobalTableName"])})

    DynamoHandler.create_global_table = create_global_table
    DynamoHandler.list_global_tables = list_global_tables
    DynamoHandler.describe_global_table = describe_global_table


def pin_distribution_id(account_id: str, distribution_id: str, pinned: str) -> None:
    """Give a sandbox distribution a fixed id, as an estate's policy expects."""
    from moto.cloudfront.models import cloudfront_backends

    backend = cloudfront_backends[account_id]["aws"]
    distribution = backend.distributions.pop(distribution_id)
    distribution.distribution_id = distribution.id = pinned
    distribution.arn = distribution.arn.rsplit("/", 1)[0] + "/" + pinned
    backend.distributions[pinned] = distribution
