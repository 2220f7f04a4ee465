"""Measured rows and ``{fact: ...}`` values in the policy: what loads, and what is refused
with file and line (a usage error, exit 4, when the audit is run)."""

from __future__ import annotations

import textwrap

import pytest

from dr_audit.errors import PolicyErrors
from dr_audit.policy import load_policy
from tests.conftest import AUDIT_CONFIG, POLICY, install_audit_suite, write_tree

HEADER = """\
policy: {name: measured, version: 1}
roles:
  primary: {region: eu-west-1, terraform_root: primary}
  dr: {region: eu-central-1, terraform_root: dr}
terraform: {root: tf}
facts:
  objectives: {rpo_seconds: 5, rto_minutes: 40}
  retention: {days: 7}
rows:
"""

MEASURED = """\
  - id: DB-LAG
    clause: "1"
    title: replica lag within the RPO
    kind: rds_instance
    role: dr
    select: {is_read_replica: true}
    measure: {metric: ReplicaLag, statistic: max, window: 24h}
    op: lte
    value: {fact: objectives.rpo_seconds}
    severity: high
"""


def write(tmp_path, rows: str) -> object:
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + textwrap.dedent(rows), encoding="utf-8")
    return path


def messages(path) -> list[str]:
    with pytest.raises(PolicyErrors) as caught:
        load_policy(path)
    return [str(e) for e in caught.value.errors]


def test_a_measured_row_loads_with_its_window_statistic_and_the_facts_number(tmp_path):
    row = load_policy(write(tmp_path, MEASURED)).row("DB-LAG")
    assert (row.measure.metric, row.measure.statistic, row.measure.window) == ("ReplicaLag", "max", "24h")
    assert (row.measure.window_seconds, row.measure.period_seconds, row.measure.stat) == (86400, 300, "Maximum")
    assert (row.value, row.value_fact, row.managed_by, row.attribute) == (5, "objectives.rpo_seconds", None, None)


def test_the_window_defaults_to_24_hours_and_p99_is_the_extended_statistic(tmp_path):
    rows = MEASURED.replace("statistic: max, window: 24h", "statistic: p99")
    row = load_policy(write(tmp_path, rows)).row("DB-LAG")
    assert (row.measure.window, row.measure.stat) == ("24h", "p99")


def test_a_fact_is_usable_as_the_value_of_an_attribute_row(tmp_path):
    rows = """\
      - id: DB-RETENTION
        clause: "2"
        title: retention
        kind: rds_instance
        role: primary
        select: {identifier: db}
        attribute: backup_retention_period
        op: gte
        value: {fact: retention.days}
        managed_by: terraform
        severity: high
    """
    row = load_policy(write(tmp_path, rows)).row("DB-RETENTION")
    assert (row.value, row.value_fact) == (7, "retention.days")


def test_an_unknown_fact_is_refused_with_file_line_and_a_suggestion(tmp_path):
    path = write(tmp_path, MEASURED.replace("objectives.rpo_seconds", "objectives.rpo_secs"))
    assert messages(path) == [f"{path}:18: row DB-LAG: value: fact 'objectives.rpo_secs' is not defined in "
                              f"facts; did you mean 'objectives.rpo_seconds'?"]


def test_a_fact_value_is_type_checked_like_a_written_one(tmp_path):
    rows = MEASURED.replace("objectives.rpo_seconds", "objectives")
    assert any("needs a number as value" in m for m in messages(write(tmp_path, rows)))


def test_each_measure_mistake_is_named(tmp_path):
    cases = {
        "measure: {metric: CPUUtilization, statistic: max}": "rds_instance has no measured metric 'CPUUtilization' "
                                                             "(known: ReplicaLag)",
        "measure: {metric: ReplicaLag, statistic: p95}": "statistic must be one of max, min, average, p99",
        "measure: {metric: ReplicaLag, statistic: max, window: 20d}": "window must be minutes, hours or days "
                                                                      "between 5m and 15d",
        "measure: {metric: ReplicaLag, statistic: max, period: 90}": "period must be whole minutes",
        "measure: {metric: ReplicaLag, statistic: max, colour: red}": "unknown key 'colour'",
        "measure: {metric: ReplicaLag, statistic: max, rule_id: r1}": "rule_id does not go with rds_instance",
    }
    for written, wanted in cases.items():
        rows = MEASURED.replace("measure: {metric: ReplicaLag, statistic: max, window: 24h}", written)
        found = messages(write(tmp_path, rows))
        assert any(wanted in m and ":16: row DB-LAG:" in m for m in found), (written, found)


def test_a_measured_row_takes_no_managed_by_attribute_or_non_numeric_operator(tmp_path):
    rows = MEASURED.replace("    op: lte\n", "    op: eq\n    attribute: multi_az\n    managed_by: terraform\n")
    found = messages(write(tmp_path, rows))
    assert any("a measured row has no managed_by" in m for m in found)
    assert any("'attribute' does not go with measure" in m for m in found)
    assert any("op must be one of lte, lt, gte, gt" in m for m in found)


def test_s3_replication_metrics_need_the_rule_id(tmp_path):
    rows = MEASURED.replace("kind: rds_instance", "kind: s3_bucket").replace(
        "select: {is_read_replica: true}", "select: {name: data}").replace(
        "metric: ReplicaLag", "metric: ReplicationLatency")
    assert any("give rule_id" in m for m in messages(write(tmp_path, rows)))
    loaded = load_policy(write(tmp_path, rows.replace("window: 24h}", "window: 24h, rule_id: to-dr}")))
    assert loaded.row("DB-LAG").measure.rule_id == "to-dr"


def test_the_shipped_policy_measures_the_replica_lag_against_the_rpo_fact():
    row = load_policy(POLICY).row("RDS-REPLICA-LAG-MEASURED-MAX")
    assert (row.kind, row.role, row.select) == ("rds_instance", "dr", {"is_read_replica": True})
    assert (row.measure.metric, row.measure.statistic, row.measure.window) == ("ReplicaLag", "max", "24h")
    assert (row.op, row.value, row.value_fact) == ("lte", 5, "objectives.rpo_seconds")


def test_an_unknown_fact_stops_the_audit_as_a_usage_error(pytester):
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    write_tree(pytester.path, {"policy.yaml": HEADER + textwrap.dedent(
        MEASURED.replace("objectives.rpo_seconds", "objectives.nope")), "tf/primary/main.tf": "", "tf/dr/main.tf": ""})
    result = pytester.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR == 4
    result.stderr.fnmatch_lines(["*invalid policy:*", "*policy.yaml:18: row DB-LAG: value: fact 'objectives.nope' "
                                 "is not defined in facts*"])
