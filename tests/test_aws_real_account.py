"""The AWS collectors on what a real account sends (issue 14): every response
here is checked by botocore's Stubber against the service model, and the
requests the collectors send are checked too where they matter (paginated
ListBuckets, every ACM key type, ListGlobalTables pages)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import ANY, Stubber

from dr_audit.kinds import s3_bucket
from dr_audit.aws import collecting
from dr_audit.kinds.registry import aws_collectors, state_rules
from dr_audit.kinds import KINDS
from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.evaluate import evaluate_full, evaluate_live
from dr_audit.findings import Status
from dr_audit.inventory import Inventory, Unreadable
from dr_audit.model import Policy
from dr_audit.policy import load_policy
from tests.conftest import REPO

REGION, OTHER = "ap-northeast-2", "ap-northeast-1"
ACCOUNT = "111122223333"


def stubbed(service: str, region: str = REGION, reader: AwsReader | None = None):
    reader = reader or AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client(service, region))


# ----- S3: a paginated ListBuckets, legacy locations, an unreadable location once ------------------

def _bucket(name: str, region: str | None = None) -> dict:
    listed = {"Name": name, "CreationDate": datetime(2026, 1, 1, tzinfo=timezone.utc)}
    return {**listed, "BucketRegion": region} if region else listed


def _no_replication(stub: Stubber, name: str) -> None:
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": name})
    stub.add_client_error("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError", http_status_code=404,
                          expected_params={"Bucket": name})
    stub.add_client_error("get_bucket_replication", "ReplicationConfigurationNotFoundError", http_status_code=404,
                          expected_params={"Bucket": name})


def test_list_buckets_is_paginated_so_every_bucket_and_its_region_come_back():
    reader, listing = stubbed("s3", "us-east-1")
    _, regional = stubbed("s3", REGION, reader)
    listing.add_response("list_buckets", {"Buckets": [_bucket("a", REGION)], "ContinuationToken": "t1"},
                         {"MaxBuckets": s3_bucket.BUCKETS_PER_PAGE})
    listing.add_response("list_buckets", {"Buckets": [_bucket("b", OTHER), _bucket("c", REGION)]},
                         {"MaxBuckets": s3_bucket.BUCKETS_PER_PAGE, "ContinuationToken": "t1"})
    _no_replication(regional, "a")
    _no_replication(regional, "c")
    with listing, regional:
        found = KINDS["s3_bucket"].collect(reader, REGION)
    listing.assert_no_pending_responses()
    assert [b.value("name") for b in found] == ["a", "c"]  # c was on the second page; b is elsewhere


@pytest.mark.parametrize("constraint, region", [("EU", "eu-west-1"), (None, "us-east-1"), ("", "us-east-1"),
                                                (REGION, REGION)])
def test_get_bucket_location_legacy_answers_mean_their_regions(constraint, region):
    reader, listing = stubbed("s3", "us-east-1")
    listing.add_response("list_buckets", {"Buckets": [_bucket("old")]}, {"MaxBuckets": ANY})
    answer = {} if constraint is None else {"LocationConstraint": constraint}
    listing.add_response("get_bucket_location", answer, {"Bucket": "old"})
    with listing:
        assert s3_bucket._bucket_region(reader, s3_bucket._buckets(reader)[0]) == region


def test_an_empty_location_outside_the_aws_partition_is_unresolved_not_us_east_1():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    reader.partition, reader.global_region = "aws-cn", "cn-north-1"
    _, listing = stubbed("s3", "cn-north-1", reader)
    listing.add_response("list_buckets", {"Buckets": [_bucket("old")]}, {"MaxBuckets": ANY})
    listing.add_response("get_bucket_location", {}, {"Bucket": "old"})
    with listing:
        [bucket] = KINDS["s3_bucket"].collect(reader, "cn-northwest-1")
    assert bucket.address == "arn:aws-cn:s3:::old"
    assert not isinstance(bucket.region, str) and "partition aws-cn" in bucket.region.reason


def test_a_bucket_whose_location_cannot_be_read_is_added_once_and_its_rows_are_error():
    reader, listing = stubbed("s3", "us-east-1")
    listing.add_response("list_buckets", {"Buckets": [_bucket("locked")]}, {"MaxBuckets": ANY})
    listing.add_client_error("get_bucket_location", "AccessDenied", http_status_code=403,
                             expected_params={"Bucket": "locked"})
    with listing:
        inventory = collect_aws(reader, {"s3_bucket": {REGION, OTHER, "us-east-1"}})
    [bucket] = [r for r in inventory.resources if r.kind == "s3_bucket"]
    assert isinstance(bucket.region, Unreadable) and "AccessDenied" in bucket.region.reason
    selection = inventory.select("s3_bucket", REGION, {"name": "locked"})
    assert selection.matched == [] and selection.unreadable  # ERROR, not UNKNOWN


# ----- ACM: every key type, and only ISSUED, unexpired certificates count ------------------------------

def _certificate(name: str, status: str, not_after: datetime | None, key: str = "EC_prime256v1") -> dict:
    summary = {"CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{name}", "DomainName": f"{name}.example.org",
               "Status": status, "KeyAlgorithm": key, "Type": "AMAZON_ISSUED"}
    return {**summary, "NotAfter": not_after} if not_after else summary


def test_list_certificates_asks_for_every_key_type_the_model_knows():
    reader, stub = stubbed("acm")
    every = stub.client.meta.service_model.shape_for("KeyAlgorithm").enum
    assert {"RSA_2048", "RSA_4096", "EC_prime256v1", "EC_secp384r1"} <= set(every)
    stub.add_response("list_certificates", {"CertificateSummaryList": [
        _certificate("ec", "ISSUED", datetime.now(timezone.utc) + timedelta(days=90))]},
        {"Includes": {"keyTypes": every}})
    with stub:
        [cert] = KINDS["acm_certificate"].collect(reader, REGION)
    stub.assert_no_pending_responses()
    assert cert.out_of_service is None and cert.value("status") == "ISSUED"


def test_a_certificate_not_issued_or_expired_is_kept_but_never_counted():
    reader, stub = stubbed("acm")
    soon, past = datetime.now(timezone.utc) + timedelta(days=30), datetime(2025, 3, 1, tzinfo=timezone.utc)
    stub.add_response("list_certificates", {"CertificateSummaryList": [
        _certificate("ok", "ISSUED", soon), _certificate("pending", "PENDING_VALIDATION", None),
        _certificate("old", "ISSUED", past), _certificate("gone", "EXPIRED", past)]}, {"Includes": ANY})
    with stub:
        found = {c.value("domain_name").split(".")[0]: c for c in KINDS["acm_certificate"].collect(reader, REGION)}
    assert found["ok"].out_of_service is None
    assert found["pending"].out_of_service == "Status PENDING_VALIDATION"
    assert found["old"].out_of_service == "expired on 2025-03-01T00:00:00Z"
    assert found["old"].value("not_after") == "2025-03-01T00:00:00Z"
    assert found["gone"].out_of_service == "Status EXPIRED"


def _policy_with(kind: str, select: dict, role: str = "primary", **row) -> Policy:
    """The shipped PortForge policy's header with one row of ``kind``."""
    policy = load_policy(REPO / "policies" / "portforge-dr.yaml")
    template = next(r for r in policy.rows if r.op == "exists" and not r.comparator)
    changes = {"id": "STATE-ROW", "kind": kind, "role": role, "select": select, "managed_by": "manual", **row}
    return dataclasses.replace(policy, rows=(dataclasses.replace(template, **changes),))


def test_an_exists_row_is_not_met_by_a_pending_certificate_and_says_why():
    reader, stub = stubbed("acm")
    stub.add_response("list_certificates", {"CertificateSummaryList": [
        _certificate("www", "PENDING_VALIDATION", None)]}, {"Includes": ANY})
    with stub:
        live = Inventory("aws", KINDS["acm_certificate"].collect(reader, REGION))
    policy = _policy_with("acm_certificate", {"domain_name": "www.example.org"})
    finding = evaluate_live(policy.rows[0], policy, live)
    assert finding.status is Status.FAIL
    assert "present but not counted" in finding.message and "Status PENDING_VALIDATION" in finding.message


# ----- state-aware evidence: failed and transitional states never meet a row ----------------------

def _db(identifier: str, status: str) -> dict:
    return {"DBInstanceIdentifier": identifier, "DBInstanceStatus": status, "Engine": "mysql", "MultiAZ": True,
            "DBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{identifier}"}


@pytest.mark.parametrize("status, counts", [
    ("available", True), ("backing-up", True), ("modifying", True), ("storage-optimization", True),
    ("creating", False), ("failed", False), ("incompatible-parameters", False), ("storage-full", False),
    ("deleting", False), ("stopped", False), ("inaccessible-encryption-credentials", False)])
def test_rds_instances_count_only_in_a_serving_state(status, counts):
    reader, stub = stubbed("rds")
    stub.add_response("describe_db_instances", {"DBInstances": [_db("main", status)]})
    with stub:
        [db] = KINDS["rds_instance"].collect(reader, REGION)
    assert (db.out_of_service is None) is counts
    if not counts:
        assert db.out_of_service == f"DBInstanceStatus {status}"


@pytest.mark.parametrize("status, counts", [("replicating", True), ("error", False), ("stopped", False),
                                            ("replication stop point reached", False)])
def test_a_read_replica_counts_only_while_it_replicates(status, counts):
    reader, stub = stubbed("rds", OTHER)
    replica = {**_db("dr", "available"), "DBInstanceArn": f"arn:aws:rds:{OTHER}:{ACCOUNT}:db:dr",
               "ReadReplicaSourceDBInstanceIdentifier": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:main",
               "StatusInfos": [{"StatusType": "read replication", "Normal": counts, "Status": status}]}
    stub.add_response("describe_db_instances", {"DBInstances": [replica]})
    with stub:
        [db] = KINDS["rds_instance"].collect(reader, OTHER)
    assert db.out_of_service == (None if counts else f"read replication status {status}: "
                                                     "a read replica that does not replicate is no replica")


def test_a_multi_az_row_on_a_failed_instance_fails_and_names_the_state():
    reader, stub = stubbed("rds")
    stub.add_response("describe_db_instances", {"DBInstances": [_db("main", "failed")]})
    with stub:
        live = Inventory("aws", KINDS["rds_instance"].collect(reader, REGION))
    policy = _policy_with("rds_instance", {"identifier": "main"}, op="eq", attribute="multi_az", value=True)
    finding = evaluate_live(policy.rows[0], policy, live)
    assert finding.status is Status.FAIL and "DBInstanceStatus failed" in finding.message


@pytest.mark.parametrize("status, counts", [("ACTIVE", True), ("CREATING", False), ("CREATE_FAILED", False),
                                            ("DEGRADED", False), ("UPDATING", False)])
def test_eks_node_groups_count_only_when_active(status, counts):
    reader, stub = stubbed("eks")
    stub.add_response("list_clusters", {"clusters": ["c"]})
    stub.add_response("list_nodegroups", {"nodegroups": ["ng"]}, {"clusterName": "c"})
    stub.add_response("describe_nodegroup", {"nodegroup": {
        "nodegroupName": "ng", "clusterName": "c", "status": status,
        "nodegroupArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/c/ng/1", "scalingConfig": {"minSize": 1}}},
        {"clusterName": "c", "nodegroupName": "ng"})
    with stub:
        [group] = KINDS["eks_node_group"].collect(reader, REGION)
    assert (group.out_of_service is None) is counts


@pytest.mark.parametrize("status", ["CREATING", "CREATION_FAILED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
                                    "REGION_DISABLED", "DELETING"])
def test_a_dynamodb_replica_counts_only_when_active(status):
    reader, stub = stubbed("dynamodb")
    stub.add_response("list_global_tables", {"GlobalTables": []}, {"RegionName": REGION})
    stub.add_response("list_tables", {"TableNames": ["orders"]})
    stub.add_response("describe_table", {"Table": {"TableName": "orders", "TableStatus": "ACTIVE", "Replicas": [
        {"RegionName": OTHER, "ReplicaStatus": status}]}}, {"TableName": "orders"})
    stub.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED"}}, {"TableName": "orders"})
    with stub:
        [table] = KINDS["dynamodb_table"].collect(reader, REGION)
    assert table.value("replica_regions") == []
    assert table.attributes["replica_regions"].note == f"replicas not counted: {OTHER} (ReplicaStatus {status})"


@pytest.mark.parametrize("status, counted", [("InSync", [OTHER]), ("InProgress", []), ("Failed", [])])
def test_a_secret_replica_counts_only_in_sync(status, counted):
    reader, stub = stubbed("secretsmanager")
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app-AbCdEf"
    stub.add_response("list_secrets", {"SecretList": [{"ARN": arn, "Name": "app"}]})
    stub.add_response("describe_secret", {"ARN": arn, "Name": "app", "ReplicationStatus": [
        {"Region": OTHER, "Status": status}]}, {"SecretId": arn})
    with stub:
        [secret] = KINDS["secretsmanager_secret"].collect(reader, REGION)
    assert secret.value("replica_regions") == counted


def test_a_disabled_distribution_does_not_serve():
    from tests.test_response_shapes import _distribution

    reader, stub = stubbed("cloudfront", "us-east-1")
    stub.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 2,
        "Items": [_distribution("a", []), {**_distribution("a", []), "Id": "EOFF", "Enabled": False}]}})
    with stub:
        found = {d.value("id"): d.out_of_service for d in KINDS["cloudfront_distribution"].collect(reader, REGION)}
    assert found == {"E2EXAMPLE": None, "EOFF": "Enabled false: a disabled distribution serves no requests"}


@pytest.mark.parametrize("flags, reason", [
    ({}, None),
    ({"Disabled": True}, "Disabled true: Route 53 considers a disabled health check always healthy"),
    ({"Inverted": True}, "Inverted true: an inverted health check is healthy when its endpoint fails")])
def test_a_disabled_or_inverted_health_check_meets_no_row(flags, reason):
    reader, stub = stubbed("route53", "us-east-1")
    stub.add_response("list_health_checks", {"HealthChecks": [{
        "Id": "hc-1", "CallerReference": "r", "HealthCheckVersion": 1,
        "HealthCheckConfig": {"Type": "HTTPS", "FullyQualifiedDomainName": "api.example.org", "Port": 443,
                              "ResourcePath": "/health", "RequestInterval": 10, "FailureThreshold": 3, **flags}}],
        "Marker": "", "IsTruncated": False, "MaxItems": "100"})
    stub.add_response("list_tags_for_resources", {"ResourceTagSets": [
        {"ResourceType": "healthcheck", "ResourceId": "hc-1", "Tags": [{"Key": "Name", "Value": "api"}]}]},
        {"ResourceType": "healthcheck", "ResourceIds": ["hc-1"]})
    with stub:
        [check] = KINDS["route53_health_check"].collect(reader, REGION)
    assert check.out_of_service == reason


# ----- DynamoDB legacy global tables (version 2017.11.29) ---------------------------------------

def _table_without_replicas(stub: Stubber, name: str) -> None:
    stub.add_response("describe_table", {"Table": {"TableName": name, "TableStatus": "ACTIVE"}}, {"TableName": name})
    stub.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED"}}, {"TableName": name})


def test_a_legacy_global_table_shows_its_replicas_from_describe_global_table():
    reader, stub = stubbed("dynamodb")
    # two pages of ListGlobalTables, by its own ExclusiveStartGlobalTableName
    stub.add_response("list_global_tables", {"GlobalTables": [{"GlobalTableName": "aaa"}],
                                             "LastEvaluatedGlobalTableName": "aaa"}, {"RegionName": REGION})
    stub.add_response("list_global_tables", {"GlobalTables": [{"GlobalTableName": "sessions"}]},
                      {"RegionName": REGION, "ExclusiveStartGlobalTableName": "aaa"})
    stub.add_response("list_tables", {"TableNames": ["plain", "sessions"]})
    _table_without_replicas(stub, "plain")
    _table_without_replicas(stub, "sessions")
    stub.add_response("describe_global_table", {"GlobalTableDescription": {
        "GlobalTableName": "sessions", "GlobalTableStatus": "ACTIVE", "ReplicationGroup": [
            {"RegionName": REGION, "ReplicaStatus": "ACTIVE"}, {"RegionName": OTHER, "ReplicaStatus": "ACTIVE"},
            {"RegionName": "us-west-2", "ReplicaStatus": "CREATING"}]}}, {"GlobalTableName": "sessions"})
    with stub:
        found = {t.value("name"): t.value("replica_regions") for t in KINDS["dynamodb_table"].collect(reader, REGION)}
    stub.assert_no_pending_responses()
    assert found == {"plain": [], "sessions": [OTHER]}


def test_when_legacy_global_tables_cannot_be_listed_a_table_without_replicas_is_unreadable():
    reader, stub = stubbed("dynamodb")
    stub.add_client_error("list_global_tables", "AccessDeniedException", expected_params={"RegionName": REGION})
    stub.add_response("list_tables", {"TableNames": ["plain"]})
    _table_without_replicas(stub, "plain")
    with stub:
        [table] = KINDS["dynamodb_table"].collect(reader, REGION)
    assert isinstance(table.value("replica_regions"), Unreadable)
    assert "ListGlobalTables" in table.value("replica_regions").reason


def test_legacy_global_tables_in_the_sandbox(sandbox, reader_for):
    """The sandbox shim answers the three legacy calls as AWS does, so estates can hold one."""
    session = sandbox.session()
    for region in (REGION, OTHER):
        session.client("dynamodb", region_name=region, endpoint_url=sandbox.url).create_table(
            TableName="sessions", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    session.client("dynamodb", region_name=REGION, endpoint_url=sandbox.url).create_global_table(
        GlobalTableName="sessions", ReplicationGroup=[{"RegionName": REGION}, {"RegionName": OTHER}])
    inventory = collect_aws(reader_for(), {"dynamodb_table": {REGION, OTHER}})
    assert inventory.errors == []
    assert {t.region: t.value("replica_regions") for t in inventory.resources} == {REGION: [OTHER], OTHER: [REGION]}


# ----- partitions and the global region come from the reader -------------------------------------

def test_global_reads_go_to_the_readers_global_region():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    reader.partition, reader.global_region = "aws-us-gov", "us-gov-west-1"
    _, stub = stubbed("iam", "us-gov-west-1", reader)
    stub.add_response("get_account_authorization_details", {"RoleDetailList": [{
        "RoleName": "app", "RoleId": "AROAEXAMPLE0000000000", "Arn": f"arn:aws-us-gov:iam::{ACCOUNT}:role/app",
        "Path": "/", "CreateDate": datetime(2026, 1, 1, tzinfo=timezone.utc), "AttachedManagedPolicies": [
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"}]}],
        "IsTruncated": False}, {"Filter": ["Role"]})
    with stub:
        [role] = KINDS["iam_role"].collect(reader, collecting.GLOBAL_REGION)
    assert role.value("name") == "app"
    assert role.value("managed_policy_arns") == ["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"]
    # the roles with their attached policies: one listing, in the partition's global region
    assert [(c.operation, c.region) for c in reader.calls()] == [("GetAccountAuthorizationDetails", "us-gov-west-1")]


# ----- ECR: neither the code nor the account replicates -> FAIL, not UNMANAGED --------------------

def test_a_registry_replicated_by_neither_code_nor_account_fails(tmp_path, reader_for):
    """End to end: the as-found account (no replication rules) against the PortForge
    Terraform without its aws_ecr_replication_configuration."""
    import re
    import shutil

    from dr_audit.aws.target import read_plan_for
    from dr_audit.terraform.collector import collect_terraform

    root = tmp_path / "portforge"
    shutil.copytree(REPO / "fixtures" / "terraform" / "portforge", root)
    ecr = root / "dr" / "ecr.tf"
    text = ecr.read_text()
    start = text.index('resource "aws_ecr_replication_configuration"')
    ecr.write_text(text[:start])  # the replication configuration is the file's last block
    assert not re.search("aws_ecr_replication_configuration", ecr.read_text())
    policy = load_policy(REPO / "policies" / "portforge-dr.yaml")
    code = collect_terraform(root, {"primary": "primary", "dr": "dr"})
    live = collect_aws(reader_for("portforge-as-found"), read_plan_for(policy))
    rows = [r for r in policy.rows if r.comparator == "ecr_replicates"]
    assert rows
    for row in rows:
        finding = evaluate_full(row, policy, code, live)
        assert finding.status is Status.FAIL, f"{row.id}: {finding.status} {finding.message}"
        assert "default of no replication rules" in finding.message and "no replication rule sends" in finding.message


def test_every_state_rule_names_a_collected_kind_and_counts_something():
    from dr_audit.kinds import KINDS

    for key, rule in state_rules().items():
        kind = key.split(".")[0]
        assert kind in KINDS and kind in aws_collectors(), key
        assert rule.field and rule.counts, key
        assert collecting.out_of_service(key, next(iter(rule.counts))) is None
        assert collecting.out_of_service(key, "SOMETHING_ELSE").startswith(rule.field)
