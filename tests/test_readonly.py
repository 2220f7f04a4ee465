"""Read-only by construction: clients refuse writes before sending, and the
shipped IAM policy grants exactly what a full audit uses."""

from __future__ import annotations

import functools
import json
import re

import pytest

from dr_audit.aws.collect import collect_aws
from dr_audit.measurements import read_measurements
from dr_audit.aws.readonly import ReadOnlyViolation, guard, iam_action, read_operations
from dr_audit.aws.target import read_plan_for
from dr_audit.policy import load_policy
from tests.conftest import POLICY, REPO

IAM_POLICY = REPO / "policies" / "iam" / "dr-audit-readonly.json"
#: test-only estates holding kinds no shipped policy names yet
TEST_ESTATES = REPO / "tests" / "estates"
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
    for service, operations in read_operations().items():
        for operation in operations:
            assert not _WRITE_VERBS.match(operation), f"{service}:{operation} is not a read"
            assert operation.startswith(("Describe", "List", "Get")), f"{service}:{operation}"


def test_guard_accepts_a_custom_allowlist_and_still_refuses_the_rest(sandbox):
    client = guard(sandbox.session().client("sts", region_name="us-east-1", endpoint_url=sandbox.url),
                   {"sts": {"GetCallerIdentity": "sts:GetCallerIdentity"}})
    assert client.get_caller_identity()["Account"] == "123456789012"
    with pytest.raises(ReadOnlyViolation):
        client.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="x")


@functools.lru_cache(maxsize=None)
def _wire_reads(signing_name: str) -> tuple[set[str], list[tuple[str, str]]]:
    """The allowlisted operations of the service signing as ``signing_name``: their names,
    and (method, path pattern) pairs for REST protocols, which do not name the operation."""
    import botocore.session

    session = botocore.session.get_session()
    names, routes = set(), []
    for service, operations in read_operations().items():
        model = session.get_service_model(service)
        if (model.signing_name or model.endpoint_prefix) != signing_name:
            continue
        names |= set(operations)
        for name in operations:
            http = model.operation_model(name).http
            path = http["requestUri"].split("?")[0]
            routes.append((http["method"], re.sub(r"\{[^}/]+\+\}", ".+", re.sub(r"\{[^}/+]+\}", "[^/]+", path))))
    return names, routes


def _allowlisted_on_the_wire(info) -> bool:
    """Whether a request seen by the proxy is one of the allowlisted read operations."""
    names, routes = _wire_reads(info.service)
    if info.operation is not None:  # JSON and query protocols name their operation
        return info.operation in names
    return any(method == info.method and re.fullmatch(path, info.path.split("?")[0]) for method, path in routes)


def test_the_iam_policy_grants_every_action_a_full_audit_uses_and_nothing_else(sandbox, reader_for):
    """Every shipped policy's audit of its remediated estate, through a proxy that sees the wire:
    every request that left the process is an allowlisted read; each action used is granted,
    and nothing beyond the allowlist is."""
    from dr_audit.aws.reader import AwsReader, ReaderSettings
    from dr_audit.sandbox.fault_proxy import FaultProxy

    used = set()
    audits = [(load_policy(POLICY.parent / f"{name}.yaml"), estate)
              for name, estate in [("portforge-dr", "portforge-remediated"),
                                   ("megaticket-pilot-light", "megaticket-remediated"),
                                   ("fileflow-hybrid", "fileflow-remediated"), ("crm-active-active", "crm-remediated")]]
    # reads only some accounts need: DescribeGlobalTable for a legacy (2017.11.29) global table,
    # GetBucketLocation for a bucket listed without its BucketRegion
    audits.append((load_policy(POLICY), _legacy_global_table_and_unlocated_buckets))
    # kinds no shipped policy names yet: each test-only estate, every collector in its regions
    audits += [_test_estate(path.parent.name) for path in sorted(TEST_ESTATES.glob("*/estate.yaml"))]
    for policy, estate in audits:
        sandbox.reset()
        prepare = None
        if callable(estate):
            prepare = estate(sandbox)
        else:
            reader_for(estate)
        with FaultProxy(sandbox.url) as proxy:
            reader = AwsReader(sandbox.session(), ReaderSettings(endpoint_url=proxy.url))
            if prepare:
                prepare(reader)
            reader.call("sts", "ap-northeast-2", "get_caller_identity")
            live = collect_aws(reader, policy if isinstance(policy, dict) else read_plan_for(policy))
            if not isinstance(policy, dict):  # measured rows read their series after the collection
                read_measurements(policy, live, lambda row: reader)
        assert not [c for c in reader.calls() if c.error and not c.expected], estate
        seen = [info for info, _ in proxy.log]
        assert len(seen) >= len(reader.calls()) and all(i.service for i in seen)
        assert not [i for i in seen if not _allowlisted_on_the_wire(i)], estate
        used |= {iam_action(c.service, c.operation) for c in reader.calls()}
    granted = granted_actions()
    allowed = {a for ops in read_operations().values() for a in ops.values()}
    assert used == allowed, f"allowlisted but never used by a shipped policy: {sorted(allowed - used)}"
    assert used <= granted, f"used but not granted: {sorted(used - granted)}"
    assert granted <= allowed, f"granted beyond the read-only allowlist: {sorted(granted - allowed)}"
    assert not any("*" in action for action in granted)


def _test_estate(name: str):
    """(read plan, seeder) for the test-only estate ``name`` (tests/estates/): every kind with a
    collector, in the regions the estate's steps write to."""
    from dr_audit.kinds.registry import aws_collectors
    from dr_audit.sandbox.estate import load_estate, seed

    estate = load_estate(TEST_ESTATES, name)
    regions = {step.region for step in estate.steps if step.region}

    def prepare(sandbox) -> None:
        seed(sandbox, estate)

    return {kind: set(regions) for kind in aws_collectors()}, prepare


def _legacy_global_table_and_unlocated_buckets(sandbox):
    """A sandbox holding a version 2017.11.29 global table and a bucket in the PortForge regions;
    returns what makes a reader see ListBuckets without ``BucketRegion`` (as some endpoints answer)."""
    session = sandbox.session()
    regions = ["ap-northeast-2", "ap-northeast-1"]
    for region in regions:
        session.client("dynamodb", region_name=region, endpoint_url=sandbox.url).create_table(
            TableName="legacy", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    session.client("dynamodb", region_name=regions[0], endpoint_url=sandbox.url).create_global_table(
        GlobalTableName="legacy", ReplicationGroup=[{"RegionName": r} for r in regions])
    session.client("s3", region_name=regions[0], endpoint_url=sandbox.url).create_bucket(
        Bucket="unlocated", CreateBucketConfiguration={"LocationConstraint": regions[0]})

    def without_bucket_regions(reader) -> None:
        def strip(parsed, **_):
            for bucket in parsed.get("Buckets") or []:
                bucket.pop("BucketRegion", None)

        reader.session._session.register("after-call.s3.ListBuckets", strip)

    return without_bucket_regions


def test_the_wire_check_recognises_a_write():
    """The check above can fail: a write seen on the wire is not allowlisted."""
    from dr_audit.sandbox.fault_proxy import RequestInfo

    assert not _allowlisted_on_the_wire(RequestInfo("ec2", "us-east-1", "CreateVpc", "POST", "/"))
    assert not _allowlisted_on_the_wire(RequestInfo("route53", "us-east-1", None, "POST", "/2013-04-01/hostedzone"))
    assert not _allowlisted_on_the_wire(RequestInfo("s3", "us-east-1", None, "PUT", "/bucket"))
    assert _allowlisted_on_the_wire(RequestInfo("route53", "us-east-1", None, "POST", "/2013-04-01/tags/healthcheck"))
    assert _allowlisted_on_the_wire(RequestInfo("dynamodb", "us-east-1", "DescribeGlobalTable", "POST", "/"))
    assert _allowlisted_on_the_wire(RequestInfo("dynamodb", "us-east-1", "ListTables", "POST", "/"))
