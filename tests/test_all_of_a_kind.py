"""Rows over every resource of a kind, NOT_APPLICABLE, every matched resource
listed with its own verdict, gaps, region-less roles and null values.

Inventories are built by hand (no parser, no sandbox): each test is one
behaviour of ``dr_audit.evaluate`` on evidence it states in a few lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from dr_audit.evaluate import evaluate_full, evaluate_live, evaluate_static
from dr_audit.findings import Finding, SourceEvidence, SourceState, Status, plain
from dr_audit.inventory import AttributeValue, Inventory, Resource
from dr_audit.policy import load_policy
from dr_audit.report.history import since_last_run
from dr_audit.report.html_report import render_html
from dr_audit.report.json_report import build_report, problem_status
from dr_audit.report.sarif import build_sarif
from dr_audit.terraform.values import Unknown
from tests.test_report_browser import browser  # noqa: F401 (the headless chromium fixture)

REGION = "eu-west-1"
OTHER = "eu-central-1"

ROWS = """\
  - id: DB-MULTIAZ-ALL
    clause: "1"
    title: every database is Multi-AZ
    kind: rds_instance
    role: primary
    attribute: multi_az
    op: eq
    value: true
    managed_by: terraform
    severity: high
  - id: DB-MULTIAZ-ALL-IF-ANY
    clause: "1"
    title: every database, if any, is Multi-AZ
    kind: rds_instance
    role: primary
    attribute: multi_az
    op: eq
    value: true
    managed_by: terraform
    severity: high
    when_absent: not_applicable
    problem: 1
  - id: DB-RETENTION-ALL-IF-ANY
    clause: "1"
    title: every database, if any, keeps backups a week
    kind: rds_instance
    role: primary
    attribute: backup_retention_period
    op: gte
    value: 7
    managed_by: terraform
    severity: high
    when_absent: not_applicable
  - id: DB-MAIN-RETENTION
    clause: "1"
    title: db-main keeps backups a week
    kind: rds_instance
    role: primary
    select: {identifier: db-main}
    attribute: backup_retention_period
    op: gte
    value: 7
    managed_by: terraform
    severity: high
  - id: DB-MAIN-VERSION
    clause: "1"
    title: db-main runs a supported version
    kind: rds_instance
    role: primary
    select: {identifier: db-main}
    attribute: engine_version
    op: matches
    value: "^8\\\\."
    managed_by: terraform
    severity: high
  - id: DB-COUNT
    clause: "1"
    title: two databases
    kind: rds_instance
    role: primary
    aggregate: count
    op: eq
    value: 2
    managed_by: terraform
    severity: high
  - id: DB-ENGINES-IF-ANY
    clause: "1"
    title: databases, if any, run mysql or postgres
    kind: rds_instance
    role: primary
    attribute: engine
    aggregate: distinct
    op: subset_of
    value: [mysql, postgres]
    managed_by: terraform
    severity: high
    when_absent: not_applicable
  - id: DB-ANYWHERE-MULTIAZ
    clause: "1"
    title: every database of the anywhere role is Multi-AZ
    kind: rds_instance
    role: anywhere
    attribute: multi_az
    op: eq
    value: true
    managed_by: terraform
    severity: high
  - id: DB-ANYWHERE-MISSING
    clause: "1"
    title: db-nowhere exists
    kind: rds_instance
    role: anywhere
    select: {identifier: db-nowhere}
    op: exists
    managed_by: terraform
    severity: high
"""


def policy(tmp_path: Path):
    text = (f"policy: {{name: kinds, title: Kinds, version: 1}}\nroles:\n  primary: {{region: {REGION}, terraform_root: main}}\n"
            f"  anywhere: {{terraform_root: anywhere}}\nterraform: {{root: tf}}\n"
            f"problems:\n  - {{id: 1, title: single-AZ databases, severity: high, remediation: fix}}\nrows:\n" + ROWS)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def database(name: str, source: str = "terraform", region=REGION, **attributes) -> Resource:
    """An rds_instance as ``source`` saw it: Terraform resources carry file:line, live ones an ARN."""
    values = {"identifier": name, **attributes}
    if source == "terraform":
        return Resource("rds_instance", "terraform", f"aws_db_instance.{name.replace('-', '_')}", region,
                        {k: AttributeValue(v, "main/db.tf", 10) for k, v in values.items()}, file="main/db.tf", line=9)
    return Resource("rds_instance", "aws", f"arn:aws:rds:{region}:111122223333:db:{name}", region,
                    {k: AttributeValue(v) for k, v in values.items()})


def inventory(source: str, *resources: Resource, gaps=(), errors=()) -> Inventory:
    return Inventory(source, list(resources), errors=list(errors), gaps=list(gaps))


@dataclass
class Gap:
    """A place the source could not see (a module not installed), as the collector reports it."""

    module: str
    kind: str | None = None

    def affects(self, kind: str, region: str | None) -> bool:
        return self.kind is None or self.kind == kind

    def __str__(self) -> str:
        return f"module.{self.module} was not installed: run terraform init"


@dataclass
class ReadError:
    path: str

    def __str__(self) -> str:
        return f"{self.path}: HCL syntax error"


def run_info() -> dict:
    """The ``run`` part of a static run's document, as the plugin fills it."""
    return {"mode": "static", "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:00:01+00:00",
            "target": None, "aws": {"account_id": None, "note": "static"}, "terraform": {"note": "none"}}


def static(tmp_path, row_id: str, code: Inventory) -> Finding:
    p = policy(tmp_path)
    return evaluate_static(p.row(row_id), p, code)


# ----- every matched resource is evaluated and listed ---------------------------------------

def test_one_visible_violation_fails_the_row_although_another_resource_is_unresolved(tmp_path):
    code = inventory("terraform", database("db-a", multi_az=True),
                     database("db-b", multi_az=Unknown("var.multi_az", "no value given")),
                     database("db-c", multi_az=False))
    finding = static(tmp_path, "DB-MULTIAZ-ALL", code)
    assert finding.status is Status.FAIL and finding.terraform.state is SourceState.VIOLATES
    assert "aws_db_instance.db_c.multi_az = false" in finding.message
    assert "(violating: 1 of 3 rds_instance resources)" in finding.message
    assert [(c.address, c.verdict) for c in finding.terraform.resources] == [
        ("aws_db_instance.db_a", "meets"), ("aws_db_instance.db_b", "unresolved"), ("aws_db_instance.db_c", "violates")]
    assert "var.multi_az" in finding.terraform.resources[1].reason


def test_unknown_only_when_nothing_visible_violates(tmp_path):
    code = inventory("terraform", database("db-a", multi_az=True),
                     database("db-b", multi_az=Unknown("var.multi_az", "no value given")))
    finding = static(tmp_path, "DB-MULTIAZ-ALL", code)
    assert finding.status is Status.UNKNOWN and "var.multi_az" in finding.message


def test_every_resource_meeting_passes_and_each_is_listed_where_it_is(tmp_path):
    p = policy(tmp_path)
    code = inventory("terraform", database("db-a", multi_az=True), database("db-b", multi_az=True),
                     database("db-far", region=OTHER, multi_az=False))
    live = inventory("aws", database("db-a", "aws", multi_az=True), database("db-b", "aws", multi_az=True))
    finding = evaluate_full(p.row("DB-MULTIAZ-ALL"), p, code, live)
    assert finding.status is Status.PASS, finding.message
    assert "all 2 rds_instance resources meet" in finding.message
    rows = build_report(p, {r.id: finding for r in p.rows}, code, {"mode": "full"}, live)["rows"]
    listed = rows[0]["resources"]
    assert listed[0] == {"source": "terraform", "verdict": "meets", "reason": "true (expected == true)",
                         "value": True, "address": "aws_db_instance.db_a", "file": "main/db.tf", "line": 10}
    assert listed[2] == {"source": "aws", "verdict": "meets", "reason": "true (expected == true)", "value": True,
                         "id": f"arn:aws:rds:{REGION}:111122223333:db:db-a", "region": REGION}
    assert len(listed) == 4  # db-far is in another region: not this row's


# ----- NOT_APPLICABLE ----------------------------------------------------------------------

def test_no_resource_of_the_kind_is_not_applicable_when_the_row_says_so(tmp_path):
    p = policy(tmp_path)
    empty_code, empty_live = inventory("terraform", database("db-far", region=OTHER)), inventory("aws")
    for finding in (evaluate_static(p.row("DB-MULTIAZ-ALL-IF-ANY"), p, empty_code),
                    evaluate_full(p.row("DB-MULTIAZ-ALL-IF-ANY"), p, empty_code, empty_live),
                    evaluate_live(p.row("DB-MULTIAZ-ALL-IF-ANY"), p, empty_live)):
        assert finding.status is Status.NOT_APPLICABLE, finding.message
        assert finding.skip_reason and f"no resource rds_instance in {REGION}" in finding.skip_reason
    assert evaluate_full(p.row("DB-MULTIAZ-ALL"), p, empty_code, empty_live).status is Status.FAIL


def test_one_source_holding_the_kind_is_not_not_applicable(tmp_path):
    p = policy(tmp_path)
    finding = evaluate_full(p.row("DB-MULTIAZ-ALL-IF-ANY"), p, inventory("terraform"),
                            inventory("aws", database("db-a", "aws", multi_az=True)))
    assert finding.status is Status.UNMANAGED


@pytest.mark.parametrize("errors, gaps, status", [
    ([ReadError("main/broken.tf")], [], Status.ERROR),
    ([], [Gap("databases")], Status.UNKNOWN),
])
def test_nothing_found_behind_a_read_error_or_a_gap_is_never_not_applicable(tmp_path, errors, gaps, status):
    finding = static(tmp_path, "DB-MULTIAZ-ALL-IF-ANY", inventory("terraform", errors=errors, gaps=gaps))
    assert finding.status is status, finding.message
    if gaps:
        assert "module.databases was not installed: run terraform init" in finding.message


def test_a_resource_out_of_service_is_not_none(tmp_path):
    p = policy(tmp_path)
    failed = database("db-a", "aws", multi_az=True)
    if not hasattr(failed, "out_of_service"):
        pytest.skip("the inventory does not mark resources out of service")
    failed.out_of_service = "status failed"
    finding = evaluate_live(p.row("DB-MULTIAZ-ALL-IF-ANY"), p, inventory("aws", failed))
    assert finding.status is Status.FAIL and "status failed" in finding.message
    assert [c.verdict for c in finding.live.resources] == ["violates"]


def test_not_applicable_in_the_reports(tmp_path):
    p = policy(tmp_path)
    empty = inventory("terraform")
    findings = {r.id: evaluate_static(r, p, empty) for r in p.rows}
    assert findings["DB-MULTIAZ-ALL-IF-ANY"].status is Status.NOT_APPLICABLE
    document = build_report(p, findings, empty, run_info(), today=dt.date(2026, 1, 1))
    assert document["summary"]["by_status"]["NOT_APPLICABLE"] == 3
    row = next(r for r in document["rows"] if r["id"] == "DB-MULTIAZ-ALL-IF-ANY")
    assert row["status"] == "NOT_APPLICABLE" and not row["checked"] and row["resources"] == []
    assert document["problems"][0]["status"] == "RESOLVED"
    document["run"]["policy"]["path"] = str(tmp_path / "policy.yaml")
    sarif = build_sarif(document, tmp_path)
    assert "DB-MULTIAZ-ALL-IF-ANY" not in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    before = {"run": {"started": "x", "mode": "static"},
              "rows": [{"id": "DB-MULTIAZ-ALL-IF-ANY", "status": "FAIL", "checked": True}]}
    since = since_last_run((tmp_path / "before.json", before), document)
    assert [c["id"] for c in since["resolved"]] == ["DB-MULTIAZ-ALL-IF-ANY"]
    document["since_last_run"] = since
    html = render_html(document)
    assert 'data-status="NOT_APPLICABLE"' in html and ".NOT_APPLICABLE {" in html


def test_the_html_lists_each_matched_resource(tmp_path):
    p = policy(tmp_path)
    code = inventory("terraform", database("db-a", multi_az=True), database("db-b", multi_az=False))
    findings = {r.id: evaluate_static(r, p, code) for r in p.rows}
    document = build_report(p, findings, code, run_info())
    document["since_last_run"] = None
    html = render_html(document)
    assert "2 matched resources" in html
    assert 'data-verdict="violates"' in html and "aws_db_instance.db_b" in html and "main/db.tf:10" in html


def test_a_problem_linked_to_rows_that_do_not_apply_and_to_a_failing_one_is_open():
    def finding(status: Status) -> Finding:
        return Finding("R", status, "m", SourceEvidence(SourceState.VIOLATES), SourceEvidence(SourceState.VIOLATES))

    assert problem_status([finding(Status.NOT_APPLICABLE), finding(Status.FAIL)])[0] == "OPEN"


# ----- gaps ----------------------------------------------------------------------------------

def test_a_selected_resource_not_found_behind_a_gap_is_unknown_naming_it(tmp_path):
    finding = static(tmp_path, "DB-MAIN-RETENTION", inventory("terraform", gaps=[Gap("databases", "rds_instance")]))
    assert finding.status is Status.UNKNOWN and finding.terraform.state is SourceState.UNRESOLVED
    assert "module.databases was not installed" in finding.message


def test_a_gap_for_another_kind_leaves_a_missing_resource_missing(tmp_path):
    finding = static(tmp_path, "DB-MAIN-RETENTION", inventory("terraform", gaps=[Gap("queues", "sqs_queue")]))
    assert finding.status is Status.FAIL and finding.terraform.state is SourceState.MISSING


def test_a_gap_leaves_an_all_of_a_kind_row_open_unless_a_visible_resource_violates(tmp_path):
    gap = Gap("databases")
    meets = static(tmp_path, "DB-MULTIAZ-ALL", inventory("terraform", database("db-a", multi_az=True), gaps=[gap]))
    assert meets.status is Status.UNKNOWN and "module.databases was not installed" in meets.message
    violates = static(tmp_path, "DB-MULTIAZ-ALL",
                      inventory("terraform", database("db-a", multi_az=False), gaps=[gap]))
    assert violates.status is Status.FAIL


def test_a_gap_leaves_a_count_open_and_every_counted_resource_is_listed(tmp_path):
    two = (database("db-a", multi_az=True), database("db-b", multi_az=True))
    counted = static(tmp_path, "DB-COUNT", inventory("terraform", *two))
    assert counted.status is Status.PASS and [c.reason for c in counted.terraform.resources] == ["counted"] * 2
    hidden = static(tmp_path, "DB-COUNT", inventory("terraform", *two, gaps=[Gap("databases")]))
    assert hidden.status is Status.UNKNOWN and "2 visible, but" in hidden.message


def test_a_distinct_row_with_no_resource_is_not_applicable_and_lists_values_otherwise(tmp_path):
    assert static(tmp_path, "DB-ENGINES-IF-ANY", inventory("terraform")).status is Status.NOT_APPLICABLE
    finding = static(tmp_path, "DB-ENGINES-IF-ANY", inventory("terraform", database("db-a", engine="mysql"),
                                                              database("db-b", engine=None)))
    assert finding.status is Status.FAIL and '["mysql", "not set"]' in finding.message
    assert [c.reason for c in finding.terraform.resources] == ['engine = "mysql"', "engine is not set"]


# ----- a role without a region ---------------------------------------------------------------

def test_a_role_without_a_region_selects_in_every_region_and_never_says_none(tmp_path):
    code = inventory("terraform", database("db-a", multi_az=True), database("db-far", region=OTHER, multi_az=False))
    finding = static(tmp_path, "DB-ANYWHERE-MULTIAZ", code)
    assert finding.status is Status.FAIL and "db_far" in finding.message
    missing = static(tmp_path, "DB-ANYWHERE-MISSING", code)
    assert missing.status is Status.FAIL
    assert "in any region" in missing.message and "None" not in missing.message


# ----- null values ---------------------------------------------------------------------------

@pytest.mark.parametrize("row_id, attribute", [("DB-MAIN-RETENTION", "backup_retention_period"),
                                               ("DB-MAIN-VERSION", "engine_version")])
def test_a_null_value_is_not_set_and_violates_an_operator_that_needs_a_value(tmp_path, row_id, attribute):
    finding = static(tmp_path, row_id, inventory("terraform", database("db-main", **{attribute: None})))
    assert finding.status is Status.FAIL and finding.terraform.state is SourceState.VIOLATES
    assert f"aws_db_instance.db_main.{attribute} is not set (expected" in finding.message
    for text in (finding.message, finding.terraform.detail):
        assert not any(word in text for word in ("None", "NoneType", "cannot be compared", "float()"))


def test_a_value_of_the_wrong_shape_is_unresolved_in_plain_words(tmp_path):
    finding = static(tmp_path, "DB-MAIN-RETENTION", inventory("terraform", database("db-main",
                                                                                      backup_retention_period="weekly")))
    assert finding.status is Status.UNKNOWN
    assert 'backup_retention_period = "weekly" is not a number (expected >= 7)' in finding.message


def test_null_against_eq_is_a_plain_violation(tmp_path):
    finding = static(tmp_path, "DB-MULTIAZ-ALL", inventory("terraform", database("db-main", multi_az=None)))
    assert finding.status is Status.FAIL
    assert "aws_db_instance.db_main.multi_az is not set (expected == true)" in finding.message


@pytest.mark.parametrize("value, text", [
    (None, "not set"), (True, "true"), (False, "false"), ("a", '"a"'), (3, "3"),
    (["a", None, True], '["a", null, true]'), ({"k": None}, "{k: null}"), (Unknown("var.x", "r"), "var.x"),
])
def test_plain_writes_values_without_python_spellings(value, text):
    assert plain(value) == text



def test_not_applicable_filters_and_resources_open_in_chromium(tmp_path, browser):
    """The NOT_APPLICABLE badge filters its rows; a row's matched resources unfold in its detail."""
    from selenium.webdriver.common.by import By

    p = policy(tmp_path)
    code = inventory("terraform", database("db-far", region=OTHER))
    failing = inventory("terraform", database("db-a", multi_az=True), database("db-b", multi_az=False))
    findings = {r.id: evaluate_static(r, p, code) for r in p.rows}
    findings["DB-MULTIAZ-ALL"] = evaluate_static(p.row("DB-MULTIAZ-ALL"), p, failing)
    document = build_report(p, findings, code, run_info())
    document["since_last_run"] = None
    page = tmp_path / "report.html"
    page.write_text(render_html(document), encoding="utf-8")
    browser.get(page.as_uri())
    browser.find_element(By.CSS_SELECTOR, "#summary .badge[data-status='NOT_APPLICABLE']").click()
    shown = [r.get_attribute("id") for r in browser.find_elements(By.CSS_SELECTOR, "#row-table tbody tr.row")
             if r.is_displayed()]
    assert shown == ["row-DB-MULTIAZ-ALL-IF-ANY", "row-DB-RETENTION-ALL-IF-ANY", "row-DB-ENGINES-IF-ANY"]
    browser.find_element(By.CSS_SELECTOR, "#summary .badge[data-status='FAIL']").click()
    detail = browser.find_element(By.CSS_SELECTOR, "#row-DB-MULTIAZ-ALL details.resources")
    detail.find_element(By.TAG_NAME, "summary").click()
    items = [li.text for li in detail.find_elements(By.TAG_NAME, "li")]
    assert len(items) == 2 and items[1].startswith("violates terraform aws_db_instance.db_b main/db.tf:10")


def test_gaps_are_named_in_the_reports_and_are_not_errors(tmp_path):
    p = policy(tmp_path)
    code = inventory("terraform", gaps=[Gap("databases")])
    findings = {r.id: evaluate_static(r, p, code) for r in p.rows}
    assert Status.ERROR not in {f.status for f in findings.values()}
    document = build_report(p, findings, code, run_info())
    assert document["inputs"]["terraform_gaps"] == ["module.databases was not installed: run terraform init"]
    assert document["inputs"]["terraform_errors"] == []
    document["since_last_run"] = None
    assert "module.databases was not installed: run terraform init</li>" in render_html(document)
