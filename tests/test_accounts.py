"""An account per role: a primary and a DR account read in one run (issue 14).

The sandbox serves a second account through AssumeRole: moto answers as the
account of the role ARN for the credentials it hands out.
"""

from __future__ import annotations

import json

import boto3
import pytest

from dr_audit.errors import PolicyErrors
from dr_audit.policy import load_policy
from dr_audit.sandbox.fault_proxy import Fault, FaultProxy
from tests.conftest import AUDIT_CONFIG, install_audit_suite, write_tree

PRIMARY_ACCOUNT, DR_ACCOUNT = "123456789012", "210987654321"
DR_ROLE = f"arn:aws:iam::{DR_ACCOUNT}:role/dr-audit"

TWO_ACCOUNTS = f"""\
policy: {{name: two-accounts, version: 1}}
roles:
  primary: {{region: eu-west-1}}
  dr: {{region: eu-central-1, account: "{DR_ACCOUNT}", role_arn: "{DR_ROLE}", external_id: audit-external-id-0001}}
rows:
  - {{id: VPC-PRIMARY, clause: "1", title: primary VPC, kind: vpc, role: primary, select: {{name: app}},
      attribute: cidr_block, op: cidr_eq, value: 10.0.0.0/16, managed_by: manual, severity: high}}
  - {{id: VPC-DR, clause: "1", title: DR VPC, kind: vpc, role: dr, select: {{name: app}},
      attribute: cidr_block, op: cidr_eq, value: 10.1.0.0/16, managed_by: manual, severity: high}}
  - {{id: VPC-DISJOINT, clause: "1", title: no overlap, kind: vpc, comparator: disjoint_cidrs, managed_by: manual,
      severity: high, args: {{attribute: cidr_block, targets: [{{role: primary, select: {{name: app}}}},
                                                               {{role: dr, select: {{name: app}}}}]}}}}
  - {{id: DR-ROLE-EXISTS, clause: "2", title: the DR account has its failover role, kind: iam_role, role: dr,
      select: {{name: dr-failover}}, op: exists, managed_by: manual, severity: high}}
  - {{id: PRIMARY-HAS-NO-DR-ROLE, clause: "2", title: a global read is per account, kind: iam_role,
      role: primary, select: {{name: dr-failover}}, op: exists, managed_by: manual, severity: low}}
"""


def _vpc(session, region: str, cidr: str, url: str) -> None:
    session.client("ec2", region_name=region, endpoint_url=url).create_vpc(
        CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "app"}]}])


def seed_two_accounts(sandbox) -> None:
    """The primary account (the sandbox's own) and a DR account reached by AssumeRole.

    The primary account also holds a decoy VPC named like the DR one, in the DR
    region, with the wrong CIDR: only the DR account's may answer for DR rows.
    """
    primary = sandbox.session()
    _vpc(primary, "eu-west-1", "10.0.0.0/16", sandbox.url)
    _vpc(primary, "eu-central-1", "10.9.0.0/16", sandbox.url)
    credentials = primary.client("sts", region_name="eu-central-1", endpoint_url=sandbox.url).assume_role(
        RoleArn=f"arn:aws:iam::{DR_ACCOUNT}:role/seeder", RoleSessionName="seed")["Credentials"]
    dr = boto3.Session(aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                       aws_session_token=credentials["SessionToken"])
    assert dr.client("sts", region_name="eu-central-1", endpoint_url=sandbox.url).get_caller_identity()[
        "Account"] == DR_ACCOUNT
    _vpc(dr, "eu-central-1", "10.1.0.0/16", sandbox.url)
    dr.client("iam", region_name="us-east-1", endpoint_url=sandbox.url).create_role(
        RoleName="dr-failover", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}')


def _audit(pytester, policy: str, url: str):
    write_tree(pytester.path, {"policy.yaml": policy})
    result = pytester.runpytest_subprocess("audits", "--dr-policy", "policy.yaml", "--dr-mode", "live",
                                           "--dr-aws-endpoint-url", url, "-p", "no:cacheprovider")
    reports = pytester.path / "reports"
    return result, json.loads((reports / "dr-audit.json").read_text()), (reports / "dr-audit.html").read_text()


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    return pytester


def test_one_run_reads_the_primary_and_the_dr_account_each_for_its_roles(project, sandbox):
    seed_two_accounts(sandbox)
    result, report, html = _audit(project, TWO_ACCOUNTS, sandbox.url)
    statuses = {r["id"]: r["status"] for r in report["rows"]}
    # the DR VPC is the DR account's (the decoy in the primary account is never seen), the IAM
    # role exists in the DR account only, and the two accounts' VPCs do not overlap
    assert statuses == {"VPC-PRIMARY": "PASS", "VPC-DR": "PASS", "VPC-DISJOINT": "PASS", "DR-ROLE-EXISTS": "PASS",
                        "PRIMARY-HAS-NO-DR-ROLE": "FAIL"}, report["rows"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    accounts = {a["id"]: a for a in report["run"]["accounts"]}
    assert set(accounts) == {PRIMARY_ACCOUNT, DR_ACCOUNT}
    assert accounts[PRIMARY_ACCOUNT]["roles"] == ["primary"] and accounts[DR_ACCOUNT]["roles"] == ["dr"]
    assert accounts[DR_ACCOUNT]["role_arn"] == DR_ROLE and accounts[DR_ACCOUNT]["partition"] == "aws"
    live_accounts = {r["id"]: r["live"]["account"] for r in report["rows"]}
    assert live_accounts == {"VPC-PRIMARY": PRIMARY_ACCOUNT, "VPC-DR": DR_ACCOUNT,
                             "VPC-DISJOINT": f"{PRIMARY_ACCOUNT}, {DR_ACCOUNT}", "DR-ROLE-EXISTS": DR_ACCOUNT,
                             "PRIMARY-HAS-NO-DR-ROLE": PRIMARY_ACCOUNT}
    assert f"account {DR_ACCOUNT}" in html and 'id="accounts"' in html
    result.stdout.fnmatch_lines([f"*account {PRIMARY_ACCOUNT} for primary", f"*account {DR_ACCOUNT} for dr"])
    assert "audit-external-id-0001" not in json.dumps(report) + html


def test_a_dr_account_that_refuses_assume_role_makes_only_its_rows_error(project, sandbox):
    seed_two_accounts(sandbox)
    denied = [Fault("error", service="sts", operation="AssumeRole", code="AccessDenied", status=403)]
    with FaultProxy(sandbox.url, denied) as proxy:
        result, report, html = _audit(project, TWO_ACCOUNTS, proxy.url)
    statuses = {r["id"]: r["status"] for r in report["rows"]}
    assert statuses == {"VPC-PRIMARY": "PASS", "VPC-DR": "ERROR", "VPC-DISJOINT": "ERROR", "DR-ROLE-EXISTS": "ERROR",
                        "PRIMARY-HAS-NO-DR-ROLE": "FAIL"}, report["rows"]
    assert result.ret == 10
    for row in report["rows"]:
        if row["status"] == "ERROR":
            assert "AccessDenied" in row["message"] and DR_ROLE in row["message"], row["message"]
    dr = next(a for a in report["run"]["accounts"] if a["id"] == DR_ACCOUNT)
    assert "AccessDenied" in dr["error"] and f"<code>{DR_ACCOUNT}</code>: roles dr via" in html
    assert "<b>not read</b>: " in html
    result.stdout.fnmatch_lines([f"*account {DR_ACCOUNT} for dr: NOT READ: *AccessDenied*", "*AUDIT INCOMPLETE*"])


def test_a_role_naming_an_account_its_credentials_do_not_read_is_error_not_fail(project, sandbox):
    seed_two_accounts(sandbox)
    wrong = TWO_ACCOUNTS.replace("primary: {region: eu-west-1}", 'primary: {region: eu-west-1, account: "999999999999"}')
    result, report, _ = _audit(project, wrong, sandbox.url)
    rows = {r["id"]: r for r in report["rows"]}
    assert rows["VPC-PRIMARY"]["status"] == "ERROR" and "999999999999" in rows["VPC-PRIMARY"]["message"]
    assert "WrongAccount" in rows["VPC-PRIMARY"]["message"]
    assert rows["VPC-DR"]["status"] == "PASS" and result.ret == 10


BAD_ROLES = [
    ('account: 210987654321', "account must be a quoted 12-digit account id"),
    ('account: "21098765432"', "account must be a quoted 12-digit account id"),
    ('role_arn: "arn:aws:iam::210987654321:user/someone"', "role_arn must be an IAM role ARN"),
    ('role_arn: "arn:aws:iam::111111111111:role/x", account: "210987654321"', "role_arn is in account 111111111111"),
    ('external_id: abc', "external_id must be a string, given with a role_arn"),
    ('acount: "210987654321"', "unknown key(s) ['acount']"),
]


@pytest.mark.parametrize("spec, message", BAD_ROLES, ids=[s for s, _ in BAD_ROLES])
def test_bad_account_settings_are_policy_errors_with_file_and_line(tmp_path, spec, message):
    text = TWO_ACCOUNTS.replace(
        f'dr: {{region: eu-central-1, account: "{DR_ACCOUNT}", role_arn: "{DR_ROLE}", external_id: audit-external-id-0001}}',
        f"dr: {{region: eu-central-1, {spec}}}")
    path = write_tree(tmp_path, {"policy.yaml": text}) / "policy.yaml"
    with pytest.raises(PolicyErrors) as raised:
        load_policy(path)
    shown = [str(e) for e in raised.value.errors]
    assert any(message in e and f"{path}:4" in e for e in shown), shown


def test_a_role_arn_alone_gives_the_role_its_account(tmp_path):
    text = TWO_ACCOUNTS.replace(f'account: "{DR_ACCOUNT}", ', "")
    policy = load_policy(write_tree(tmp_path, {"policy.yaml": text}) / "policy.yaml")
    assert policy.roles["dr"].account == DR_ACCOUNT and policy.roles["dr"].role_arn == DR_ROLE
    assert policy.roles["primary"].account is None
