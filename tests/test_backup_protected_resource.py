"""AWS Backup job ages (issue 18): the ``backup_protected_resource`` kind against AWS's response
shapes (Stubber: every page, failed and aborted jobs, a failed listing), the sandbox shim, the
``key_age_at_most`` operator, and rows that pass and fail on a test-only estate. The kind is
account only: its rows say the code is not consulted, and why."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import ANY, Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.errors import PolicyErrors
from dr_audit.evaluate import evaluate_full, evaluate_static, live_evidence
from dr_audit.findings import SourceState, Status
from dr_audit.inventory import Inventory, Unreadable
from dr_audit.kinds import KINDS
from dr_audit.kinds.backup_protected_resource import JOB_HISTORY_DAYS, job_window_start
from dr_audit.operators import OPERATORS
from dr_audit.policy import load_policy
from dr_audit.sandbox.estate import load_estate, seed
from tests.conftest import REPO

PRIMARY, DR, ELSEWHERE = "ap-northeast-2", "ap-northeast-1", "us-west-2"
ACCOUNT = "123456789012"
KEY_AGE = OPERATORS["key_age_at_most"]
TEST_ESTATES = REPO / "tests" / "estates"
DAY = 86400


def _ago(hours: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(hours=hours)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _vault(region: str, name: str = "orders") -> str:
    return f"arn:aws:backup:{region}:{ACCOUNT}:backup-vault:{name}"


def _db(name: str) -> str:
    return f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:db:{name}"


# ----- the account: AWS's response shapes ---------------------------------------------------

def _stubbed():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("backup", PRIMARY))


#: what every job listing sends: COMPLETED jobs since the start of the job history window, the largest page
JOB_QUERY = {"ByState": "COMPLETED", "ByCompleteAfter": ANY, "MaxResults": 1000}


def _backup_job(arn: str, state: str, done: datetime | None) -> dict:
    job = {"BackupJobId": f"{arn}-{state}", "ResourceArn": arn, "State": state, "BackupVaultArn": _vault(PRIMARY),
           "CreationDate": _ago(30), "ResourceType": "RDS"}
    return {**job, "CompletionDate": done} if done else job


def _copy_job(arn: str, region: str, state: str, done: datetime | None) -> dict:
    job = {"CopyJobId": f"{arn}-{region}-{state}", "ResourceArn": arn, "State": state,
           "SourceBackupVaultArn": _vault(PRIMARY), "DestinationBackupVaultArn": _vault(region, "orders-dr"),
           "CreationDate": _ago(30), "ResourceType": "RDS"}
    return {**job, "CompletionDate": done} if done else job


def _protected(*names: str) -> list[dict]:
    return [{"ResourceArn": _db(n), "ResourceType": "RDS", "ResourceName": n, "LastBackupTime": _ago(1)}
            for n in names]


def test_every_page_is_read_and_the_newest_completed_job_per_resource_and_region_is_kept():
    reader, stub = _stubbed()
    stub.add_response("list_protected_resources", {"Results": _protected("orders"), "NextToken": "p2"}, {})
    stub.add_response("list_protected_resources", {"Results": _protected("ledger")}, {"NextToken": "p2"})
    newest, older = _ago(3), _ago(27)
    stub.add_response("list_backup_jobs", {"BackupJobs": [_backup_job(_db("orders"), "COMPLETED", older)],
                                           "NextToken": "j2"}, JOB_QUERY)
    stub.add_response("list_backup_jobs", {"BackupJobs": [
        _backup_job(_db("orders"), "COMPLETED", newest),
        # a job the listing reports in another state (it should not) is not a completed backup
        _backup_job(_db("ledger"), "FAILED", _ago(1))]}, {**JOB_QUERY, "NextToken": "j2"})
    stub.add_response("list_copy_jobs", {"CopyJobs": [
        _copy_job(_db("orders"), DR, "COMPLETED", _ago(30)), _copy_job(_db("orders"), DR, "COMPLETED", _ago(2))],
        "NextToken": "c2"}, JOB_QUERY)
    stub.add_response("list_copy_jobs", {"CopyJobs": [
        _copy_job(_db("orders"), ELSEWHERE, "COMPLETED", _ago(5)), _copy_job(_db("ledger"), DR, "FAILED", None)]},
        {**JOB_QUERY, "NextToken": "c2"})
    with stub:
        found = {r.value("name"): r for r in KINDS["backup_protected_resource"].collect(reader, PRIMARY)}
    stub.assert_no_pending_responses()
    orders, ledger = found["orders"], found["ledger"]
    assert orders.address == _db("orders") and orders.value("resource_type") == "RDS"
    assert orders.value("last_backup_completed") == _iso(newest)
    assert orders.value("last_copy_completed") == {DR: _iso(_ago(2)), ELSEWHERE: _iso(_ago(5))}
    assert ledger.value("last_backup_completed") is None
    assert ledger.value("last_copy_completed") == {}


def test_the_job_listings_ask_for_completed_jobs_of_the_history_window_once_per_region():
    start = job_window_start(datetime(2026, 12, 2, 16, 45, 12, tzinfo=timezone.utc))
    assert start == datetime(2026, 11, 2, 16, 0, tzinfo=timezone.utc) and JOB_HISTORY_DAYS == 30
    reader, stub = _stubbed()
    stub.add_response("list_protected_resources", {"Results": _protected("a", "b", "c")}, {})
    stub.add_response("list_backup_jobs", {"BackupJobs": []}, JOB_QUERY)
    stub.add_response("list_copy_jobs", {"CopyJobs": []}, JOB_QUERY)
    with stub:
        found = KINDS["backup_protected_resource"].collect(reader, PRIMARY)
    stub.assert_no_pending_responses()  # three resources, one listing of each kind of job
    assert len(found) == 3
    sent = [c for c in reader.calls() if c.operation != "ListProtectedResources"]
    assert [c.operation for c in sent] == ["ListBackupJobs", "ListCopyJobs"]
    assert all("ByResourceArn" not in c.arguments for c in sent)


def test_a_region_with_no_protected_resource_reads_no_jobs():
    reader, stub = _stubbed()
    stub.add_response("list_protected_resources", {"Results": []}, {})
    with stub:
        assert KINDS["backup_protected_resource"].collect(reader, PRIMARY) == []
    stub.assert_no_pending_responses()


def test_a_failed_job_listing_leaves_its_attribute_unreadable_on_every_resource():
    reader, stub = _stubbed()
    stub.add_response("list_protected_resources", {"Results": _protected("orders", "ledger")}, {})
    stub.add_response("list_backup_jobs", {"BackupJobs": [_backup_job(_db("orders"), "COMPLETED", _ago(1))]},
                      JOB_QUERY)
    stub.add_client_error("list_copy_jobs", "AccessDeniedException", "denied", 403, expected_params=JOB_QUERY)
    with stub:
        found = KINDS["backup_protected_resource"].collect(reader, PRIMARY)
    for resource in found:
        assert isinstance(resource.value("last_copy_completed"), Unreadable)
    assert found[0].value("last_backup_completed") == _iso(_ago(1))


def test_a_failed_resource_listing_fails_the_region():
    reader, stub = _stubbed()
    stub.add_client_error("list_protected_resources", "AccessDeniedException", "denied", 403)
    with stub, pytest.raises(AwsReadError):
        KINDS["backup_protected_resource"].collect(reader, PRIMARY)


# ----- the sandbox -------------------------------------------------------------------------

def _seeded(sandbox, reader_for, **settings):
    seed(sandbox, load_estate(TEST_ESTATES, "backup-jobs"))
    return reader_for(**settings)


def test_the_sandbox_lists_jobs_by_page_and_only_completed_ones_count(sandbox, reader_for):
    reader = _seeded(sandbox, reader_for, page_sizes={"backup:list_backup_jobs": 2,
                                                      "backup:list_protected_resources": 2})
    inventory = collect_aws(reader, {"backup_protected_resource": {PRIMARY, DR}})
    assert inventory.errors == []
    found = {r.value("name"): r for r in inventory.resources}
    assert sorted(found) == ["files", "ledger", "orders-archive", "orders-db", "sessions"]
    assert {r.region for r in inventory.resources} == {PRIMARY}  # the DR region protects nothing itself
    age = lambda stamp: (datetime.now(timezone.utc) - datetime.fromisoformat(stamp)).total_seconds() / 3600
    assert 2.9 < age(found["orders-db"].value("last_backup_completed")) < 4
    # ledger's newest jobs FAILED or were ABORTED: its last completed backup is the 60-hour-old one
    assert 59.9 < age(found["ledger"].value("last_backup_completed")) < 61
    assert 58.9 < age(found["ledger"].value("last_copy_completed")[DR]) < 60
    assert list(found["files"].value("last_copy_completed")) == [ELSEWHERE]
    assert found["orders-archive"].value("last_copy_completed") == {}
    pages = [c.page for c in reader.calls() if c.operation == "ListBackupJobs" and c.region == PRIMARY]
    assert max(pages) >= 3  # seven completed backups, two a page


# ----- the operator ------------------------------------------------------------------------

def test_key_age_at_most_reads_the_keys_timestamp_and_a_missing_key_meets_nothing():
    stamps = {DR: _iso(_ago(1)), ELSEWHERE: _iso(_ago(48))}
    assert KEY_AGE.test(stamps, {"key": DR, "seconds": DAY}) is True
    assert KEY_AGE.test(stamps, {"key": ELSEWHERE, "seconds": DAY}) is False
    assert KEY_AGE.test(stamps, {"key": "eu-west-1", "seconds": 10 ** 12}) is False
    assert KEY_AGE.test({}, {"key": DR, "seconds": 10 ** 12}) is False
    assert "no entry for eu-west-1 (only ap-northeast-1, us-west-2)" in KEY_AGE.explain(stamps, {"key": "eu-west-1"})
    assert KEY_AGE.explain({}, {"key": DR}) == f"it has no entry at all, so none for {DR}"
    assert KEY_AGE.explain(stamps, {"key": ELSEWHERE}) is None  # present and old: the value says it


# fixed ids: a timestamp in an id would differ between xdist workers collecting a second apart
@pytest.mark.parametrize("actual", [[_iso(_ago(1))], _iso(_ago(1)), {DR: "yesterday"}, {DR: "2026-12-02T13:30:05"}],
                         ids=["a-list", "a-bare-timestamp", "not-a-timestamp", "no-zone"])
def test_key_age_at_most_refuses_what_is_not_a_map_of_zoned_timestamps(actual):
    with pytest.raises((TypeError, ValueError)):
        KEY_AGE.test(actual, {"key": DR, "seconds": 60})


HEADER = f"""\
policy: {{name: backup-jobs-test, version: 1}}
roles:
  primary: {{region: {PRIMARY}, terraform_root: primary}}
  dr: {{region: {DR}, terraform_root: dr}}
facts:
  objectives: {{backup_rpo_seconds: {DAY}, dr_region: {DR}}}
rows:
"""


def _row(row_id: str, select: str, attribute: str, op: str, value: str, managed_by: str = "manual") -> str:
    return f"""\
  - id: {row_id}
    clause: "1"
    title: {row_id}
    kind: backup_protected_resource
    role: primary
    select: {select}
    attribute: {attribute}
    op: {op}
    value: {value}
    managed_by: {managed_by}
    severity: high
"""


def _copy_row(row_id: str, select: str, seconds: str = str(DAY)) -> str:
    return _row(row_id, select, "last_copy_completed", "key_age_at_most", f"{{key: {DR}, seconds: {seconds}}}")


def _policy(tmp_path, *rows: str):
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return load_policy(path)


@pytest.mark.parametrize("attribute, value, message", [
    ("last_backup_completed", f"{{key: {DR}, seconds: 60}}",
     "op key_age_at_most does not apply to backup_protected_resource.last_backup_completed, which is a string"),
    ("last_copy_completed", "60", "op key_age_at_most needs a map {key: NAME, seconds: N}"),
    ("last_copy_completed", f"{{key: {DR}}}", "op key_age_at_most needs a map {key: NAME, seconds: N}"),
    ("last_copy_completed", f"{{key: {DR}, seconds: -1}}", "needs a number of seconds, zero or more"),
    ("last_copy_completed", '{key: "", seconds: 60}', "needs a key, written as a non-empty string"),
    ("last_copy_completed", f"{{key: {DR}, seconds: 60, extra: 1}}", "needs a map {key: NAME, seconds: N}"),
])
def test_the_validator_takes_key_age_at_most_only_on_a_map_with_a_key_and_seconds(tmp_path, attribute, value,
                                                                                  message):
    with pytest.raises(PolicyErrors) as caught:
        _policy(tmp_path, _row("BAD", "{name: orders-db}", attribute, "key_age_at_most", value))
    errors = [str(e) for e in caught.value.errors]
    assert any(message in error for error in errors), errors


ROWS = [
    _row("ORDERS-BACKUP-AGE", "{name: orders-db}", "last_backup_completed", "age_at_most", str(DAY)),
    _copy_row("ORDERS-COPY-DR", "{resource_arn: " + _db("orders-db") + "}"),
    _copy_row("SESSIONS-COPY-DR", "{name: sessions}"),
    _copy_row("FILES-COPY-DR", "{resource_type: EFS}"),
    _row("LEDGER-BACKUP-AGE", "{name: ledger}", "last_backup_completed", "age_at_most", str(DAY)),
    _copy_row("LEDGER-COPY-DR", "{name: ledger}"),
    _copy_row("ARCHIVE-COPY-DR", "{name: orders-archive}"),
    _copy_row("EVERY-RDS-COPY-DR", "{resource_type: RDS}"),
]


@pytest.mark.parametrize("row_id, status, said", [
    ("ORDERS-BACKUP-AGE", Status.PASS, "expected age (s) <= 86400"),
    ("ORDERS-COPY-DR", Status.PASS, "expected entry age (s) <= "),
    ("SESSIONS-COPY-DR", Status.FAIL, "account violates the policy"),
    ("FILES-COPY-DR", Status.FAIL, f"no entry for {DR} (only {ELSEWHERE})"),
    ("LEDGER-BACKUP-AGE", Status.FAIL, "account violates the policy"),
    ("LEDGER-COPY-DR", Status.FAIL, "account violates the policy"),
    ("ARCHIVE-COPY-DR", Status.FAIL, f"it has no entry at all, so none for {DR}"),
    ("EVERY-RDS-COPY-DR", Status.FAIL, "violating: 1 of 2"),
])
def test_rows_on_the_test_estate_pass_on_recent_jobs_and_fail_on_old_missing_or_failed_ones(
        sandbox, reader_for, tmp_path, row_id, status, said):
    policy = _policy(tmp_path, *ROWS)
    live = collect_aws(_seeded(sandbox, reader_for), {"backup_protected_resource": {PRIMARY}})
    finding = evaluate_full(policy.row(row_id), policy, Inventory("terraform", []), live)
    assert finding.status is status, finding.message
    assert said in finding.message, finding.message
    assert finding.terraform.state is SourceState.NOT_CONSULTED
    assert "no Terraform resource type declares one" in finding.terraform.detail


def test_an_unreadable_job_listing_is_an_error_not_a_failure(tmp_path):
    policy = _policy(tmp_path, _copy_row("COPY", "{name: orders-db}"))
    resource = live_resource("backup_protected_resource", PRIMARY, _db("orders-db"), resource_arn=_db("orders-db"),
                             resource_type="RDS", name="orders-db", last_backup_completed=_iso(_ago(1)),
                             last_copy_completed=Unreadable("backup:ListCopyJobs", "AccessDeniedException: denied"))
    evidence = live_evidence(policy.row("COPY"), policy, Inventory("aws", [resource]))
    assert evidence.state is SourceState.ERROR and "could not be read" in evidence.detail


def test_the_code_is_never_consulted_whatever_managed_by_says(tmp_path):
    """No Terraform type declares a job: a row written managed_by: terraform is not UNMANAGED."""
    policy = _policy(tmp_path, _copy_row("COPY", "{name: orders-db}").replace("managed_by: manual",
                                                                            "managed_by: terraform"))
    assert KINDS["backup_protected_resource"].terraform == {}
    row = policy.row("COPY")
    resource = live_resource("backup_protected_resource", PRIMARY, _db("orders-db"), resource_arn=_db("orders-db"),
                             resource_type="RDS", name="orders-db", last_backup_completed=None,
                             last_copy_completed={DR: _iso(_ago(1))})
    full = evaluate_full(row, policy, Inventory("terraform", []), Inventory("aws", [resource]))
    assert full.status is Status.PASS, full.message
    assert full.terraform.state is SourceState.NOT_CONSULTED
    static = evaluate_static(row, policy, Inventory("terraform", []))
    assert static.status is Status.UNKNOWN and static.skip_reason
    assert "read from the account only" in static.skip_reason and "static mode does not read the account" in \
        static.skip_reason
