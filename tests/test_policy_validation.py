"""The policy validator: each kind of bad input is refused with file, line and row."""

from __future__ import annotations

import textwrap

import pytest

from dr_audit.errors import PolicyError, PolicyErrors
from dr_audit.policy import load_policy
from tests.conftest import POLICY

HEADER = """\
policy: {name: test, version: 1}
roles:
  primary: {region: ap-northeast-2, terraform_root: primary}
  dr: {region: ap-northeast-1, terraform_root: dr}
facts:
  objectives: {rto_minutes: 40}
  steps: {a: 20, b: 10}
problems:
  - {id: 1, title: streams, severity: high, remediation: enable}
rows:
"""

GOOD_ROW = """\
  - id: RDS-MULTIAZ-PRIMARY
    clause: "2.3"
    title: multi-az
    kind: rds_instance
    role: primary
    select: {identifier: db}
    attribute: multi_az
    op: eq
    value: true
    managed_by: terraform
    severity: high
    problem: 1
"""


def write(tmp_path, rows: str, header: str = HEADER):
    path = tmp_path / "policy.yaml"
    path.write_text(header + textwrap.dedent(rows), encoding="utf-8")
    return path


def errors_of(path) -> list[PolicyError]:
    with pytest.raises(PolicyErrors) as caught:
        load_policy(path)
    return caught.value.errors


def test_the_shipped_policy_is_valid_and_complete():
    policy = load_policy(POLICY)
    assert len(policy.rows) >= 100
    assert sorted(policy.problems) == [1, 2, 3, 4, 5]
    assert all(policy.problems[p].rows for p in policy.problems)
    sections = {row.clause for row in policy.rows}
    for clause in ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.11", "2.12", "2.13", "4", "5", "10"):
        assert clause in sections, clause


def test_a_good_row_loads(tmp_path):
    policy = load_policy(write(tmp_path, GOOD_ROW))
    row = policy.rows[0]
    assert (row.id, row.kind, row.attribute, row.value, row.problem, row.line) == (
        "RDS-MULTIAZ-PRIMARY", "rds_instance", "multi_az", True, 1, 11)
    assert policy.problems[1].rows == ("RDS-MULTIAZ-PRIMARY",)


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = write(tmp_path, GOOD_ROW + "  - id: [unclosed\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.line == 24 and caught.value.column is not None
    assert str(caught.value).startswith(f"{path}:24:")


@pytest.mark.parametrize("change, line, text", [
    (("kind: rds_instance", "kind: rds_instanse"), 14, "unknown kind 'rds_instanse'"),
    (("op: eq", "op: equals"), 18, "unknown operator 'equals'"),
    (("attribute: multi_az", "attribute: multiaz"), 17, "rds_instance has no attribute 'multiaz'"),
    (("select: {identifier: db}", "select: {ident: db}"), 16, "select: rds_instance has no attribute 'ident'"),
    (("value: true", "value: yes-please"), 19, "rds_instance.multi_az is bool"),
    (("role: primary", "role: tertiary"), 15, "unknown role 'tertiary'"),
    (("severity: high", "severity: urgent"), 21, "severity must be one of"),
    (("managed_by: terraform", "managed_by: ansible"), 20, "managed_by must be one of"),
    (("problem: 1", "problem: 9"), 22, "problem 9 is not one of"),
    (("id: RDS-MULTIAZ-PRIMARY", "id: rds_multiaz"), 11, "must be UPPER-KEBAB-CASE"),
    (("clause: \"2.3\"", "clause: \"2.3\"\n    colour: red"), 13, "unknown key 'colour'"),
])
def test_each_bad_row_is_named_with_its_line(tmp_path, change, line, text):
    errors = errors_of(write(tmp_path, GOOD_ROW.replace(*change)))
    assert any(text in e.message and e.line == line for e in errors), [str(e) for e in errors]
    assert all(str(e).startswith(str(tmp_path / "policy.yaml")) for e in errors)


def test_duplicate_row_id(tmp_path):
    errors = errors_of(write(tmp_path, GOOD_ROW + GOOD_ROW))
    assert [(e.row_id, e.line) for e in errors] == [("RDS-MULTIAZ-PRIMARY", 23)]
    assert "duplicate row id (first at line 11)" in errors[0].message


@pytest.mark.parametrize("value, text", [
    ("10.10.0.0/33", "bad CIDR"),
    ("10.10.1.0/16", "has host bits set"),
    ("not-a-cidr", "bad CIDR"),
])
def test_bad_cidr(tmp_path, value, text):
    row = GOOD_ROW.replace("RDS-MULTIAZ-PRIMARY", "VPC-CIDR").replace("kind: rds_instance", "kind: vpc").replace(
        "select: {identifier: db}", "select: {name: v}").replace("attribute: multi_az", "attribute: cidr_block").replace(
        "op: eq\n    value: true", f"op: cidr_eq\n    value: {value}")
    errors = errors_of(write(tmp_path, GOOD_ROW + row))
    assert any(text in e.message and e.row_id == "VPC-CIDR" and e.line == 31 for e in errors), [str(e) for e in errors]


def test_bad_regex_and_missing_value(tmp_path):
    rows = GOOD_ROW.replace("op: eq\n    value: true", "op: matches\n    value: '(['").replace(
        "attribute: multi_az", "attribute: engine")
    errors = errors_of(write(tmp_path, rows))
    assert any("bad regular expression" in e.message for e in errors)
    errors = errors_of(write(tmp_path, GOOD_ROW.replace("    value: true\n", "")))
    assert any(e.message == "value is required" and e.line == 11 for e in errors)


def test_comparators_are_validated(tmp_path):
    rows = """\
  - id: POLICY-RTO
    clause: "4"
    title: rto
    kind: policy
    comparator: sum_at_most
    args: {terms: steps, limit: objectives.rto_seconds}
    severity: high
  - id: POLICY-UNKNOWN-COMPARATOR
    clause: "4"
    title: x
    kind: policy
    comparator: sum_at_least
    severity: high
"""
    errors = errors_of(write(tmp_path, GOOD_ROW + rows))
    messages = {(e.row_id, e.message) for e in errors}
    assert ("POLICY-RTO", "args.limit: fact 'objectives.rto_seconds' is not defined in facts") in messages
    assert any(r == "POLICY-UNKNOWN-COMPARATOR" and "unknown comparator 'sum_at_least'" in m for r, m in messages)


def test_problem_with_no_row_and_missing_roles(tmp_path):
    errors = errors_of(write(tmp_path, GOOD_ROW.replace("    problem: 1\n", "")))
    assert any("problem 1 is linked to no row" in e.message for e in errors)
    errors = errors_of(write(tmp_path, GOOD_ROW, HEADER.replace("  primary: {region: ap-northeast-2, terraform_root: primary}\n", "")))
    assert any("unknown role 'primary'" in e.message for e in errors)


def test_all_errors_are_reported_at_once(tmp_path):
    rows = GOOD_ROW.replace("op: eq", "op: equals") + GOOD_ROW.replace("RDS-MULTIAZ-PRIMARY", "RDS-OTHER").replace(
        "kind: rds_instance", "kind: nope")
    errors = errors_of(write(tmp_path, rows))
    assert {e.row_id for e in errors} == {"RDS-MULTIAZ-PRIMARY", "RDS-OTHER"}


def test_unreadable_and_non_utf8_policy(tmp_path):
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "none.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"policy: {name: caf\xe9}\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(path)


@pytest.mark.parametrize("name", ["megaticket-pilot-light", "fileflow-hybrid", "crm-active-active"])
def test_the_other_shipped_policies_are_valid_and_name_their_estate(name):
    policy = load_policy(POLICY.parent / f"{name}.yaml")
    assert len(policy.rows) >= 30 and policy.sandbox_estate == f"{name.split('-')[0]}-as-found"
    assert (POLICY.parent.parent / "fixtures" / "estates" / policy.sandbox_estate / "estate.yaml").is_file()


def test_roles_take_other_clouds_regions_and_region_less_roots(tmp_path):
    header = HEADER.replace("  dr: {region: ap-northeast-1, terraform_root: dr}\n",
                            "  dr: {region: asia-northeast3, terraform_root: dr}\n  edge: {terraform_root: edge}\n")
    policy = load_policy(write(tmp_path, GOOD_ROW, header))
    assert policy.roles["dr"].region == "asia-northeast3" and policy.roles["edge"].region is None
    bad = HEADER.replace("  dr: {region: ap-northeast-1, terraform_root: dr}\n",
                         "  dr: {region: Tokyo}\n  edge: {}\n")
    messages = [(e.line, e.message) for e in errors_of(write(tmp_path, GOOD_ROW, bad))]
    assert (4, "role 'dr': 'Tokyo' is not a region name (e.g. us-east-1, asia-northeast3)") in messages
    assert (5, "role 'edge' needs a region (or, for a region-less provider, a terraform_root)") in messages


def test_the_sandbox_estate_must_be_a_name(tmp_path):
    policy = load_policy(write(tmp_path, GOOD_ROW, HEADER.replace("facts:", "sandbox: {estate: mine}\nfacts:")))
    assert policy.sandbox_estate == "mine"
    errors = errors_of(write(tmp_path, GOOD_ROW, HEADER.replace("facts:", "sandbox: [mine]\nfacts:")))
    assert [(e.line, e.message) for e in errors] == [(5, "sandbox must be a mapping {estate: NAME}")]


ALL_OF_A_KIND = GOOD_ROW.replace("    select: {identifier: db}\n", "")


def test_when_absent_is_read_on_a_row_without_select(tmp_path):
    policy = load_policy(write(tmp_path, ALL_OF_A_KIND.replace("    problem: 1\n", "    problem: 1\n    when_absent: not_applicable\n")))
    assert policy.rows[0].when_absent == "not_applicable" and policy.rows[0].all_of_kind
    assert load_policy(write(tmp_path, ALL_OF_A_KIND)).rows[0].when_absent == "fail"


@pytest.mark.parametrize("row, text", [
    (ALL_OF_A_KIND + "    when_absent: skip\n", "when_absent must be one of ['fail', 'not_applicable'], not 'skip'"),
    (GOOD_ROW + "    when_absent: not_applicable\n", "when_absent only goes with a row without select"),
    (ALL_OF_A_KIND.replace("    attribute: multi_az\n    op: eq\n    value: true\n", "    op: exists\n")
     + "    when_absent: not_applicable\n", "when_absent does not go with op: exists or aggregate: count"),
    (ALL_OF_A_KIND.replace("    attribute: multi_az\n    op: eq\n    value: true\n",
                           "    aggregate: count\n    op: eq\n    value: 0\n")
     + "    when_absent: not_applicable\n", "when_absent does not go with op: exists or aggregate: count"),
    (ALL_OF_A_KIND.replace("    attribute: multi_az\n    op: eq\n    value: true\n",
                           "    comparator: same_value\n    args: {attribute: multi_az, targets: [{role: primary, "
                           "select: {identifier: a}}, {role: dr, select: {identifier: b}}]}\n")
     + "    when_absent: not_applicable\n", "when_absent does not go with a comparator"),
])
def test_when_absent_is_validated_with_its_line(tmp_path, row, text):
    errors = errors_of(write(tmp_path, row))
    line = 11 + row.splitlines().index("    when_absent: " + row.split("when_absent: ")[1].split("\n")[0])
    assert any(text in e.message and e.line == line and e.row_id == "RDS-MULTIAZ-PRIMARY" for e in errors), \
        [str(e) for e in errors]


@pytest.mark.parametrize("header_line, line", [
    ("policy: {name: test}\n", 1),
    ("policy:\n  name: test\n  version: ''\n", 3),
])
def test_a_policy_without_a_version_is_refused_with_its_line(tmp_path, header_line, line):
    path = write(tmp_path, GOOD_ROW, HEADER.replace("policy: {name: test, version: 1}\n", header_line))
    found = [(e.line, e.message) for e in errors_of(path)]
    assert any(n == line and "policy.version is required" in text for n, text in found), found


def test_every_shipped_policy_names_its_version():
    from pathlib import Path

    for path in sorted((Path(POLICY).parent).glob("*.yaml")):
        if path.name != "waivers.yaml":
            assert load_policy(path).version == "1.0", path
