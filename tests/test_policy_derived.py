"""Rows that are not in the text of their clause say so: ``derived: <why>`` is validated against
the header's ``verbatim_clauses`` (exit 4 with file:line when a row does not explain itself) and
shown in the JSON, the HTML and the CSV."""

from __future__ import annotations

import csv
import io

import pytest

from dr_audit.errors import PolicyErrors
from dr_audit.policy import clause_is_verbatim, load_policy
from dr_audit.report.csv_report import render_csv
from tests.conftest import POLICY
from tests.test_static_audit import project, run  # noqa: F401 - the shared fixture

__all__ = ["project"]

HEAD = "policy: {name: mini, title: Mini policy, version: 1}"


def with_header(project, header: str) -> None:
    """Replace the mini policy's header line with ``header``."""
    path = project.path / "policy.yaml"
    path.write_text(path.read_text().replace(HEAD, header, 1))


def line_of(project, text: str) -> int:
    """The 1-based line of the first line of policy.yaml containing ``text``."""
    lines = (project.path / "policy.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_a_row_outside_the_verbatim_clauses_without_derived_stops_the_run_naming_file_and_line(project):
    with_header(project, HEAD.replace("version: 1}", 'version: 1, verbatim_clauses: ["2"]}'))
    result = project.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # the RDS rows cite 2.3, inside "2"; the RTO row cites 4, which the header does not list
    line = line_of(project, 'clause: "4"')
    result.stderr.fnmatch_lines([f"*policy.yaml:{line}: row POLICY-RTO: clause '4' is not one of "
                                 f"policy.verbatim_clauses (2): the row must say why it is derived*"])
    assert "DB-PORT" not in result.stderr.str()


def test_derived_rows_are_marked_in_the_json_the_html_and_the_csv(project):
    with_header(project, HEAD.replace("version: 1}", 'version: 1, verbatim_clauses: ["2"]}'))
    policy = (project.path / "policy.yaml").read_text()
    (project.path / "policy.yaml").write_text(policy.replace(
        "    title: rto steps fit\n",
        '    title: rto steps fit\n    derived: "the step budget is our reading of <section 4>"\n', 1))
    result, report = run(project)
    rows = {row["id"]: row for row in report["rows"]}
    assert rows["POLICY-RTO"]["derived"] == "the step budget is our reading of <section 4>"
    assert rows["DB-PORT"]["derived"] is None
    assert report["run"]["policy"]["verbatim_clauses"] == ["2"]
    html = (project.path / "reports" / "dr-audit.html").read_text()
    assert 'id="row-POLICY-RTO"' in html and 'data-derived="derived"' in html and 'data-derived="verbatim"' in html
    assert "the step budget is our reading of &lt;section 4&gt;" in html  # the reason is shown, escaped
    assert 'id="filter-derived"' in html and '"derived"];' in html  # a filter on it
    lines = {line["id"]: line for line in csv.DictReader(io.StringIO(render_csv(report)))}
    assert lines["POLICY-RTO"]["derived"] == "the step budget is our reading of <section 4>"
    assert lines["DB-PORT"]["derived"] == ""


def test_without_verbatim_clauses_no_row_has_to_explain_itself(tmp_path):
    policy = load_policy(_write(tmp_path, MINI))
    assert policy.verbatim_clauses is None and policy.rows[0].derived is None


@pytest.mark.parametrize("header, row_extra, message", [
    ('verbatim_clauses: [2.10]', "", "policy.verbatim_clauses: 2.1 is not a clause written as a quoted string"),
    ('verbatim_clauses: "2.3"', "", "policy.verbatim_clauses must be a list of clauses"),
    ('verbatim_clauses: ["2.3"]', '    derived: ""\n', "derived must say why the row is not in its clause's text"),
    ('verbatim_clauses: ["2.3"]', "    derived: true\n", "derived must say why the row is not in its clause's text"),
    ('verbatim_clauses: ["2.30"]', "", "clause '2.3' is not one of policy.verbatim_clauses (2.30)"),
])
def test_bad_verbatim_clauses_and_derived_values_are_reported_with_their_line(tmp_path, header, row_extra, message):
    text = MINI.replace("  version: 1\n", f"  version: 1\n  {header}\n").replace("    kind: rds_instance\n",
                                                                                row_extra + "    kind: rds_instance\n")
    with pytest.raises(PolicyErrors) as caught:
        load_policy(_write(tmp_path, text))
    shown = str(caught.value)
    assert message in shown, shown
    assert f"{tmp_path / 'p.yaml'}:" in shown


def test_a_listed_clause_covers_its_subclauses_only():
    assert clause_is_verbatim("2.3", ("2",)) and clause_is_verbatim("2.3.1", ("2.3",))
    assert clause_is_verbatim("10", ("10",))
    assert not clause_is_verbatim("2", ("2.3",)) and not clause_is_verbatim("2.30", ("2.3",))
    assert not clause_is_verbatim("1", ("10",))


def test_the_portforge_policy_marks_the_rows_the_documents_do_not_state():
    policy = load_policy(POLICY)
    assert policy.verbatim_clauses is not None and "7" not in policy.verbatim_clauses
    derived = {row.id for row in policy.rows if row.derived}
    # the ones issue 16 names: subnet tiers, route tables, DR role and alias names, S3 versioning,
    # EKS secrets encryption, NEW_AND_OLD_IMAGES, the HTTPS health check, the 300 s budget from §1.3
    named = {"SUBNET-PUBLIC-TIER-PRIMARY", "SUBNET-DB-TIER-DR", "ROUTE-PUBLIC-IGW-PRIMARY", "ROUTE-PRIVATE-C-SUBNETS-DR",
             "IAM-LB-CONTROLLER-DR", "IAM-AI-SERVICE-DR", "KMS-EKS-ALIAS-DR", "S3-VERSIONING-LOG-DR",
             "EKS-SECRETS-ENCRYPTED-PRIMARY", "DDB-STREAM-VIEW-TEAM-CHATS", "R53-HEALTH-CHECK-TYPE",
             "POLICY-DETECTION-BUDGET", "POLICY-REPLICA-LAG-ALARM", "R53-PRIMARY-HEALTH-CHECKED-API"}
    assert named <= derived, sorted(named - derived)
    assert len(derived) >= 45
    # what the documents do state is not marked
    assert not {"VPC-CIDR-PRIMARY", "RDS-MULTIAZ-PRIMARY", "R53-HEALTH-CHECK-INTERVAL", "ECR-REPLICATION-INFRA-BOT",
                "ALARM-RDS-REPLICALAG-HIGH-THRESHOLD", "IAM-AI-EC2-ROLE"} & derived
    assert all(row.derived.strip() for row in policy.rows if row.derived)


MINI = """\
policy:
  name: mini
  version: 1
roles:
  primary: {region: eu-west-1}
rows:
  - id: DB-PORT
    clause: "2.3"
    title: db listens on 3306
    kind: rds_instance
    role: primary
    select: {identifier: db}
    attribute: port
    op: eq
    value: 3306
    managed_by: terraform
    severity: high
"""


def _write(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    return path
