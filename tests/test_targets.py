"""Live targets: credentials, assumed roles, endpoints, and the read plan."""

from __future__ import annotations

import json

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
