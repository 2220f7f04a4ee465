"""End to end: ``pytest audits/`` in full and live mode against the embedded
sandbox, in a separate process as a user runs it, on each shipped estate."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ESTATES, POLICY, REPO

AS_FOUND_PROBLEMS = {1: "OPEN", 2: "FIXED_IN_CODE_NOT_APPLIED", 3: "FIXED_IN_CODE_NOT_APPLIED", 4: "OPEN",
                     5: "FIXED_IN_CODE_NOT_APPLIED"}


def audit(pytester, *args):
    result = pytester.runpytest_subprocess("audits", "--dr-policy", str(POLICY), "-p", "no:cacheprovider", *args)
    report = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())
    return result, report


def statuses(report, status):
    return sorted(r["id"] for r in report["rows"] if r["status"] == status)


def test_as_found_full_audit_fills_both_columns_and_finds_problems_1_to_5(suite):
    result, report = audit(suite, "--dr-estate", "portforge-as-found")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert {p["id"]: p["status"] for p in report["problems"]} == AS_FOUND_PROBLEMS
    run = report["run"]
    assert run["mode"] == "full" and run["target"]["kind"] == "sandbox" and run["target"]["estate"] == "portforge-as-found"
    assert run["aws"]["account_id"] == "123456789012"
    assert run["aws"]["regions"] == ["ap-northeast-1", "ap-northeast-2", "us-east-1"]
    for row in report["rows"]:
        if row["kind"] == "policy":
            continue
        assert row["live"]["status"] != "not_consulted", row["id"]
        if row["managed_by"] == "terraform":
            assert row["terraform"]["status"] != "not_consulted", row["id"]
        if row["live"]["status"] in ("meets", "violates"):
            assert row["live"]["region"] and row["live"]["id"], row["id"]
    assert report["summary"]["by_status"]["ERROR"] == 0
    assert statuses(report, "UNDEPLOYED")[:3] == ["ALARM-HEALTH-CHECK-FAILED", "DDB-DR-REFERENCE-CHAT-ROOMS",
                                                  "DDB-DR-REFERENCE-TEAM-CHATS"]
    assert statuses(report, "DRIFT") == sorted(f"ECR-REPLICATION-{r}" for r in (
        "AUTH-SERVICE", "TEAM-SERVICE", "SUPPORT-SERVICE", "PROJECT-SERVICE", "AI-SERVICE",
        "SLACK-MONITORING-BOT", "INFRA-BOT"))
    result.stdout.fnmatch_lines(["*account 123456789012 via embedded moto sandbox on loopback (estate portforge-as-found)*",
                                 "*report: *dr-audit.json and *dr-audit.html*"])
    result.stdout.fnmatch_lines(["*ECR-REPLICATION-AUTH-SERVICE*", "*account  : violates: no replication rule*"])


def test_remediated_estate_resolves_every_problem(suite):
    result, report = audit(suite, "--dr-estate", "portforge-remediated")
    assert {p["status"] for p in report["problems"]} == {"RESOLVED"}
    assert report["run"]["terraform"]["root"].endswith("portforge-remediated")
    # only the written policy's own contradictions remain (this suite applies no waivers)
    contradictions = ["POLICY-FAILOVER-MANUAL-VS-ROUTE53", "POLICY-REPLICA-LAG-ALARM", "POLICY-RPO-S3"]
    assert statuses(report, "FAIL") == contradictions
    assert report["summary"]["by_status"]["PASS"] == len(report["rows"]) - len(contradictions)


def test_drift_estate_reports_drift_across_kinds_and_which_side_meets(suite):
    result, report = audit(suite, "--dr-estate", "portforge-drift")
    drift = {r["id"]: r for r in report["rows"] if r["status"] == "DRIFT"}
    assert sorted(drift) == ["ALARM-RDS-CPU-HIGH-THRESHOLD", "EKS-NODEGROUP-DESIRED-DR", "R53-HEALTH-CHECK-THRESHOLD",
                             "RDS-BACKUP-RETENTION-PRIMARY", "SUBNET-PUBLIC-TIER-DR"]
    assert {r["kind"] for r in drift.values()} == {"cloudwatch_alarm", "eks_node_group", "route53_health_check",
                                                    "rds_instance", "subnet"}
    for row in drift.values():
        assert row["message"].startswith("code meets the policy, the account does not")
        assert row["terraform"]["status"] == "meets" and row["live"]["status"] == "violates"
        assert row["terraform"]["file"] and row["terraform"]["line"]
    retention = drift["RDS-BACKUP-RETENTION-PRIMARY"]
    assert (retention["terraform"]["value"], retention["live"]["value"]) == (7, 1)
    assert statuses(report, "UNDEPLOYED") == ["ECR-REPO-INFRA-BOT-DR"]
    assert {p["id"]: p["status"] for p in report["problems"]}[2] == "FIXED_IN_CODE_NOT_APPLIED"


def test_live_mode_audits_the_account_alone(suite):
    result, report = audit(suite, "--dr-estate", "portforge-as-found", "--dr-mode", "live")
    assert report["run"]["mode"] == "live" and "not read" in report["run"]["terraform"]["note"]
    assert all(r["terraform"]["status"] == "not_consulted" for r in report["rows"])
    assert not statuses(report, "DRIFT") and not statuses(report, "UNDEPLOYED")
    # in the account alone, the undeployed health check is simply missing
    assert "R53-HEALTH-CHECK" in statuses(report, "FAIL")
    assert {p["id"]: p["status"] for p in report["problems"]} == {1: "OPEN", 2: "OPEN", 3: "OPEN", 4: "OPEN",
                                                                  5: "OPEN"}


#: a CloudFront distribution's domain name, which the sandbox generates at random
CLOUDFRONT_DOMAIN = re.compile(r"\b[a-z0-9]{13,14}\.cloudfront\.net\b")
#: a moment the account reports as of the read (a restore point): two runs read it at two moments
READ_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def verdicts(report):
    """A report's verdicts and evidence, less the ids each sandbox generates afresh (VPC ids,
    zone ids, certificate ARNs): two sandboxes seeded from one estate differ only there."""
    rows = {r["id"]: (r["status"], r["terraform"], r["live"]["status"],
                      READ_MOMENT.sub("<moment>", CLOUDFRONT_DOMAIN.sub("<distribution>",
                                                                        json.dumps(r["live"]["value"]))),
                      r["live"]["region"],
                      r["checked"]) for r in report["rows"]}
    problems = {p["id"]: (p["status"], p["rows"], p["evidence"]["rows"]) for p in report["problems"]}
    return rows, problems


def test_xdist_workers_each_run_a_sandbox_and_write_the_same_report(suite):
    serial_result, serial = audit(suite, "--dr-estate", "portforge-drift")
    out = suite.path / "parallel"  # fresh paths: nothing the serial run wrote can stand in for them
    result = suite.runpytest_subprocess("audits", "--dr-policy", str(POLICY), "-p", "no:cacheprovider",
                                        "--dr-estate", "portforge-drift", "-n", "2",
                                        "--dr-json", str(out / "a.json"), "--dr-html", str(out / "a.html"),
                                        "--dr-sarif", str(out / "a.sarif"), "--dr-history", str(out / "history"))
    parallel = json.loads((out / "a.json").read_text())
    assert verdicts(parallel) == verdicts(serial)
    assert parallel["summary"] == serial["summary"] and result.ret == serial_result.ret
    assert parallel["run"]["target"]["estate"] == "portforge-drift"
    assert (out / "a.html").exists() and (out / "a.sarif").exists() and len(list((out / "history").iterdir())) == 1
    result.stdout.fnmatch_lines(["*problem 2 FIXED_IN_CODE_NOT_APPLIED: *"])


def test_an_already_running_endpoint_is_audited_without_an_embedded_sandbox(suite, sandbox, monkeypatch):
    from dr_audit.sandbox.estate import load_estate, seed

    seed(sandbox, load_estate(ESTATES, "portforge-remediated"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result, report = audit(suite, "--dr-aws-endpoint-url", sandbox.url, "--dr-terraform-root",
                           str(REPO / "fixtures" / "terraform" / "portforge-remediated"))
    assert report["run"]["target"]["endpoint"] == sandbox.url and report["run"]["target"]["estate"] is None
    assert {p["status"] for p in report["problems"]} == {"RESOLVED"}


def test_live_target_without_credentials_is_a_clear_usage_error(suite, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = suite.runpytest_subprocess("audits", "--dr-policy", str(POLICY), "--dr-target", "live")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR or result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no AWS credentials found*"])
