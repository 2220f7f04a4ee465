"""A new team's first policy is validated strictly: each mistake is refused with file and line,
before it can turn into a compliance FAIL (issue 16, item 5)."""

from __future__ import annotations

import textwrap

import pytest

from dr_audit.errors import PolicyErrors
from dr_audit.operators import OPERATORS
from dr_audit.policy import aws_regions, load_policy

HEADER = """\
policy: {name: strict, version: 1}
roles:
  primary: {region: REGION, terraform_root: primary}
  gcp: {region: asia-northeast3, terraform_root: gcp}
  edge: {terraform_root: edge}
rows:
"""

ROW = """\
  - id: ROW-ONE
    clause: "1"
    title: one
    kind: KIND
    role: ROLE
    select: SELECT
    attribute: ATTRIBUTE
    op: OP
    value: VALUE
    managed_by: terraform
    severity: high
"""

DEFAULTS = {"KIND": "rds_instance", "ROLE": "primary", "SELECT": "{identifier: db}", "ATTRIBUTE": "multi_az",
            "OP": "eq", "VALUE": "true", "REGION": "ap-northeast-2"}


def policy_text(**changes: str) -> str:
    text = HEADER + ROW
    for key, value in {**DEFAULTS, **changes}.items():
        text = text.replace(key, value)
    return text


def messages(tmp_path, **changes: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "policy.yaml"
    path.write_text(policy_text(**changes), encoding="utf-8")
    with pytest.raises(PolicyErrors) as caught:
        load_policy(path)
    assert all(str(e).startswith(f"{path}:") for e in caught.value.errors)
    return [(e.line, e.message) for e in caught.value.errors]


def loads(tmp_path, **changes: str):
    path = tmp_path / "policy.yaml"
    path.write_text(policy_text(**changes), encoding="utf-8")
    return load_policy(path)


def test_the_defaults_load(tmp_path):
    assert loads(tmp_path).rows[0].id == "ROW-ONE"


def test_the_known_regions_come_from_botocore_in_every_partition():
    regions = aws_regions()
    assert {"us-east-1", "ap-northeast-2", "cn-north-1", "us-gov-west-1"} <= regions
    assert "us-east1" not in regions and "asia-northeast3" not in regions


def test_a_region_typo_is_refused_with_a_suggestion(tmp_path):
    found = messages(tmp_path, REGION="us-east1")
    assert any(line == 3 and "'us-east1' is not an AWS region; did you mean 'us-east-1'?" in text
               and "rds_instance" in text for line, text in found), found


def test_a_google_region_is_accepted_on_a_role_with_only_google_rows(tmp_path):
    policy = loads(tmp_path, KIND="gcp_sql_instance", ROLE="gcp", SELECT="{name: db}",
                   ATTRIBUTE="backup_enabled")
    assert policy.roles["gcp"].region == "asia-northeast3"


def test_a_google_region_is_refused_on_a_role_with_aws_rows(tmp_path):
    found = messages(tmp_path, ROLE="gcp")
    assert any(line == 4 and "'asia-northeast3' is not an AWS region" in text for line, text in found), found


def test_a_region_only_role_on_a_global_kind_is_refused(tmp_path):
    found = messages(tmp_path, KIND="route53_zone", SELECT="{name: example.com}", ATTRIBUTE="private_zone")
    assert any(line == 11 and "kind route53_zone is global" in text for line, text in found), found


def test_a_role_on_a_global_kind_picks_its_account_when_the_policy_reads_several(tmp_path):
    """With a DR account named, a region-only role means the run's own account: not refused."""
    text = HEADER.replace("  edge: {terraform_root: edge}\n",
                          '  edge: {terraform_root: edge}\n  dr: {region: eu-central-1, account: "210987654321"}\n')
    path = tmp_path / "policy.yaml"
    row = ROW
    for key, value in {**DEFAULTS, "KIND": "route53_zone", "SELECT": "{name: example.com}",
                       "ATTRIBUTE": "private_zone"}.items():
        row = row.replace(key, value)
    path.write_text(text.replace("REGION", DEFAULTS["REGION"]) + row)
    assert load_policy(path).rows[0].role == "primary"


def test_a_region_less_role_on_a_global_kind_names_its_root(tmp_path):
    policy = loads(tmp_path, KIND="cloudflare_lb_pool", ROLE="edge", SELECT="{name: pool}", ATTRIBUTE="has_monitor")
    assert policy.rows[0].role == "edge"


@pytest.mark.parametrize("attribute, op, value, words", [
    ("identifier", "contains", "db", "op contains does not apply to rds_instance.identifier, which is a string"),
    ("multi_az", "gte", "1", "op gte does not apply to rds_instance.multi_az, which is a boolean"),
    ("engine", "cidr_eq", "10.0.0.0/16", "op cidr_eq does not apply to rds_instance.engine"),
    ("backup_retention_period", "matches", "'^7$'", "op matches does not apply"),
])
def test_an_operator_must_fit_the_attribute_type(tmp_path, attribute, op, value, words):
    found = messages(tmp_path, ATTRIBUTE=attribute, OP=op, VALUE=value)
    assert any(line == 14 and words in text for line, text in found), found


def test_matches_on_a_list_attribute_is_refused(tmp_path):
    found = messages(tmp_path, KIND="secretsmanager_secret", SELECT="{name: s}", ATTRIBUTE="replica_regions",
                     OP="matches", VALUE="ap-")
    assert any("which is a list of strings" in text for _, text in found), found


def test_a_select_with_an_operator_map_is_refused_plainly(tmp_path):
    found = messages(tmp_path, SELECT="{identifier: {matches: '^db'}}")
    assert any(line == 12 and "operator maps such as {matches: ...} are not supported in select" in text
               for line, text in found), found


def test_an_unknown_kind_lists_the_known_ones_and_a_suggestion(tmp_path):
    found = messages(tmp_path, KIND="rds_instances")
    assert any(line == 10 and "unknown kind 'rds_instances'; did you mean 'rds_instance'?" in text
               and "dynamodb_table" in text for line, text in found), found


def test_a_row_without_id_or_kind_says_so_without_python_words(tmp_path):
    text = policy_text().replace("  - id: ROW-ONE\n", "  - \n").replace("    kind: rds_instance\n", "")
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(PolicyErrors) as caught:
        load_policy(path)
    shown = "\n".join(str(e) for e in caught.value.errors)
    assert "a row needs an id" in shown and "'kind' is required" in shown
    assert "None" not in shown and "Traceback" not in shown


def test_subset_of_fails_on_an_empty_list_like_all_match():
    assert OPERATORS["subset_of"].test([], ["a", "b"]) is False
    assert OPERATORS["all_match"].test([], "^a") is False
    assert OPERATORS["subset_of"].test(["a"], ["a", "b"]) is True


@pytest.mark.parametrize("changes", [{"KIND": "[rds_instance]"}, {"ROLE": "{primary: 1}"}, {"OP": "[eq]"},
                                     {"ATTRIBUTE": "engine", "OP": "matches", "VALUE": "null"}])
def test_a_list_or_mapping_where_a_name_belongs_is_an_error_not_a_traceback(tmp_path, changes):
    found = messages(tmp_path, **changes)
    assert found and all("unhashable" not in text and "LineList" not in text and "LineDict" not in text
                         for _, text in found), found


def test_an_operator_map_in_a_comparator_target_select_is_refused(tmp_path):
    row = ROW.replace("    attribute: ATTRIBUTE\n    op: OP\n    value: VALUE\n", "").replace(
        "    select: SELECT\n", "").replace("    role: ROLE\n", "    comparator: same_value\n    args: {attribute: "
                                          "engine, targets: [{role: primary, select: {identifier: {matches: a}}}, "
                                          "{role: primary, select: {identifier: b}}]}\n")
    path = tmp_path / "policy.yaml"
    text = HEADER + row
    for key, value in DEFAULTS.items():
        text = text.replace(key, value)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyErrors) as caught:
        load_policy(path)
    assert any("operator maps are not supported in select" in e.message for e in caught.value.errors), [
        str(e) for e in caught.value.errors]


def test_checkov_output_that_is_not_its_report_is_a_plain_error(monkeypatch, tmp_path):
    import subprocess

    from dr_audit.checkov import runner
    monkeypatch.setattr(runner.subprocess, "run",
                        lambda command, **_: subprocess.CompletedProcess(command, 0, '{"results": {"passed_checks": '
                                                                                     '[{"resource": "x"}]}}', ""))
    error = runner.run_checkov(tmp_path, {"primary": "p"}, tmp_path, ["X"]).errors["primary"]
    assert error.endswith("a result has no check_id") and "KeyError" not in error
