"""Every full-mode status and problem status arising from real evidence: a
small Terraform tree and a sandbox account that agree and disagree on purpose."""

from __future__ import annotations

import textwrap

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.target import read_plan_for
from dr_audit.evaluate import evaluate_full
from dr_audit.findings import SourceState, Status
from dr_audit.policy import load_policy
from dr_audit.report.json_report import problem_status
from dr_audit.terraform.collector import collect_terraform
from tests.conftest import inject_error, write_tree

REGION = "eu-west-1"
#: identifier -> (multi_az in code, multi_az in the account); None: absent there
DATABASES = {"db-pass": (True, True), "db-fail": (False, False), "db-drift": (True, False),
             "db-applied": (False, True), "db-undeployed": (True, None), "db-unmanaged": (None, True),
             "db-unknown": ("var.multi_az", True)}
PROBLEMS = {1: "db-applied", 2: "db-drift", 3: "db-pass", 4: "db-fail"}


def policy_text() -> str:
    rows = "".join(textwrap.dedent(f"""\
          - id: {name.upper()}
            clause: "2.3"
            title: {name} is Multi-AZ
            kind: rds_instance
            role: primary
            select: {{identifier: {name}}}
            attribute: multi_az
            op: eq
            value: true
            managed_by: terraform
            severity: high
        """) + "".join(f"  problem: {p}\n" for p, db in PROBLEMS.items() if db == name) for name in DATABASES)
    problems = "".join(f"  - {{id: {p}, title: problem {p}, severity: high, remediation: fix it}}\n" for p in PROBLEMS)
    return (f"policy: {{name: three-way, title: Three way, version: 1}}\nroles:\n  primary: {{region: {REGION}, terraform_root: main}}\n"
            f"terraform: {{root: tf}}\nproblems:\n{problems}rows:\n" + textwrap.indent(rows, "  "))


def terraform_text() -> str:
    blocks = ['provider "aws" {\n  region = "eu-west-1"\n}\nvariable "multi_az" {\n  type = bool\n}\n']
    for name, (code, _) in DATABASES.items():
        if code is None:
            continue
        value = code if isinstance(code, str) else str(code).lower()
        blocks.append(f'resource "aws_db_instance" "{name.replace("-", "_")}" {{\n  identifier = "{name}"\n'
                      f'  engine = "mysql"\n  instance_class = "db.t3.micro"\n  multi_az = {value}\n}}\n')
    return "\n".join(blocks)


def audit(tmp_path, sandbox, reader_for, fault=None):
    write_tree(tmp_path, {"policy.yaml": policy_text(), "tf/main/main.tf": terraform_text()})
    rds = sandbox.session().client("rds", region_name=REGION, endpoint_url=sandbox.url)
    for name, (_, live) in DATABASES.items():
        if live is not None:
            rds.create_db_instance(DBInstanceIdentifier=name, Engine="mysql", DBInstanceClass="db.t3.micro",
                                   AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="sandbox-only-0",
                                   MultiAZ=live)
    policy = load_policy(tmp_path / "policy.yaml")
    reader = reader_for()
    if fault:
        inject_error(reader, *fault)
    live = collect_aws(reader, read_plan_for(policy))
    code = collect_terraform(tmp_path / "tf", {"primary": "main"})
    return policy, {row.id: evaluate_full(row, policy, code, live) for row in policy.rows}


def test_each_full_mode_status_arises_from_code_and_account(tmp_path, sandbox, reader_for):
    policy, findings = audit(tmp_path, sandbox, reader_for)
    assert {k: f.status for k, f in findings.items()} == {
        "DB-PASS": Status.PASS, "DB-FAIL": Status.FAIL, "DB-DRIFT": Status.DRIFT, "DB-APPLIED": Status.DRIFT,
        "DB-UNDEPLOYED": Status.UNDEPLOYED, "DB-UNMANAGED": Status.UNMANAGED, "DB-UNKNOWN": Status.UNKNOWN}
    assert findings["DB-DRIFT"].message.startswith("code meets the policy, the account does not")
    assert findings["DB-APPLIED"].message.startswith("the account meets the policy, the code does not")
    assert "present in the account, absent from Terraform" in findings["DB-UNMANAGED"].message
    assert findings["DB-UNMANAGED"].live.region == REGION and findings["DB-UNMANAGED"].live.id.endswith(":db:db-unmanaged")
    assert "declared in Terraform, absent in the account" in findings["DB-UNDEPLOYED"].message
    assert findings["DB-UNDEPLOYED"].terraform.file == "main/main.tf"
    assert "var.multi_az" in findings["DB-UNKNOWN"].message
    statuses = {p: problem_status([findings[db.upper()]])[0] for p, db in PROBLEMS.items()}
    assert statuses == {1: "APPLIED_NOT_IN_CODE", 2: "FIXED_IN_CODE_NOT_APPLIED", 3: "RESOLVED", 4: "OPEN"}


def test_a_denied_read_is_error_for_every_row_never_pass(tmp_path, sandbox, reader_for):
    _, findings = audit(tmp_path, sandbox, reader_for, ("rds", "DescribeDBInstances", 403, "AccessDenied"))
    assert {f.status for f in findings.values()} == {Status.ERROR}
    assert all(f.live.state is SourceState.ERROR and "AccessDenied" in f.message for f in findings.values())
    assert problem_status([findings["DB-PASS"]])[0] == "UNKNOWN"
