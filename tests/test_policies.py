"""The three policies after PortForge, end to end: each runs three ways with
``--dr-policy`` against its own Terraform and sandbox estates, in a separate
process as a user runs it, and every row that does not pass is the one the
estate's gap (or the written policy's own contradiction) should make fail."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO


def audit(pytester, policy: str, *args):
    result = pytester.runpytest_subprocess("audits", "--dr-policy", str(REPO / "policies" / f"{policy}.yaml"),
                                           "-p", "no:cacheprovider", *args)
    report = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())
    return result, report


def not_passing(report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in report["rows"]:
        if row["status"] != "PASS":
            found.setdefault(row["status"], []).append(row["id"])
    return {status: sorted(ids) for status, ids in found.items()}


#: (policy, estate or None for the policy's own default) -> every row that must not pass, by status
EXPECTED = {
    ("megaticket-pilot-light", None): {
        "DRIFT": ["ASG-APP-DESIRED-DR", "DDB-GLOBAL-PERFORMANCES", "DDB-GLOBAL-RESERVATIONS", "DDB-GLOBAL-VENUES",
                  "IAM-DDB-ACTIONS-DR", "IAM-DDB-SCOPE-DR"],
        "FAIL": ["DDB-GLOBAL-SCHEDULES", "DDB-REPLICA-SCHEDULES-DR", "POLICY-TG-HEALTHY-IN-BUDGET",
                 "R53-SECONDARY-RECORD", "R53-SECONDARY-TOKYO"]},
    ("megaticket-pilot-light", "megaticket-remediated"): {"FAIL": ["POLICY-TG-HEALTHY-IN-BUDGET"]},
    ("fileflow-hybrid", None): {
        "DRIFT": ["CF-FAILOVER-STATUS-CODES",
                  # the console-made replication role has no KMS statements; the code grants them via S3 only
                  "IAM-S3-REPLICATION-ACTIONS", "IAM-S3-REPLICATION-KMS-DECRYPT-VIA-S3",
                  "IAM-S3-REPLICATION-KMS-ENCRYPT-VIA-S3",
                  "KMS-S3-DR-ROTATION", "R53-SECONDARY-HEALTH-CHECK", "S3-CRR-DELETE-MARKERS",
                  "S3-CRR-METRICS", "S3-CRR-METRICS-THRESHOLD", "S3-CRR-REPLICA-KMS-REGION", "S3-CRR-RTC"],
        # §3.2's Kinesis Firehose log streaming is built in neither region, in code or account
        "FAIL": ["FIREHOSE-LOGS-BUFFER-DR", "FIREHOSE-LOGS-BUFFER-PRIMARY",
                 "POLICY-ROUTING-DIAGRAM-VS-STEP4", "POLICY-RTO-DATABASE-IN-SCENARIO", "POLICY-RTO-S3-VS-DNS-SWITCH",
                 "POLICY-SCENARIO-STEPS-REACH-TOTAL",
                 # the peering was never accepted: no route crosses it
                 "ROUTE-DR-PRIVATE-TO-PRIMARY", "ROUTE-PRIMARY-PRIVATE-1-TO-DR", "ROUTE-PRIMARY-PRIVATE-2-TO-DR"],
        "UNDEPLOYED": ["HC-DR-INTERVAL", "HC-DR-PATH", "HC-DR-PORT", "HC-DR-THRESHOLD", "HC-DR-TYPE",
                       # a connection pending acceptance is not active: it meets no row
                       "PEERING-DR-ACCEPTER-NAME", "PEERING-PRIMARY-TO-DR-ACTIVE", "PEERING-PRIMARY-TO-DR-PEER-REGION",
                       "PEERING-PRIMARY-TO-DR-PEER-VPC", "PEERING-PRIMARY-TO-DR-VPC"],
        # the missing DR health check's fqdn is aws_lb.dr.dns_name in code: known only after apply;
        # CRR without replication metrics publishes no latency to measure (no data is not a pass)
        "UNKNOWN": ["HC-DR-FQDN", "S3-CRR-LATENCY-MEASURED"]},
    # the guide's own contradictions fail on any estate: only the written policy can fix them
    ("fileflow-hybrid", "fileflow-remediated"): {
        "FAIL": ["POLICY-ROUTING-DIAGRAM-VS-STEP4", "POLICY-RTO-DATABASE-IN-SCENARIO", "POLICY-RTO-S3-VS-DNS-SWITCH",
                 "POLICY-SCENARIO-STEPS-REACH-TOTAL"]},
    ("crm-active-active", None): {
        "DRIFT": ["RDS-BACKUP-AWS", "REDIS-FAILOVER-AWS", "REDIS-MULTIAZ-AWS"],
        "FAIL": ["CF-LB-EVEN-SPLIT", "CF-LB-EVEN-SPLIT-AFFINITY", "CF-MONITOR-INTERVAL",
                 "POLICY-MONITOR-INTERVAL-IN-DETECTION", "POLICY-RPO-REPLICATION"]},
    ("crm-active-active", "crm-remediated"): {"FAIL": ["CF-LB-EVEN-SPLIT", "CF-LB-EVEN-SPLIT-AFFINITY",
                                                       "POLICY-MONITOR-INTERVAL-IN-DETECTION", "POLICY-RPO-REPLICATION"]},
}


@pytest.mark.parametrize("policy, estate", list(EXPECTED), ids=[f"{p}:{e or 'default'}" for p, e in EXPECTED])
def test_each_policy_runs_three_ways_and_fails_exactly_where_its_estate_has_gaps(suite, policy, estate):
    result, report = audit(suite, policy, *(["--dr-estate", estate] if estate else []))
    assert not_passing(report) == EXPECTED[(policy, estate)]
    assert result.ret == (pytest.ExitCode.TESTS_FAILED if EXPECTED[(policy, estate)] else pytest.ExitCode.OK)
    run = report["run"]
    assert run["policy"]["path"].endswith(f"{policy}.yaml") and run["mode"] == "full"
    assert run["target"]["estate"] == (estate or f"{policy.split('-')[0]}-as-found")
    for row in report["rows"]:
        if row["kind"] == "policy" or row["terraform_only"]:
            continue
        assert row["live"]["status"] != "not_consulted", row["id"]  # every AWS row read the account
        if row["managed_by"] == "terraform":
            assert row["terraform"]["status"] != "not_consulted", row["id"]


def test_drift_rows_say_which_side_meets_with_both_locations(suite):
    _, report = audit(suite, "megaticket-pilot-light")
    rows = {r["id"]: r for r in report["rows"]}
    asg = rows["ASG-APP-DESIRED-DR"]
    assert asg["message"].startswith("code meets the policy, the account does not")
    assert asg["terraform"]["file"] == "dr-tokyo/ec2.tf" and asg["terraform"]["value"] == 0
    assert asg["live"]["value"] == 2 and asg["live"]["region"] == "ap-northeast-1"
    table = rows["DDB-GLOBAL-PERFORMANCES"]
    assert table["message"].startswith("the account meets the policy, the code does not")
    assert table["terraform"]["value"] == [] and table["live"]["value"] == ["ap-northeast-1"]
    scope = rows["IAM-DDB-SCOPE-DR"]
    assert scope["live"]["value"] == ["arn:aws:dynamodb:ap-northeast-1:123456789012:table/*"]


def terraform_only_rows(policy_name: str) -> set[str]:
    """The rows of a shipped policy that only Terraform can answer: a kind no collector reads, or an
    argument the AWS API never returns (read from the kinds, so a new kind or row keeps this true)."""
    from dr_audit.kinds import KINDS
    from dr_audit.policy import load_policy

    policy = load_policy(REPO / "policies" / f"{policy_name}.yaml")
    return {row.id for row in policy.rows if row.kind in KINDS and (KINDS[row.kind].terraform_only or (
        row.attribute in KINDS[row.kind].attributes and KINDS[row.kind].attributes[row.attribute].terraform_only))}


def test_terraform_only_rows_are_audited_from_code_and_marked_in_every_output(suite):
    result, report = audit(suite, "crm-active-active")
    only_code = [r for r in report["rows"] if r["terraform_only"]]
    assert {r["id"] for r in only_code} == terraform_only_rows("crm-active-active")
    # Google and Cloudflare kinds, and the RDS argument the API never returns (skip_final_snapshot)
    assert {"gcp_sql_instance", "gcp_redis_instance", "cloudflare_lb_monitor", "cloudflare_lb_pool",
            "cloudflare_load_balancer", "rds_instance"} <= {r["kind"] for r in only_code}
    for row in only_code:
        assert row["live"]["status"] == "not_consulted" and "Terraform only" in row["live"]["detail"], row["id"]
        assert row["terraform"]["status"] in ("meets", "violates") and row["terraform"]["file"], row["id"]
        assert row["message"].startswith("Terraform only: "), row["id"]
    interval = next(r for r in only_code if r["id"] == "CF-MONITOR-INTERVAL")
    assert interval["status"] == "FAIL" and interval["terraform"]["value"] == 60
    assert interval["terraform"]["file"] == "modules/cloudflare-lb/main.tf"
    html = (suite.path / "reports" / "dr-audit.html").read_text()
    assert html.count('class="badge terraform-only"') == len(only_code)
    result.stdout.fnmatch_lines(["*CF-MONITOR-INTERVAL*", "*Terraform only: no live collector reads cloudflare*"])


def test_live_mode_skips_terraform_only_rows_with_the_reason(suite):
    result, report = audit(suite, "crm-active-active", "--dr-mode", "live", "-rs")
    only_code = [r for r in report["rows"] if r["terraform_only"]]
    assert only_code and all(r["status"] == "UNKNOWN" and not r["checked"] for r in only_code)
    assert all("live mode does not read Terraform" in r["skip_reason"] for r in only_code)
    aws_rows = {r["id"]: r["status"] for r in report["rows"] if not r["terraform_only"] and r["kind"] != "policy"}
    assert sorted(i for i, s in aws_rows.items() if s != "PASS") == ["RDS-BACKUP-AWS", "REDIS-FAILOVER-AWS",
                                                                       "REDIS-MULTIAZ-AWS"]
    assert all(aws_rows[i] == "FAIL" for i in ("RDS-BACKUP-AWS", "REDIS-FAILOVER-AWS", "REDIS-MULTIAZ-AWS"))
    # + the policy's own contradictions (monitor interval vs detection, lag vs RPO); every Terraform-only
    # row skipped, + 3 Terraform roots, + checkov's 3
    contradictions = [r["id"] for r in report["rows"] if r["kind"] == "policy" and r["status"] == "FAIL"]
    assert "POLICY-MONITOR-INTERVAL-IN-DETECTION" in contradictions
    passing = [r for r in report["rows"] if r["status"] == "PASS"]
    result.assert_outcomes(failed=3 + len(contradictions), passed=len(passing),
                           skipped=len(terraform_only_rows("crm-active-active")) + 3 + 3)
    result.stdout.fnmatch_lines(["SKIPPED*Terraform only: no live collector reads google resources; live mode does not read*"])


def test_static_mode_needs_no_account_for_any_policy(suite):
    for policy, failing in [("megaticket-pilot-light", {"DDB-GLOBAL-PERFORMANCES", "POLICY-TG-HEALTHY-IN-BUDGET"}),
                            ("fileflow-hybrid", {"CF-FAILOVER-STATUS-CODES"}),
                            ("crm-active-active", {"CF-MONITOR-INTERVAL"})]:
        _, report = audit(suite, policy, "--dr-mode", "static")
        assert report["run"]["aws"]["account_id"] is None
        assert failing <= set(not_passing(report).get("FAIL", [])), policy
        assert not_passing(report).get("ERROR") is None
