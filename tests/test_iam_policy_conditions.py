"""``iam_role_policy.conditions``: the conditions under which an inline policy grants each action,
read by the one document parser both sides share (``granted_by``): clauses of one statement joined by
AND, granting statements by OR, an unconditioned grant as ``always``; context keys and action names
compared case-insensitively as IAM does; a Condition value written as a string or a list; Terraform's
``jsonencode({...})`` read part by part, so an ARN known only after apply leaves the actions and
conditions known. The account side against IAM's response shape (Stubber) and the sandbox."""

from __future__ import annotations

import json
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.kinds.iam_role_policy import granted_by
from dr_audit.operators import OPERATORS
from dr_audit.terraform.values import Unknown
from tests.conftest import one

VIA_SEOUL = "StringLike kms:viaservice = s3.ap-northeast-2.amazonaws.com"


def _document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _kms(action: str, condition: dict | None = None, effect: str = "Allow") -> dict:
    statement = {"Effect": effect, "Action": action, "Resource": "*"}
    return {**statement, "Condition": condition} if condition is not None else statement


# ----- the shared parser -----------------------------------------------------------------

def test_each_action_maps_to_its_statements_clauses_with_keys_and_actions_lower_cased():
    conditions = granted_by(_document(
        _kms("kms:Decrypt", {"StringLike": {"kms:ViaService": "s3.ap-northeast-2.amazonaws.com"}}),
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "*"}))["conditions"]
    assert conditions == {"kms:decrypt": VIA_SEOUL, "s3:listbucket": "always"}


def test_a_key_written_in_another_case_and_a_one_item_list_read_the_same():
    written = granted_by(_document(_kms("KMS:decrypt",
                                        {"StringLike": {"KMS:VIASERVICE": ["s3.ap-northeast-2.amazonaws.com"]}})))
    assert written["conditions"] == {"kms:decrypt": VIA_SEOUL}


def test_clauses_of_one_statement_are_anded_and_several_values_listed_sorted():
    conditions = granted_by(_document(_kms("kms:Decrypt", {
        "StringLike": {"kms:ViaService": ["s3.b.amazonaws.com", "s3.a.amazonaws.com"]},
        "Bool": {"aws:SecureTransport": True}})))["conditions"]
    assert conditions == {"kms:decrypt": "Bool aws:securetransport = true AND "
                                         "StringLike kms:viaservice in [s3.a.amazonaws.com, s3.b.amazonaws.com]"}


def test_an_extra_unconditioned_grant_shows_as_always_and_fails_a_key_eq_row():
    conditions = granted_by(_document(
        _kms("kms:Decrypt", {"StringLike": {"kms:ViaService": "s3.ap-northeast-2.amazonaws.com"}}),
        _kms("kms:*")))["conditions"]
    assert conditions["kms:decrypt"] == f"{VIA_SEOUL} OR always"
    assert conditions["kms:*"] == "always"
    assert not OPERATORS["key_eq"].test(conditions, {"kms:decrypt": VIA_SEOUL})


def test_not_action_grants_what_it_does_not_name_and_deny_grants_nothing():
    conditions = granted_by(_document(
        _kms("kms:Decrypt", {"StringLike": {"kms:ViaService": "s3.ap-northeast-2.amazonaws.com"}}),
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
        _kms("kms:Encrypt", effect="Deny")))["conditions"]
    assert conditions == {"kms:decrypt": f"{VIA_SEOUL} OR always"}


def test_iam_wire_form_url_encoded_json_reads_like_the_decoded_document():
    document = _document(_kms("kms:Decrypt", {"StringLike": {"kms:ViaService": "s3.ap-northeast-2.amazonaws.com"}}))
    assert granted_by(quote(json.dumps(document))) == granted_by(document)


# ----- Terraform -----------------------------------------------------------------------------

ROLE_POLICY_TF = '''
    resource "aws_s3_bucket" "logs" {
      bucket = "logs"
    }
    resource "aws_kms_key" "s3" {}
    resource "aws_iam_role" "replication" {
      name = "replication"
    }
    resource "aws_iam_role_policy" "replication" {
      name = "replication"
      role = aws_iam_role.replication.id
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [
          { Effect = "Allow", Action = ["s3:ListBucket"], Resource = aws_s3_bucket.logs.arn },
          {
            Effect    = "Allow"
            Action    = ["kms:Decrypt"]
            Resource  = aws_kms_key.s3.arn
            Condition = { StringLike = { "kms:ViaService" = "s3.ap-northeast-2.amazonaws.com" } }
          }
        ]
      })
    }
'''


def test_terraform_reads_actions_and_conditions_beside_a_resource_known_only_after_apply(tree):
    policy = one(tree({"main.tf": ROLE_POLICY_TF}), "iam_role_policy", name="replication")
    assert policy.value("actions") == ["kms:Decrypt", "s3:ListBucket"]
    assert policy.value("conditions") == {"kms:decrypt": VIA_SEOUL, "s3:listbucket": "always"}
    resources = policy.value("resources")
    assert isinstance(resources, Unknown) and "only known after apply" in resources.reason


@pytest.mark.parametrize("written", ["var.service", "aws_kms_key.s3.arn"])
def test_terraform_conditions_are_unknown_when_a_condition_value_is_unresolved(tree, written):
    unresolved = ROLE_POLICY_TF.replace('"s3.ap-northeast-2.amazonaws.com"', written) + '''
    variable "service" {
      type = string
    }
'''
    policy = one(tree({"main.tf": unresolved}), "iam_role_policy", name="replication")
    assert isinstance(policy.value("conditions"), Unknown)
    assert policy.value("actions") == ["kms:Decrypt", "s3:ListBucket"]


def test_a_policy_written_as_a_json_string_is_read_by_the_same_parser(tree):
    declared = 'resource "aws_iam_role_policy" "replication" {'
    literal = ROLE_POLICY_TF.replace(declared, '''resource "aws_iam_role_policy" "other" {
      name   = "other"
      role   = "replication"
      policy = "{\\"Statement\\":[{\\"Effect\\":\\"Allow\\",\\"Action\\":\\"kms:Decrypt\\",\\"Resource\\":\\"*\\"}]}"
    }
    resource "aws_iam_role_policy" "replication" {''')
    policy = one(tree({"main.tf": literal}), "iam_role_policy", name="other")
    assert policy.value("conditions") == {"kms:decrypt": "always"}


# ----- the account -------------------------------------------------------------------------

def _stubbed():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("iam", "us-east-1"))


def _role_listing(stub: Stubber, document: str) -> None:
    """One page of GetAccountAuthorizationDetails: the role with its inline policy ``kms``."""
    stub.add_response("get_account_authorization_details", {"RoleDetailList": [{
        "RoleName": "replication", "RoleId": "AROAEXAMPLE0000000000",
        "Arn": "arn:aws:iam::111122223333:role/replication", "Path": "/", "CreateDate": "2026-01-01T00:00:00Z",
        "RolePolicyList": [{"PolicyName": "kms", "PolicyDocument": document}]}], "IsTruncated": False},
        {"Filter": ["Role"]})


def test_the_account_reads_conditions_from_iams_url_encoded_document():
    reader, stub = _stubbed()
    _role_listing(stub, quote(json.dumps(_document(
        _kms("kms:Decrypt", {"StringLike": {"kms:ViaService": "s3.ap-northeast-2.amazonaws.com"}})))))
    with stub:
        [policy] = KINDS["iam_role_policy"].collect(reader, "us-east-1")
    stub.assert_no_pending_responses()
    assert policy.value("conditions") == {"kms:decrypt": VIA_SEOUL}
    assert [c.operation for c in reader.calls()] == ["GetAccountAuthorizationDetails"]  # no read per role


def test_a_document_that_is_not_json_leaves_its_conditions_unreadable():
    reader, stub = _stubbed()
    _role_listing(stub, "%7Bnot-json")
    with stub:
        [policy] = KINDS["iam_role_policy"].collect(reader, "us-east-1")
    assert all(isinstance(policy.value(name), Unreadable) for name in ("actions", "resources", "conditions"))


def test_a_listing_iam_refuses_fails_the_read_not_the_conditions():
    reader, stub = _stubbed()
    stub.add_client_error("get_account_authorization_details", "AccessDenied", "denied", 403)
    with stub, pytest.raises(AwsReadError) as raised:
        KINDS["iam_role_policy"].collect(reader, "us-east-1")
    assert raised.value.code == "AccessDenied" and raised.value.operation == "GetAccountAuthorizationDetails"


def test_the_sandbox_returns_the_conditions_put(reader_for, sandbox):
    iam = sandbox.session().client("iam", region_name="us-east-1", endpoint_url=sandbox.url)
    iam.create_role(RoleName="replication", AssumeRolePolicyDocument=json.dumps(_document(
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"})))
    iam.put_role_policy(RoleName="replication", PolicyName="kms", PolicyDocument=json.dumps(_document(
        _kms("kms:Decrypt", {"StringLike": {"kms:ViaService": "s3.ap-northeast-2.amazonaws.com"}}),
        _kms("kms:Decrypt"))))
    [policy] = KINDS["iam_role_policy"].collect(reader_for(), "us-east-1")
    assert policy.value("conditions") == {"kms:decrypt": f"{VIA_SEOUL} OR always"}


def test_a_wholly_unresolved_document_keeps_its_own_reason(tree):
    unresolved = ROLE_POLICY_TF.split('resource "aws_iam_role_policy"')[0] + '''
    variable "document" {
      type = string
    }
    resource "aws_iam_role_policy" "replication" {
      name   = "replication"
      role   = aws_iam_role.replication.id
      policy = var.document
    }
'''
    policy = one(tree({"main.tf": unresolved}), "iam_role_policy", name="replication")
    conditions = policy.value("conditions")
    assert isinstance(conditions, Unknown) and "not a policy document" not in conditions.reason
