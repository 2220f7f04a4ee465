"""Reliability under faults, bad input and interruption, as a user meets them.

Every scenario runs ``pytest audits/`` in a separate process, as the nightly
job and the CI gate do. Wire faults are injected by the fault proxy
(``dr_audit.sandbox.fault_proxy``) on loopback between the real botocore stack
and the sandbox. For each run the test checks the promise: the run finishes,
every row whose evidence was hit is ERROR with the cause, every other row keeps
the status a clean run gives it, no row passes without evidence, and the exit
status says whether the evidence was complete (10) or not.

The results table in ``docs/reliability.md`` is written by this module, never by
hand: when the committed file differs from what the runs produced, the test
rewrites it and fails, so a stale table cannot land.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from dr_audit.kinds.registry import aws_collectors
from dr_audit.kinds import KINDS
from dr_audit.plugin import EXIT_INCOMPLETE
from dr_audit.sandbox.estate import load_estate, seed
from dr_audit.sandbox.fault_proxy import Fault, FaultProxy
from dr_audit.policy import load_policy
from tests.conftest import AUDIT_CONFIG, ESTATES, POLICY, REPO, install_audit_suite, write_tree

#: the rows of the shipped PortForge policy: every run below reports each of them
POLICY_ROWS = len(load_policy(POLICY).rows)

DOC = REPO / "docs" / "reliability.md"
AS_FOUND_TERRAFORM = REPO / "fixtures" / "terraform" / "portforge"
EXIT_MEANING = {0: "exit 0: complete, policy met", 1: "exit 1: complete, violations found",
                4: "exit 4: usage error, nothing audited", EXIT_INCOMPLETE: f"exit {EXIT_INCOMPLETE}: incomplete evidence"}


@dataclass
class WireScenario:
    name: str
    faults: list[Fault]
    affected: Callable[[dict], bool] | None  # rows that must be ERROR (None: cannot be told in advance)
    cause: str  # a word every ERROR row's message carries
    args: tuple = ()


def _kinds_of(service: str) -> set[str]:
    return {kind for kind, (svc, _) in aws_collectors().items() if svc == service}


def _reads(service: str, region: str | None = None) -> Callable[[dict], bool]:
    """Rows whose account evidence comes from ``service`` (in ``region``, or anywhere for global kinds)."""
    kinds = _kinds_of(service)
    return lambda row: row["kind"] in kinds and row["live"]["status"] != "not_consulted" and (
        region is None or row["region"] == region or KINDS[row["kind"]].scope == "global")


WIRE = [
    WireScenario("throttling burst", [Fault("error", service="dynamodb", region="ap-northeast-2", operation="ListTables",
                                            times=2)], None, ""),
    WireScenario("persistent throttling", [Fault("error", service="route53", code="Throttling")],
                 _reads("route53"), "Throttling"),
    WireScenario("HTTP 5xx", [Fault("error", service="ec2", region="ap-northeast-1", status=503,
                                    code="ServiceUnavailable")], _reads("ec2", "ap-northeast-1"), "ServiceUnavailable"),
    WireScenario("AccessDenied, one service in one region",
                 [Fault("error", service="dynamodb", region="ap-northeast-1", code="AccessDeniedException")],
                 _reads("dynamodb", "ap-northeast-1"), "AccessDeniedException"),
    WireScenario("responses slower than the client timeout",
                 [Fault("delay", service="rds", region="ap-northeast-2", seconds=2.5)],
                 _reads("rds", "ap-northeast-2"), "timeout", ("--dr-read-timeout", "1")),
    WireScenario("connection dropped mid-response", [Fault("drop", service="s3")], _reads("s3"), "s3"),
    WireScenario("endpoint dies mid-run", [Fault("die", after=40)], None, "Could not connect",
                 ("--dr-concurrency", "1")),
]


def _audit(project: Path, *args: str, timeout: float = 600) -> tuple[int, dict | None, str]:
    """Run the audit suite in ``project``; (exit status, the JSON report or None, output)."""
    done = subprocess.run([sys.executable, "-m", "pytest", "audits", "-p", "no:cacheprovider", "-q", *args],
                          cwd=project, capture_output=True, text=True, timeout=timeout)
    report = project / "reports" / "dr-audit.json"
    return done.returncode, (json.loads(report.read_text()) if report.exists() else None), done.stdout + done.stderr


def _counts(report: dict) -> tuple[int, int, int]:
    statuses = [r["status"] for r in report["rows"]]
    errors, passed = statuses.count("ERROR"), statuses.count("PASS")
    return errors, passed, len(statuses) - errors - passed


@dataclass
class Table:
    rows: list[tuple] = field(default_factory=list)
    baseline: dict | None = None  # the clean as-found run, once a test has made it

    def add(self, group: str, scenario: str, injected: str, outcome: str, counts: tuple | None) -> None:
        error, passed, other = counts if counts else ("-", "-", "-")
        self.rows.append((group, scenario, injected, outcome, error, passed, other))

    def _baseline_text(self) -> str:
        if self.baseline is None:
            return "no clean run recorded"
        error, passed, other = _counts(self.baseline)
        return f"{len(self.baseline['rows'])} rows; a clean run: {error} ERROR, {passed} PASS, {other} other"

    def markdown(self) -> str:
        lines = ["# Reliability: what the audit does when things go wrong", "",
                 "Generated by `tests/test_reliability.py` from real runs of `pytest audits/` "
                 "(do not edit: the test rewrites this file and fails when it is stale).", "",
                 "Wire faults are injected by the fault proxy between botocore and the sandbox, on the "
                 f"PortForge as-found estate ({self._baseline_text()}). Bad input is "
                 "given to a static run of a small policy and tree. Exit status: 0 policy met, 1 violations "
                 f"found with complete evidence, 4 usage error, {EXIT_INCOMPLETE} incomplete evidence.", ""]
        group = None
        for row in self.rows:
            if row[0] != group:
                group = row[0]
                lines += [f"## {group}", "", "| scenario | injected | outcome | rows ERROR | PASS | other |",
                          "|---|---|---|---|---|---|"]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row[1:]) + " |")
            if row is self.rows[-1] or self.rows[self.rows.index(row) + 1][0] != group:
                lines.append("")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def table():
    return Table()


def _check_wire(name: str, scenario: WireScenario, baseline: dict, status: int, report: dict, output: str) -> str:
    """Assert the promise for one wire scenario; return its outcome text."""
    before = {r["id"]: r for r in baseline["rows"]}
    errors = [r for r in report["rows"] if r["status"] == "ERROR"]
    for row in report["rows"]:
        if row["status"] != before[row["id"]]["status"]:
            assert row["status"] == "ERROR", f"{name}: {row['id']} went {before[row['id']]['status']} -> {row['status']}"
    if scenario.affected is None and not scenario.cause:
        assert not errors and status == 1, f"{name}: retried reads must recover: {[r['id'] for r in errors]}"
        assert report["run"]["incomplete"] == []
        return f"retried, then read; {EXIT_MEANING[status]}"
    assert errors, f"{name}: no row ERROR"
    for row in errors:
        assert scenario.cause.lower() in row["message"].lower(), f"{name}: {row['id']}: {row['message']}"
    if scenario.affected is not None:
        must = {row_id for row_id, row in before.items() if scenario.affected(row)}
        assert must and must <= {r["id"] for r in errors}, f"{name}: not ERROR: {sorted(must - {r['id'] for r in errors})}"
        stray = [r["id"] for r in errors if r["id"] not in must and r["region"] is not None
                 and KINDS.get(r["kind"]) and not scenario.affected({**before[r["id"]], "live": {"status": "x"}})]
        assert not stray, f"{name}: ERROR beyond the fault's reach: {stray}"
    assert status == EXIT_INCOMPLETE and report["run"]["incomplete"], f"{name}: exit {status}"
    assert "AUDIT INCOMPLETE" in output
    return f"run finished, {len(errors)} rows ERROR naming the cause; {EXIT_MEANING[status]}"


def test_wire_faults_make_exactly_the_affected_rows_error(sandbox, tmp_path, monkeypatch, table):
    seed(sandbox, load_estate(ESTATES, "portforge-as-found"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    project = install_audit_suite(tmp_path / "project", AUDIT_CONFIG)
    common = ("--dr-policy", str(POLICY), "--dr-terraform-root", str(AS_FOUND_TERRAFORM), "--dr-checkov", "off",
              "--dr-max-attempts", "2")
    status, baseline, _ = _audit(project, *common, "--dr-aws-endpoint-url", sandbox.url)
    # a clean run: every row of the policy, none ERROR, violations found (the as-found problems)
    assert status == 1 and len(baseline["rows"]) == POLICY_ROWS and _counts(baseline)[0] == 0
    assert _counts(baseline)[1] > 0 and _counts(baseline)[2] > 0
    table.baseline = baseline
    table.add("Faults on the wire", "none (baseline)", "nothing", f"{EXIT_MEANING[status]}", _counts(baseline))
    for scenario in WIRE:
        with FaultProxy(sandbox.url, scenario.faults) as proxy:
            status, report, output = _audit(project, *common, "--dr-aws-endpoint-url", proxy.url, *scenario.args)
        assert report is not None, f"{scenario.name}: no report: {output[-2000:]}"
        outcome = _check_wire(scenario.name, scenario, baseline, status, report, output)
        injected = "; ".join(f.describe() for f in scenario.faults)
        hit = sum(n for action, n in proxy.summary().items() if action != "forwarded")
        table.add("Faults on the wire", scenario.name, f"{injected} ({hit} requests hit)", outcome, _counts(report))


CREDENTIALS = "Credentials, accounts and unexpected failures"
#: one-hour credentials that look 50 minutes old 2 s after each fetch: botocore must refresh them mid-run
AGEING_CLOCK = """\
pytest_plugins = ["dr_audit.plugin"]
import time
from datetime import timedelta
from dr_audit.aws import target

fetched = [time.monotonic()]
real_fetch, real_now = target.AssumedRole.fetch, target._utc_now


def fetch(self):
    answer = real_fetch(self)
    fetched.append(time.monotonic())
    return answer


target.AssumedRole.fetch = fetch
target._utc_now = lambda: real_now() + (timedelta(minutes=50) if time.monotonic() - fetched[-1] > 2 else timedelta())
"""
#: a shared read raising what no botocore retry knows: every collector waiting on it must be released
RAISING_READ = """\
pytest_plugins = ["dr_audit.plugin"]
from dr_audit.aws.reader import AwsReader

real_all_pages = AwsReader._all_pages


def all_pages(self, service, region, operation, result_key, arguments):
    if operation == "list_hosted_zones":
        raise RuntimeError("injected: the HTTP stack raised outside botocore")
    return real_all_pages(self, service, region, operation, result_key, arguments)


AwsReader._all_pages = all_pages
"""
DR_ACCOUNT_ROLE = "arn:aws:iam::210987654321:role/dr-audit"


def _rows_reading(role: str) -> set[str]:
    """Ids of the policy's rows whose account evidence comes (partly) from ``role``."""
    from dr_audit.policy import load_policy

    return {row.id for row in load_policy(POLICY).rows
            if role in {row.role} | {t.get("role") for t in row.args.get("targets", []) if isinstance(t, dict)}}


def test_expiring_credentials_a_raising_read_and_a_denied_account(sandbox, tmp_path, monkeypatch, table):
    seed(sandbox, load_estate(ESTATES, "portforge-as-found"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    def common(policy: str = str(POLICY), endpoint: str = sandbox.url) -> tuple:
        return ("--dr-policy", policy, "--dr-terraform-root", str(AS_FOUND_TERRAFORM), "--dr-checkov", "off",
                "--dr-max-attempts", "2", "--dr-aws-endpoint-url", endpoint)

    baseline = table.baseline
    if baseline is None:
        _, baseline, _ = _audit(install_audit_suite(tmp_path / "baseline", AUDIT_CONFIG), *common())

    project = install_audit_suite(tmp_path / "expiring", AUDIT_CONFIG)
    (project / "conftest.py").write_text(AGEING_CLOCK)
    status, report, output = _audit(project, *common(), "--dr-role-arn", "arn:aws:iam::123456789012:role/dr-audit")
    assert report is not None, output[-3000:]
    assert report["run"]["target"]["credentials_fetched"] >= 2, "the credentials were never refreshed"
    assert status == 1 and _counts(report) == _counts(baseline), output[-3000:]
    assert {r["id"]: r["status"] for r in report["rows"]} == {r["id"]: r["status"] for r in baseline["rows"]}
    table.add(CREDENTIALS, "expiring credentials",
              "--dr-role-arn; the clock makes the one-hour credentials 50 minutes old 2 s after each fetch",
              f"refreshed by AssumeRole during the run, every read signed; {EXIT_MEANING[status]}", _counts(report))

    project = install_audit_suite(tmp_path / "raising", AUDIT_CONFIG)
    (project / "conftest.py").write_text(RAISING_READ)
    status, report, output = _audit(project, *common(), timeout=300)  # the old reader hung here forever
    assert report is not None, output[-3000:]
    zones = WireScenario("a shared read raises", [], lambda row: row["kind"] in ("route53_zone", "route53_record")
                         and row["live"]["status"] != "not_consulted", "RuntimeError")
    outcome = _check_wire(zones.name, zones, baseline, status, report, output)
    table.add(CREDENTIALS, "a read that raises a non-botocore exception (once hung the run)",
              "RuntimeError in route53 ListHostedZones, a read two collectors share", outcome, _counts(report))

    project = install_audit_suite(tmp_path / "denied", AUDIT_CONFIG)
    policy = POLICY.read_text().replace(
        "  dr: {region: ap-northeast-1, terraform_root: dr}",
        f'  dr: {{region: ap-northeast-1, terraform_root: dr, role_arn: "{DR_ACCOUNT_ROLE}"}}')
    assert DR_ACCOUNT_ROLE in policy
    (project / "policy.yaml").write_text(policy)
    reading_dr = _rows_reading("dr")
    with FaultProxy(sandbox.url, [Fault("error", service="sts", operation="AssumeRole", status=403,
                                        code="AccessDenied")]) as proxy:
        status, report, output = _audit(project, *common("policy.yaml", proxy.url))
    assert report is not None, output[-3000:]
    denied = WireScenario("a second account denies access", [], lambda row: row["id"] in reading_dr
                          and row["live"]["status"] != "not_consulted", "AccessDenied")
    outcome = _check_wire(denied.name, denied, baseline, status, report, output)
    table.add(CREDENTIALS, "a second account that denies access",
              "the dr role reads another account; its AssumeRole answers HTTP 403 AccessDenied", outcome,
              _counts(report))


SMALL_POLICY = """\
policy: {name: small, version: 1}
roles:
  main: {region: eu-west-1, terraform_root: main}
terraform: {root: .}
rows:
  - id: VPC-CIDR
    clause: "1"
    title: the VPC is 10.0.0.0/16
    kind: vpc
    role: main
    select: {name: main}
    attribute: cidr_block
    op: cidr_eq
    value: 10.0.0.0/16
    managed_by: terraform
    severity: high
  - id: KMS-ALIAS
    clause: "1"
    title: the key alias exists
    kind: kms_alias
    role: main
    select: {name: alias/main}
    op: exists
    managed_by: terraform
    severity: low
"""
GOOD_TF = {"main/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n'
                           'resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n  tags = { Name = "main" }\n}\n',
           "main/kms.tf": 'resource "aws_kms_alias" "main" {\n  name = "alias/main"\n}\n'}


def _loop(root: Path) -> None:
    (root / "main" / "loop.tf").symlink_to(root / "main" / "loop.tf")


def _directory(root: Path) -> None:
    (root / "main" / "kms.tf").unlink()
    (root / "main" / "kms.tf").mkdir()


#: (scenario, what is given, files to add or replace, a callable for what files cannot say,
#:  extra arguments, expected exit status, a fragment of the message that names where)
def _row(row_id: str, **change: str) -> str:
    """One more attribute row for SMALL_POLICY, with fields replaced."""
    fields = {"kind": "vpc", "attribute": "cidr_block", "op": "cidr_eq", **change}
    return (f"  - id: {row_id}\n    clause: \"1\"\n    title: a row\n    kind: {fields['kind']}\n    role: main\n"
            f"    select: {{name: main}}\n    attribute: {fields['attribute']}\n    op: {fields['op']}\n"
            f"    value: 10.0.0.0/16\n    managed_by: terraform\n    severity: high\n")


BAD_INPUT = [
    ("malformed policy YAML", "an unclosed flow sequence", {"policy.yaml": SMALL_POLICY + "  - id: [oops\n"},
     None, (), 4, "policy.yaml:"),
    ("unknown kind, attribute and operator", "kind: vpcs; attribute: cidr; op: equals",
     {"policy.yaml": SMALL_POLICY + _row("BAD-KIND", kind="vpcs") + _row("BAD-ATTRIBUTE", attribute="cidr")
      + _row("BAD-OPERATOR", op="equals")}, None, (), 4, "unknown operator 'equals'"),
    ("duplicate row ids", "VPC-CIDR twice", {"policy.yaml": SMALL_POLICY + _row("VPC-CIDR")}, None, (), 4,
     "VPC-CIDR"),
    ("waiver for a missing row", "a waiver naming NO-SUCH-ROW",
     {"waivers.yaml": "waivers:\n  small:\n    - {row: NO-SUCH-ROW, owner: a, reason: b, ticket: c, expires: 2099-01-01}\n"},
     None, ("--dr-waivers", "waivers.yaml"), 4, "waivers.yaml:3"),
    ("malformed HCL", "an attribute with no value", {"main/kms.tf": 'resource "aws_kms_alias" "main" {\n  name = \n}\n'},
     None, (), EXIT_INCOMPLETE, "main/kms.tf:2:"),
    ("non-UTF-8 .tf", "a Latin-1 byte in a string",
     {"main/kms.tf": b'resource "aws_kms_alias" "main" {\n  name = "alias/m\xe9"\n}\n'}, None, (), EXIT_INCOMPLETE,
     "main/kms.tf:2"),
    ("unreadable file", "a .tf path that is a directory", {}, _directory, (), EXIT_INCOMPLETE,
     "main/kms.tf: cannot read"),
    ("symlink loop", "loop.tf -> loop.tf", {}, _loop, (), EXIT_INCOMPLETE, "main/loop.tf: cannot read: symlink loop"),
    ("huge file", "a 5 MB .tf", {"main/huge.tf": "# x\n" * (5 * 1024 * 1024 // 4)}, None, (), EXIT_INCOMPLETE,
     "main/huge.tf: file is"),
    ("tfvars of the wrong type", "a list for the string variable the VPC's CIDR comes from",
     {"main/vars.tf": 'variable "cidr" {\n  type    = string\n  default = "10.0.0.0/16"\n}\n',
      "main/terraform.tfvars": 'cidr = ["10.0.0.0/16"]\n',
      "main/main.tf": GOOD_TF["main/main.tf"].replace('"10.0.0.0/16"', "var.cidr")},
     None, (), EXIT_INCOMPLETE, "main/terraform.tfvars:1"),
    (".tf.json file", "JSON-syntax Terraform beside the HCL", {"main/extra.tf.json": '{"resource": {}}'}, None, (),
     EXIT_INCOMPLETE, "main/extra.tf.json"),
    ("empty Terraform root", "a root with no .tf files",
     {"policy.yaml": SMALL_POLICY.replace("terraform_root: main", "terraform_root: empty"), "empty/README": "nothing\n"},
     None, (), EXIT_INCOMPLETE, "has no .tf files"),
    ("missing Terraform root", "--dr-terraform-root names a directory that does not exist", {}, None,
     ("--dr-terraform-root", "nowhere"), EXIT_INCOMPLETE, "directory not found"),
]


@pytest.mark.parametrize("case", [c[0] for c in BAD_INPUT])
def test_bad_input_names_the_file_and_line_and_never_passes_unread_rows(tmp_path, case, table):
    _, given, files, damage, args, expected, where = next(c for c in BAD_INPUT if c[0] == case)
    project = install_audit_suite(tmp_path, AUDIT_CONFIG)
    write_tree(project, {"policy.yaml": SMALL_POLICY, **GOOD_TF})
    write_tree(project, files)
    if damage:
        damage(project)
    status, report, output = _audit(project, "--dr-policy", "policy.yaml", "--dr-mode", "static", *args)
    assert status == expected, f"{case}: exit {status}\n{output[-3000:]}"
    assert where in output, f"{case}: {where!r} not in the output:\n{output[-3000:]}"
    assert "Traceback" not in output
    if case == "unknown kind, attribute and operator":  # all three named at once, each with its line
        assert "unknown kind 'vpcs'" in output and "vpc has no attribute 'cidr'" in output
    if expected == 4:
        assert report is None  # nothing was audited, so nothing is reported
        table.add("Bad input", case, given, f"stopped before any row, naming `{where}`; {EXIT_MEANING[status]}", None)
        return
    counts = _counts(report)
    unread = {r["id"] for r in report["rows"] if r["status"] == "ERROR"}
    assert "VPC-CIDR" not in unread or case in ("empty Terraform root", "missing Terraform root")
    assert all(r["status"] != "PASS" for r in report["rows"] if r["id"] in unread)
    if case in ("unreadable file", "malformed HCL", "non-UTF-8 .tf", "empty Terraform root", "missing Terraform root"):
        assert "KMS-ALIAS" in unread, f"{case}: a row whose evidence may be in the unread file must not pass or fail"
    if case == "tfvars of the wrong type":  # neither the unusable value nor the default is evidence
        vpc = next(r for r in report["rows"] if r["id"] == "VPC-CIDR")
        assert vpc["status"] == "UNKNOWN" and "terraform.tfvars:1" in vpc["message"], vpc
    table.add("Bad input", case, given, f"`{where}` named, rest audited; {EXIT_MEANING[status]}", counts)


def test_concurrent_runs_and_a_killed_writer_lose_nothing(tmp_path, table):
    project = install_audit_suite(tmp_path / "project", AUDIT_CONFIG)
    command = [sys.executable, "-m", "pytest", "audits", "-p", "no:cacheprovider", "-q", "--dr-policy", str(POLICY),
               "--dr-mode", "static", "--dr-checkov", "off"]
    first, second = (subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(2))
    assert first.wait(600) == 1 and second.wait(600) == 1
    reports = project / "reports"
    document = json.loads((reports / "dr-audit.json").read_text())
    assert document["summary"]["rows"] == POLICY_ROWS and (reports / "dr-audit.html").read_text().rstrip().endswith("</html>")
    history = sorted((reports / "history").glob("*.json"))
    assert len(history) == 2 and all(json.loads(p.read_text())["summary"]["rows"] == POLICY_ROWS for p in history)
    table.add("Nothing lost", "two runs at once into one reports/", "two static audits started together",
              "both finished; reports valid, both runs in the history", None)

    before = (reports / "dr-audit.json").read_text()
    # a run whose disk stalls while writing the report, killed with SIGKILL mid-write
    (project / "conftest.py").write_text('pytest_plugins = ["dr_audit.plugin"]\n'
                                         "import os, time\n"
                                         "os.fsync = lambda fd: time.sleep(300)\n")
    killed = subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list(reports.glob(".dr-audit.json.*.tmp")) and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(reports.glob(".dr-audit.json.*.tmp")), "the writer never started"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(60)
    assert (reports / "dr-audit.json").read_text() == before
    json.loads(before)
    table.add("Nothing lost", "a run killed mid-write", "SIGKILL while the report's temporary file is being written",
              "the previous report is intact (the rename never happened)", None)


@pytest.fixture(scope="module", autouse=True)
def reliability_document(table):
    """After this module's tests: the table must be what the committed document says."""
    yield
    if len(table.rows) < len(WIRE) + 1 + 3 + len(BAD_INPUT) + 2:
        return  # a partial run (-k, xdist split) cannot judge the whole table
    order = {"Faults on the wire": 0, CREDENTIALS: 1, "Bad input": 2, "Nothing lost": 3}
    table.rows.sort(key=lambda r: (order[r[0]], [c[0] for c in BAD_INPUT].index(r[1]) if r[0] == "Bad input" else 0))
    text = table.markdown()
    if not DOC.exists() or DOC.read_text() != text:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text)
        pytest.fail(f"{DOC.relative_to(REPO)} was stale and has been rewritten from this run: commit it")
