"""Restore-point age (issue 18): the RDS ``latest_restorable_time`` and DynamoDB
``pitr_latest_restorable_time`` attributes, read from the shapes AWS sends, Unknown in
Terraform; the ``age_at_most`` operator and its validation; and the rows on sandbox estates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.errors import PolicyErrors
from dr_audit.evaluate import evaluate_full, evaluate_static, live_evidence
from dr_audit.findings import SourceState, Status
from dr_audit.inventory import Inventory, Unreadable
from dr_audit.kinds import KINDS
from dr_audit.operators import OPERATORS
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.values import Unknown
from tests.conftest import FIXTURES, POLICY, one

REGION = "eu-west-1"
AGE = OPERATORS["age_at_most"]
ROW = "RDS-RESTORE-POINT-AGE-PRIMARY"


def _ago(seconds: float) -> str:
    moment = datetime.now(timezone.utc) - timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stubbed(service: str):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client(service, REGION))


# ----- the attributes from AWS's response shapes -------------------------------------------

def _db(identifier: str, **extra) -> dict:
    return {"DBInstanceIdentifier": identifier, "DBInstanceArn": f"arn:aws:rds:{REGION}:111122223333:db:{identifier}",
            "DBInstanceStatus": "available", "Engine": "mysql", **extra}


def test_rds_latest_restorable_time_is_iso_utc_and_not_set_without_backups():
    reader, stub = _stubbed("rds")
    seoul_time = timezone(timedelta(hours=9))
    stub.add_response("describe_db_instances", {"DBInstances": [
        _db("app", LatestRestorableTime=datetime(2026, 12, 2, 22, 30, 5, tzinfo=seoul_time)),
        _db("no-backups", BackupRetentionPeriod=0)]})
    with stub:
        found = {r.value("identifier"): r for r in KINDS["rds_instance"].collect(reader, REGION)}
    stub.assert_no_pending_responses()
    assert found["app"].value("latest_restorable_time") == "2026-12-02T13:30:05Z"
    assert found["no-backups"].value("latest_restorable_time") is None


def _dynamodb_table(stub: Stubber, name: str, pitr: dict) -> None:
    stub.add_response("describe_table", {"Table": {
        "TableName": name, "TableArn": f"arn:aws:dynamodb:{REGION}:111122223333:table/{name}",
        "TableStatus": "ACTIVE"}}, {"TableName": name})
    stub.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}}, {"TableName": name})


def test_dynamodb_pitr_latest_restorable_time_is_iso_utc_only_while_pitr_is_enabled():
    reader, stub = _stubbed("dynamodb")
    stub.add_response("list_global_tables", {"GlobalTables": []}, {"RegionName": REGION})
    stub.add_response("list_tables", {"TableNames": ["pitr-on", "pitr-off", "pitr-enabling"]})
    latest = datetime(2026, 12, 2, 13, 25, 0, tzinfo=timezone.utc)
    _dynamodb_table(stub, "pitr-on", {"PointInTimeRecoveryStatus": "ENABLED", "LatestRestorableDateTime": latest,
                                 "EarliestRestorableDateTime": latest - timedelta(days=35)})
    _dynamodb_table(stub, "pitr-off", {"PointInTimeRecoveryStatus": "DISABLED"})
    # a restore point reported while PITR is not ENABLED offers nothing to restore to yet
    _dynamodb_table(stub, "pitr-enabling", {"PointInTimeRecoveryStatus": "ENABLING", "LatestRestorableDateTime": latest})
    with stub:
        found = {r.value("name"): r for r in KINDS["dynamodb_table"].collect(reader, REGION)}
    stub.assert_no_pending_responses()
    assert found["pitr-on"].value("pitr_latest_restorable_time") == "2026-12-02T13:25:00Z"
    assert found["pitr-on"].value("point_in_time_recovery") is True
    assert found["pitr-off"].value("pitr_latest_restorable_time") is None
    assert found["pitr-enabling"].value("pitr_latest_restorable_time") is None


def test_dynamodb_unreadable_continuous_backups_leave_the_restore_point_unreadable():
    reader, stub = _stubbed("dynamodb")
    stub.add_response("list_global_tables", {"GlobalTables": []}, {"RegionName": REGION})
    stub.add_response("list_tables", {"TableNames": ["orders"]})
    stub.add_response("describe_table", {"Table": {"TableName": "orders", "TableStatus": "ACTIVE"}},
                      {"TableName": "orders"})
    stub.add_client_error("describe_continuous_backups", "AccessDeniedException", "denied", 400)
    with stub:
        [table] = KINDS["dynamodb_table"].collect(reader, REGION)
    assert isinstance(table.value("pitr_latest_restorable_time"), Unreadable)
    assert isinstance(table.value("point_in_time_recovery"), Unreadable)


def test_terraform_leaves_both_restore_points_unknown_known_only_in_the_account():
    inventory = collect_terraform(FIXTURES, {"primary": "primary"})
    for kind, attribute, select in (("rds_instance", "latest_restorable_time", {"identifier": "portforge-test-rds"}),
                                    ("dynamodb_table", "pitr_latest_restorable_time", {"name": "team_chats_ddb"})):
        value = one(inventory, kind, **select).value(attribute)
        assert isinstance(value, Unknown) and value.reason == "known only in the account", (kind, value)


# ----- the operator ------------------------------------------------------------------------

def test_age_at_most_passes_a_recent_timestamp_and_fails_an_old_one():
    assert AGE.test(_ago(0), 3600) is True
    assert AGE.test(_ago(7200), 3600) is False
    assert AGE.test("2026-12-02T22:30:05+09:00", 10 ** 10) is True  # any zone, compared in UTC


@pytest.mark.parametrize("actual", ["yesterday", "2026-12-02T13:30:05", 1733145600, True, ["2026-12-02T13:30:05Z"]])
def test_age_at_most_refuses_what_is_not_a_zoned_timestamp(actual):
    with pytest.raises((TypeError, ValueError)):
        AGE.test(actual, 60)


HEADER = """\
policy: {name: test, version: 1}
roles:
  primary: {region: eu-west-1, terraform_root: primary}
facts:
  objectives: {rpo_seconds: 300}
rows:
"""


def _policy(tmp_path, *rows: str):
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return load_policy(path)


def _row(row_id: str, attribute: str, value: str, kind: str = "rds_instance", select: str = "{identifier: app}") -> str:
    return f"""\
  - id: {row_id}
    clause: "1"
    title: {row_id}
    kind: {kind}
    role: primary
    select: {select}
    attribute: {attribute}
    op: age_at_most
    value: {value}
    managed_by: terraform
    severity: high
    unknown_ok: "known only in the account"
"""


def test_the_validator_takes_age_at_most_on_a_timestamp_with_seconds_or_a_fact(tmp_path):
    policy = _policy(tmp_path, _row("AGE-FACT", "latest_restorable_time", "{fact: objectives.rpo_seconds}"),
                     _row("AGE-SECONDS", "latest_restorable_time", "60"))
    assert [row.value for row in policy.rows] == [300, 60]


@pytest.mark.parametrize("attribute, value, message", [
    ("multi_az", "60", "op age_at_most does not apply to rds_instance.multi_az, which is a boolean"),
    ("port", "60", "op age_at_most does not apply to rds_instance.port, which is an integer"),
    ("latest_restorable_time", "-1", "op age_at_most needs a number of seconds, zero or more"),
    ("latest_restorable_time", "an hour", "op age_at_most needs a number of seconds"),
    ("latest_restorable_time", "true", "op age_at_most needs a number of seconds"),
])
def test_the_validator_refuses_age_at_most_elsewhere_and_without_seconds(tmp_path, attribute, value, message):
    with pytest.raises(PolicyErrors) as caught:
        _policy(tmp_path, _row("BAD", attribute, value))
    errors = [str(e) for e in caught.value.errors]
    assert any(message in error for error in errors), errors


def _live(resources) -> Inventory:
    return Inventory("aws", list(resources))


def _instance(value):
    return live_resource("rds_instance", REGION, f"arn:aws:rds:{REGION}:111122223333:db:app", identifier="app",
                         latest_restorable_time=value)


#: stands for "a restore point taken just now": made when the test runs, not when it is collected
JUST_NOW = "just now"


@pytest.mark.parametrize("value, state, said", [
    (JUST_NOW, SourceState.MEETS, "expected age (s) <= 300"),
    ("2000-01-01T00:00:00Z", SourceState.VIOLATES, '= "2000-01-01T00:00:00Z" (expected age (s) <= 300)'),
    (None, SourceState.VIOLATES, "latest_restorable_time is not set (expected age (s) <= 300)"),
    ("not a time", SourceState.UNRESOLVED, "is not an ISO 8601 timestamp with a time zone"),
])
def test_a_row_reads_pass_violate_not_set_and_a_non_timestamp_as_sentences(tmp_path, value, state, said):
    value = _ago(0) if value == JUST_NOW else value
    policy = _policy(tmp_path, _row("AGE", "latest_restorable_time", "{fact: objectives.rpo_seconds}"))
    evidence = live_evidence(policy.row("AGE"), policy, _live([_instance(value)]))
    assert evidence.state is state
    assert said in evidence.detail


# ----- the rows on the sandbox -------------------------------------------------------------

def _portforge_finding(reader_for, estate: str):
    policy = load_policy(POLICY)
    region = policy.roles["primary"].region
    live = collect_aws(reader_for(estate), {"rds_instance": {region}})
    code = collect_terraform(FIXTURES, {"primary": "primary"})
    return policy, code, evaluate_full(policy.row(ROW), policy, code, live)


@pytest.mark.parametrize("estate", ["portforge-as-found", "portforge-remediated"])
def test_the_portforge_primary_restore_point_row_passes_on_the_accounts_evidence(reader_for, estate):
    _, _, finding = _portforge_finding(reader_for, estate)
    # moto reports the instance restorable to the moment it is described: the age is the read's own delay
    assert finding.status is Status.PASS, finding.message
    assert finding.live.state is SourceState.MEETS
    assert "latest_restorable_time = " in finding.message and "known only at apply time" in finding.message


def test_the_portforge_restore_point_row_is_an_allowed_unknown_in_a_static_audit():
    policy = load_policy(POLICY)
    finding = evaluate_static(policy.row(ROW), policy, collect_terraform(FIXTURES, {"primary": "primary"}))
    assert finding.status is Status.UNKNOWN
    assert finding.skip_reason and "allowed by the policy" in finding.skip_reason


def test_a_dynamodb_pitr_row_reads_the_sandbox_restore_point_and_a_table_without_pitr_violates(
        reader_for, sandbox, tmp_path):
    policy = _policy(tmp_path, _row("PITR-ON", "pitr_latest_restorable_time", "3600", "dynamodb_table",
                                    "{name: team_chats_ddb}"),
                     _row("PITR-OFF", "pitr_latest_restorable_time", "3600", "dynamodb_table",
                          "{name: no_pitr_ddb}"))
    reader = reader_for("portforge-as-found")
    seoul = load_policy(POLICY).roles["primary"].region
    sandbox.session().client("dynamodb", region_name=seoul, endpoint_url=sandbox.url).create_table(
        TableName="no_pitr_ddb", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    live = collect_aws(reader, {"dynamodb_table": {seoul}})
    for resource in live.resources:
        resource.region = REGION  # the test policy's role reads eu-west-1
    on = live_evidence(policy.row("PITR-ON"), policy, live)
    off = live_evidence(policy.row("PITR-OFF"), policy, live)
    assert on.state is SourceState.MEETS, on.detail
    assert off.state is SourceState.VIOLATES and "pitr_latest_restorable_time is not set" in off.detail
