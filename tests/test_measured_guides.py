"""Measured rows where the FileFlow guide states an RPO (§3.2: database 15 min by replica lag, object
storage 15 min by CRR), on its shipped estates and on planted bad series. MegaTicket's guide states
no RPO (only "automatic replication" of its global tables), so it has no measured row."""

from __future__ import annotations

import pytest

from dr_audit.aws.target import TargetOptions
from dr_audit.context import AuditContext
from dr_audit.findings import SourceState, Status
from dr_audit.policy import load_policy
from dr_audit.sandbox import moto_shims
from dr_audit.sandbox.estate import load_estate, seed
from dr_audit.sandbox.server import SANDBOX_ACCOUNT
from tests.conftest import ESTATES, REPO

FILEFLOW = REPO / "policies" / "fileflow-hybrid.yaml"
LAG, LATENCY = "RDS-REPLICA-LAG-MEASURED", "S3-CRR-LATENCY-MEASURED"
REPLICA = {"DBInstanceIdentifier": "ryuqqq-shared-rds-replica"}
CRR = {"SourceBucket": "ryuqqq-logs", "DestinationBucket": "ryuqqq-dr-logs", "RuleId": "replicate-to-dr"}


@pytest.fixture
def fileflow(sandbox, monkeypatch):
    """FileFlow's policy in live mode against ``estate``, after ``plant`` (series written over it)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    def run(estate: str, *plant: dict) -> dict:
        seed(sandbox, load_estate(ESTATES, estate))
        for series in plant:
            moto_shims.put_metric_series(SANDBOX_ACCOUNT, **series, hours=48, every_minutes=5, replace=True)
        context = AuditContext(FILEFLOW, None, "live", TargetOptions(endpoint_url=sandbox.url))
        try:
            return {row: context.finding(row) for row in (LAG, LATENCY)}
        finally:
            context.close()

    return run


def test_the_rows_compare_with_the_guides_15_minute_rpos_in_seconds():
    policy = load_policy(FILEFLOW)
    for row_id, fact in ((LAG, "rpo_seconds.database"), (LATENCY, "rpo_seconds.object_storage")):
        row = policy.row(row_id)
        assert (row.clause, row.op, row.value, row.value_fact) == ("3.2", "lte", 900, fact)
    assert policy.row(LATENCY).measure.rule_id == "replicate-to-dr"


def test_as_found_the_lag_is_within_the_rpo_and_crr_without_metrics_has_nothing_to_measure(fileflow):
    findings = fileflow("fileflow-as-found")
    assert findings[LAG].status is Status.PASS and findings[LAG].live.value == 360.0, findings[LAG].message
    latency = findings[LATENCY]
    assert latency.status is Status.UNKNOWN and latency.live.state is SourceState.UNRESOLVED
    assert "no datapoints" in latency.message and "no data is not a pass" in latency.message


def test_remediated_both_are_measured_within_the_rpo(fileflow):
    findings = fileflow("fileflow-remediated")
    assert {row: f.status for row, f in findings.items()} == {LAG: Status.PASS, LATENCY: Status.PASS}
    assert findings[LATENCY].live.value == 410.0


def test_a_planted_lag_or_latency_past_15_minutes_fails_its_row(fileflow):
    findings = fileflow(
        "fileflow-remediated",
        {"region": "ap-northeast-1", "namespace": "AWS/RDS", "metric": "ReplicaLag", "dimensions": REPLICA,
         "unit": "Seconds", "baseline": 3, "spikes": [{"hours_ago": 5, "minutes": 15, "value": 1200}]},
        {"region": "ap-northeast-2", "namespace": "AWS/S3", "metric": "ReplicationLatency", "dimensions": CRR,
         "unit": "Seconds", "baseline": 30, "spikes": [{"hours_ago": 3, "minutes": 10, "value": 960}]})
    assert findings[LAG].status is Status.FAIL and findings[LAG].live.value == 1200.0
    assert "(expected <= 900)" in findings[LAG].message
    assert findings[LATENCY].status is Status.FAIL and findings[LATENCY].live.value == 960.0


def test_a_replica_that_stopped_replicating_fails_the_lag_row_whatever_its_maximum(fileflow):
    findings = fileflow("fileflow-as-found", {
        "region": "ap-northeast-1", "namespace": "AWS/RDS", "metric": "ReplicaLag", "dimensions": REPLICA,
        "unit": "Seconds", "baseline": 1, "spikes": [{"hours_ago": 2, "minutes": 10, "value": -1}]})
    assert findings[LAG].status is Status.FAIL and "replication was not active" in findings[LAG].message
