"""The ``dynamodb_table`` kind. A DynamoDB table.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit import arns
from dr_audit.aws.collecting import counted_regions, detail, iso_utc, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import BOOL, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given, plain
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def dynamodb_table(r: Reader) -> dict:
    stream = r.arg("stream_enabled", False)
    return {"name": r.arg("name"), "stream_enabled": stream,
            "stream_view_type": r.arg("stream_view_type", None),
            "replica_regions": _table_replica_regions(r),
            "point_in_time_recovery": r.nested("point_in_time_recovery.enabled", False),
            "pitr_latest_restorable_time": r.at_block(
                Unknown(f"{r.instance.address}.pitr_latest_restorable_time", "known only in the account"),
                "reported by DynamoDB")}


def _table_replica_regions(r: Reader) -> AttributeValue:
    """Regions of ``replica`` blocks (a null region_name is no replica) and of
    ``aws_dynamodb_table_replica`` resources whose ``global_table_arn`` names this table."""
    regions: list[Any] = []
    where: list[tuple[str, int | None]] = []
    for block in r.blocks("replica"):
        evidence = given(block, "region_name")
        if evidence is not None:
            regions.append(plain(evidence.value, evidence.expression))
            where.append((evidence.file, evidence.line))
    for replica in r.attached("aws_dynamodb_table_replica", "global_table_arn") + _replicas_by_arn(r):
        regions.append(replica.instance.region)
        where.append((replica.instance.file, replica.instance.line))
    if not regions:
        return r.at_block([], "no replica blocks and no aws_dynamodb_table_replica names it")
    return AttributeValue(regions, *where[0])


def _replicas_by_arn(r: Reader) -> list[Reader]:
    """``aws_dynamodb_table_replica`` instances whose literal ``global_table_arn`` is this table's ARN."""
    name = r.given("name")
    if name is None or not isinstance(name.value, str):
        return []
    found = []
    for replica in r.by_type.get("aws_dynamodb_table_replica", []):
        arn = given(replica, "global_table_arn")
        if (arn is not None and isinstance(arn.value, str) and arn.value.endswith(f":table/{name.value}")
                and arns.region(arn.value) == r.instance.region):
            found.append(r.reader(replica))
    return found


def dynamodb_table_data(r: Reader) -> dict:
    live = "a data source: read from the account at plan time"
    unknown = lambda name: r.at_block(Unknown(f"{r.instance.address}.{name}", live), live)
    return {"name": r.arg("name"), "stream_enabled": unknown("stream_enabled"),
            "stream_view_type": unknown("stream_view_type"), "replica_regions": unknown("replica"),
            "point_in_time_recovery": unknown("point_in_time_recovery"),
            "pitr_latest_restorable_time": unknown("pitr_latest_restorable_time")}


# ----- the account -------------------------------------------------------------

def dynamodb_tables(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    legacy = detail(lambda: _legacy_global_tables(reader, region))
    for name in reader.paginate("dynamodb", region, "list_tables", "TableNames"):
        table = reader.call("dynamodb", region, "describe_table", TableName=name)["Table"]
        stream = table.get("StreamSpecification") or {}
        pitr = detail(lambda: reader.call("dynamodb", region, "describe_continuous_backups", TableName=name)
                      ["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {}))
        found.append(live_resource("dynamodb_table", region, table.get("TableArn", name),
                                   not_serving=out_of_service("dynamodb_table", table.get("TableStatus")), name=name,
                                   stream_enabled=bool(stream.get("StreamEnabled")),
                                   stream_view_type=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
                                   replica_regions=_replica_regions(reader, region, table, legacy),
                                   point_in_time_recovery=_pitr_enabled(pitr),
                                   pitr_latest_restorable_time=_pitr_latest(pitr)))
    return found


def _pitr_enabled(pitr: Any) -> Any:
    """Whether a PointInTimeRecoveryDescription says ENABLED; an unreadable one stays unreadable."""
    return pitr if isinstance(pitr, Unreadable) else pitr.get("PointInTimeRecoveryStatus") == "ENABLED"


def _pitr_latest(pitr: Any) -> Any:
    """Its LatestRestorableDateTime as ISO 8601 UTC; None (not set) unless PITR is ENABLED,
    since a disabled or still-enabling PITR offers no restore point."""
    if isinstance(pitr, Unreadable):
        return pitr
    return iso_utc(pitr.get("LatestRestorableDateTime")) if _pitr_enabled(pitr) else None


def _replica_regions(reader: AwsReader, region: str, table: dict, legacy: Any) -> Any:
    """The table's replica regions whose replica is ACTIVE (see ``states`` below).

    Version 2019.11.21 lists replicas in DescribeTable; a version 2017.11.29
    (legacy) global table lists them only through DescribeGlobalTable, so a
    table without ``Replicas`` that ListGlobalTables names is described there.
    """
    if table.get("Replicas"):
        return counted_regions([(r["RegionName"], r.get("ReplicaStatus")) for r in table["Replicas"]],
                               "dynamodb_table.replica")
    if isinstance(legacy, Unreadable):
        return legacy  # it could be a legacy global table: its replicas cannot be told
    if table["TableName"] not in legacy:
        return AttributeValue([])
    described = detail(lambda: reader.call("dynamodb", region, "describe_global_table",
                                            GlobalTableName=table["TableName"])["GlobalTableDescription"])
    if isinstance(described, Unreadable):
        return described
    # a legacy replica may not report its own status: the global table's status then stands for it
    overall = described.get("GlobalTableStatus")
    return counted_regions([(r["RegionName"], r.get("ReplicaStatus", overall))
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


KIND = declare_kind(
    "dynamodb_table", "regional", "A DynamoDB table.",
    attributes={
        "name": (STR, "table name"),
        "stream_enabled": (BOOL, "DynamoDB Streams enabled"),
        "stream_view_type": (STR, "stream view type, e.g. NEW_AND_OLD_IMAGES"),
        "replica_regions": (STR_LIST, "regions holding global-table replicas"),
        "point_in_time_recovery": (BOOL, "PITR enabled"),
        "pitr_latest_restorable_time": (STR, "latest PITR restore point, ISO 8601 UTC (not set while PITR is off)"),
    },
    terraform={"aws_dynamodb_table": dynamodb_table, "data.aws_dynamodb_table": dynamodb_table_data},
    service="dynamodb", collect=dynamodb_tables,
    reads={
        "dynamodb": {"DescribeGlobalTable": "dynamodb:DescribeGlobalTable", "ListTables": "dynamodb:ListTables",
                     "DescribeTable": "dynamodb:DescribeTable",
                     "DescribeContinuousBackups": "dynamodb:DescribeContinuousBackups",
                     "ListGlobalTables": "dynamodb:ListGlobalTables"},
    },
    states={
        "dynamodb_table": StateRule("TableStatus", frozenset({"ACTIVE", "UPDATING"})),
        "dynamodb_table.replica": StateRule("ReplicaStatus", frozenset({"ACTIVE"})),
    },
)
