"""The shipped PortForge estates seed the replica's lag relative to the run: as found, one
night's spike breaks the 5-second RPO; remediated, the lag stays within it (and the new
global-table replicas' latency within DynamoDB's 1 s). Read as an audit reads the account."""

from __future__ import annotations

import pytest

from dr_audit.aws.target import TargetOptions
from dr_audit.context import AuditContext
from dr_audit.findings import Status
from dr_audit.sandbox.estate import load_estate, seed
from tests.conftest import ESTATES, POLICY

MEASURED = ("RDS-REPLICA-LAG-MEASURED-MAX", "RDS-REPLICA-LAG-MEASURED-P99", "DYNAMODB-TEAM-CHATS-REPLICATION-MEASURED",
            "DYNAMODB-CHAT-ROOMS-REPLICATION-MEASURED", "R53-PRIMARY-API-HEALTHY-MEASURED")


@pytest.fixture
def live_audit(sandbox, monkeypatch):
    """The shipped policy in live mode against ``estate`` seeded into the test's sandbox."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    def run(estate: str) -> dict:
        seed(sandbox, load_estate(ESTATES, estate))
        context = AuditContext(POLICY, None, "live", TargetOptions(endpoint_url=sandbox.url))
        try:
            return {row: context.finding(row) for row in MEASURED}
        finally:
            context.close()

    return run


def test_as_found_the_replica_lag_spike_breaks_the_rpo_and_the_tables_have_nothing_to_measure(live_audit):
    findings = live_audit("portforge-as-found")
    lag = findings["RDS-REPLICA-LAG-MEASURED-MAX"]
    assert lag.status is Status.FAIL and lag.live.value == 14.0
    assert "ReplicaLag (DBInstanceIdentifier=portforge-dr-rds-replica) max over 24h = 14 seconds at" in lag.message
    points = lag.live.resources[0].series["points"]
    assert 280 <= len(points) <= 290 and max(v for _, v in points) == 14.0
    assert findings["RDS-REPLICA-LAG-MEASURED-P99"].status is Status.FAIL
    for table in ("DYNAMODB-TEAM-CHATS-REPLICATION-MEASURED", "DYNAMODB-CHAT-ROOMS-REPLICATION-MEASURED"):
        assert findings[table].status is Status.UNKNOWN and "nothing is replicated" in findings[table].message
    assert findings["R53-PRIMARY-API-HEALTHY-MEASURED"].status is Status.FAIL  # no health check at all


def test_remediated_every_measurement_is_within_its_rpo(live_audit):
    findings = live_audit("portforge-remediated")
    assert {row: f.status for row, f in findings.items()} == {row: Status.PASS for row in MEASURED}
    assert findings["RDS-REPLICA-LAG-MEASURED-MAX"].live.value == 3.5
    assert findings["DYNAMODB-TEAM-CHATS-REPLICATION-MEASURED"].live.value == 0.78
    health = findings["R53-PRIMARY-API-HEALTHY-MEASURED"]  # a global metric: read in the partition's global region
    assert health.live.value == 1 and health.live.resources[0].region == "us-east-1"
