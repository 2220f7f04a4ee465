"""The ``rds_cluster`` kind. An Aurora DB cluster: where its instances run and its part in a global database.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import detail, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.rds_global_cluster import is_source_of, member_reason, names_global, writer
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given, names_instance, value_of
from dr_audit.terraform.values import Unknown

#: engines DescribeDBClusters also lists that Terraform declares with other resource types
_OTHER_SERVICES = ("neptune", "docdb")


# ----- Terraform ---------------------------------------------------------------

def rds_cluster(r: Reader) -> dict:
    """An ``aws_rds_cluster`` as rds_cluster attributes (its instances and global cluster read where declared)."""
    global_id, role = _global_membership(r)
    return {"identifier": r.arg("cluster_identifier", unset_reason="not set: a name is generated at apply time"),
            "engine": r.arg("engine"),
            "engine_version": r.arg("engine_version", unset_reason="not set: AWS picks the default version"),
            "backup_retention_period": r.arg("backup_retention_period", 1),
            "deletion_protection": r.arg("deletion_protection", False),
            "storage_encrypted": _storage_encrypted(r),
            "availability_zones": _instance_zones(r),
            "global_cluster": global_id,
            "global_role": role}


def _storage_encrypted(r: Reader) -> AttributeValue:
    """Unset: true for serverless engine_mode, the global cluster's when code sets it there, inherited
    from a snapshot, source or global cluster at apply time, else the provider's default false."""
    if r.given("storage_encrypted") is not None:
        return r.arg("storage_encrypted")
    mode = r.given("engine_mode")
    if mode is not None and isinstance(mode.value, Unknown):  # it may evaluate to serverless
        return value_of(mode)
    if mode is not None and mode.value == "serverless":
        return AttributeValue(True, mode.file, mode.line, mode.expression, "storage_encrypted not set: serverless default")
    global_, _ = _declared_global(r)
    if global_ is not None and global_.given("storage_encrypted") is not None:
        found = global_.arg("storage_encrypted")
        return AttributeValue(found.value, found.file, found.line, found.expression,
                              f"storage_encrypted not set: inherits {global_.instance.address}'s")
    sources = [name for name in ("snapshot_identifier", "replication_source_identifier", "global_cluster_identifier")
               if r.given(name) is not None] + (["restore_to_point_in_time"] if r.blocks("restore_to_point_in_time") else [])
    if sources:
        return r.at_block(Unknown(f"{r.instance.address}.storage_encrypted",
                                  f"not set: inherited through {sources[0]} at apply time"), "storage_encrypted not set")
    return r.arg("storage_encrypted", False)


def _names_cluster(cluster: Reader, instance: Any) -> bool | None:
    """Whether an ``aws_rds_cluster_instance`` belongs to ``cluster``: True, False, or None when unresolved."""
    return names_instance(given(instance, "cluster_identifier"), cluster, "cluster_identifier")


def _instance_zones(r: Reader) -> AttributeValue:
    """The sorted AZs of the ``aws_rds_cluster_instance`` resources naming this cluster.

    An instance without ``availability_zone`` is placed by AWS at apply time: Unknown.
    """
    zones = []
    for instance in r.by_type.get("aws_rds_cluster_instance", []):
        belongs = _names_cluster(r, instance)
        if belongs is None:
            return AttributeValue(Unknown(f"{instance.address}.cluster_identifier",
                                          f"{instance.address} may belong to it: its cluster is unresolved"),
                                  instance.file, instance.line)
        if not belongs:
            continue
        zone = given(instance, "availability_zone")
        if zone is None:
            return AttributeValue(Unknown(f"{instance.address}.availability_zone",
                                          "not set: AWS picks the instance's AZ at apply time"), instance.file,
                                  instance.line, None, "availability_zone not set")
        if not isinstance(zone.value, str):
            return value_of(zone)
        zones.append(zone.value)
    if not zones:
        return r.at_block([], "no aws_rds_cluster_instance names it")
    return r.at_block(sorted(set(zones)), "AZs of its aws_rds_cluster_instance resources")


def _declared_global(r: Reader) -> tuple[Reader | None, bool]:
    """The declared ``aws_rds_global_cluster`` this cluster belongs to (by its own
    ``global_cluster_identifier`` or as the global cluster's source), and whether some
    global cluster may claim it unresolved."""
    doubt = False
    for other in r.by_type.get("aws_rds_global_cluster", []):
        global_ = r.reader(other)
        named, source = names_global(r, global_), is_source_of(r, global_)
        if named or source:
            return global_, False
        doubt = doubt or named is None or source is None
    return None, doubt


def _global_membership(r: Reader) -> tuple[AttributeValue, AttributeValue]:
    """(global cluster identifier, "primary" | "secondary"), both None when it is no member."""
    global_, doubt = _declared_global(r)
    evidence = r.given("global_cluster_identifier")
    if global_ is not None:
        return global_.arg("global_cluster_identifier"), _role(r, global_)
    if evidence is not None:
        found = value_of(evidence)
        unknown = AttributeValue(Unknown(evidence.expression or "global_cluster_identifier",
                                         "the global cluster is not declared in this code"),
                                 evidence.file, evidence.line, evidence.expression)
        return found, (unknown if found.known else found)
    if doubt:
        unknown = r.at_block(Unknown(f"{r.instance.address} global cluster",
                                     "a global cluster's members are unresolved: it may be one"), "unresolved")
        return unknown, unknown
    none = r.at_block(None, "not a member of a global cluster")
    return none, none


def _role(r: Reader, global_: Reader) -> AttributeValue:
    chosen, evidence = writer(global_)
    where = (evidence.file, evidence.line, evidence.expression)
    if chosen is not None:
        role = "primary" if chosen.instance.address == r.instance.address else "secondary"
        return AttributeValue(role, *where, evidence.note)
    if isinstance(evidence.value, tuple):  # the source ARN names a cluster this code does not declare
        own = r.given("cluster_identifier")
        if own is None or not isinstance(own.value, str):
            return r.at_block(Unknown(f"{r.instance.address}.cluster_identifier", "unresolved"), "unresolved")
        role = "primary" if evidence.value == (own.value, r.instance.region) else "secondary"
        return AttributeValue(role, *where, evidence.note)
    return evidence


# ----- the account -------------------------------------------------------------

def rds_clusters(reader: AwsReader, region: str) -> list[Resource]:
    """The RDS DB clusters of ``region`` (every page), with their serving instances' AZs and global membership."""
    zones = detail(lambda: _zones_by_cluster(reader, region))
    memberships = detail(lambda: _global_memberships(reader, region))
    found = []
    for cluster in reader.paginate("rds", region, "describe_db_clusters", "DBClusters"):
        if cluster.get("Engine") in _OTHER_SERVICES:
            continue
        identifier = cluster["DBClusterIdentifier"]
        arn = cluster.get("DBClusterArn", identifier)
        global_id, role = _membership_of(memberships, arn)
        found.append(live_resource(
            "rds_cluster", region, arn, not_serving=out_of_service("rds_cluster", cluster.get("Status")),
            identifier=identifier, engine=cluster.get("Engine"), engine_version=cluster.get("EngineVersion"),
            backup_retention_period=cluster.get("BackupRetentionPeriod"),
            deletion_protection=bool(cluster.get("DeletionProtection")),
            storage_encrypted=bool(cluster.get("StorageEncrypted")),
            availability_zones=zones if isinstance(zones, Unreadable) else zones.get(identifier, AttributeValue([])),
            global_cluster=global_id, global_role=role))
    return found


def _zones_by_cluster(reader: AwsReader, region: str) -> dict[str, AttributeValue]:
    """Cluster identifier -> the sorted AZs of its instances that serve (the ``rds_instance`` state rule),
    noting the instances left out. The same DescribeDBInstances read the ``rds_instance`` kind makes."""
    serving: dict[str, set] = {}
    left_out: dict[str, list] = {}
    for db in reader.paginate("rds", region, "describe_db_instances", "DBInstances"):
        cluster = db.get("DBClusterIdentifier")
        if not cluster:
            continue
        reason = out_of_service("rds_instance", db.get("DBInstanceStatus"))
        if reason:
            left_out.setdefault(cluster, []).append(f"{db['DBInstanceIdentifier']} ({reason})")
        elif db.get("AvailabilityZone"):
            serving.setdefault(cluster, set()).add(db["AvailabilityZone"])
    return {cluster: AttributeValue(sorted(serving.get(cluster, ())),
                                    note=f"instances not counted: {', '.join(left_out[cluster])}"
                                    if cluster in left_out else None)
            for cluster in set(serving) | set(left_out)}


def _global_memberships(reader: AwsReader, region: str) -> dict[str, tuple[str, dict]]:
    """Member cluster ARN -> (global cluster identifier, its GlobalClusterMembers entry), every page read.

    Read in the cluster's own region: DescribeGlobalClusters lists every global cluster of the account.
    """
    return {member["DBClusterArn"]: (cluster["GlobalClusterIdentifier"], member)
            for cluster in reader.paginate("rds", region, "describe_global_clusters", "GlobalClusters")
            for member in cluster.get("GlobalClusterMembers") or [] if member.get("DBClusterArn")}


def _membership_of(memberships: Any, arn: str) -> tuple[Any, Any]:
    """(global cluster identifier, "primary" | "secondary") of the cluster ``arn``; None, None when it is no
    member or its membership does not count (a secondary pending resync replicates nothing)."""
    if isinstance(memberships, Unreadable):
        return memberships, memberships
    if arn not in memberships:
        return None, None
    global_id, member = memberships[arn]
    reason = member_reason(member)
    if reason:
        note = f"member of {global_id} not counted: {reason}"
        return AttributeValue(None, note=note), AttributeValue(None, note=note)
    return global_id, "primary" if member.get("IsWriter") else "secondary"


KIND = declare_kind(
    "rds_cluster", "regional", "An Aurora DB cluster.",
    attributes={
        "identifier": (STR, "DB cluster identifier"),
        "engine": (STR, "engine, e.g. aurora-postgresql"),
        "engine_version": (STR, "engine version"),
        "backup_retention_period": (INT, "automated backup retention, days"),
        "deletion_protection": (BOOL, "deletion protection"),
        "storage_encrypted": (BOOL, "storage encryption"),
        "availability_zones": (STR_LIST, "AZs of its DB instances that serve"),
        "global_cluster": (STR, "identifier of the global cluster it replicates in, none when it is no member"),
        "global_role": (STR, "primary or secondary in its global cluster, none when it is no member"),
    },
    terraform={"aws_rds_cluster": rds_cluster},
    service="rds", collect=rds_clusters,
    reads={"rds": {"DescribeDBClusters": "rds:DescribeDBClusters",
                   "DescribeDBInstances": "rds:DescribeDBInstances",
                   "DescribeGlobalClusters": "rds:DescribeGlobalClusters"}},
    states={
        # Aurora's "Viewing DB cluster status": the states in which the cluster serves while an
        # operation runs; creating, failing-over, inaccessible-encryption-credentials, migrating,
        # promoting, starting, stopped, stopping, upgrading, maintenance, deleting, ... do not
        "rds_cluster": StateRule("Status", frozenset({
            "available", "backing-up", "backtracking", "modifying", "renaming", "resetting-master-credentials",
            "storage-optimization", "update-iam-db-auth"})),
    },
)
