"""How a measured row is decided: the statistic over the window against the number, each
series a resource check with its datapoints; no datapoint is UNKNOWN, an unread series ERROR;
the code side is never consulted (Terraform declares no series)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dr_audit.evaluate import evaluate_full, evaluate_live, evaluate_static
from dr_audit.findings import SourceState, Status
from dr_audit.inventory import AttributeValue, Inventory, Resource
from dr_audit.measured import MeasurementSet, SeriesResult, series_for
from dr_audit.plugin import explain
from dr_audit.policy import load_policy
from dr_audit.report.json_report import build_report

END = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
REPLICA = "arn:aws:rds:eu-central-1:123456789012:db:replica"
TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/chats"

POLICY_TEXT = """\
policy: {name: measured, version: 1}
roles:
  primary: {region: eu-west-1}
  dr: {region: eu-central-1}
facts:
  objectives: {rpo_seconds: 5}
  alarms: {replica_lag_seconds: 60}
rows:
  - {id: POLICY-LAG-ALARM, clause: "10", title: alarm before the rpo, kind: policy, comparator: at_most,
     args: {value: alarms.replica_lag_seconds, limit: objectives.rpo_seconds}, severity: high}
  - {id: LAG-MAX, clause: "1", title: lag max, kind: rds_instance, role: dr, select: {is_read_replica: true},
     measure: {metric: ReplicaLag, statistic: max, window: 24h}, op: lte, value: {fact: objectives.rpo_seconds},
     severity: high}
  - {id: DDB-LATENCY, clause: "1", title: ddb, kind: dynamodb_table, role: primary, select: {name: chats},
     measure: {metric: ReplicationLatency, statistic: max, window: 24h}, op: lte, value: 1, severity: high}
  - {id: EVERY-REPLICA, clause: "1", title: every db, kind: rds_instance, role: dr, when_absent: not_applicable,
     measure: {metric: ReplicaLag, statistic: average, window: 1h}, op: lte, value: 5, severity: high}
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_TEXT)
    return load_policy(path)


def replica() -> Resource:
    return Resource("rds_instance", "aws", REPLICA, "eu-central-1",
                    {"identifier": AttributeValue("replica"), "is_read_replica": AttributeValue(True)})


def table(regions: list[str]) -> Resource:
    return Resource("dynamodb_table", "aws", TABLE, "eu-west-1",
                    {"name": AttributeValue("chats"), "replica_regions": AttributeValue(regions)})


def measured(policy, resources: list[Resource], results: dict[str, SeriesResult],
             minimum: SeriesResult | None = None) -> Inventory:
    """A live inventory whose measured rows' series answer ``results`` (by row id), and whose
    guard series (the minimum read beside ReplicaLag) answer ``minimum``."""
    inventory = Inventory("aws", resources)
    inventory.measurements = MeasurementSet(end=END)
    for row in policy.rows:
        for resource in resources:
            if resource.kind != row.kind:
                continue
            planned = series_for(row.measure, row.kind, resource, resource.region)
            inventory.measurements.planned[(row.id, resource.address)] = planned
            for series in planned:
                if series.key is not None and row.id in results:
                    inventory.measurements.results[series.key] = results[row.id]
                if series.guard is not None and minimum is not None:
                    inventory.measurements.results[series.guard] = minimum
    return inventory


def spike(peak: float) -> SeriesResult:
    stamps = [END - timedelta(minutes=5 * n) for n in range(6, 0, -1)]
    values = [1.0, 1.0, peak, 2.0, 1.0, 1.0]
    return SeriesResult(window_values=[peak], timestamps=stamps, values=values)


def test_a_spike_above_the_rpo_fails_and_says_when(policy):
    finding = evaluate_live(policy.row("LAG-MAX"), policy, measured(policy, [replica()], {"LAG-MAX": spike(14.0)}))
    assert finding.status is Status.FAIL
    assert finding.live.value == 14.0
    assert "AWS/RDS ReplicaLag (DBInstanceIdentifier=replica) max over 24h = 14 seconds at 2026-12-02 11:40 UTC " \
           "(expected <= 5)" in finding.message
    check = finding.live.resources[0]
    assert check.verdict == "violates" and check.region == "eu-central-1"
    assert check.series["threshold"] == 5 and check.series["statistic"] == "max" and check.series["window"] == "24h"
    assert check.series["points"][2] == ["2026-12-02T11:40:00+00:00", 14.0]
    assert check.series["start"] == "2026-12-01T12:00:00+00:00" and check.series["end"] == "2026-12-02T12:00:00+00:00"


def test_within_the_rpo_passes_on_the_account_alone_in_full_mode(policy):
    live = measured(policy, [replica()], {"LAG-MAX": spike(3.5)})
    finding = evaluate_full(policy.row("LAG-MAX"), policy, Inventory("terraform"), live)
    assert finding.status is Status.PASS
    assert finding.terraform.state is SourceState.NOT_CONSULTED
    assert "Terraform declares no CloudWatch series" in finding.terraform.detail


def test_no_datapoint_in_the_window_is_unknown_never_pass(policy):
    live = measured(policy, [replica()], {"LAG-MAX": SeriesResult()})
    finding = evaluate_live(policy.row("LAG-MAX"), policy, live)
    assert finding.status is Status.UNKNOWN
    assert "no datapoints between 2026-12-01 12:00 UTC and 2026-12-02 12:00 UTC" in finding.message
    assert "replication metrics are off" in finding.message and "no data is not a pass" in finding.message


def test_an_unread_series_is_an_error(policy):
    live = measured(policy, [replica()], {"LAG-MAX": SeriesResult(error="cloudwatch GetMetricData failed: Throttling")})
    assert evaluate_live(policy.row("LAG-MAX"), policy, live).status is Status.ERROR
    forbidden = measured(policy, [replica()], {"LAG-MAX": SeriesResult(status="Forbidden", messages=["denied"])})
    assert evaluate_live(policy.row("LAG-MAX"), policy, forbidden).status is Status.ERROR


def test_series_not_read_at_all_are_an_error_not_a_pass(policy):
    finding = evaluate_live(policy.row("LAG-MAX"), policy, Inventory("aws", [replica()]))
    assert finding.status is Status.ERROR and "were not read" in finding.message


def test_milliseconds_are_compared_in_seconds_per_replica_region(policy):
    slow = SeriesResult(window_values=[1500.0], timestamps=[END - timedelta(minutes=5)], values=[1500.0])
    live = measured(policy, [table(["eu-central-1", "us-west-2"])], {"DDB-LATENCY": slow})
    finding = evaluate_live(policy.row("DDB-LATENCY"), policy, live)
    assert finding.status is Status.FAIL and finding.live.value == 1.5
    assert [c.address for c in finding.live.resources] == [f"{TABLE} (ReceivingRegion=eu-central-1)",
                                                           f"{TABLE} (ReceivingRegion=us-west-2)"]
    assert finding.live.resources[0].series["points"] == [["2026-12-02T11:55:00+00:00", 1.5]]


def test_a_table_without_replicas_has_nothing_to_measure_and_is_unknown(policy):
    finding = evaluate_live(policy.row("DDB-LATENCY"), policy, measured(policy, [table([])], {}))
    assert finding.status is Status.UNKNOWN
    assert "has no replica_regions: nothing is replicated" in finding.message


def test_an_absent_resource_fails_and_an_empty_kind_may_be_not_applicable(policy):
    live = measured(policy, [], {})
    assert evaluate_live(policy.row("LAG-MAX"), policy, live).status is Status.FAIL
    assert evaluate_live(policy.row("EVERY-REPLICA"), policy, live).status is Status.NOT_APPLICABLE


def test_static_mode_skips_a_measured_row_saying_why(policy):
    finding = evaluate_static(policy.row("LAG-MAX"), policy, Inventory("terraform"))
    assert finding.status is Status.UNKNOWN
    assert finding.skip_reason.endswith("static mode does not read the account")


def test_the_report_keeps_the_window_statistic_fact_and_datapoints(policy):
    live = measured(policy, [replica()], {"LAG-MAX": spike(14.0)})
    row = policy.row("LAG-MAX")
    finding = evaluate_live(row, policy, live)
    document = build_report(policy, {r.id: evaluate_live(r, policy, live) for r in policy.rows}, None,
                            {"accounts": []}, live)
    data = next(r for r in document["rows"] if r["id"] == "LAG-MAX")
    assert data["measure"]["window"] == "24h" and data["measure"]["statistic"] == "max"
    assert data["expected"] == {"op": "lte", "value": 5, "fact": "objectives.rpo_seconds"}
    assert len(data["resources"][0]["series"]["points"]) == 6
    assert "expected : ReplicaLag max over 24h <= 5 (objectives.rpo_seconds)" in explain(row, finding)


def test_the_coherence_row_shows_the_lag_measured_against_the_same_rpo(policy):
    live = measured(policy, [replica()], {"LAG-MAX": spike(14.0)})
    findings = {r.id: evaluate_live(r, policy, live) for r in policy.rows}
    document = build_report(policy, findings, None, {"accounts": []}, live)
    alarm = next(r for r in document["rows"] if r["id"] == "POLICY-LAG-ALARM")
    assert alarm["status"] == "FAIL"  # 60 s alarm against a 5 s RPO
    assert alarm["measured_beside"] == [{"row": "LAG-MAX", "metric": "ReplicaLag", "statistic": "max",
                                         "window": "24h", "value": 14.0, "unit": "seconds", "op": "lte",
                                         "threshold": 5, "fact": "objectives.rpo_seconds", "status": "FAIL"}]
    assert "measured_beside" not in next(r for r in document["rows"] if r["id"] == "LAG-MAX")


def test_a_replica_whose_replication_stopped_fails_whatever_its_lag_statistic(policy):
    stopped = SeriesResult(window_values=[-1.0], timestamps=[END - timedelta(hours=3), END - timedelta(hours=2)],
                           values=[0.0, -1.0])
    live = measured(policy, [replica()], {"LAG-MAX": spike(1.0)}, minimum=stopped)
    finding = evaluate_live(policy.row("LAG-MAX"), policy, live)
    assert finding.status is Status.FAIL
    assert "ReplicaLag was -1 in the window (first at 2026-12-02 10:00 UTC): replication was not active" \
        in finding.message
    healthy = measured(policy, [replica()], {"LAG-MAX": spike(1.0)}, minimum=SeriesResult(window_values=[0.0]))
    assert evaluate_live(policy.row("LAG-MAX"), policy, healthy).status is Status.PASS


def test_the_minimum_is_read_beside_replica_lag_only():
    measure = load_measure("max")
    planned = series_for(measure, "rds_instance", replica(), "eu-central-1")[0]
    assert planned.guard.stat == "Minimum" and planned.key.stat == "Maximum" and len(planned.keys()) == 2
    assert len(series_for(load_measure("min"), "rds_instance", replica(), "eu-central-1")[0].keys()) == 1
    ddb = series_for(load_measure("max", "ReplicationLatency"), "dynamodb_table", table(["eu-central-1"]), "eu-west-1")
    assert ddb[0].guard is None


def load_measure(statistic: str, metric: str = "ReplicaLag"):
    from dr_audit.measured import parse_measure

    kind = "rds_instance" if metric == "ReplicaLag" else "dynamodb_table"
    return parse_measure({"metric": metric, "statistic": statistic}, kind, lambda message: None)


def test_a_dimension_that_could_not_be_read_is_an_error_and_an_unresolved_one_unknown(policy):
    from dr_audit.inventory import Unreadable
    from dr_audit.terraform.values import Unknown

    broken = table([])
    broken.attributes["replica_regions"] = AttributeValue(Unreadable("dynamodb:DescribeTable", "throttled"))
    assert evaluate_live(policy.row("DDB-LATENCY"), policy, measured(policy, [broken], {})).status is Status.ERROR
    vague = table([])
    vague.attributes["replica_regions"] = AttributeValue(Unknown("replicas", "not resolved"))
    finding = evaluate_live(policy.row("DDB-LATENCY"), policy, measured(policy, [vague], {}))
    assert finding.status is Status.UNKNOWN and "is not known" in finding.message
