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
- CloudWatch percentiles: moto answers an extended statistic (``p99``) with
  no value and fails to serialize it. The shim computes the percentile of the
  period's datapoints (nearest rank), as CloudWatch does for raw values.
- CloudWatch series relative to now: an estate is seeded at run time, so
  :func:`put_metric_series` writes a metric's datapoints hours before the
  seeding (PutMetricData itself takes only absolute timestamps), and can
  replace what an extended estate wrote.
- KMS multi-Region replicas: moto's ReplicateKey copies the key shallowly, so
  the primary and its replicas share one ``MultiRegionConfiguration`` and
  describing a replica turns the primary into a replica too, and the replica
  shares the primary's aliases. The shim gives every key of the set its own
  configuration (PRIMARY or REPLICA, all replicas) and the replica no alias.
- Tagging API: moto's GetResources leaves out EKS clusters and node groups,
  ECR repositories and Route 53 hosted zones and health checks, which AWS
  lists. The shim adds their tagged resources (Route 53's in the partition's
  global region), so a sandbox resource's tags are what AWS would list.
- EFS replication: moto lacks CreateReplicationConfiguration and
  DescribeReplicationConfigurations. The shim creates the destination file
  system in its region (as AWS does) and keeps each configuration, its
  destinations ENABLED, on the source region's backend.
- RDS automated-backup replication: moto lacks
  StartDBInstanceAutomatedBackupsReplication. The shim, called in the
  destination region as AWS requires, lists the replicated backups' ARN (in
  that region) in the source instance's ``DBInstanceAutomatedBackupsReplications``.
- RDS Performance Insights: moto takes ``EnablePerformanceInsights`` but never
  reports ``PerformanceInsightsEnabled``. The shim keeps the flag the instance
  (or read replica) was created with, so DescribeDBInstances reports it.
- AWS Backup jobs: moto runs no backup and lacks ListProtectedResources,
  ListBackupJobs and ListCopyJobs. :func:`put_backup_jobs` records a
  resource's backup and copy jobs completed hours before the seeding, and the
  shim lists them (state, resource, type and completion filters, pages), a
  resource counting as protected once one of its backups completed.
- S3 default encryption: since January 2023 AWS encrypts every bucket with
  SSE-S3 and GetBucketEncryption reports it; moto answers a bucket without a
  configuration of its own ServerSideEncryptionConfigurationNotFoundError.
  The shim answers AES256 without a bucket key, as AWS does.
- ElastiCache replication groups: moto creates one member cluster whatever
  ``NumCacheClusters`` asks for (it counts only ``ReplicasPerNodeGroup``). The
  shim creates the primary and ``NumCacheClusters - 1`` replicas, as AWS does,
  and lists them in DescribeCacheClusters (moto lists only stand-alone clusters)
  with the group's engine version.
- Site-to-site VPN: moto keeps neither a connection's ``Options`` nor its
  static routes and reports no tunnels, and lacks CreateVpnConnectionRoute. The
  shim keeps ``StaticRoutesOnly``, adds the route (``available``) and reports
  the two tunnels AWS gives every connection in ``VgwTelemetry`` (``UP``).
- VPC peering tags: moto shares one connection object between the requester's and
  the accepter's region and reads its tags from the requester's, while in AWS each
  side of an inter-region connection has its own tags. The shim makes each region's
  DescribeVpcPeeringConnections report the tags held in that region (CreateTags in
  the accepter's region tags the accepter's side).
- VPN route propagation: moto lacks EnableVgwRoutePropagation and
  DisableVgwRoutePropagation, reports no ``PropagatingVgws`` and runs no BGP.
  The shim keeps each table's propagating gateways and, while a gateway is
  attached to the table's VPC, lists the routes its available connections
  learned (:func:`learn_bgp_routes`) with Origin ``EnableVgwRoutePropagation``.
- IAM authorization details: moto answers GetAccountAuthorizationDetails in one
  page; the shim pages the roles by MaxItems and Marker, as IAM does.
"""

from __future__ import annotations

import threading
import warnings
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
        _cloudwatch_percentiles()
        _kms_replica_keys_own_configuration()
        _efs_replication_configurations()
        _tagging_api_lists_eks_ecr_route53()
        _rds_automated_backups_replication()
        _rds_performance_insights()
        _backup_job_listings()
        _s3_default_encryption()
        _elasticache_num_cache_clusters()
        _ec2_vpn_connection_details()
        _ec2_peering_tags_per_region()
        _ec2_vgw_route_propagation()
        _sts_refuses_roles_that_do_not_exist()
        _iam_aws_managed_policies_attachable()
        _iam_authorization_details_paged()
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


def percentile(values: list[float], rank: float) -> float | None:
    """The nearest-rank percentile ``rank`` (0-100] of ``values``; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    index = max(0, min(len(ordered) - 1, -(-len(ordered) * rank // 100) - 1))
    return ordered[int(index)]


def _cloudwatch_percentiles() -> None:
    import re

    from moto.cloudwatch.models import Statistics

    original = Statistics.get_statistics_for_type
    extended = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")

    def get_statistics_for_type(self, stat: str) -> Any:
        found = extended.match(stat or "")
        if found is None:
            return original(self, stat)
        return percentile(self.metric_single_values_list, float(found.group(1)))

    Statistics.get_statistics_for_type = get_statistics_for_type


def put_metric_series(account_id: str, region: str, namespace: str, metric: str, dimensions: dict[str, str],
                      hours: float, every_minutes: int, baseline: float, spikes: list[dict] | None = None,
                      unit: str | None = None, replace: bool = False, now: Any = None) -> int:
    """Write a metric's datapoints for the last ``hours``, one every ``every_minutes``.

    Each point is ``baseline`` unless a spike ``{hours_ago, minutes, value}`` covers
    it. ``replace`` first removes the series' earlier datapoints (an estate that
    extends another changes what it measured). Returns the number of points written.
    """
    from datetime import datetime, timedelta, timezone

    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[account_id][region]
    wanted = sorted(dimensions.items())
    if replace:
        backend.metric_data = [d for d in backend.metric_data if not (
            d.namespace == namespace and d.name == metric
            and sorted((x.name, x.value) for x in d.dimensions) == wanted)]
    # moto keeps naive UTC timestamps (as its request parser gives them)
    end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    step = timedelta(minutes=every_minutes)
    data = []
    moment = end - timedelta(hours=hours)
    while moment < end:
        value = baseline
        for spike in spikes or []:
            begins = end - timedelta(hours=spike["hours_ago"])
            if begins <= moment < begins + timedelta(minutes=spike["minutes"]):
                value = spike["value"]
        data.append({"MetricName": metric, "Timestamp": moment, "Value": float(value), "Unit": unit,
                     "Dimensions": [{"Name": k, "Value": v} for k, v in wanted]})
        moment += step
    backend.put_metric_data(namespace, data)
    return len(data)


def _kms_replica_keys_own_configuration() -> None:
    import copy

    from moto.kms.models import KmsBackend, kms_backends

    original = KmsBackend.replicate_key

    def replicate_key(self, key_id: str, replica_region: str) -> Any:
        replica = original(self, key_id, replica_region)
        replica.aliases, replica.grants = {}, {}  # aliases and grants are regional: a replica starts with none
        shared = copy.deepcopy(replica.multi_region_configuration)
        for member in [shared["PrimaryKey"], *shared["ReplicaKeys"]]:
            backend = kms_backends[self.account_id][member["Region"]]
            key = backend.keys.get(replica.id)
            if key is not None:
                role = "PRIMARY" if member is shared["PrimaryKey"] else "REPLICA"
                key.multi_region_configuration = {**copy.deepcopy(shared), "MultiRegionKeyType": role}
        return replica

    KmsBackend.replicate_key = replicate_key


def _efs_replication_configurations() -> None:
    import json
    from datetime import datetime, timezone

    from moto.efs import urls
    from moto.efs.models import efs_backends
    from moto.efs.responses import EFSResponse

    def configurations(handler: Any) -> list:
        backend = efs_backends[handler.current_account][handler.region]
        return backend.__dict__.setdefault("shim_replication_configurations", [])

    def create_replication_configuration(self) -> Any:
        source_id = self._get_param("SourceFileSystemId")
        source = self.efs_backend.file_systems_by_id[source_id]
        destinations = []
        for wanted in self._get_param("Destinations") or []:
            target = efs_backends[self.current_account][wanted["Region"]]
            destination_id = wanted.get("FileSystemId") or target.create_file_system(
                creation_token=f"replica-of-{source_id}", performance_mode="generalPurpose",
                encrypted=True, kms_key_id=wanted.get("KmsKeyId"), throughput_mode="bursting",
                provisioned_throughput_in_mibps=0, availability_zone_name=wanted.get("AvailabilityZoneName"),
                backup=False, tags=[]).file_system_id
            destinations.append({"Status": "ENABLED", "FileSystemId": destination_id, "Region": wanted["Region"]})
        described = {"SourceFileSystemId": source_id, "SourceFileSystemRegion": self.region,
                     "SourceFileSystemArn": source.file_system_arn, "OriginalSourceFileSystemArn": source.file_system_arn,
                     "CreationTime": datetime.now(timezone.utc).timestamp(), "Destinations": destinations}
        configurations(self).append(described)
        return json.dumps(described), {"Content-Type": "application/json"}

    def describe_replication_configurations(self) -> Any:
        wanted = self._get_param("FileSystemId")
        found = [c for c in configurations(self) if wanted in (None, c["SourceFileSystemId"])]
        return json.dumps({"Replications": found}), {"Content-Type": "application/json"}

    # the server builds its routes from these paths when EFS is first called
    urls.url_paths["/2015-02-01/file-systems/<file_system_id>/replication-configuration"] = urls.response.dispatch
    urls.url_paths["/2015-02-01/file-systems/replication-configurations"] = urls.response.dispatch
    EFSResponse.create_replication_configuration = create_replication_configuration
    EFSResponse.describe_replication_configurations = describe_replication_configurations


def _tagging_api_lists_eks_ecr_route53() -> None:
    from moto.core.resource_tagging import TaggedResource, make_tag_matcher
    from moto.ecr.models import ecr_backends
    from moto.eks.models import eks_backends
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
    from moto.route53.models import route53_backends
    from moto.utilities.utils import get_partition

    from dr_audit.partitions import global_region_of

    def tagged(account_id: str, region: str) -> Any:
        """The tagged EKS, ECR and Route 53 resources of one account and region, as moto's listing holds them."""
        if region in eks_backends.get(account_id, {}):
            for cluster in eks_backends[account_id][region].clusters.values():
                yield TaggedResource(cluster.arn, dict(cluster.tags or {}), "eks:cluster")
                for group in cluster.nodegroups.values():
                    yield TaggedResource(group.arn, dict(group.tags or {}), "eks:nodegroup")
        if region in ecr_backends.get(account_id, {}):
            backend = ecr_backends[account_id][region]
            for repository in backend.repositories.values():
                yield TaggedResource(repository.arn, backend.tagger.get_tag_dict_for_resource(repository.arn),
                                     "ecr:repository")
        partition = get_partition(region)
        if region == global_region_of(partition):
            backend = route53_backends.get(account_id, {}).get(partition) if account_id in route53_backends else None
            for resource_id, tags in (backend.resource_tags.items() if backend is not None else []):
                kind = "hostedzone" if resource_id in backend.zones else "healthcheck"
                yield TaggedResource(f"arn:{partition}:route53:::{kind}/{resource_id}", dict(tags), f"route53:{kind}")

    listed = ResourceGroupsTaggingAPIBackend._get_resources_generator

    def with_more(self, tag_filters=None, resource_type_filters=None, resource_arn_list=None):
        yield from listed(self, tag_filters=tag_filters, resource_type_filters=resource_type_filters,
                          resource_arn_list=resource_arn_list)
        matches = make_tag_matcher(tag_filters)
        for resource in tagged(self.account_id, self.region_name):
            service = resource.resource_type.split(":")[0]
            if resource.tags and matches(resource.tags) and (
                    not resource_type_filters or any(f in (service, resource.resource_type) for f in resource_type_filters)) \
                    and (not resource_arn_list or resource.arn in resource_arn_list):
                yield resource

    ResourceGroupsTaggingAPIBackend._get_resources_generator = with_more


def _rds_automated_backups_replication() -> None:
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBInstanceNotFoundError
    from moto.rds.models import rds_backends
    from moto.rds.responses import RDSResponse

    def start_db_instance_automated_backups_replication(self) -> Any:
        source_arn = self.params["SourceDBInstanceArn"]
        parts = source_arn.split(":")
        source_region, identifier = (parts[3], parts[6]) if len(parts) == 7 else (None, source_arn)
        source = rds_backends[self.current_account][source_region].databases.get(identifier) if source_region else None
        if source is None:
            raise DBInstanceNotFoundError(identifier)
        # the moto serializer reads DBInstanceAutomatedBackupsReplications from this attribute
        replicated = list(getattr(source, "db_instance_automated_backups_replications", None) or [])
        replicated.append({"DBInstanceAutomatedBackupsArn":
                           f"arn:aws:rds:{self.region}:{self.current_account}:auto-backup:ab-{identifier}"})
        source.db_instance_automated_backups_replications = replicated
        return ActionResult({"DBInstanceAutomatedBackup": {"DBInstanceArn": source_arn, "Region": source_region,
                                                           "DBInstanceIdentifier": identifier, "Status": "replicating"}})

    RDSResponse.start_db_instance_automated_backups_replication = start_db_instance_automated_backups_replication


def _rds_performance_insights() -> None:
    from moto.rds.models import DBInstance

    created = DBInstance.__init__

    def keep_performance_insights(self, *args: Any, **kwargs: Any) -> None:
        created(self, *args, **kwargs)
        # the moto serializer reads PerformanceInsightsEnabled from this attribute
        self.performance_insights_enabled = bool(kwargs.get("enable_performance_insights"))

    DBInstance.__init__ = keep_performance_insights


def put_backup_jobs(account_id: str, region: str, resource_arn: str, resource_type: str, name: str,
                    vault: str, backups: list[dict], copies: list[dict] | None = None, now: Any = None) -> int:
    """Record AWS Backup jobs of one resource in ``region``, completed hours before the seeding.

    ``backups``: ``[{state, hours_ago}]`` (COMPLETED, FAILED, ABORTED, ...); ``copies``:
    ``[{destination_vault_arn, state, hours_ago}]``, listed in ``region`` as AWS lists a copy in
    its source region. A job that did not complete has no CompletionDate. Returns the jobs written.
    """
    from datetime import datetime, timedelta, timezone

    from moto.backup.models import backup_backends

    backend = backup_backends[account_id][region]
    end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    vault_arn = f"arn:aws:backup:{region}:{account_id}:backup-vault:{vault}"
    jobs = backend.__dict__.setdefault("shim_backup_jobs", [])
    copy_jobs = backend.__dict__.setdefault("shim_copy_jobs", [])

    def timed(job: dict, spec: dict) -> dict:
        moment = end - timedelta(hours=spec["hours_ago"])
        job.update(State=spec["state"], CreationDate=moment - timedelta(minutes=20), ResourceArn=resource_arn,
                   ResourceType=resource_type, ResourceName=name, AccountId=account_id)
        if spec["state"] == "COMPLETED":
            job["CompletionDate"] = moment
        return job

    for spec in backups:
        jobs.append(timed({"BackupJobId": f"job-{len(jobs) + 1}", "BackupVaultName": vault,
                           "BackupVaultArn": vault_arn}, spec))
    for spec in copies or []:
        copy_jobs.append(timed({"CopyJobId": f"copy-{len(copy_jobs) + 1}", "SourceBackupVaultArn": vault_arn,
                                "DestinationBackupVaultArn": spec["destination_vault_arn"]}, spec))
    return len(backups) + len(copies or [])


def _backup_job_listings() -> None:
    import json
    from datetime import datetime

    from moto.backup import urls
    from moto.backup.models import backup_backends
    from moto.backup.responses import BackupResponse

    def recorded(handler: Any, name: str) -> list:
        return backup_backends[handler.current_account][handler.region].__dict__.get(name, [])

    def query(handler: Any, name: str) -> str | None:
        values = handler.querystring.get(name)
        return values[0] if values else None

    def moment(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

    def page(handler: Any, items: list, result_key: str) -> Any:
        start = int(query(handler, "nextToken") or 0)
        size = int(query(handler, "maxResults") or 1000)
        shown = [{k: v.timestamp() if isinstance(v, datetime) else v for k, v in item.items()}
                 for item in items[start:start + size]]
        body: dict[str, Any] = {result_key: shown}
        if start + size < len(items):
            body["NextToken"] = str(start + size)
        return json.dumps(body)

    def filtered(handler: Any, jobs: list) -> list:
        state, arn, kind = query(handler, "state"), query(handler, "resourceArn"), query(handler, "resourceType")
        after, before = moment(query(handler, "completeAfter")), moment(query(handler, "completeBefore"))
        return [job for job in jobs if state in (None, job["State"]) and arn in (None, job["ResourceArn"])
                and kind in (None, job["ResourceType"])
                and (after is None or ("CompletionDate" in job and job["CompletionDate"] > after))
                and (before is None or ("CompletionDate" in job and job["CompletionDate"] < before))]

    def list_backup_jobs(self) -> Any:
        return page(self, filtered(self, recorded(self, "shim_backup_jobs")), "BackupJobs")

    def list_copy_jobs(self) -> Any:
        return page(self, filtered(self, recorded(self, "shim_copy_jobs")), "CopyJobs")

    def list_protected_resources(self) -> Any:
        newest: dict[str, dict] = {}
        for job in recorded(self, "shim_backup_jobs"):  # a resource is protected once a backup completed
            if job["State"] == "COMPLETED" and (job["ResourceArn"] not in newest
                                                or job["CompletionDate"] > newest[job["ResourceArn"]]["LastBackupTime"]):
                newest[job["ResourceArn"]] = {"ResourceArn": job["ResourceArn"], "ResourceType": job["ResourceType"],
                                              "ResourceName": job["ResourceName"],
                                              "LastBackupTime": job["CompletionDate"],
                                              "LastBackupVaultArn": job["BackupVaultArn"]}
        return page(self, [newest[arn] for arn in sorted(newest)], "Results")

    urls.url_paths["{0}/resources/$"] = urls.response.dispatch
    urls.url_paths["{0}/backup-jobs/$"] = urls.response.dispatch
    urls.url_paths["{0}/copy-jobs/$"] = urls.response.dispatch
    BackupResponse.list_backup_jobs = list_backup_jobs
    BackupResponse.list_copy_jobs = list_copy_jobs
    BackupResponse.list_protected_resources = list_protected_resources


def _s3_default_encryption() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_encryption

    def get_bucket_encryption(self) -> Any:
        if self.backend.get_bucket_encryption(self.bucket_name):
            return original(self)
        self.data["Action"] = "GetBucketEncryption"
        return self.serialized(ActionResult({"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}}))

    S3Response.get_bucket_encryption = get_bucket_encryption


def _elasticache_num_cache_clusters() -> None:
    from moto.elasticache.models import ReplicationGroup

    original = ReplicationGroup._set_node_members_clusters_disabled

    def members(self, member_clusters, replication_group_id, replication_group_domain, node_group,
                preferred_cache_cluster_azs, num_cache_clusters, replicas_per_node_group):
        if not replicas_per_node_group and num_cache_clusters and num_cache_clusters > 1:
            replicas_per_node_group = num_cache_clusters - 1
        return original(self, member_clusters, replication_group_id, replication_group_domain, node_group,
                        preferred_cache_cluster_azs, num_cache_clusters, replicas_per_node_group)

    ReplicationGroup._set_node_members_clusters_disabled = members
    _elasticache_member_clusters_listed()


def _elasticache_member_clusters_listed() -> None:
    """moto's DescribeCacheClusters leaves out the members of replication groups, which AWS lists
    with the group's engine version."""
    from types import SimpleNamespace

    from moto.elasticache.models import ElastiCacheBackend

    original = ElastiCacheBackend.describe_cache_clusters

    def describe(self, cache_cluster_id=None):
        found = original(self, cache_cluster_id) if cache_cluster_id in (None, *self.cache_clusters) else []
        listed = {c.cache_cluster_id for c in found}
        for group in self.replication_groups.values():
            for member in group.member_clusters:
                if member not in listed and cache_cluster_id in (None, member):
                    found.append(SimpleNamespace(cache_cluster_id=member, replication_group_id=group.replication_group_id,
                                                 engine=group.engine, engine_version=group.engine_version,
                                                 cache_node_type=group.cache_node_type,
                                                 cache_cluster_status="available", arn=None))
        if cache_cluster_id is not None and not found:
            return original(self, cache_cluster_id)  # raises CacheClusterNotFound, as AWS does
        return found

    ElastiCacheBackend.describe_cache_clusters = describe


def _ec2_peering_tags_per_region() -> None:
    """Each region reports its own side's tags of an inter-region peering connection."""
    import copy

    from moto.ec2.models.vpc_peering_connections import VPCPeeringConnectionBackend

    original = VPCPeeringConnectionBackend.describe_vpc_peering_connections

    def describe(self, vpc_peering_ids=None):
        # moto shares one connection object between both regions' backends and reads its tags
        # from the requester's; a shallow copy answering through this region's backend keeps
        # the shared status and VPCs but reports (and filters by) the tags this region holds
        views = []
        for connection in original(self, vpc_peering_ids):
            view = copy.copy(connection)
            view.ec2_backend = self
            views.append(view)
        return views

    VPCPeeringConnectionBackend.describe_vpc_peering_connections = describe


def _ec2_vpn_connection_details() -> None:
    from datetime import datetime, timezone

    from moto.core.responses import EmptyResult
    from moto.ec2.models.vpn_connections import VPNConnection
    from moto.ec2.responses.vpn_connections import VPNConnections

    original_init = VPNConnection.__init__
    original_create = VPNConnections.create_vpn_connection

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        now = datetime.now(timezone.utc)
        self.vgw_telemetry = [{"OutsideIpAddress": f"203.0.113.{n}", "Status": "UP", "StatusMessage": "",
                               "AcceptedRouteCount": 0, "LastStatusChange": now} for n in (1, 2)]
        self.routes = []

    def create(self):
        result = original_create(self)
        options = self._get_param("Options") or {}
        if isinstance(options, dict) and "StaticRoutesOnly" in options:
            result.result["VpnConnection"].options = {
                "StaticRoutesOnly": str(options["StaticRoutesOnly"]).lower() == "true"}
        return result

    def create_route(self):
        connection = self.ec2_backend.describe_vpn_connections(
            vpn_connection_ids=[self._get_param("VpnConnectionId")])[0]
        connection.routes.append({"DestinationCidrBlock": self._get_param("DestinationCidrBlock"),
                                  "Source": "Static", "State": "available"})
        return EmptyResult()

    VPNConnection.__init__ = init
    VPNConnections.create_vpn_connection = create
    VPNConnections.create_vpn_connection_route = create_route


def _ec2_vgw_route_propagation() -> None:
    from moto.core.responses import EmptyResult
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.responses.route_tables import RouteTables

    class PropagatedRoute(Route):
        origin = "EnableVgwRoutePropagation"  # the Route.Origin AWS gives a propagated route

    declared = RouteTable.routes

    def propagating(table: Any) -> list:
        return table.__dict__.setdefault("shim_propagating_vgws", [])

    def attached_here(gateway: Any, table: Any) -> bool:
        attachment = gateway.attachments.get(table.vpc_id) if gateway is not None else None
        return attachment is not None and attachment.state == "attached"

    def learned(table: Any, gateway: Any) -> list[str]:
        connections = table.ec2_backend.vpn_connections.values()
        return sorted({cidr for c in connections if c.vpn_gateway_id == gateway.id and c.state == "available"
                       for cidr in getattr(c, "shim_bgp_routes", ())})

    def routes(self: Any) -> list:
        found = list(declared.fget(self))
        for gateway_id in propagating(self):
            gateway = self.ec2_backend.vpn_gateways.get(gateway_id)
            if attached_here(gateway, self):  # a detached gateway's routes leave the table
                found += [PropagatedRoute(self, cidr, None, gateway=gateway) for cidr in learned(self, gateway)]
        return found

    def propagating_vgws(self: Any) -> list:
        return [{"GatewayId": gateway_id} for gateway_id in propagating(self)]

    def table_and_gateway(handler: Any) -> tuple[Any, Any]:
        table = handler.ec2_backend.get_route_table(handler._get_param("RouteTableId"))
        gateway = handler.ec2_backend.get_vpn_gateway(handler._get_param("GatewayId"))
        return table, gateway

    def enable(self: Any) -> Any:
        table, gateway = table_and_gateway(self)
        if not attached_here(gateway, table):  # AWS requires the gateway attached to the table's VPC
            raise EC2ClientError("Gateway.NotAttached", f"{gateway.id} is not attached to {table.vpc_id}")
        if gateway.id not in propagating(table):
            propagating(table).append(gateway.id)
        return EmptyResult()

    def disable(self: Any) -> Any:
        table, gateway = table_and_gateway(self)
        if gateway.id in propagating(table):
            propagating(table).remove(gateway.id)
        return EmptyResult()

    RouteTable.routes = property(routes)
    RouteTable.propagating_vgws = property(propagating_vgws)
    RouteTables.enable_vgw_route_propagation = enable
    RouteTables.disable_vgw_route_propagation = disable


def learn_bgp_routes(account_id: str, region: str, vpn_connection_id: str, cidrs: list[str],
                     replace: bool = False) -> int:
    """Record the routes the other side announces over a VPN connection's BGP sessions (moto runs no
    BGP): a gateway propagating into a route table lists them there. ``replace`` drops the routes
    learned before (an extended estate's other side announces something else). Returns how many
    routes the connection has learned. Raises ValueError for a connection with static routes only,
    which has no BGP session."""
    from moto.ec2.models import ec2_backends

    connection = ec2_backends[account_id][region].vpn_connections[vpn_connection_id]
    if (connection.options or {}).get("StaticRoutesOnly"):
        raise ValueError(f"{vpn_connection_id} uses static routes only: it learns nothing over BGP")
    earlier = set() if replace else set(getattr(connection, "shim_bgp_routes", ()))
    connection.shim_bgp_routes = sorted(earlier | set(cidrs))
    for tunnel in getattr(connection, "vgw_telemetry", None) or []:
        tunnel["AcceptedRouteCount"] = len(connection.shim_bgp_routes)
    return len(connection.shim_bgp_routes)

#: accounts of a multi-account sandbox run: AssumeRole into them needs the role to exist there, as in
#: AWS (moto lets any ARN be assumed); other accounts keep moto's leniency, which older tests rely on
ROLE_CHECKED_ACCOUNTS: set[str] = set()


def _sts_refuses_roles_that_do_not_exist() -> None:
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend
    from moto.utilities.utils import get_partition

    original = STSBackend.assume_role
    # AWS answers AccessDenied as a generic error, which botocore's STS model does not list as a shape
    warnings.filterwarnings("ignore", message=r"Exception\(STSClientError\) with code AccessDenied")

    def assume_role(self, region_name: str, role_session_name: str, role_arn: str, *args: Any, **kwargs: Any):
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else None
        if account in ROLE_CHECKED_ACCOUNTS:
            roles = iam_backends[account][get_partition(region_name)].roles.values()
            if not any(role.arn == role_arn for role in roles):
                raise STSClientError("AccessDenied", f"User: arn:aws:iam::{self.account_id}:user/sandbox is not "
                                                     f"authorized to perform: sts:AssumeRole on resource: {role_arn}")
        return original(self, region_name, role_session_name, role_arn, *args, **kwargs)

    STSBackend.assume_role = assume_role


def _iam_aws_managed_policies_attachable() -> None:
    """IAM AWS managed policies: every one exists in AWS, but moto loads them only when
    MOTO_IAM_LOAD_MANAGED_POLICIES is set (slow, for every account). The shim loads the one an
    AttachRolePolicy names (``arn:aws:iam::aws:policy/...``) from moto's own copy of them."""
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, IAMBackend

    original = IAMBackend.attach_role_policy

    def attach_role_policy(self, policy_arn: str, role_name: str) -> None:
        name = policy_arn.rsplit("/", 1)[-1]
        if ":iam::aws:policy/" in policy_arn and policy_arn not in self.managed_policies:
            data = json.loads(aws_managed_policies_data).get(name)
            if data is not None:
                policy = AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                if policy.arn == policy_arn:
                    self.managed_policies[policy.arn] = policy
        return original(self, policy_arn, role_name)

    IAMBackend.attach_role_policy = attach_role_policy


def _iam_authorization_details_paged() -> None:
    """GetAccountAuthorizationDetails: moto answers in one page, ignoring MaxItems and Marker.
    The shim pages the role list as IAM does (MaxItems, default 100; IsTruncated and an opaque
    Marker), so the audit's reading of every page is exercised. Users, groups and policies
    (which the audit filters out) come on the first page."""
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def get_account_authorization_details(self) -> Any:
        details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
        roles = list(details["roles"])
        marker = self._get_param("Marker") or "roles-0"
        start = int(marker.split("-", 1)[1])
        size = int(self._get_param("MaxItems") or 100)
        first = start == 0
        result = {"UserDetailList": details["users"] if first else [],
                  "GroupDetailList": details["groups"] if first else [],
                  "RoleDetailList": roles[start:start + size],
                  "Policies": details["managed_policies"] if first else [],
                  "IsTruncated": start + size < len(roles)}
        if result["IsTruncated"]:
            result["Marker"] = f"roles-{start + size}"
        return ActionResult(result)

    IamResponse.get_account_authorization_details = get_account_authorization_details
