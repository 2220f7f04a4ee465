"""One test per policy row: the policy against the evidence (see dr_audit.plugin)."""

from dr_audit.plugin import check_finding


def test_policy_row(dr_row, dr_finding):
    check_finding(dr_row, dr_finding)
