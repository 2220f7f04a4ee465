"""The map operators ``has_key`` and ``key_eq``: what they answer, where the validator takes them,
and a row on a map attribute (an alarm's dimensions, a resource's tags) evaluated from code."""

from __future__ import annotations

import textwrap

import pytest

from dr_audit.errors import PolicyErrors
from dr_audit.evaluate import code_evidence
from dr_audit.findings import SourceState
from dr_audit.operators import OPERATORS
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import collect_terraform
from tests.conftest import write_tree

HAS_KEY, KEY_EQ = OPERATORS["has_key"], OPERATORS["key_eq"]


def test_has_key_answers_whether_the_key_is_there():
    assert HAS_KEY.test({"Owner": "ops"}, "Owner") is True
    assert HAS_KEY.test({"Owner": "ops"}, "owner") is False  # tag keys are case-sensitive
    assert HAS_KEY.test({}, "Owner") is False


def test_key_eq_needs_every_listed_key_with_its_value():
    tags = {"Env": "prod", "Port": "5432", "Backup": "true"}
    assert KEY_EQ.test(tags, {"Env": "prod"}) is True
    assert KEY_EQ.test(tags, {"Env": "prod", "Port": 5432, "Backup": True}) is True
    assert KEY_EQ.test(tags, {"Env": "dev"}) is False
    assert KEY_EQ.test(tags, {"Env": "prod", "Missing": "x"}) is False
    assert KEY_EQ.test(tags, {"Backup": False}) is False


def test_a_value_that_is_not_a_map_cannot_be_compared():
    with pytest.raises(TypeError):
        HAS_KEY.test(["Owner"], "Owner")
    with pytest.raises(TypeError):
        KEY_EQ.test("Env=prod", {"Env": "prod"})


HEADER = """\
policy: {name: test, version: 1}
roles:
  primary: {region: eu-west-1, terraform_root: primary}
problems:
  - {id: 1, title: alarms, severity: high, remediation: tie them}
rows:
"""


def _row(row_id: str, kind: str, attribute: str, op: str, value: str, select: str = "{name: lag}") -> str:
    return f"""\
  - id: {row_id}
    clause: "1"
    title: {row_id}
    kind: {kind}
    role: primary
    select: {select}
    attribute: {attribute}
    op: {op}
    value: {value}
    managed_by: terraform
    severity: high
    problem: 1
"""


def _policy(tmp_path, rows: str):
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _errors(tmp_path, rows: str) -> list[str]:
    with pytest.raises(PolicyErrors) as caught:
        load_policy(_policy(tmp_path, rows))
    return [str(e) for e in caught.value.errors]


def test_the_validator_takes_map_operators_on_map_attributes(tmp_path):
    policy = load_policy(_policy(tmp_path, _row("LAG-DB", "cloudwatch_alarm", "dimensions", "key_eq",
                                                "{DBInstanceIdentifier: app-db}")
                                 + _row("VPC-OWNER", "vpc", "tags", "has_key", "Owner", "{name: main}")))
    assert [row.op for row in policy.rows] == ["key_eq", "has_key"]


@pytest.mark.parametrize("attribute, op, value, message", [
    ("name", "has_key", "Owner", "op has_key does not apply to cloudwatch_alarm.name, which is a string"),
    ("threshold", "key_eq", "{a: b}", "op key_eq does not apply to cloudwatch_alarm.threshold"),
    ("dimensions", "eq", "x", "op eq does not apply to cloudwatch_alarm.dimensions, which is a map"),
    ("dimensions", "contains", "x", "op contains does not apply to cloudwatch_alarm.dimensions"),
    ("dimensions", "has_key", "[a, b]", "op has_key needs a key"),
    ("dimensions", "has_key", '""', "op has_key needs a key"),
    ("dimensions", "key_eq", "DBInstanceIdentifier", "op key_eq needs a map"),
    ("dimensions", "key_eq", "{}", "op key_eq needs a map"),
    ("dimensions", "key_eq", "{DBInstanceIdentifier: [a, b]}", "op key_eq needs each value to be a single value"),
])
def test_the_validator_refuses_map_operators_elsewhere_and_bad_values(tmp_path, attribute, op, value, message):
    errors = _errors(tmp_path, _row("BAD", "cloudwatch_alarm", attribute, op, value))
    assert any(message in error for error in errors), errors


TERRAFORM = """\
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Owner = "platform" }
  }
}
resource "aws_cloudwatch_metric_alarm" "lag" {
  alarm_name          = "lag"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "ReplicaLag"
  namespace           = "AWS/RDS"
  period              = 60
  threshold           = 30
  dimensions = {
    DBInstanceIdentifier = "app-db-replica"
  }
}
"""


@pytest.mark.parametrize("attribute, op, value, state", [
    ("dimensions", "key_eq", "{DBInstanceIdentifier: app-db-replica}", SourceState.MEETS),
    ("dimensions", "key_eq", "{DBInstanceIdentifier: other-db}", SourceState.VIOLATES),
    ("dimensions", "has_key", "DBInstanceIdentifier", SourceState.MEETS),
    ("tags", "key_eq", "{Owner: platform}", SourceState.MEETS),
    ("tags", "has_key", "CostCenter", SourceState.VIOLATES),
])
def test_a_map_row_is_evaluated_on_the_code(tmp_path, attribute, op, value, state):
    write_tree(tmp_path / "tf" / "primary", {"main.tf": textwrap.dedent(TERRAFORM)})
    terraform = collect_terraform(tmp_path / "tf", {"primary": "primary"})
    policy = load_policy(_policy(tmp_path, _row("ROW", "cloudwatch_alarm", attribute, op, value)))
    evidence = code_evidence(policy.rows[0], policy, terraform)
    assert evidence.state is state, evidence.detail
