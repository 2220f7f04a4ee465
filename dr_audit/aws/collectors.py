"""AWS resources mapped onto the normalized kinds of ``kinds.py``.

One function per kind: ``(reader, region) -> list[Resource]``. Each lists the
kind in one region through the shared :class:`AwsReader` (so a VPC list read
for subnets is not read again for NAT gateways) and returns the same
attribute names and types the Terraform mappings produce. A detail read that
fails makes only that attribute :class:`Unreadable`; a failed list read
raises, and the orchestrator marks the whole (kind, region) unreadable.
A resource in a state that does not serve (failed, transitional, disabled:
see :data:`STATE_RULES`) is kept, with ``out_of_service`` saying why, and
selection never counts it; a replica in such a state is left out of the
replica list, with a note.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import unquote

from dr_audit import arns
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.terraform.values import Unknown

#: the read plan's region for global kinds when no reader is at hand; collectors
#: send global reads to ``reader.global_region`` (the partition's, set from STS)
GLOBAL_REGION = "us-east-1"
GLOBAL = "global"


# ----- which states count --------------------------------------------------------

@dataclass(frozen=True)
class StateRule:
    """What a thing's state must be to count as evidence.

    ``field`` is the AWS field that holds the state, ``counts`` the values
    that serve; any other value (failed, transitional, disabled) means the
    thing exists but meets no row. ``why`` says what such a value means.
    """

    field: str
    counts: frozenset
    why: str = ""


#: The one place that says which states count. Keys are kinds, or ``kind.part``
#: for the parts of a resource (its replicas) that have their own state.
STATE_RULES: dict[str, StateRule] = {
    "dynamodb_table": StateRule("TableStatus", frozenset({"ACTIVE", "UPDATING"})),
    "dynamodb_table.replica": StateRule("ReplicaStatus", frozenset({"ACTIVE"})),
    "secretsmanager_secret.replica": StateRule("ReplicationStatus.Status", frozenset({"InSync"})),
    # RDS's "Viewing DB instance status": the states in which the instance accepts connections
    # while an operation runs; creating, failed, incompatible-*, storage-full, stopped, rebooting,
    # upgrading, maintenance, deleting, ... do not serve
    "rds_instance": StateRule("DBInstanceStatus", frozenset({
        "available", "backing-up", "configuring-enhanced-monitoring", "configuring-iam-database-auth",
        "configuring-log-exports", "modifying", "resetting-master-credentials", "storage-optimization"})),
    "rds_instance.replication": StateRule("read replication status", frozenset({"replicating"}),
                                          "a read replica that does not replicate is no replica"),
    "eks_node_group": StateRule("status", frozenset({"ACTIVE"})),
    "acm_certificate": StateRule("Status", frozenset({"ISSUED"})),
    "cloudfront_distribution": StateRule("Enabled", frozenset({True}), "a disabled distribution serves no requests"),
    "route53_health_check.disabled": StateRule(
        "Disabled", frozenset({False}), "Route 53 considers a disabled health check always healthy"),
    "route53_health_check.inverted": StateRule(
        "Inverted", frozenset({False}), "an inverted health check is healthy when its endpoint fails"),
}


def out_of_service(thing: str, state: Any) -> str | None:
    """Why ``thing`` in ``state`` does not count (per :data:`STATE_RULES`), or None when it does.

    >>> out_of_service("eks_node_group", "CREATE_FAILED")
    'status CREATE_FAILED'
    >>> out_of_service("eks_node_group", "ACTIVE") is None
    True
    """
    rule = STATE_RULES[thing]
    if state in rule.counts:
        return None
    shown = str(state).lower() if isinstance(state, bool) else state if state is not None else "not reported"
    return f"{rule.field} {shown}" + (f": {rule.why}" if rule.why else "")


def _first(*reasons: str | None) -> str | None:
    return next((r for r in reasons if r), None)


def _counted_regions(states: list[tuple[str, Any]], thing: str) -> AttributeValue:
    """The regions whose replica state counts, with a note naming every replica left out.

    In: (region, state) pairs. ``[("b", "ACTIVE"), ("c", "CREATING")]`` -> ``["b"]``,
    noted "replicas not counted: c (ReplicaStatus CREATING)".
    """
    counted = sorted(region for region, state in states if out_of_service(thing, state) is None)
    left_out = sorted(f"{region} ({out_of_service(thing, state)})" for region, state in states
                      if out_of_service(thing, state) is not None)
    return AttributeValue(counted, note=f"replicas not counted: {', '.join(left_out)}" if left_out else None)


# ----- helpers -----------------------------------------------------------------

def _tags(items: list | None, key: str = "Key", value: str = "Value") -> dict:
    return {t[key]: t[value] for t in items or [] if key in t}


def _resource(kind: str, region: Any, address: str, not_serving: str | None = None,
              **attributes: Any) -> Resource:
    """A live resource; ``not_serving`` (from :func:`out_of_service`) keeps it from meeting rows."""
    return Resource(kind, "aws", address, region,
                    {name: v if isinstance(v, AttributeValue) else AttributeValue(v) for name, v in attributes.items()},
                    out_of_service=not_serving)


def _unreadable(error: AwsReadError) -> Unreadable:
    return Unreadable(f"{error.service}:{error.operation}", str(error))


def _detail(read: Callable[[], Any]) -> Any:
    """A per-resource detail read; a failure becomes an Unreadable value."""
    try:
        return read()
    except AwsReadError as error:
        return _unreadable(error)


def _strip_dot(name: str | None) -> str | None:
    return name.rstrip(".").lower() if isinstance(name, str) else name


# ----- networking ------------------------------------------------------------

def _vpc_names(reader: AwsReader, region: str) -> dict[str, Any]:
    """VPC id -> Name tag in ``region`` (Unreadable when the VPC list fails)."""
    try:
        vpcs = reader.paginate("ec2", region, "describe_vpcs", "Vpcs")
    except AwsReadError as error:
        return _Failing(error)
    return {v["VpcId"]: _tags(v.get("Tags")).get("Name") for v in vpcs}


class _Failing(dict):
    """A lookup table whose source read failed: every lookup is Unreadable."""

    def __init__(self, error: AwsReadError):
        super().__init__()
        self.error = error

    def get(self, key, default=None):
        return _unreadable(self.error)


def vpcs(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for vpc in reader.paginate("ec2", region, "describe_vpcs", "Vpcs"):
        hostnames = _detail(lambda: reader.call("ec2", region, "describe_vpc_attribute", VpcId=vpc["VpcId"],
                                                Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"])
        found.append(_resource("vpc", region, vpc["VpcId"], name=_tags(vpc.get("Tags")).get("Name"),
                               cidr_block=vpc.get("CidrBlock"), enable_dns_hostnames=hostnames))
    return found


def _subnets(reader: AwsReader, region: str) -> list[dict]:
    return reader.paginate("ec2", region, "describe_subnets", "Subnets")


def subnets(reader: AwsReader, region: str) -> list[Resource]:
    names = _vpc_names(reader, region)
    return [_resource("subnet", region, s["SubnetId"], name=_tags(s.get("Tags")).get("Name"),
                      vpc=names.get(s.get("VpcId")), cidr_block=s.get("CidrBlock"),
                      availability_zone=s.get("AvailabilityZone"),
                      map_public_ip_on_launch=bool(s.get("MapPublicIpOnLaunch")))
            for s in _subnets(reader, region)]


def nat_gateways(reader: AwsReader, region: str) -> list[Resource]:
    names = _vpc_names(reader, region)
    try:
        by_id: Any = {s["SubnetId"]: s for s in _subnets(reader, region)}
    except AwsReadError as error:
        by_id = _Failing(error)
    found = []
    for nat in reader.paginate("ec2", region, "describe_nat_gateways", "NatGateways"):
        if nat.get("State") in ("deleted", "deleting", "failed"):
            continue
        subnet = by_id.get(nat.get("SubnetId"))
        if isinstance(subnet, dict):
            subnet_name, zone = _tags(subnet.get("Tags")).get("Name"), subnet.get("AvailabilityZone")
        else:
            subnet_name = zone = subnet
        found.append(_resource("nat_gateway", region, nat["NatGatewayId"], name=_tags(nat.get("Tags")).get("Name"),
                               vpc=names.get(nat.get("VpcId")), subnet=subnet_name, availability_zone=zone,
                               connectivity_type=nat.get("ConnectivityType", "public")))
    return found


def internet_gateways(reader: AwsReader, region: str) -> list[Resource]:
    names = _vpc_names(reader, region)
    found = []
    for gateway in reader.paginate("ec2", region, "describe_internet_gateways", "InternetGateways"):
        attached = [a.get("VpcId") for a in gateway.get("Attachments") or []]
        found.append(_resource("internet_gateway", region, gateway["InternetGatewayId"],
                               name=_tags(gateway.get("Tags")).get("Name"),
                               vpc=names.get(attached[0]) if attached else None))
    return found


def route_tables(reader: AwsReader, region: str) -> list[Resource]:
    names = _vpc_names(reader, region)
    try:
        subnet_names: Any = {s["SubnetId"]: _tags(s.get("Tags")).get("Name") for s in _subnets(reader, region)}
    except AwsReadError as error:
        subnet_names = _Failing(error)
    found = []
    for table in reader.paginate("ec2", region, "describe_route_tables", "RouteTables"):
        target = "none"
        for route in table.get("Routes") or []:
            if route.get("DestinationCidrBlock") == "0.0.0.0/0":
                gateway = route.get("GatewayId") or ""
                target = ("internet_gateway" if gateway.startswith("igw-") else
                          "nat_gateway" if route.get("NatGatewayId") else "other")
        associated = [subnet_names.get(a["SubnetId"]) for a in table.get("Associations") or [] if a.get("SubnetId")]
        unread = next((n for n in associated if isinstance(n, Unreadable)), None)
        found.append(_resource("route_table", region, table["RouteTableId"], name=_tags(table.get("Tags")).get("Name"),
                               vpc=names.get(table.get("VpcId")),
                               subnets=unread if unread is not None else sorted(n for n in associated if n),
                               default_route_target=target))
    return found


def load_balancers(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("load_balancer", region, lb["LoadBalancerArn"], name=lb["LoadBalancerName"],
                      type=lb.get("Type"), scheme=lb.get("Scheme"))
            for lb in reader.paginate("elbv2", region, "describe_load_balancers", "LoadBalancers")]


def lb_target_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("lb_target_group", region, group["TargetGroupArn"], name=group["TargetGroupName"],
                      protocol=group.get("Protocol"), port=group.get("Port"),
                      health_check_path=group.get("HealthCheckPath"),
                      health_check_interval=group.get("HealthCheckIntervalSeconds"),
                      healthy_threshold=group.get("HealthyThresholdCount"),
                      unhealthy_threshold=group.get("UnhealthyThresholdCount"),
                      health_check_matcher=(group.get("Matcher") or {}).get("HttpCode"))
            for group in reader.paginate("elbv2", region, "describe_target_groups", "TargetGroups")]


def _target_group_name(arn: str) -> str:
    """``arn:...:targetgroup/<name>/<id>`` -> ``<name>``."""
    parts = arn.split(":")[-1].split("/")
    return parts[1] if len(parts) >= 3 else arn


# ----- compute and data --------------------------------------------------------

def autoscaling_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("autoscaling_group", region, group.get("AutoScalingGroupARN", group["AutoScalingGroupName"]),
                      name=group["AutoScalingGroupName"], min_size=group.get("MinSize"),
                      max_size=group.get("MaxSize"), desired_capacity=group.get("DesiredCapacity"),
                      health_check_type=group.get("HealthCheckType"),
                      target_groups=sorted(_target_group_name(a) for a in group.get("TargetGroupARNs") or []))
            for group in reader.paginate("autoscaling", region, "describe_auto_scaling_groups", "AutoScalingGroups")]


def eks_clusters(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for name in reader.paginate("eks", region, "list_clusters", "clusters"):
        cluster = reader.call("eks", region, "describe_cluster", name=name)["cluster"]
        encrypted = any("secrets" in (c.get("resources") or []) for c in cluster.get("encryptionConfig") or [])
        found.append(_resource("eks_cluster", region, cluster.get("arn", name), name=name,
                               version=cluster.get("version"), secrets_encrypted=encrypted))
    return found


def eks_node_groups(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for cluster in reader.paginate("eks", region, "list_clusters", "clusters"):
        for name in reader.paginate("eks", region, "list_nodegroups", "nodegroups", clusterName=cluster):
            group = reader.call("eks", region, "describe_nodegroup", clusterName=cluster,
                                nodegroupName=name)["nodegroup"]
            scaling = group.get("scalingConfig") or {}
            found.append(_resource("eks_node_group", region, group.get("nodegroupArn", name),
                                   not_serving=out_of_service("eks_node_group", group.get("status")), name=name,
                                   cluster=cluster, instance_types=list(group.get("instanceTypes") or []),
                                   min_size=scaling.get("minSize"), max_size=scaling.get("maxSize"),
                                   desired_size=scaling.get("desiredSize")))
    return found


def rds_instances(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for db in reader.paginate("rds", region, "describe_db_instances", "DBInstances"):
        source = db.get("ReadReplicaSourceDBInstanceIdentifier")
        source_id = source_region = None
        if source:
            source_id, source_region = arns.rds_instance(source) or (source, region)
        port = (db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort")
        found.append(_resource(
            "rds_instance", region, db.get("DBInstanceArn", db["DBInstanceIdentifier"]),
            not_serving=_first(out_of_service("rds_instance", db.get("DBInstanceStatus")), _replication_state(db)),
            identifier=db["DBInstanceIdentifier"], engine=db.get("Engine"), engine_version=db.get("EngineVersion"),
            instance_class=db.get("DBInstanceClass"), port=port, multi_az=bool(db.get("MultiAZ")),
            backup_retention_period=db.get("BackupRetentionPeriod"), backup_window=db.get("PreferredBackupWindow"),
            db_subnet_group=(db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            is_read_replica=bool(source), replicate_source_identifier=source_id,
            replicate_source_region=source_region, storage_encrypted=bool(db.get("StorageEncrypted")),
            kms_key_region=arns.region(db.get("KmsKeyId")), deletion_protection=bool(db.get("DeletionProtection"))))
    return found


def _replication_state(db: dict) -> str | None:
    """Why a read replica does not replicate (its "read replication" status info), else None.

    An instance that reports no such status info is judged by its instance status alone.
    """
    infos = [i for i in db.get("StatusInfos") or [] if i.get("StatusType") == "read replication"]
    return _first(*(out_of_service("rds_instance.replication", i.get("Status")) for i in infos))


def elasticache_replication_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("elasticache_replication_group", region, group.get("ARN", group["ReplicationGroupId"]),
                      id=group["ReplicationGroupId"], node_type=group.get("CacheNodeType"),
                      multi_az=group.get("MultiAZ") == "enabled",
                      automatic_failover=group.get("AutomaticFailover") in ("enabled", "enabling"),
                      transit_encryption=bool(group.get("TransitEncryptionEnabled")),
                      at_rest_encryption=bool(group.get("AtRestEncryptionEnabled")),
                      snapshot_retention_limit=group.get("SnapshotRetentionLimit"))
            for group in reader.paginate("elasticache", region, "describe_replication_groups", "ReplicationGroups")]


def dynamodb_tables(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    legacy = _detail(lambda: _legacy_global_tables(reader, region))
    for name in reader.paginate("dynamodb", region, "list_tables", "TableNames"):
        table = reader.call("dynamodb", region, "describe_table", TableName=name)["Table"]
        stream = table.get("StreamSpecification") or {}
        pitr = _detail(lambda: reader.call("dynamodb", region, "describe_continuous_backups", TableName=name)
                       ["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
                       .get("PointInTimeRecoveryStatus") == "ENABLED")
        found.append(_resource("dynamodb_table", region, table.get("TableArn", name),
                               not_serving=out_of_service("dynamodb_table", table.get("TableStatus")), name=name,
                               stream_enabled=bool(stream.get("StreamEnabled")),
                               stream_view_type=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
                               replica_regions=_replica_regions(reader, region, table, legacy),
                               point_in_time_recovery=pitr))
    return found


def _replica_regions(reader: AwsReader, region: str, table: dict, legacy: Any) -> Any:
    """The table's replica regions whose replica is ACTIVE (see STATE_RULES).

    Version 2019.11.21 lists replicas in DescribeTable; a version 2017.11.29
    (legacy) global table lists them only through DescribeGlobalTable, so a
    table without ``Replicas`` that ListGlobalTables names is described there.
    """
    if table.get("Replicas"):
        return _counted_regions([(r["RegionName"], r.get("ReplicaStatus")) for r in table["Replicas"]],
                                "dynamodb_table.replica")
    if isinstance(legacy, Unreadable):
        return legacy  # it could be a legacy global table: its replicas cannot be told
    if table["TableName"] not in legacy:
        return AttributeValue([])
    described = _detail(lambda: reader.call("dynamodb", region, "describe_global_table",
                                            GlobalTableName=table["TableName"])["GlobalTableDescription"])
    if isinstance(described, Unreadable):
        return described
    # a legacy replica may not report its own status: the global table's status then stands for it
    overall = described.get("GlobalTableStatus")
    return _counted_regions([(r["RegionName"], r.get("ReplicaStatus", overall))
                             for r in described.get("ReplicationGroup") or [] if r.get("RegionName") != region],
                            "dynamodb_table.replica")


def _legacy_global_tables(reader: AwsReader, region: str) -> set[str]:
    """Names of the version 2017.11.29 global tables with a replica in ``region``, every page read.

    ListGlobalTables has no botocore paginator: it pages by its own
    ``ExclusiveStartGlobalTableName`` / ``LastEvaluatedGlobalTableName``.
    """
    names: set[str] = set()
    start: str | None = None
    seen: set[str] = set()
    while True:
        arguments = {"RegionName": region, **({"ExclusiveStartGlobalTableName": start} if start else {})}
        page = reader.call("dynamodb", region, "list_global_tables", **arguments)
        names |= {t["GlobalTableName"] for t in page.get("GlobalTables") or [] if t.get("GlobalTableName")}
        start = page.get("LastEvaluatedGlobalTableName")
        if not start:
            return names
        if start in seen:
            raise AwsReadError("dynamodb", region, "ListGlobalTables", "PaginationLoop",
                               f"LastEvaluatedGlobalTableName {start!r} came back twice: the list is incomplete")
        seen.add(start)


#: ListBuckets page size: sent on every page, because only a paginated ListBuckets
#: returns ``BucketRegion`` and lists past 10,000 buckets (the model's maximum)
BUCKETS_PER_PAGE = 10_000
#: GetBucketLocation's legacy answers (S3 API reference): "EU" is eu-west-1, and no
#: constraint is us-east-1, documented for the aws partition only
_LEGACY_LOCATIONS = {"EU": "eu-west-1"}
_NO_CONSTRAINT = {"aws": "us-east-1"}


def _buckets(reader: AwsReader) -> list[dict]:
    """Every bucket of the account, read once however many regions ask, every page."""
    return reader.paginate("s3", reader.global_region, "list_buckets", "Buckets", MaxBuckets=BUCKETS_PER_PAGE)


def _bucket_region(reader: AwsReader, bucket: dict) -> Any:
    """The bucket's region: ``BucketRegion`` when listed, else GetBucketLocation's answer.

    Out: a region name, :class:`Unreadable` when the location read failed, or
    :class:`Unknown` for an empty constraint outside the aws partition.
    """
    if bucket.get("BucketRegion"):
        return bucket["BucketRegion"]
    location = _detail(lambda: reader.call("s3", reader.global_region, "get_bucket_location", Bucket=bucket["Name"]))
    if isinstance(location, Unreadable):
        return location
    constraint = location.get("LocationConstraint")
    if constraint:
        return _LEGACY_LOCATIONS.get(constraint, constraint)
    return _NO_CONSTRAINT.get(reader.partition) or Unknown(
        f"s3 bucket {bucket['Name']} location", f"no location constraint, undocumented in partition {reader.partition}")


_claims_lock = threading.Lock()


def _first_claim(reader: AwsReader, key: tuple) -> bool:
    """True for the first collector on this reader to claim ``key``: what every region
    sees but must enter the inventory once (a bucket whose region is unknown)."""
    with _claims_lock:
        claimed = reader.__dict__.setdefault("_collector_claims", set())
        if key in claimed:
            return False
        claimed.add(key)
        return True


_NO_REPLICATION = "ReplicationConfigurationNotFoundError"


def _replication(reader: AwsReader, region: str, name: str) -> dict[str, Any]:
    """The bucket's replication attributes: destinations, RTC minutes, delete markers."""
    try:
        config = reader.call("s3", region, "get_bucket_replication", answers=(_NO_REPLICATION,),
                             Bucket=name)["ReplicationConfiguration"]
    except AwsReadError as error:
        if error.code == _NO_REPLICATION:
            return {"replication_destination_buckets": [], "replication_time_minutes": None,
                    "delete_marker_replication": False}
        unread = _unreadable(error)
        return dict.fromkeys(("replication_destination_buckets", "replication_time_minutes",
                              "delete_marker_replication"), unread)
    rules = [r for r in config.get("Rules") or [] if r.get("Status", "Enabled") == "Enabled"]
    controls = [(r.get("Destination") or {}).get("ReplicationTime") or {} for r in rules]
    minutes = None
    if rules and all(c.get("Status") == "Enabled" for c in controls):
        minutes = max((c.get("Time") or {}).get("Minutes") or 0 for c in controls) or None
    return {"replication_destination_buckets": sorted({r["Destination"]["Bucket"].split(":::")[-1] for r in rules
                                                       if r.get("Destination", {}).get("Bucket")}),
            "replication_time_minutes": minutes,
            "delete_marker_replication": bool(rules) and all(
                (r.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled" for r in rules)}


def s3_buckets(reader: AwsReader, region: str) -> list[Resource]:
    """The buckets located in ``region``; a bucket whose region cannot be told is added
    once per run (by whichever region's collector comes first), its every attribute unknown."""
    found = []
    for bucket in _buckets(reader):
        where = _bucket_region(reader, bucket)
        name = bucket["Name"]
        arn = arns.s3_bucket(reader.partition, name)
        if isinstance(where, Unknown):
            if _first_claim(reader, ("s3_bucket", name)):
                found.append(_resource("s3_bucket", where, arn, name=name, versioning=where,
                                       replication_destination_buckets=where, replication_time_minutes=where,
                                       delete_marker_replication=where))
            continue
        if where != region:
            continue
        versioning = _detail(lambda: reader.call("s3", region, "get_bucket_versioning", Bucket=name)
                             .get("Status") or "Disabled")
        found.append(_resource("s3_bucket", region, arn, name=name, versioning=versioning,
                               **_replication(reader, region, name)))
    return found


def cognito_user_pools(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("cognito_user_pool", region, pool["Id"], name=pool.get("Name"))
            for pool in reader.paginate("cognito-idp", region, "list_user_pools", "UserPools", MaxResults=60)]


def ecr_repositories(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("ecr_repository", region, repo.get("repositoryArn", repo["repositoryName"]),
                      name=repo["repositoryName"], image_tag_mutability=repo.get("imageTagMutability"))
            for repo in reader.paginate("ecr", region, "describe_repositories", "repositories")]


def ecr_replication(reader: AwsReader, region: str) -> list[Resource]:
    registry = reader.call("ecr", region, "describe_registry")
    rules = [{"destinations": [d["region"] for d in rule.get("destinations") or []],
              "prefixes": [f["filter"] for f in rule.get("repositoryFilters") or []]}
             for rule in (registry.get("replicationConfiguration") or {}).get("rules") or []]
    regions = sorted({d for rule in rules for d in rule["destinations"]})
    return [_resource("ecr_replication", region, f"ecr registry {registry.get('registryId')}",
                      rules=rules, destination_regions=regions)]


def secrets(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for secret in reader.paginate("secretsmanager", region, "list_secrets", "SecretList"):
        if secret.get("PrimaryRegion") not in (None, region):
            continue  # a replica: it belongs to its primary region's inventory
        described = _detail(lambda: reader.call("secretsmanager", region, "describe_secret", SecretId=secret["ARN"]))
        replicas = described if isinstance(described, Unreadable) else _counted_regions(
            [(r["Region"], r.get("Status")) for r in described.get("ReplicationStatus") or []],
            "secretsmanager_secret.replica")
        found.append(_resource("secretsmanager_secret", region, secret["ARN"], name=secret["Name"],
                               replica_regions=replicas))
    return found


# ----- edge, DNS and certificates ----------------------------------------------

def cloudfront_distributions(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for summary in reader.paginate("cloudfront", reader.global_region, "list_distributions", "DistributionList.Items"):
        groups = {g["Id"]: g for g in (summary.get("OriginGroups") or {}).get("Items") or []}
        behaviour = summary.get("DefaultCacheBehavior") or {}
        group = groups.get(behaviour.get("TargetOriginId"))
        failover = bool(group) and len((group.get("Members") or {}).get("Items") or []) >= 2
        codes = ((group.get("FailoverCriteria") or {}).get("StatusCodes") or {}).get("Items") if group else None
        found.append(_resource("cloudfront_distribution", GLOBAL, summary.get("ARN", summary["Id"]),
                               not_serving=out_of_service("cloudfront_distribution", summary.get("Enabled")),
                               id=summary["Id"],
                               comment=summary.get("Comment", ""),
                               aliases=list((summary.get("Aliases") or {}).get("Items") or []),
                               has_origin_failover=failover,
                               origin_failover_status_codes=sorted(int(c) for c in codes or []),
                               viewer_protocol_policy=behaviour.get("ViewerProtocolPolicy")))
    return found


def _zones(reader: AwsReader) -> list[dict]:
    return reader.paginate("route53", reader.global_region, "list_hosted_zones", "HostedZones")


def route53_zones(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("route53_zone", GLOBAL, zone["Id"], name=_strip_dot(zone["Name"]),
                      private_zone=bool((zone.get("Config") or {}).get("PrivateZone")))
            for zone in _zones(reader)]


def route53_records(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for zone in _zones(reader):
        zone_id = zone["Id"].split("/")[-1]
        for record in reader.paginate("route53", reader.global_region, "list_resource_record_sets", "ResourceRecordSets",
                                      HostedZoneId=zone_id):
            name = _strip_dot(record["Name"].replace("\\052", "*"))
            alias = record.get("AliasTarget") or {}
            address = f"{zone_id}/{name}/{record['Type']}" + (f"/{record['SetIdentifier']}" if "SetIdentifier" in record else "")
            found.append(_resource("route53_record", GLOBAL, address, name=name, type=record["Type"],
                                   set_identifier=record.get("SetIdentifier"), failover_role=record.get("Failover"),
                                   has_health_check=bool(record.get("HealthCheckId")),
                                   alias_dns_name=_strip_dot(alias.get("DNSName"))))
    return found


def route53_health_checks(reader: AwsReader, region: str) -> list[Resource]:
    checks = reader.paginate("route53", reader.global_region, "list_health_checks", "HealthChecks")
    names: dict[str, Any] = {}
    ids = [c["Id"] for c in checks]
    for start in range(0, len(ids), 10):  # ListTagsForResources takes at most 10 ids
        batch = ids[start:start + 10]
        tagged = _detail(lambda: reader.call("route53", reader.global_region, "list_tags_for_resources",
                                             ResourceType="healthcheck", ResourceIds=batch)["ResourceTagSets"])
        for check_id in batch:
            names[check_id] = tagged
        if not isinstance(tagged, Unreadable):
            for tag_set in tagged:
                names[tag_set["ResourceId"]] = _tags(tag_set.get("Tags")).get("Name")
    found = []
    for check in checks:
        config = check.get("HealthCheckConfig") or {}
        not_serving = _first(out_of_service("route53_health_check.disabled", bool(config.get("Disabled"))),
                             out_of_service("route53_health_check.inverted", bool(config.get("Inverted"))))
        found.append(_resource("route53_health_check", GLOBAL, check["Id"], not_serving=not_serving,
                               name=names.get(check["Id"]),
                               type=config.get("Type"), fqdn=_strip_dot(config.get("FullyQualifiedDomainName")),
                               port=config.get("Port"), resource_path=config.get("ResourcePath"),
                               request_interval=config.get("RequestInterval"),
                               failure_threshold=config.get("FailureThreshold")))
    return found


def _every_key_type(reader: AwsReader, region: str) -> list[str]:
    """Every key algorithm the ACM model knows: without ``Includes.keyTypes``
    ListCertificates returns only RSA_1024 and RSA_2048 certificates."""
    return list(reader.client("acm", region).meta.service_model.shape_for("KeyAlgorithm").enum)


def acm_certificates(reader: AwsReader, region: str) -> list[Resource]:
    """Certificates of every key type; only an ISSUED, unexpired one can meet a row."""
    found = []
    now = datetime.now(timezone.utc)
    for cert in reader.paginate("acm", region, "list_certificates", "CertificateSummaryList",
                                Includes={"keyTypes": _every_key_type(reader, region)}):
        not_after = cert.get("NotAfter")
        expired = f"expired on {_iso(not_after)}" if isinstance(not_after, datetime) and not_after <= now else None
        found.append(_resource("acm_certificate", region, cert["CertificateArn"],
                               not_serving=_first(out_of_service("acm_certificate", cert.get("Status")), expired),
                               domain_name=cert.get("DomainName"), status=cert.get("Status"),
                               not_after=_iso(not_after)))
    return found


def _iso(moment: Any) -> str | None:
    """A botocore timestamp as ISO 8601 UTC (``2027-01-31T00:00:00Z``); None stays None."""
    if not isinstance(moment, datetime):
        return moment
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def kms_aliases(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("kms_alias", region, alias.get("AliasArn", alias["AliasName"]), name=alias["AliasName"])
            for alias in reader.paginate("kms", region, "list_aliases", "Aliases")]


def iam_roles(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("iam_role", GLOBAL, role["Arn"], name=role["RoleName"])
            for role in reader.paginate("iam", reader.global_region, "list_roles", "Roles")]


def iam_role_policies(reader: AwsReader, region: str) -> list[Resource]:
    """Inline policies of every role: one ListRolePolicies per role, one GetRolePolicy per policy."""
    found = []
    for role in reader.paginate("iam", reader.global_region, "list_roles", "Roles"):
        name = role["RoleName"]
        try:
            policy_names = reader.paginate("iam", reader.global_region, "list_role_policies", "PolicyNames",
                                           RoleName=name)
        except AwsReadError as error:
            unread = _unreadable(error)
            found.append(_resource("iam_role_policy", GLOBAL, f"{role['Arn']}/inline-policies", name=unread,
                                   role=name, actions=unread, resources=unread))
            continue
        for policy_name in policy_names:
            document = _detail(lambda: reader.call("iam", reader.global_region, "get_role_policy", RoleName=name,
                                                   PolicyName=policy_name)["PolicyDocument"])
            actions: Any = document
            resources: Any = document
            if not isinstance(document, Unreadable):
                statements = _policy_statements(document)
                allowed = [s for s in statements if s.get("Effect") == "Allow"]
                actions = sorted({a for s in allowed for a in _listed(s.get("Action"))})
                resources = sorted({r for s in allowed for r in _listed(s.get("Resource"))})
            found.append(_resource("iam_role_policy", GLOBAL, f"{role['Arn']}/{policy_name}", name=policy_name,
                                   role=name, actions=actions, resources=resources))
    return found


def _policy_statements(document: Any) -> list[dict]:
    """boto3 decodes the URL-encoded document into a dict; a plain string is JSON."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    statements = document.get("Statement") or []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def cloudwatch_alarms(reader: AwsReader, region: str) -> list[Resource]:
    return [_resource("cloudwatch_alarm", region, alarm.get("AlarmArn", alarm["AlarmName"]), name=alarm["AlarmName"],
                      namespace=alarm.get("Namespace"), metric_name=alarm.get("MetricName"),
                      comparison_operator=alarm.get("ComparisonOperator"), threshold=alarm.get("Threshold"),
                      period=alarm.get("Period"), evaluation_periods=alarm.get("EvaluationPeriods"),
                      has_actions=bool(alarm.get("AlarmActions")))
            for alarm in reader.paginate("cloudwatch", region, "describe_alarms", "MetricAlarms",
                                         AlarmTypes=["MetricAlarm"])]


#: kind -> (the service it reads, the collector); global kinds are read once, in the reader's global region
AWS_COLLECTORS: dict[str, tuple[str, Callable[[AwsReader, str], list[Resource]]]] = {
    "vpc": ("ec2", vpcs),
    "subnet": ("ec2", subnets),
    "nat_gateway": ("ec2", nat_gateways),
    "internet_gateway": ("ec2", internet_gateways),
    "route_table": ("ec2", route_tables),
    "load_balancer": ("elbv2", load_balancers),
    "lb_target_group": ("elbv2", lb_target_groups),
    "autoscaling_group": ("autoscaling", autoscaling_groups),
    "eks_cluster": ("eks", eks_clusters),
    "eks_node_group": ("eks", eks_node_groups),
    "rds_instance": ("rds", rds_instances),
    "elasticache_replication_group": ("elasticache", elasticache_replication_groups),
    "dynamodb_table": ("dynamodb", dynamodb_tables),
    "s3_bucket": ("s3", s3_buckets),
    "cognito_user_pool": ("cognito-idp", cognito_user_pools),
    "ecr_repository": ("ecr", ecr_repositories),
    "ecr_replication": ("ecr", ecr_replication),
    "secretsmanager_secret": ("secretsmanager", secrets),
    "cloudfront_distribution": ("cloudfront", cloudfront_distributions),
    "route53_zone": ("route53", route53_zones),
    "route53_record": ("route53", route53_records),
    "route53_health_check": ("route53", route53_health_checks),
    "acm_certificate": ("acm", acm_certificates),
    "kms_alias": ("kms", kms_aliases),
    "iam_role": ("iam", iam_roles),
    "iam_role_policy": ("iam", iam_role_policies),
    "cloudwatch_alarm": ("cloudwatch", cloudwatch_alarms),
}
