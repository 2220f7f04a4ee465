"""The ``rds_instance`` kind. An RDS DB instance.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit import arns
from dr_audit.aws.collecting import first_reason, iso_utc, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, StateRule, declare_kind, terraform_only
from dr_audit.terraform.reading import Reader, given, value_of
from dr_audit.terraform.values import Ref, Unknown


# ----- Terraform ---------------------------------------------------------------

def _replica_source(r: Reader) -> tuple[AttributeValue, AttributeValue]:
    evidence = r.given("replicate_source_db")
    if evidence is None:
        none = r.at_block(None, "not a read replica")
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
        return r.at_block(False, "replicate_source_db not set")
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
            "deletion_protection": r.arg("deletion_protection", False),
            "backup_replication_regions": _backup_replication_regions(r),
            "latest_restorable_time": _known_only_in_the_account(r, "latest_restorable_time"),
            **_access_and_monitoring(r),
            **_final_snapshot(r),
            **_source_settings(r, replica)}


def _access_and_monitoring(r: Reader) -> dict:
    """Public access, Performance Insights and log exports: the provider's defaults are off and none."""
    exports = r.arg("enabled_cloudwatch_logs_exports", [])
    if exports.known and isinstance(exports.value, list):
        exports = AttributeValue(sorted(exports.value), exports.file, exports.line, exports.expression, exports.note)
    return {"publicly_accessible": r.arg("publicly_accessible", False),
            "performance_insights": r.arg("performance_insights_enabled", False),
            "cloudwatch_logs_exports": exports}


def _final_snapshot(r: Reader) -> dict:
    """What happens on delete: arguments of the provider only (RDS takes them on DeleteDBInstance)."""
    return {"skip_final_snapshot": r.arg("skip_final_snapshot", False),
            "final_snapshot_identifier": r.arg("final_snapshot_identifier", None)}


def _source_settings(r: Reader, replica: bool) -> dict:
    """Storage, database name and master user: a replica takes them from its source when unset;
    an instance without ``db_name`` gets no initial database."""
    inherited = "not set: a replica inherits it from its source at apply time"
    return {"allocated_storage": r.arg("allocated_storage", unset_reason=inherited if replica else "not set in code"),
            "db_name": r.arg("db_name", unset_reason=inherited) if replica else r.arg("db_name", None),
            "master_username": r.arg("username", unset_reason=inherited if replica else "not set in code")}


def _known_only_in_the_account(r: Reader, name: str) -> AttributeValue:
    """An attribute RDS reports as the instance runs (no argument declares it): Unknown in code."""
    return r.at_block(Unknown(f"{r.instance.address}.{name}", "known only in the account"), "reported by RDS")


def _backup_replication_regions(r: Reader) -> AttributeValue:
    """The provider regions of the ``aws_db_instance_automated_backups_replication`` resources whose
    ``source_db_instance_arn`` names this instance (the resource's region is the destination)."""
    regions = []
    for replication in r.by_type.get("aws_db_instance_automated_backups_replication", []):
        names = _names_instance(r, replication)
        if names is None:
            return AttributeValue(Unknown(f"{replication.address}.source_db_instance_arn",
                                          f"{replication.address} may replicate it: its source is unresolved"),
                                  replication.file, replication.line)
        if names:
            if not isinstance(replication.region, str):
                return AttributeValue(Unknown(f"{replication.address} region", "its provider region is unresolved"),
                                      replication.file, replication.line)
            regions.append(replication.region)
    if not regions:
        return r.at_block([], "no aws_db_instance_automated_backups_replication names it")
    return r.at_block(sorted(set(regions)), "regions of its aws_db_instance_automated_backups_replication resources")


def _names_instance(r: Reader, replication) -> bool | None:
    """Whether a replication's ``source_db_instance_arn`` names this instance: True, False, or None when unresolved."""
    evidence = given(replication, "source_db_instance_arn")
    if evidence is None:
        return False
    if isinstance(evidence.value, Ref):
        return evidence.value.address == r.instance.address
    if not isinstance(evidence.value, str):
        return None
    parsed = arns.rds_instance(evidence.value)
    if parsed is None:
        return False  # not an instance ARN: it names no instance
    own = r.given("identifier")
    if own is None or not isinstance(own.value, str):
        return None
    return parsed == (own.value, r.instance.region)


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
    return r.at_block(None, "not encrypted")


def _storage_encrypted(r: Reader, replica: bool) -> AttributeValue:
    """Unset on a replica, encryption follows its KMS key or, without one, its source."""
    if r.given("storage_encrypted") is not None or not replica:
        return r.arg("storage_encrypted", False)
    key = r.given("kms_key_id")
    if key is not None and isinstance(key.value, Unknown):  # it may evaluate to null
        return value_of(key)
    if key is not None:
        return AttributeValue(True, key.file, key.line, key.expression, "storage_encrypted not set: a KMS key encrypts it")
    return r.at_block(Unknown(f"{r.instance.address}.storage_encrypted",
                               "not set: a replica inherits it from its source at apply time"), "storage_encrypted not set")


# ----- the account -------------------------------------------------------------

def rds_instances(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for db in reader.paginate("rds", region, "describe_db_instances", "DBInstances"):
        source = db.get("ReadReplicaSourceDBInstanceIdentifier")
        source_id = source_region = None
        if source:
            source_id, source_region = arns.rds_instance(source) or (source, region)
        port = (db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort")
        found.append(live_resource(
            "rds_instance", region, db.get("DBInstanceArn", db["DBInstanceIdentifier"]),
            not_serving=first_reason(out_of_service("rds_instance", db.get("DBInstanceStatus")), _replication_state(db)),
            identifier=db["DBInstanceIdentifier"], engine=db.get("Engine"), engine_version=db.get("EngineVersion"),
            instance_class=db.get("DBInstanceClass"), port=port, multi_az=bool(db.get("MultiAZ")),
            backup_retention_period=db.get("BackupRetentionPeriod"), backup_window=db.get("PreferredBackupWindow"),
            db_subnet_group=(db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            is_read_replica=bool(source), replicate_source_identifier=source_id,
            replicate_source_region=source_region, storage_encrypted=bool(db.get("StorageEncrypted")),
            kms_key_region=arns.region(db.get("KmsKeyId")), deletion_protection=bool(db.get("DeletionProtection")),
            backup_replication_regions=_backup_replication_destinations(db),
            latest_restorable_time=iso_utc(db.get("LatestRestorableTime")),
            publicly_accessible=bool(db.get("PubliclyAccessible")),
            performance_insights=bool(db.get("PerformanceInsightsEnabled")),
            cloudwatch_logs_exports=sorted(db.get("EnabledCloudwatchLogsExports") or []),
            allocated_storage=db.get("AllocatedStorage"), db_name=db.get("DBName"),
            master_username=db.get("MasterUsername"),
            **{name: _not_in_the_account(name) for name in _TERRAFORM_ONLY}))
    return found


#: arguments of aws_db_instance that DescribeDBInstances does not return
_TERRAFORM_ONLY = ("skip_final_snapshot", "final_snapshot_identifier")


def _not_in_the_account(name: str) -> AttributeValue:
    return AttributeValue(Unknown(f"rds_instance.{name}", "Terraform only: DescribeDBInstances does not return it"))


def _backup_replication_destinations(db: dict) -> list[str]:
    """The sorted regions its automated backups are replicated to: the region of each replicated
    backup's ARN in ``DBInstanceAutomatedBackupsReplications`` (so no read per region is needed)."""
    return sorted({region for region in (arns.region(r.get("DBInstanceAutomatedBackupsArn"))
                                         for r in db.get("DBInstanceAutomatedBackupsReplications") or []) if region})


def _replication_state(db: dict) -> str | None:
    """Why a read replica does not replicate (its "read replication" status info), else None.

    An instance that reports no such status info is judged by its instance status alone.
    """
    infos = [i for i in db.get("StatusInfos") or [] if i.get("StatusType") == "read replication"]
    return first_reason(*(out_of_service("rds_instance.replication", i.get("Status")) for i in infos))


KIND = declare_kind(
    "rds_instance", "regional", "An RDS DB instance.",
    attributes={
        "identifier": (STR, "DB instance identifier"),
        "engine": (STR, "engine, e.g. mysql"),
        "engine_version": (STR, "engine version, e.g. 8.4.7"),
        "instance_class": (STR, "instance class"),
        "port": (INT, "listener port"),
        "multi_az": (BOOL, "Multi-AZ deployment"),
        "backup_retention_period": (INT, "automated backup retention, days"),
        "backup_window": (STR, "preferred backup window, hh24:mi-hh24:mi UTC"),
        "db_subnet_group": (STR, "DB subnet group name"),
        "is_read_replica": (BOOL, "replicates from another instance"),
        "replicate_source_identifier": (STR, "identifier of the replication source"),
        "replicate_source_region": (STR, "region of the replication source"),
        "storage_encrypted": (BOOL, "storage encryption"),
        "kms_key_region": (STR, "region of the KMS key that encrypts its storage, none when unset"),
        "deletion_protection": (BOOL, "deletion protection"),
        "backup_replication_regions": (STR_LIST, "regions its automated backups are replicated to"),
        "latest_restorable_time": (STR, "latest point-in-time restore point, ISO 8601 UTC "
                                        "(not set without automated backups)"),
        "publicly_accessible": (BOOL, "reachable from outside its VPC (a public DNS name)"),
        "performance_insights": (BOOL, "Performance Insights enabled"),
        "cloudwatch_logs_exports": (STR_LIST, "log types exported to CloudWatch Logs, e.g. error, slowquery"),
        "skip_final_snapshot": terraform_only(BOOL, "deleting it skips the final snapshot"),
        "final_snapshot_identifier": terraform_only(STR, "name of the snapshot taken when it is deleted"),
        "allocated_storage": (INT, "allocated storage, GiB"),
        "db_name": (STR, "name of the database created with it; none when none was"),
        "master_username": (STR, "master user name"),
    },
    terraform={"aws_db_instance": rds_instance},
    service="rds", collect=rds_instances,
    reads={"rds": {"DescribeDBInstances": "rds:DescribeDBInstances"}},
    states={
        # RDS's "Viewing DB instance status": the states in which the instance accepts connections
        # while an operation runs; creating, failed, incompatible-*, storage-full, stopped, rebooting,
        # upgrading, maintenance, deleting, ... do not serve
        "rds_instance": StateRule("DBInstanceStatus", frozenset({
            "available", "backing-up", "configuring-enhanced-monitoring", "configuring-iam-database-auth",
            "configuring-log-exports", "modifying", "resetting-master-credentials", "storage-optimization"})),
        "rds_instance.replication": StateRule("read replication status", frozenset({"replicating"}),
                                              "a read replica that does not replicate is no replica"),
    },
)
