"""The AWS collectors against the sandbox (a real moto server, real boto3 clients):
every kind in its normalized shape, the same values Terraform declares,
pagination, a resource missing in one region, and every error path."""

from __future__ import annotations

import dataclasses

import functools
import json
from collections import Counter

import pytest

from dr_audit.aws.collect import KindReadError, collect_aws
from dr_audit.aws.reader import AwsReader, AwsReadError, ReaderSettings
from dr_audit.aws.target import read_plan_for
from dr_audit.evaluate import evaluate_full
from dr_audit.findings import SourceState, Status
from dr_audit.kinds.registry import aws_collectors
from dr_audit.kinds import BOOL, CIDR, INT, INT_LIST, KINDS, NUMBER, STR, STR_LIST
from dr_audit.policy import load_policy
from dr_audit.sandbox.estate import load_estate, seed
from dr_audit.terraform.collector import collect_terraform
from tests.conftest import POLICY, REPO, inject_error

PRIMARY, DR, GLOBAL = "ap-northeast-2", "ap-northeast-1", "us-east-1"
EVERYWHERE = {kind: {PRIMARY, DR, GLOBAL} for kind in aws_collectors()}
_PYTHON_TYPES = {STR: str, CIDR: str, INT: int, NUMBER: (int, float), BOOL: bool, STR_LIST: list, INT_LIST: list}


def by_kind(inventory, kind, **select):
    return [r for r in inventory.resources
            if r.kind == kind and all(r.value(k) == v for k, v in select.items())]


#: every shipped policy's remediated pair: (policy, estate); the estate names its Terraform
REMEDIATED = [("portforge-dr", "portforge-remediated"), ("megaticket-pilot-light", "megaticket-remediated"),
              ("fileflow-hybrid", "fileflow-remediated"), ("crm-active-active", "crm-remediated")]
#: test-only estates (tests/estates/<name>/estate.yaml) holding kinds no shipped estate has yet
TEST_ESTATES = REPO / "tests" / "estates"


def test_every_kind_is_collected_in_its_normalized_shape(sandbox, reader_for):
    """Every kind with a live collector comes out of some shipped estate, in its normalized shape."""
    inventories = []
    for _, estate in REMEDIATED:
        sandbox.reset()
        inventories.append(collect_aws(reader_for(estate), EVERYWHERE))
    for path in sorted(TEST_ESTATES.glob("*/estate.yaml")):
        sandbox.reset()
        seed(sandbox, load_estate(TEST_ESTATES, path.parent.name))
        inventories.append(collect_aws(reader_for(), EVERYWHERE))
    assert all(inventory.errors == [] for inventory in inventories)
    for kind, spec in KINDS.items():
        if spec.terraform_only:
            assert kind not in aws_collectors(), f"{kind} is Terraform-only but has a live collector"
            continue
        found = [r for inventory in inventories for r in by_kind(inventory, kind)]
        assert found, f"no {kind} collected from any shipped estate"
        for resource in found:
            assert set(resource.attributes) == set(spec.attributes), kind
            assert resource.source == "aws" and resource.address
            for name, value in resource.attributes.items():
                wanted = _PYTHON_TYPES.get(spec.attributes[name].type)
                if spec.attributes[name].terraform_only:  # the API does not return it: never a value
                    assert not value.known, f"{kind}.{name} is Terraform only but has a live value"
                elif wanted and value.value is not None:
                    assert isinstance(value.value, wanted), f"{kind}.{name} = {value.value!r}"


@pytest.mark.parametrize("policy_name, estate", REMEDIATED, ids=[e for _, e in REMEDIATED])
def test_aws_and_terraform_agree_on_every_value_the_code_declares(reader_for, policy_name, estate):
    """Remediated code and remediated account: the collectors must normalize
    to identical values wherever the code resolves one."""
    policy = load_policy(REPO / "policies" / f"{policy_name}.yaml")
    reader = reader_for(estate)
    live = collect_aws(reader, EVERYWHERE)
    code = collect_terraform(load_estate(REPO / "fixtures" / "estates", estate).terraform_root,
                             {r.name: r.terraform_root for r in policy.roles.values() if r.terraform_root})
    assert code.errors == []
    keys = ("name", "identifier", "domain_name", "id", "comment")
    compared = Counter()
    for resource in code.resources:
        if resource.mode != "managed" or KINDS[resource.kind].terraform_only:
            continue
        key = next((k for k in keys if k in resource.attributes and resource.attributes[k].known), None)
        if key is None and resource.kind != "ecr_replication":  # one per registry and region: no name
            continue
        global_kind = KINDS[resource.kind].scope == "global"
        twins = [r for r in by_kind(live, resource.kind, **({key: resource.value(key)} if key else {}))
                 if global_kind or r.region == resource.region]
        if resource.kind == "route53_record":
            twins = [r for r in twins if r.value("set_identifier") == resource.value("set_identifier")]
        if resource.kind == "iam_role_policy":
            twins = [r for r in twins if r.value("role") == resource.value("role")]
        assert len(twins) == 1, f"{resource.address}: {len(twins)} live twins"
        for name, value in resource.attributes.items():
            # the estates do not seed the code's tags, alarm dimensions or record values yet:
            # tests/test_tags.py and tests/test_route53_alarm_attributes.py compare those from code and sandbox
            if value.known and name not in ("tags", "dimensions", "records") \
                    and not KINDS[resource.kind].attributes[name].terraform_only:
                live_value = twins[0].value(name)
                if isinstance(value.value, list):
                    assert sorted(map(str, value.value)) == sorted(map(str, live_value)), f"{resource.address}.{name}"
                else:
                    assert value.value == live_value, f"{resource.address}.{name}: code {value.value!r}, live {live_value!r}"
                compared[resource.kind] += 1
    # every kind the code declares with a name (the manual ones, e.g. PortForge's S3 and CloudFront, are not in code)
    declared = {r.kind for r in code.resources if r.mode == "managed" and not KINDS[r.kind].terraform_only
                and (r.kind == "ecr_replication" or any(k in r.attributes and r.attributes[k].known for k in keys))}
    assert set(compared) == declared and sum(compared.values()) >= 50, compared
    if estate == "portforge-remediated":
        assert len(declared) >= 16 and sum(compared.values()) >= 200, compared


@pytest.mark.parametrize("kind, create, count, page", [
    ("dynamodb_table", lambda s, n: s.client("dynamodb", region_name=PRIMARY, endpoint_url=s.url).create_table(
        TableName=f"t{n:03}", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}]), 7, "dynamodb:list_tables"),
    ("secretsmanager_secret", lambda s, n: s.client("secretsmanager", region_name=PRIMARY, endpoint_url=s.url)
     .create_secret(Name=f"app/s{n:03}", SecretString="x"), 7, "secretsmanager:list_secrets"),
    ("cognito_user_pool", lambda s, n: s.client("cognito-idp", region_name=PRIMARY, endpoint_url=s.url)
     .create_user_pool(PoolName=f"pool-{n}"), 7, "cognito-idp:list_user_pools"),
    ("iam_role", lambda s, n: s.client("iam", region_name=GLOBAL, endpoint_url=s.url)
     .create_role(RoleName=f"role-{n}", AssumeRolePolicyDocument="{}"), 7, "iam:get_account_authorization_details"),
    ("eks_cluster", lambda s, n: s.client("eks", region_name=PRIMARY, endpoint_url=s.url).create_cluster(
        name=f"c{n}", roleArn="arn:aws:iam::123456789012:role/x", resourcesVpcConfig={"subnetIds": []}), 5,
     "eks:list_clusters"),
    ("s3_bucket", lambda s, n: s.client("s3", region_name=PRIMARY, endpoint_url=s.url).create_bucket(
        Bucket=f"b{n:03}", CreateBucketConfiguration={"LocationConstraint": PRIMARY}), 7, "s3:list_buckets"),
])
def test_pagination_reads_past_the_first_page(sandbox, reader_for, kind, create, count, page):
    session = sandbox.session()
    session.url = sandbox.url
    for n in range(count):
        create(session, n)
    reader = reader_for(page_sizes={page: 2})
    inventory = collect_aws(reader, {kind: {PRIMARY}})
    assert len(by_kind(inventory, kind)) == count
    service, operation = page.split(":")
    pages = [c for c in reader.calls() if c.service == service and c.page > 1]
    assert len(pages) >= count // 2, f"expected several pages, got {[c.page for c in reader.calls()]}"


def test_record_sets_paginate_by_name(sandbox, reader_for):
    route53 = sandbox.session().client("route53", region_name=GLOBAL, endpoint_url=sandbox.url)
    zone = route53.create_hosted_zone(Name="example.org", CallerReference="z")["HostedZone"]["Id"]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"h{n}.example.org", "Type": "A", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "192.0.2.1"}]}} for n in range(9)]})
    reader = reader_for(page_sizes={"route53:list_resource_record_sets": 3})
    inventory = collect_aws(reader, {"route53_record": {GLOBAL}})
    assert {r.value("name") for r in by_kind(inventory, "route53_record", type="A")} == {
        f"h{n}.example.org" for n in range(9)}
    assert max(c.page for c in reader.calls() if c.operation == "ListResourceRecordSets") >= 4


def test_a_resource_missing_in_one_region_is_missing_only_there(sandbox, reader_for):
    dynamodb = sandbox.session().client("dynamodb", region_name=PRIMARY, endpoint_url=sandbox.url)
    dynamodb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    inventory = collect_aws(reader_for(), {"dynamodb_table": {PRIMARY, DR}})
    assert [r.region for r in by_kind(inventory, "dynamodb_table", name="orders")] == [PRIMARY]
    assert inventory.errors == []
    assert inventory.select("dynamodb_table", DR, {"name": "orders"}).matched == []


def test_each_read_happens_once_however_many_collectors_need_it(reader_for):
    reader = reader_for("portforge-as-found")
    collect_aws(reader, read_plan_for(load_policy(POLICY)))
    keys = Counter((c.region, c.service, c.operation, c.arguments, c.page) for c in reader.calls())
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    vpc_lists = [c for c in reader.calls() if c.operation == "DescribeVpcs"]
    assert sorted(c.region for c in vpc_lists) == [DR, PRIMARY]  # shared by vpc, subnet, nat, igw collectors


# ----- error paths: the affected rows become ERROR, every other row keeps its status ------------

@functools.lru_cache(maxsize=1)
def _as_found_code():
    return collect_terraform(REPO / "fixtures" / "terraform" / "portforge", {"primary": "primary", "dr": "dr"})


def _audit(reader):
    policy = load_policy(POLICY)
    code = _as_found_code()
    live = collect_aws(reader, read_plan_for(policy))
    return policy, live, {row.id: evaluate_full(row, policy, code, live) for row in policy.rows}


@pytest.fixture(scope="module")
def clean_statuses(sandbox_server):
    from dr_audit.sandbox.estate import load_estate, seed

    sandbox_server.reset()
    seed(sandbox_server, load_estate(REPO / "fixtures" / "estates", "portforge-as-found"))
    reader = AwsReader(sandbox_server.session(), ReaderSettings(endpoint_url=sandbox_server.url))
    _, _, findings = _audit(reader)
    return {row_id: f.status for row_id, f in findings.items()}


@pytest.mark.parametrize("service, operation, status, code, kinds", [
    ("dynamodb", "ListTables", 400, "AccessDeniedException", {"dynamodb_table"}),
    ("ec2", "DescribeVpcs", 403, "UnauthorizedOperation", {"vpc", "subnet", "nat_gateway", "internet_gateway"}),
    ("route53", "ListHealthChecks", 400, "Throttling", {"route53_health_check"}),
    ("ecr", "DescribeRegistry", 400, "ThrottlingException", {"ecr_replication"}),
])
def test_a_failed_read_makes_exactly_the_rows_that_need_it_error(sandbox, reader_for, clean_statuses,
                                                                  service, operation, status, code, kinds):
    reader = reader_for("portforge-as-found", retries={"mode": "standard", "max_attempts": 3})
    attempts = inject_error(reader, service, operation, status, code)
    policy, live, findings = _audit(reader)
    assert any(isinstance(e, KindReadError) and e.error.code == code for e in live.errors)
    if code.startswith("Throttl"):
        assert len(attempts) >= 3 * len({e.region for e in live.errors})  # botocore retried before giving up
    for row in policy.rows:
        finding = findings[row.id]
        needs = row.kind in kinds and finding.live.state is not SourceState.NOT_CONSULTED
        if needs:
            assert finding.status is Status.ERROR, f"{row.id}: {finding.status} {finding.message}"
            assert service in finding.message and operation in finding.message and code in finding.message
        else:
            assert finding.status is clean_statuses[row.id], f"{row.id} changed: {finding.message}"
    assert not any(f.status is Status.PASS and f.live.state is SourceState.ERROR for f in findings.values())


def test_a_failed_detail_read_makes_only_that_attribute_error(sandbox, reader_for, clean_statuses):
    reader = reader_for("portforge-as-found")
    inject_error(reader, "dynamodb", "DescribeContinuousBackups", 400, "AccessDeniedException")
    inventory = collect_aws(reader, {"dynamodb_table": {PRIMARY}})
    table = by_kind(inventory, "dynamodb_table", name="team_chats_ddb")[0]
    assert table.value("stream_enabled") is False
    assert "AccessDeniedException" in table.value("point_in_time_recovery").reason


def test_an_unreachable_endpoint_turns_every_live_row_into_error(sandbox):
    policy = load_policy(POLICY)
    reader = AwsReader(sandbox.session(), ReaderSettings(endpoint_url="http://127.0.0.1:9", connect_timeout=1,
                                                         retries={"mode": "standard", "max_attempts": 2}))
    _, live, findings = _audit(reader)
    assert live.errors and all(e.error.code == "EndpointConnectionError" for e in live.errors)
    for row in policy.rows:
        finding = findings[row.id]
        if finding.live.state is not SourceState.NOT_CONSULTED and row.kind != "policy":
            assert finding.status is Status.ERROR, row.id
            assert "EndpointConnectionError" in finding.message


def test_read_errors_name_service_region_operation_and_code(sandbox, reader_for):
    reader = reader_for()
    inject_error(reader, "rds", "DescribeDBInstances", 403, "AccessDenied", "not authorized")
    with pytest.raises(AwsReadError) as raised:
        reader.paginate("rds", DR, "describe_db_instances", "DBInstances")
    assert str(raised.value) == f"rds DescribeDBInstances in {DR} failed: AccessDenied: not authorized"
    assert json.loads(json.dumps(raised.value.to_dict()))["code"] == "AccessDenied"


def test_an_unexpected_response_shape_is_an_error_for_that_kind_not_a_crash(reader_for, monkeypatch):
    from dr_audit.kinds import registry

    def broken(reader, region):
        raise KeyError("DBInstanceIdentifier")

    monkeypatch.setitem(KINDS, "rds_instance", dataclasses.replace(KINDS["rds_instance"], collect=broken))
    monkeypatch.setattr(registry, "_views", {})  # the derived tables are read afresh, then restored
    inventory = collect_aws(reader_for(), {"rds_instance": {PRIMARY}, "vpc": {PRIMARY}})
    [error] = inventory.errors
    assert (error.kind, error.error.code, error.error.operation) == ("rds_instance", "KeyError", "collect rds_instance")
    assert by_kind(inventory, "vpc")  # the other kind is still read
