"""``--dr-organization``: the accounts come from the organization, listed through the API (in the
sandbox, an organization seeded from a generated accounts file), filtered by OU and tag, and each
is audited through the role the command line names. A small live-mode policy keeps each account
cheap, so a generated organization of many accounts runs here."""

from __future__ import annotations

import json
import textwrap
from collections import Counter

import pytest

from dr_audit.sandbox.organization import WORKLOADS_OU_ID, generate_accounts_file
from tests.conftest import AUDIT_CONFIG, install_audit_suite, write_tree

POLICY = """\
policy: {name: tiny, title: Tiny policy, version: 1}
roles:
  primary: {region: eu-west-1}
rows:
  - id: VPC-CIDR
    clause: "1"
    title: the application VPC's CIDR
    kind: vpc
    role: primary
    select: {name: app-vpc}
    attribute: cidr_block
    op: cidr_eq
    value: 10.0.0.0/16
    managed_by: terraform
    severity: high
"""


def estate(cidr: str) -> str:
    return textwrap.dedent(f"""\
        description: one VPC
        steps:
          - {{call: ec2.create_vpc, region: eu-west-1, args: {{CidrBlock: {cidr}, TagSpecifications: [{{ResourceType: vpc, Tags: [{{Key: Name, Value: app-vpc}}]}}]}}}}
        """)


@pytest.fixture
def organization(pytester):
    install_audit_suite(pytester.path, AUDIT_CONFIG + 'dr_estates_dir = "estates"\n')
    write_tree(pytester.path, {"policy.yaml": POLICY, "estates/good/estate.yaml": estate("10.0.0.0/16"),
                               "estates/bad/estate.yaml": estate("10.9.0.0/16")})
    generate_accounts_file(pytester.path / "accounts.yaml", 12, estates=("good", "bad"))
    return pytester


def audit(pytester, *args):
    result = pytester.runpytest_subprocess(
        "audits", "--dr-policy", "policy.yaml", "--dr-mode", "live", "-p", "no:cacheprovider",
        "--dr-accounts", "accounts.yaml", "--dr-organization", "--dr-organization-role", "dr-audit", *args)
    path = pytester.path / "reports" / "dr-audit.json"
    return result, (json.loads(path.read_text()) if path.exists() else None)


def statuses(document):
    return {row["account"]["name"]: row["status"] for row in document["rows"]}


def test_the_organizations_accounts_are_listed_and_each_audited_in_its_own_estate(organization):
    result, document = audit(organization, "--dr-organization-ou", WORKLOADS_OU_ID)
    assert document is not None, result.stdout.str()[-3000:]
    found = statuses(document)
    assert len(found) == 12  # the management account sits in the root, outside the OU
    # accounts alternate between the estates: odd ones hold the good VPC, even ones the bad
    assert Counter(found.values()) == {"PASS": 6, "FAIL": 6}
    assert found["acct-001"] == "PASS" and found["acct-002"] == "FAIL"
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAILED audits/test_policy_rows.py::test_policy_row?acct-002-VPC-CIDR?*"])


def test_a_tag_filter_keeps_only_the_tagged_accounts(organization):
    _, document = audit(organization, "--dr-organization-tag", "estate=good")
    assert set(statuses(document).values()) == {"PASS"} and len(statuses(document)) == 6


def test_without_an_ou_filter_the_management_account_is_listed_and_cannot_be_read(organization):
    result, document = audit(organization)
    found = statuses(document)
    assert len(found) == 13
    management = [name for name, status in found.items() if status == "ERROR"]
    assert len(management) == 1
    assert result.ret == 10


def test_shards_split_the_listed_accounts_without_overlap(organization):
    seen = []
    for shard in ("1/3", "2/3", "3/3"):
        _, document = audit(organization, "--dr-organization-ou", WORKLOADS_OU_ID, "--dr-shard", shard,
                            "--dr-json", f"out-{shard[0]}.json")
        document = json.loads((organization.path / f"out-{shard[0]}.json").read_text())
        assert document["run"]["shard"] == {"index": int(shard[0]), "count": 3}
        seen += list(statuses(document))
    assert sorted(seen) == [f"acct-{n:03d}" for n in range(1, 13)]


def test_the_organization_needs_the_role_to_assume(organization):
    result = organization.runpytest_subprocess("audits", "--dr-policy", "policy.yaml", "--dr-mode", "live",
                                               "-p", "no:cacheprovider", "--dr-accounts", "accounts.yaml",
                                               "--dr-organization")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dr-organization needs --dr-organization-role*"])


def test_loadgroup_gives_each_worker_whole_accounts(organization):
    """xdist's own loadgroup no longer groups under pytest 9.2 (pytest-dev/pytest-xdist#1386); the
    plugin's scheduler groups row items by account, so no account is read by two workers."""
    import re

    result, document = audit(organization, "--dr-organization-ou", WORKLOADS_OU_ID, "-n", "2", "--dist",
                             "loadgroup", "-v")
    workers: dict[str, set[str]] = {}
    for worker, account in re.findall(r"\[(gw\d)\].*test_policy_row\[(acct-\d+)-", result.stdout.str()):
        workers.setdefault(account, set()).add(worker)
    assert len(workers) == 12 and all(len(found) == 1 for found in workers.values()), workers
    assert len({worker for found in workers.values() for worker in found}) == 2  # both workers had accounts
    assert Counter(statuses(document).values()) == {"PASS": 6, "FAIL": 6}


def test_a_row_item_belongs_to_the_longest_account_name_it_starts_with():
    from dr_audit.account_scheduling import account_of

    names = ["shop", "shop-a", "acct-001"]
    assert account_of("audits/test_policy_rows.py::test_policy_row[shop-a-VPC-CIDR]", names) == "shop-a"
    assert account_of("audits/test_policy_rows.py::test_policy_row[shop-VPC-CIDR]", names) == "shop"
    assert account_of("audits/test_checkov.py::test_checkov_ran[primary]", names) is None
    assert account_of("audits/test_x.py::test_plain", names) is None


def test_each_accounts_items_run_together_so_its_evidence_is_read_once(organization):
    """Every item of one account (its Terraform-root checks and its rows) is collected next to the
    others, so the run reads an account once and releases it before the next."""
    import re

    write_tree(organization.path, {"rooted.yaml": POLICY.replace(
        "  primary: {region: eu-west-1}", "  primary: {region: eu-west-1, terraform_root: p}\nterraform: {root: tf}")})
    result = organization.runpytest_subprocess("audits", "--dr-policy", "rooted.yaml", "-p", "no:cacheprovider",
                                               "--dr-accounts", "accounts.yaml", "--collect-only", "-q")
    accounts = re.findall(r"\[(acct-\d+)-", result.stdout.str())
    assert len(accounts) == 12 * 3  # per account: checkov's and the readability check's root, and one row
    runs = [account for n, account in enumerate(accounts) if n == 0 or accounts[n - 1] != account]
    assert runs == sorted(set(accounts)), "an account's items are split apart"
