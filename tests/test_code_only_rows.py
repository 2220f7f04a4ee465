"""Rows the account is never consulted for: a kind with no live collector, or an attribute the
AWS API does not return. One rule (``Kind.code_only_reason``) decides it for the verdict, the
JSON report, the read plan and the IAM actions a policy needs, so they cannot disagree."""

from __future__ import annotations

from pathlib import Path

from dr_audit.aws.target import read_plans_by_role
from dr_audit.iam import live_kinds_of
from dr_audit.kinds import KINDS
from dr_audit.policy import load_policy

REGION = "eu-west-1"

SKIP_SNAPSHOT = """\
  - id: DB-FINAL-SNAPSHOT
    clause: "1"
    title: deleting the database keeps a final snapshot
    kind: rds_instance
    role: primary
    select: {identifier: orders}
    attribute: skip_final_snapshot
    op: eq
    value: false
    managed_by: terraform
    severity: high
"""

DB_EXISTS = """\
  - id: DB-EXISTS
    clause: "1"
    title: the orders database exists
    kind: rds_instance
    role: primary
    select: {identifier: orders}
    op: exists
    managed_by: terraform
    severity: high
"""


def policy_of(tmp_path: Path, rows: str):
    text = (f"policy: {{name: code-only, title: Code only, version: 1}}\n"
            f"roles:\n  primary: {{region: {REGION}, terraform_root: main}}\nrows:\n" + rows)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def test_the_reason_names_a_provider_without_a_collector_or_an_attribute_the_api_never_returns():
    assert KINDS["gcp_network"].code_only_reason(None).startswith("Terraform only: no live collector reads")
    assert KINDS["rds_instance"].code_only_reason("skip_final_snapshot") == (
        "Terraform only: the AWS API does not return rds_instance.skip_final_snapshot")
    assert KINDS["rds_instance"].code_only_reason("multi_az") is None
    assert KINDS["rds_instance"].code_only_reason(None) is None


def test_a_policy_whose_only_row_is_code_only_reads_nothing_and_needs_no_read_action(tmp_path):
    policy = policy_of(tmp_path, SKIP_SNAPSHOT)
    assert read_plans_by_role(policy) == {}
    assert live_kinds_of([policy]) == []


def test_another_row_of_the_kind_still_reads_it(tmp_path):
    policy = policy_of(tmp_path, SKIP_SNAPSHOT + DB_EXISTS)
    assert read_plans_by_role(policy) == {"primary": {"rds_instance": {REGION}}}
    assert live_kinds_of([policy]) == ["rds_instance"]
