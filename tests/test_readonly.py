"""Read-only by construction: clients refuse writes before sending, and the
shipped IAM policy grants exactly what a full audit uses."""

from __future__ import annotations

import json
import re

import pytest

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.readonly import READ_OPERATIONS, ReadOnlyViolation, guard, iam_action
from dr_audit.aws.target import read_plan_for
from dr_audit.policy import load_policy
from tests.conftest import POLICY, REPO

IAM_POLICY = REPO / "policies" / "iam" / "dr-audit-readonly.json"
_WRITE_VERBS = re.compile(r"^(Create|Delete|Put|Update|Modify|Attach|Detach|Tag|Untag|Start|Stop|Terminate|Run|"
                          r"Reboot|Restore|Promote|Enable|Disable|Associate|Disassociate|Change|Set|Add|Remove|"
                          r"Register|Deregister|Import|Copy|Replicate|Restore|Invoke|Send|Publish|Assume)")


def granted_actions() -> set[str]:
    document = json.loads(IAM_POLICY.read_text())
    return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


@pytest.mark.parametrize("service, region, call, arguments", [
    ("s3", "ap-northeast-2", "create_bucket", {"Bucket": "should-never-exist",
                                               "CreateBucketConfiguration": {"LocationConstraint": "ap-northeast-2"}}),
    ("dynamodb", "ap-northeast-2", "delete_table", {"TableName": "team_chats_ddb"}),
    ("rds", "ap-northeast-1", "promote_read_replica", {"DBInstanceIdentifier": "portforge-dr-rds-replica"}),
    ("route53", "us-east-1", "delete_health_check", {"HealthCheckId": "x"}),
    ("ec2", "ap-northeast-2", "create_vpc", {"CidrBlock": "10.99.0.0/16"}),
])
def test_a_mutating_call_is_refused_before_it_is_sent(reader_for, sandbox, service, region, call, arguments):
    reader = reader_for()
    client = reader.client(service, region)
    sent = []
    reader.session._session.register("before-send", lambda request, **_: sent.append(request.url))
    with pytest.raises(ReadOnlyViolation, match="not a read-only operation: refused before sending"):
        getattr(client, call)(**arguments)
    assert sent == []
    if service == "s3":
        raw = sandbox.session().client("s3", region_name=region, endpoint_url=sandbox.url)
        assert [b["Name"] for b in raw.list_buckets().get("Buckets", [])] == []


def test_the_allowlist_holds_only_reads():
    for service, operations in READ_OPERATIONS.items():
        for operation in operations:
            assert not _WRITE_VERBS.match(operation), f"{service}:{operation} is not a read"
            assert operation.startswith(("Describe", "List", "Get")), f"{service}:{operation}"


def test_guard_accepts_a_custom_allowlist_and_still_refuses_the_rest(sandbox):
    client = guard(sandbox.session().client("sts", region_name="us-east-1", endpoint_url=sandbox.url),
                   {"sts": {"GetCallerIdentity": "sts:GetCallerIdentity"}})
    assert client.get_caller_identity()["Account"] == "123456789012"
    with pytest.raises(ReadOnlyViolation):
        client.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="x")


def test_the_iam_policy_grants_every_action_a_full_audit_uses_and_nothing_else(sandbox, reader_for):
    """Every shipped policy's audit of its remediated estate, and every collector over the
    estates together: each action used is granted, and nothing beyond the allowlist is."""
    used = set()
    for name, estate in [("portforge-dr", "portforge-remediated"), ("megaticket-pilot-light", "megaticket-remediated"),
                         ("fileflow-hybrid", "fileflow-remediated"), ("crm-active-active", "crm-remediated")]:
        sandbox.reset()
        reader = reader_for(estate)
        reader.call("sts", "ap-northeast-2", "get_caller_identity")
        collect_aws(reader, read_plan_for(load_policy(POLICY.parent / f"{name}.yaml")))
        assert not [c for c in reader.calls() if c.error and not c.expected], estate
        used |= {iam_action(c.service, c.operation) for c in reader.calls()}
    granted = granted_actions()
    allowed = {a for ops in READ_OPERATIONS.values() for a in ops.values()}
    assert used == allowed, f"allowlisted but never used by a shipped policy: {sorted(allowed - used)}"
    assert used <= granted, f"used but not granted: {sorted(used - granted)}"
    assert granted <= allowed, f"granted beyond the read-only allowlist: {sorted(granted - allowed)}"
    assert not any("*" in action for action in granted)
