"""Live targets: credentials, assumed roles, endpoints, and the read plan."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from dr_audit.aws.target import LiveTarget, TargetError, TargetOptions, read_plan_for
from dr_audit.policy import load_policy
from tests.conftest import POLICY


def test_a_role_is_assumed_with_its_external_id_and_the_account_comes_from_sts(sandbox, monkeypatch):
    from dr_audit.aws import target as target_module

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sent = []
    real_guard = target_module.guard

    def recording_guard(client, *allowlist):
        client.meta.events.register("provide-client-params.sts.AssumeRole",
                                    lambda params, **_: sent.append(dict(params)))
        return real_guard(client, *allowlist)

    monkeypatch.setattr(target_module, "guard", recording_guard)
    options = TargetOptions(target="live", endpoint_url=sandbox.url,
                            role_arn="arn:aws:iam::210987654321:role/dr-audit", external_id="do-not-print-me")
    target = LiveTarget(options, load_policy(POLICY))
    reader = target.open()
    assert [(p["RoleArn"], p["ExternalId"], p["RoleSessionName"]) for p in sent] == [
        (options.role_arn, "do-not-print-me", "dr-audit")]
    assert reader.session.get_credentials().access_key != "testing"  # the audit runs as the assumed role
    assert target.account_id and target.account_id.isdigit() and len(target.account_id) == 12
    assert [c.operation for c in reader.calls()] == ["GetCallerIdentity"]
    described = json.dumps(target.describe())
    assert "do-not-print-me" not in described and target.describe()["role_arn"] == options.role_arn


def test_an_unknown_profile_is_a_target_error(monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(TargetError, match="could not be found"):
        LiveTarget(TargetOptions(target="live", profile="nightly-audit"), load_policy(POLICY)).open()


def test_the_read_plan_covers_every_kind_and_region_the_rows_use():
    policy = load_policy(POLICY)
    plan = read_plan_for(policy)
    assert "policy" not in plan
    assert plan["vpc"] == {"ap-northeast-2", "ap-northeast-1"}  # rows and the disjoint_cidrs targets
    assert plan["cloudwatch_alarm"] == {"ap-northeast-1", "us-east-1"}
    assert set(plan) == {row.kind for row in policy.rows if row.kind != "policy"}


def test_assumed_role_credentials_are_fetched_again_before_they_expire(sandbox, monkeypatch):
    from datetime import timedelta

    from dr_audit.aws import target as target_module

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    options = TargetOptions(target="live", endpoint_url=sandbox.url, role_duration=900,
                            role_arn="arn:aws:iam::123456789012:role/dr-audit")
    target = LiveTarget(options, load_policy(POLICY))
    reader = target.open()
    first = reader.session.get_credentials().get_frozen_credentials().access_key
    assert target.describe()["credentials_fetched"] == 1
    reader.call("ec2", "ap-northeast-2", "describe_vpcs")
    assert target.describe()["credentials_fetched"] == 1  # fresh credentials are reused
    later = target_module._utc_now() + timedelta(seconds=800)  # 100 s left of 900: inside the refresh window
    monkeypatch.setattr(target_module, "_utc_now", lambda: later)
    reader.call("ec2", "ap-northeast-1", "describe_vpcs")  # signed with credentials fetched again
    assert target.describe()["credentials_fetched"] == 2
    assert reader.session.get_credentials().get_frozen_credentials().access_key != first
    assert [c.error for c in reader.calls()] == [None, None, None]


def test_credentials_that_cannot_be_refreshed_make_reads_errors_naming_assume_role(sandbox, monkeypatch):
    from datetime import timedelta

    from dr_audit.aws import target as target_module
    from dr_audit.aws.reader import AwsReadError

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    options = TargetOptions(target="live", endpoint_url=sandbox.url, role_duration=900,
                            role_arn="arn:aws:iam::123456789012:role/dr-audit")
    target = LiveTarget(options, load_policy(POLICY))
    reader = target.open()
    expired = target_module._utc_now() + timedelta(seconds=1000)  # past expiry: a refresh is mandatory
    monkeypatch.setattr(target_module, "_utc_now", lambda: expired)
    denied = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "role deleted"}},
                                             "AssumeRole")
    monkeypatch.setattr(target.default_assumed.sts, "assume_role", lambda **_: (_ for _ in ()).throw(denied))
    with pytest.raises(AwsReadError) as raised:
        reader.call("ec2", "ap-northeast-1", "describe_vpcs")
    assert raised.value.code == "CredentialRetrievalError" and raised.value.operation == "DescribeVpcs"
    assert "cannot assume arn:aws:iam::123456789012:role/dr-audit" in raised.value.message
    assert "AccessDenied" in raised.value.message


def test_sts_is_asked_in_a_region_of_the_policy_and_partition_is_set(sandbox, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    target = LiveTarget(TargetOptions(target="live", endpoint_url=sandbox.url), load_policy(POLICY))
    reader = target.open()
    assert [(c.region, c.operation) for c in reader.calls()] == [("ap-northeast-1", "GetCallerIdentity")]
    assert (reader.partition, reader.global_region, reader.account_id) == ("aws", "us-east-1", "123456789012")


def test_sts_for_a_role_is_called_in_a_region_of_the_role_arns_partition():
    from dr_audit.aws.target import _home_region

    plans = {"china": {"vpc": {"cn-north-1"}}, "main": {"vpc": {"eu-west-1"}}, "edge": {"route53_zone": set()}}
    assert _home_region("arn:aws-cn:iam::123456789012:role/a", ["china", "main"], plans) == "cn-north-1"
    assert _home_region("arn:aws-cn:iam::123456789012:role/a", ["main"], plans) == "cn-northwest-1"
    assert _home_region("arn:aws-us-gov:iam::123456789012:role/a", ["edge"], plans) == "us-gov-west-1"
    assert _home_region("arn:aws:iam::123456789012:role/a", ["main", "china"], plans) == "eu-west-1"
