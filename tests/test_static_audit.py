"""End to end: ``pytest audits/ --dr-mode static`` on small trees and on the
shipped fixtures. Every status the static audit can produce is shown arising
from real evidence, with its pytest outcome, terminal message and JSON row."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.conftest import AUDIT_CONFIG, POLICY, install_audit_suite, write_tree

POLICY_HEAD = """\
policy: {name: mini, title: Mini policy, version: 1}
roles:
  primary: {region: eu-west-1, terraform_root: primary}
terraform: {root: tf}
facts:
  rto: {limit: 40, steps: {detect: 20, promote: 10}}
problems:
  - {id: 1, title: db not multi-az, severity: high, remediation: set multi_az}
rows:
"""


def rds_row(row_id: str, select: str, attribute: str, value: str, managed_by: str = "terraform",
            extra: str = "") -> str:
    return textwrap.indent(textwrap.dedent(f"""\
        - id: {row_id}
          clause: "2.3"
          title: {row_id.lower()}
          kind: rds_instance
          role: primary
          select: {{identifier: {select}}}
          attribute: {attribute}
          op: eq
          value: {value}
          managed_by: {managed_by}
          severity: high
        """) + extra, "  ")


ROWS = "".join([
    rds_row("DB-PORT", "db-main", "port", "3306"),                        # PASS
    rds_row("DB-MULTIAZ", "db-main", "multi_az", "true", extra="  problem: 1\n"),  # FAIL: violates
    rds_row("DB-OTHER-EXISTS", "db-other", "port", "3306"),               # FAIL: missing
    rds_row("DB-VERSION", "db-main", "engine_version", '"8.4.7"'),        # UNKNOWN: unresolved
    rds_row("DB-VERSION-ALLOWED", "db-main", "engine_version", '"8.4.7"',
            extra='  unknown_ok: "the version comes from a pipeline variable"\n'),  # UNKNOWN, allowed: skipped
    rds_row("DB-MANUAL", "db-manual", "port", "3306", managed_by="manual"),  # UNKNOWN: not consulted
    """\
  - id: POLICY-RTO
    clause: "4"
    title: rto steps fit
    kind: policy
    comparator: sum_at_most
    args: {terms: rto.steps, limit: rto.limit}
    severity: high
""",
])

TERRAFORM = {
    "tf/primary/main.tf": """\
        provider "aws" {
          region = "eu-west-1"
        }

        variable "db_version" {
          type = string
        }

        resource "aws_db_instance" "main" {
          identifier     = "db-main"
          engine         = "mysql"
          engine_version = var.db_version
          multi_az       = false
          password       = "hunter2-do-not-print"
        }
        """,
}


@pytest.fixture
def project(pytester):
    """A directory holding the audit suite, the plugin hook, a policy and Terraform."""
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    write_tree(pytester.path, {"policy.yaml": POLICY_HEAD + ROWS, **TERRAFORM})
    return pytester


def run(pytester, *args):
    result = pytester.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static",
                                "-p", "no:cacheprovider", "-rA", *args)
    report = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())
    return result, report


def test_each_status_arises_from_real_evidence(project):
    result, report = run(project)
    statuses = {row["id"]: row["status"] for row in report["rows"]}
    assert statuses == {"DB-PORT": "PASS", "DB-MULTIAZ": "FAIL", "DB-OTHER-EXISTS": "FAIL",
                        "DB-VERSION": "UNKNOWN", "DB-VERSION-ALLOWED": "UNKNOWN", "DB-MANUAL": "UNKNOWN",
                        "POLICY-RTO": "PASS"}
    outcomes = result.parseoutcomes()
    # rows: 2 passed + readable-root test; 3 failed; 2 skipped (allowed unknown, manual)
    # skipped: the allowed unknown, the manual row, and the checkov item (checkov is off here)
    assert (outcomes["passed"], outcomes["failed"], outcomes["skipped"]) == (3, 3, 3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = result.stdout.str()
    assert "expected : multi_az == true" in text
    assert "at       : primary/main.tf:13  (aws_db_instance.main)" in text
    assert "no resource rds_instance identifier=db-other in eu-west-1" in text
    assert "unresolved (variable 'db_version' has no default and no value was given): var.db_version" in text


def test_json_follows_the_contract(project):
    _, report = run(project)
    assert report["schema"] == "dr-audit/1"
    assert report["run"]["mode"] == "static" and report["run"]["policy"]["sha256"]
    assert report["summary"]["by_status"] == {"PASS": 2, "FAIL": 2, "DRIFT": 0, "UNDEPLOYED": 0, "UNMANAGED": 0,
                                              "UNKNOWN": 3, "ERROR": 0, "WAIVED": 0, "NOT_APPLICABLE": 0}
    row = next(r for r in report["rows"] if r["id"] == "DB-MULTIAZ")
    assert {k: row[k] for k in ("clause", "kind", "role", "region", "resource", "attribute", "problem")} == {
        "clause": "2.3", "kind": "rds_instance", "role": "primary", "region": "eu-west-1",
        "resource": "identifier=db-main", "attribute": "multi_az", "problem": 1}
    assert row["expected"] == {"op": "eq", "value": True}
    assert (row["terraform"]["status"], row["terraform"]["value"], row["terraform"]["file"],
            row["terraform"]["line"]) == ("violates", False, "primary/main.tf", 13)
    assert row["live"]["status"] == "not_consulted"
    assert report["problems"][0]["status"] == "OPEN" and report["problems"][0]["rows"] == ["DB-MULTIAZ"]


def test_secret_values_never_reach_any_output(project):
    result, _ = run(project)
    outputs = [result.stdout.str()] + [(project.path / "reports" / f"dr-audit.{ext}").read_text()
                                       for ext in ("json", "html", "sarif")]
    assert not any("hunter2" in text for text in outputs)


def test_unreadable_terraform_turns_missing_evidence_into_error(project):
    write_tree(project.path, {"tf/primary/broken.tf": 'resource "aws_db_instance" "other" {\n  identifier = \n}\n'})
    result, report = run(project)
    statuses = {row["id"]: row["status"] for row in report["rows"]}
    assert statuses["DB-OTHER-EXISTS"] == "ERROR"   # it may be in the file that could not be read
    assert statuses["DB-PORT"] == "PASS"            # evidence that was read still counts
    assert result.parseoutcomes()["errors"] == 1
    assert "primary/broken.tf:2:16: HCL syntax error: unexpected end of line" in result.stdout.str()
    assert report["inputs"]["terraform_errors"][0]["line"] == 2


def test_reports_are_kept_and_runs_compared(project):
    run(project)
    run(project)
    history = sorted((project.path / "reports" / "history").iterdir())
    assert len(history) == 2 and all(json.loads(p.read_text())["schema"] == "dr-audit/1" for p in history)


def test_invalid_policy_stops_collection_naming_file_line_and_row(project):
    policy = (project.path / "policy.yaml").read_text().replace("op: eq", "op: equals", 1)
    (project.path / "policy.yaml").write_text(policy)
    result = project.runpytest("audits", "--dr-policy", "policy.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid policy:*", "*policy.yaml:17: row DB-PORT: unknown operator 'equals'*"])


def test_full_mode_without_an_estate_is_a_usage_error_naming_the_option(project):
    result = project.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "full")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the sandbox needs an estate: give --dr-estate NAME*"])


def test_an_unknown_estate_is_a_usage_error_listing_the_known_ones(project):
    result = project.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-estate", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid estate:*nope*estate.yaml: no estate 'nope'*"])


def test_shipped_policy_on_shipped_fixtures(pytester):
    """The CI gate's job: fails exactly where code (or the policy) contradicts the policy."""
    install_audit_suite(pytester.path)
    result = pytester.runpytest("audits", "--dr-policy", str(POLICY), "--dr-mode", "static", "-p", "no:cacheprovider")
    report = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())
    # streams and the global table are a manual CLI guide (000 §2.4): the code cannot show them, so
    # the as-found code violates nothing; the policy's own contradictions are waived
    failing = sorted(r["id"] for r in report["rows"] if r["status"] == "FAIL")
    assert failing == []
    # the repository's configuration (found from the policy's path) brings policies/waivers.yaml
    assert sorted(r["id"] for r in report["rows"] if r["status"] == "WAIVED") == [
        "POLICY-FAILOVER-MANUAL-VS-ROUTE53", "POLICY-REPLICA-LAG-ALARM", "POLICY-RPO-S3"]
    by_status = report["summary"]["by_status"]
    assert by_status["ERROR"] == 0 and by_status["PASS"] >= 100
    manual = [r for r in report["rows"] if r["managed_by"] == "manual"]
    assert manual and all(r["status"] == "UNKNOWN" and not r["checked"] for r in manual)
    assert not any(r["status"] == "PASS" and r["terraform"]["status"] != "meets" and r["kind"] != "policy"
                   for r in report["rows"])
    assert result.ret == pytest.ExitCode.OK


def test_xdist_writes_the_same_rows_as_a_serial_run(project):
    _, serial = run(project)
    _, parallel = run(project, "-n", "2")
    assert parallel["rows"] == serial["rows"] and parallel["problems"] == serial["problems"]


def test_rows_over_every_resource_of_a_kind_end_to_end(pytester):
    """No select: every resource of the kind in the role's region; none at all is NOT_APPLICABLE (skipped)."""
    rows = textwrap.indent(textwrap.dedent("""\
        - id: DB-ALL-MULTIAZ
          clause: "2.3"
          title: every database is multi-az
          kind: rds_instance
          role: primary
          attribute: multi_az
          op: eq
          value: true
          managed_by: terraform
          severity: high
          problem: 1
        - id: CACHE-ALL-MULTIAZ
          clause: "2.4"
          title: every cache, if any, is multi-az
          kind: elasticache_replication_group
          role: primary
          attribute: multi_az
          op: eq
          value: true
          managed_by: terraform
          severity: high
          when_absent: not_applicable
        """), "  ")
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    second = TERRAFORM["tf/primary/main.tf"] + textwrap.indent(textwrap.dedent("""
        resource "aws_db_instance" "second" {
          identifier = "db-second"
          engine     = "mysql"
          multi_az   = true
        }
        """), "        ")
    write_tree(pytester.path, {"policy.yaml": POLICY_HEAD + rows, "tf/primary/main.tf": second})
    result, report = run(pytester)
    rows = {row["id"]: row for row in report["rows"]}
    assert rows["CACHE-ALL-MULTIAZ"]["status"] == "NOT_APPLICABLE"
    assert report["summary"]["by_status"]["NOT_APPLICABLE"] == 1
    result.stdout.fnmatch_lines(["SKIPPED*NOT_APPLICABLE: the row covers every elasticache_replication_group "
                                 "and there is none*when_absent: not_applicable*"])
    database = rows["DB-ALL-MULTIAZ"]
    assert database["status"] == "FAIL" and database["resource"] == "every rds_instance"
    assert [(r["address"], r["verdict"], r["value"]) for r in database["resources"]] == [
        ("aws_db_instance.main", "violates", False), ("aws_db_instance.second", "meets", True)]
    result.stdout.fnmatch_lines(["*resources: 2 matched*", "*violates   terraform aws_db_instance.main  (primary/main.tf:13)*"])
    html = (pytester.path / "reports" / "dr-audit.html").read_text()
    assert 'class="badge NOT_APPLICABLE"' in html and "2 matched resources" in html
