"""The ``rds_global_cluster`` kind. An Aurora global database: its member clusters by region and its writer.

Its attributes, how Terraform declares it and how the account is read. The
membership helpers here are shared with the ``rds_cluster`` kind, which
reports the same membership from the cluster's side.
"""

from __future__ import annotations

import re
from typing import Any

from dr_audit.aws.collecting import GLOBAL, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, value_of
from dr_audit.terraform.values import Ref, Unknown

_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:(?P<region>[a-z0-9-]+):\d*:cluster:(?P<id>.+)$")


def cluster_arn_parts(arn: Any) -> tuple[str, str] | None:
    """(identifier, region) of an RDS DB cluster ARN, or None for anything else.

    >>> cluster_arn_parts("arn:aws:rds:eu-west-1:111122223333:cluster:orders")
    ('orders', 'eu-west-1')
    """
    match = _CLUSTER_ARN.match(arn) if isinstance(arn, str) else None
    return (match["id"], match["region"]) if match else None


# ----- Terraform ---------------------------------------------------------------

def names_global(cluster: Reader, global_: Reader) -> bool | None:
    """Whether ``cluster``'s ``global_cluster_identifier`` names ``global_``: True, False, or None when unresolved."""
    evidence = cluster.given("global_cluster_identifier")
    if evidence is None:
        return False
    value = evidence.value
    if isinstance(value, Ref):
        return value.address == global_.instance.address
    own = global_.given("global_cluster_identifier")
    if isinstance(value, str) and own is not None and isinstance(own.value, str):
        return value == own.value
    return None


def is_source_of(cluster: Reader, global_: Reader) -> bool | None:
    """Whether ``global_``'s ``source_db_cluster_identifier`` (an ARN) names ``cluster``: True, False or None."""
    evidence = global_.given("source_db_cluster_identifier")
    if evidence is None:
        return False
    value = evidence.value
    if isinstance(value, Ref):
        return value.address == cluster.instance.address
    parts = cluster_arn_parts(value)
    own = cluster.given("cluster_identifier")
    if parts and own is not None and isinstance(own.value, str):
        return parts == (own.value, cluster.instance.region)
    return None


def members(global_: Reader) -> tuple[list[Reader], AttributeValue | None]:
    """The declared ``aws_rds_cluster`` instances of ``global_``; with an Unknown when some cluster may be one."""
    found, doubt = [], None
    for other in global_.by_type.get("aws_rds_cluster", []):
        cluster = global_.reader(other)
        named = names_global(cluster, global_)
        source = is_source_of(cluster, global_)
        if named or source:
            found.append(cluster)
        elif named is None or source is None:
            doubt = AttributeValue(Unknown(f"{other.address}.global_cluster_identifier",
                                           f"{other.address} may be a member: its global cluster is unresolved"),
                                   other.file, other.line)
    return found, doubt


def writer(global_: Reader) -> tuple[Reader | None, AttributeValue]:
    """The member that writes: the cluster ``source_db_cluster_identifier`` names, else the one member
    that sets master credentials (AWS refuses them on a secondary). Out: (its Reader or None, evidence),
    the evidence Unknown when code cannot tell."""
    source = global_.given("source_db_cluster_identifier")
    if source is not None:
        if isinstance(source.value, Ref) and source.value.address in global_.by_address:
            return global_.reader(global_.by_address[source.value.address]), value_of(source)
        parts = cluster_arn_parts(source.value)
        if parts:
            declared = [m for m in members(global_)[0] if is_source_of(m, global_)]
            return (declared[0] if declared else None), AttributeValue(
                parts, source.file, source.line, source.expression, "the source cluster becomes the primary")
        return None, AttributeValue(Unknown(source.expression or "source_db_cluster_identifier",
                                            getattr(source.value, "reason", "not a cluster ARN")),
                                    source.file, source.line, source.expression)
    found, doubt = members(global_)
    if doubt is not None:
        return None, doubt
    credentialed = [m for m in found if _sets_master_credentials(m)]
    if len(credentialed) == 1:
        chosen = credentialed[0]
        return chosen, chosen.at_block(chosen.instance.address, "the one member with master credentials: the primary")
    reason = ("no member sets master credentials" if not credentialed
              else f"{len(credentialed)} members set master credentials")
    return None, global_.at_block(Unknown(f"{global_.instance.address} writer",
                                          f"code does not say which member is primary: {reason}"), reason)


def _sets_master_credentials(cluster: Reader) -> bool:
    managed = cluster.given("manage_master_user_password")
    return cluster.given("master_username") is not None or (managed is not None and managed.value is True)


def _regions(found: list[Reader], doubt: AttributeValue | None, r: Reader) -> AttributeValue:
    """The sorted regions of the members, plus that of an undeclared source cluster named by its ARN."""
    if doubt is not None:
        return doubt
    regions = [m.instance.region for m in found]
    chosen, evidence = writer(r)
    if chosen is None and isinstance(evidence.value, tuple):
        regions.append(evidence.value[1])
    unresolved = [region for region in regions if not isinstance(region, str)]
    if unresolved:
        return r.at_block(unresolved[0], "a member's provider region is unresolved")
    if not regions:
        return r.at_block([], "no aws_rds_cluster names it")
    return r.at_block(sorted(set(regions)), "regions of its member clusters")


def _writer_attributes(r: Reader) -> tuple[AttributeValue, AttributeValue]:
    chosen, evidence = writer(r)
    if chosen is not None:
        return chosen.arg("cluster_identifier"), AttributeValue(chosen.instance.region, evidence.file, evidence.line,
                                                                evidence.expression, evidence.note)
    if isinstance(evidence.value, tuple):  # a literal source ARN naming an undeclared cluster
        identifier, region = evidence.value
        return (AttributeValue(identifier, evidence.file, evidence.line, evidence.expression, evidence.note),
                AttributeValue(region, evidence.file, evidence.line, evidence.expression, evidence.note))
    return evidence, evidence


def _from_source(r: Reader, name: str, unset: AttributeValue) -> AttributeValue:
    """``name`` as written; unset, the source cluster's when the global cluster is made from one, else ``unset``."""
    if r.given(name) is not None:
        return r.arg(name)
    if r.given("source_db_cluster_identifier") is not None:
        return r.linked("source_db_cluster_identifier", lambda source: source.arg(name, False)
                        if name == "storage_encrypted" else source.arg(name))
    return unset


def rds_global_cluster(r: Reader) -> dict:
    """An ``aws_rds_global_cluster`` as rds_global_cluster attributes, its members read from the clusters naming it."""
    found, doubt = members(r)
    writer_cluster, writer_region = _writer_attributes(r)
    return {"identifier": r.arg("global_cluster_identifier"),
            "engine": _from_source(r, "engine", r.arg("engine")),
            "engine_version": _from_source(r, "engine_version", r.arg(
                "engine_version", unset_reason="not set: AWS picks the default version")),
            "storage_encrypted": _from_source(r, "storage_encrypted", r.arg("storage_encrypted", False)),
            "deletion_protection": r.arg("deletion_protection", False),
            "member_regions": _regions(found, doubt, r),
            "writer_cluster": writer_cluster,
            "writer_region": writer_region}


# ----- the account -------------------------------------------------------------

def member_reason(member: dict) -> str | None:
    """Why a GlobalClusterMembers entry does not count as a member (its synchronization), or None."""
    return out_of_service("rds_global_cluster.member", member.get("SynchronizationStatus"))


def _member_regions(found) -> list[str]:
    """The sorted regions of GlobalClusterMembers entries, read from their cluster ARNs."""
    return sorted({parts[1] for parts in (cluster_arn_parts(m.get("DBClusterArn")) for m in found) if parts})


def rds_global_clusters(reader: AwsReader, region: str) -> list[Resource]:
    """Every global cluster of the account (every page, read once in the partition's global region)."""
    found = []
    for cluster in reader.paginate("rds", reader.global_region, "describe_global_clusters", "GlobalClusters"):
        counted, left_out = [], []
        for member in cluster.get("GlobalClusterMembers") or []:
            reason = member_reason(member)
            (left_out if reason else counted).append((member, reason))
        writers = [cluster_arn_parts(m.get("DBClusterArn")) for m, _ in counted if m.get("IsWriter")]
        parts = writers[0] if writers else None
        note = ("members not counted: " + ", ".join(f"{m.get('DBClusterArn')} ({why})" for m, why in left_out)
                if left_out else None)
        found.append(live_resource(
            "rds_global_cluster", GLOBAL, cluster.get("GlobalClusterArn", cluster["GlobalClusterIdentifier"]),
            not_serving=out_of_service("rds_global_cluster", cluster.get("Status")),
            identifier=cluster["GlobalClusterIdentifier"], engine=cluster.get("Engine"),
            engine_version=cluster.get("EngineVersion"), storage_encrypted=bool(cluster.get("StorageEncrypted")),
            deletion_protection=bool(cluster.get("DeletionProtection")),
            member_regions=AttributeValue(_member_regions(m for m, _ in counted), note=note),
            writer_cluster=AttributeValue(parts[0] if parts else None, note=None if parts else "no counted writer"),
            writer_region=AttributeValue(parts[1] if parts else None, note=None if parts else "no counted writer")))
    return found


KIND = declare_kind(
    "rds_global_cluster", "global", "An Aurora global database (RDS global cluster).",
    attributes={
        "identifier": (STR, "global cluster identifier"),
        "engine": (STR, "engine, e.g. aurora-postgresql"),
        "engine_version": (STR, "engine version"),
        "storage_encrypted": (BOOL, "storage encryption"),
        "deletion_protection": (BOOL, "deletion protection"),
        "member_regions": (STR_LIST, "regions of its member clusters that replicate (a member pending resync is not counted)"),
        "writer_cluster": (STR, "identifier of the primary (writer) member cluster"),
        "writer_region": (STR, "region of the primary (writer) member cluster"),
    },
    terraform={"aws_rds_global_cluster": rds_global_cluster},
    service="rds", collect=rds_global_clusters,
    reads={"rds": {"DescribeGlobalClusters": "rds:DescribeGlobalClusters"}},
    states={
        # Aurora's global database states: only "available" serves as described; creating, modifying
        # (which includes a switchover in progress), failing-over, switching-over, deleting do not
        "rds_global_cluster": StateRule("Status", frozenset({"available"})),
        # SynchronizationStatus is optional in the API: a member that reports none is not said to lag
        "rds_global_cluster.member": StateRule("SynchronizationStatus", frozenset({"connected", None}),
                                               "a secondary that must resynchronize does not replicate"),
    },
)
