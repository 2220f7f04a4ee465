"""No red first run for tooling reasons (issue 16, items 7 and 9): checkov's export is made
when missing or stale, checkov runs once per root, --collect-only audits nothing, and the
options that cannot work together are usage errors that say why."""

from __future__ import annotations

import json
import subprocess

import pytest

from dr_audit.checkov import runner
from dr_audit.checkov.__main__ import main as checkov_main
from dr_audit.checkov.export import checks_for, export_texts, write_export
from dr_audit.context import AuditContext
from dr_audit.policy import load_policy
from tests.conftest import AUDIT_CONFIG, install_audit_suite, write_tree

POLICY = """\
policy: {name: tooling, version: 1}
roles:
  primary: {region: eu-west-1, terraform_root: shared}
  dr: {region: eu-west-2, terraform_root: shared}
terraform: {root: tf}
rows:
  - id: DB-MULTIAZ
    clause: "1"
    title: db is multi-az
    kind: rds_instance
    role: primary
    select: {identifier: db}
    attribute: multi_az
    op: eq
    value: true
    managed_by: terraform
    severity: high
"""

TERRAFORM = {"tf/shared/main.tf": 'resource "aws_db_instance" "db" {\n  identifier = "db"\n  multi_az = true\n}\n'}


@pytest.fixture
def policy_path(tmp_path):
    write_tree(tmp_path, {"policy.yaml": POLICY, **TERRAFORM})
    return tmp_path / "policy.yaml"


def test_export_of_a_bad_policy_names_file_and_line_and_exits_4(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("kind: rds_instance", "kind: rds_instances"), encoding="utf-8")
    assert checkov_main(["export", str(bad)]) == 4
    err = capsys.readouterr().err
    assert f"{bad}:10:" in err and "unknown kind 'rds_instances'" in err and "Traceback" not in err
    assert checkov_main(["export", str(tmp_path / "missing.yaml")]) == 4
    assert "file not found" in capsys.readouterr().err


def test_a_fresh_committed_export_is_used_as_it_is(policy_path, tmp_path):
    policy = load_policy(policy_path)
    committed = tmp_path / "checkov" / "tooling"
    write_export(policy, committed)
    assert checks_for(policy, committed, tmp_path / "cache") == committed


@pytest.mark.parametrize("state", ["missing", "stale"])
def test_a_missing_or_stale_export_is_generated_outside_the_repository(policy_path, tmp_path, state):
    policy = load_policy(policy_path)
    committed = tmp_path / "checkov" / "tooling"
    if state == "stale":
        committed.mkdir(parents=True)
        (committed / "DB-MULTIAZ.yaml").write_text("# an older export\n", encoding="utf-8")
    checks = checks_for(policy, committed, tmp_path / "cache")
    assert checks != committed and checks.is_relative_to(tmp_path / "cache")
    assert {p.name: p.read_text() for p in checks.glob("*.yaml")} == export_texts(policy)
    assert not (committed / "DB-MULTIAZ.yaml").exists() or state == "stale"  # the repository is left alone


def _fake_checkov(calls: list):
    def run(command, **_):
        calls.append(command[command.index("-d") + 1])
        report = {"check_type": "terraform", "results": {"passed_checks": [
            {"check_id": "CKV_AWS_157", "check_name": "multi-az", "resource": "aws_db_instance.db",
             "file_path": "/main.tf", "file_line_range": [1, 4]}], "failed_checks": []}}
        return subprocess.CompletedProcess(command, 1, json.dumps(report), "")
    return run


def test_checkov_runs_once_per_distinct_root_and_lists_each_result_once(monkeypatch, tmp_path):
    calls: list = []
    monkeypatch.setattr(runner.subprocess, "run", _fake_checkov(calls))
    run = runner.run_checkov(tmp_path, {"primary": "shared", "dr": "shared", "edge": "edge"}, tmp_path, ["X"])
    assert sorted(calls) == sorted([str(tmp_path / "shared"), str(tmp_path / "edge")])
    assert [r.root for r in run.results].count(run.run_role("primary")) == 1 and len(run.results) == 2
    assert run.find("CKV_AWS_157", "aws_db_instance.db", ["primary"]) == run.find(
        "CKV_AWS_157", "aws_db_instance.db", ["dr"])


def test_a_failed_run_on_a_shared_root_is_an_error_for_every_role_on_it(monkeypatch, tmp_path):
    monkeypatch.setattr(runner.subprocess, "run",
                        lambda command, **_: subprocess.CompletedProcess(command, 2, "", "boom"))
    run = runner.run_checkov(tmp_path, {"primary": "shared", "dr": "shared"}, tmp_path, ["X"])
    assert set(run.errors) == {"primary", "dr"} and "boom" in run.errors["dr"]


def test_the_audit_makes_the_missing_export_itself(monkeypatch, policy_path, tmp_path):
    seen = {}

    def fake_run(base, roots, checks_dir, ids):
        seen["checks"] = checks_dir
        return runner.CheckovRun()

    monkeypatch.setattr("dr_audit.context.run_checkov", fake_run)
    context = AuditContext(policy_path, None, "static", checkov=True, parse_cache=tmp_path / "cache")
    assert context.checkov.errors == {}
    assert seen["checks"].is_relative_to(tmp_path / "cache") and (seen["checks"] / "DB-MULTIAZ.yaml").is_file()
    assert not (policy_path.parent / "checkov").exists()


def test_a_policy_whose_terraform_root_is_missing_is_refused_naming_the_path(policy_path):
    policy_path.write_text(POLICY.replace("root: tf", "root: nowhere"), encoding="utf-8")
    with pytest.raises(ValueError, match=f"Terraform root {policy_path.parent / 'nowhere'} .*does not exist"):
        AuditContext(policy_path, None, "static")


@pytest.fixture
def project(pytester):
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    write_tree(pytester.path, {"policy.yaml": POLICY, **TERRAFORM})
    return pytester


def test_collect_only_audits_nothing_and_writes_no_report(project):
    out = project.path / "out"
    result = project.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static", "--collect-only",
                               "--dr-checkov", "on", "-p", "no:cacheprovider", "--dr-json", str(out / "a.json"),
                               "--dr-html", str(out / "a.html"), "--dr-sarif", str(out / "a.sarif"),
                               "--dr-history", str(out / "history"))
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*test_policy_row*DB-MULTIAZ*"])
    assert not out.exists()
    assert "DR audit" not in result.stdout.str()


def test_an_estate_with_static_mode_is_a_usage_error(project):
    result = project.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static",
                               "--dr-estate", "anything", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the estate seeds the sandbox account; static mode reads no account*"])


def test_a_missing_policy_root_stops_the_audit_with_exit_4(project):
    (project.path / "policy.yaml").write_text(POLICY.replace("root: tf", "root: nowhere"), encoding="utf-8")
    result = project.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*Terraform root {project.path / 'nowhere'} (from the policy's terraform.root) "
                                 f"does not exist*"])
