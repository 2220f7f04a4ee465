"""The evidence bundle's raw response excerpts: the reader keeps every response it read, and the
bundle finds in them the part each account value came from (the item of that resource, or the
whole response of a request about it), masked, or says there is none."""

from __future__ import annotations

import json

import pytest

from dr_audit.aws.reader import AwsReadError, ReadResponse
from dr_audit.report.bundle import ResponseIndex, gather_sources, mask_secret_looking, quoted, row_evidence
from dr_audit.secrets import MASK, Redactor

REGION, OTHER, GLOBAL_REGION = "eu-west-1", "eu-central-1", "us-east-1"
PRIMARY = f"arn:aws:rds:{REGION}:111122223333:db:orders"
REPLICA = f"arn:aws:rds:{REGION}:111122223333:db:orders-replica"


def response(service, operation, body, region=REGION, page=1, **arguments):
    return ReadResponse(service, region, operation, arguments, body, page)


DB_INSTANCES = response("rds", "DescribeDBInstances", {"DBInstances": [
    {"DBInstanceIdentifier": "orders-replica", "DBInstanceArn": REPLICA, "MultiAZ": False,
     "ReadReplicaSourceDBInstanceIdentifier": PRIMARY},
    {"DBInstanceIdentifier": "orders", "DBInstanceArn": PRIMARY, "MultiAZ": True}], "Marker": "next"})
BUCKETS = response("s3", "ListBuckets", {"Buckets": [{"Name": "orders"}, {"Name": "logs"}]}, GLOBAL_REGION)
REPLICATION = response("s3", "GetBucketReplication", {"ReplicationConfiguration": {"Rules": []}}, Bucket="orders")
NO_REPLICATION = response("s3", "GetBucketReplication",
                          {"Error": {"Code": "ReplicationConfigurationNotFoundError", "Message": "none"}},
                          Bucket="logs")
SAME_NAMED_TABLE = response("dynamodb", "DescribeTable", {"Table": {"TableName": "orders"}}, TableName="orders")
TABLES_ELSEWHERE = response("s3", "GetBucketVersioning", {"Status": "Enabled"}, OTHER, Bucket="orders")
RECORDS = response("route53", "ListResourceRecordSets", {"ResourceRecordSets": [
    {"Name": "api.example.com.", "Type": "A", "SetIdentifier": "primary", "Failover": "PRIMARY"},
    {"Name": "api.example.com.", "Type": "A", "SetIdentifier": "secondary", "Failover": "SECONDARY"}]},
    GLOBAL_REGION, HostedZoneId="Z123")
NODEGROUP = response("eks", "DescribeNodegroup", {"nodegroup": {
    "nodegroupArn": f"arn:aws:eks:{REGION}:111122223333:nodegroup/c/n/1", "subnets": ["subnet-1"]}},
    clusterName="c", nodegroupName="n")
SUBNETS = response("ec2", "DescribeSubnets", {"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1"}]})
ALL = [DB_INSTANCES, BUCKETS, REPLICATION, NO_REPLICATION, SAME_NAMED_TABLE, TABLES_ELSEWHERE, RECORDS, NODEGROUP,
       SUBNETS]


def found(resource_id, region=REGION):
    return [(e["operation"], e["path"]) for e in ResponseIndex(ALL, GLOBAL_REGION).excerpts(resource_id, region)]


def test_an_instance_is_its_own_entry_not_the_one_of_its_replica_that_names_it():
    excerpts = ResponseIndex(ALL, GLOBAL_REGION).excerpts(PRIMARY, REGION)
    assert [(e["operation"], e["path"]) for e in excerpts] == [("DescribeDBInstances", "DBInstances[1]")]
    assert excerpts[0]["item"] is DB_INSTANCES.body["DBInstances"][1]  # the response's own object: no copy
    assert excerpts[0]["service"] == "rds" and excerpts[0]["region"] == REGION and excerpts[0]["request"] == {}


def test_a_bucket_is_its_listing_entry_and_the_responses_asked_about_it_in_its_region():
    assert found("arn:aws:s3:::orders") == [("ListBuckets", "Buckets[0]"), ("GetBucketReplication", "")]
    # "there is none" is evidence too; a same-named table (another service) and another region are not it
    assert found("arn:aws:s3:::logs") == [("ListBuckets", "Buckets[1]"), ("GetBucketReplication", "")]
    whole = ResponseIndex(ALL, GLOBAL_REGION).excerpts("arn:aws:s3:::logs", REGION)[1]
    assert whole["item"] == NO_REPLICATION.body and whole["request"] == {"Bucket": "logs"}


def test_a_record_is_found_by_its_zone_in_the_request_and_its_name_type_and_set_in_the_item():
    assert found("Z123/api.example.com/A/secondary", "global") == [
        ("ListResourceRecordSets", "ResourceRecordSets[1]")]
    assert found("Z999/api.example.com/A/secondary", "global") == []


def test_references_to_a_resource_are_not_its_excerpt():
    # the node group lists the subnet, and the subnet names its VPC: only the subnet's own entry
    assert found("subnet-1") == [("DescribeSubnets", "Subnets[0]")]
    assert found("vpc-1") == []
    # a node group request names its cluster: it is about the node group, not the cluster
    assert found(f"arn:aws:eks:{REGION}:111122223333:cluster/c") == []


def test_secret_looking_values_are_masked_in_a_quote_but_not_the_names_of_secrets():
    item = {"SecretId": "arn:aws:secretsmanager:x:1:secret:db-AbCdEf", "AuthToken": "tok-123456789",
            "Tags": [{"Key": "db_password", "Value": "hunter2-live"}, {"Key": "Name", "Value": "web"}],
            "Nested": {"ClientSecret": ["a-secret-1", 3]}, "Created": object()}
    masked = mask_secret_looking(json.loads(json.dumps(item, default=str)))
    assert masked["SecretId"] == item["SecretId"] and masked["AuthToken"] == MASK
    assert masked["Tags"] == [{"Key": "db_password", "Value": MASK}, {"Key": "Name", "Value": "web"}]
    assert masked["Nested"] == {"ClientSecret": [MASK, 3]}
    known = quoted({"Name": "vpc-Known-Secret-1", "At": item["Created"]}, Redactor(["Known-Secret-1"]).data)
    assert known["Name"] == f"vpc-{MASK}" and isinstance(known["At"], str)


class FakeReader:
    global_region = GLOBAL_REGION

    def responses(self):
        return ALL


def test_a_row_quotes_each_account_value_or_says_why_it_cannot():
    row = {"id": "R", "clause": "1", "status": "FAIL", "message": "m", "expected": {"op": "eq", "value": True},
           "terraform": {"status": "not_consulted"},
           "live": {"status": "violates", "id": REPLICA, "region": REGION, "account": "111122223333", "value": False},
           "resources": [{"source": "aws", "id": "arn:aws:s3:::missing", "region": REGION, "account": "111122223333",
                          "value": None},
                         {"source": "aws", "id": None, "region": REGION, "account": "111122223333", "value": 2}]}
    sources = gather_sources({"rows": [row]}, None, str, lambda data: data, {"111122223333": FakeReader()})
    replica, missing, aggregate = row_evidence(row, json.loads(json.dumps(sources)))["account"]["sources"]
    assert [e["path"] for e in replica["excerpts"]] == ["DBInstances[0]"]
    assert replica["excerpts"][0]["item"]["DBInstanceIdentifier"] == "orders-replica"
    assert "no_response_excerpt" not in replica
    assert missing["excerpts"] == [] and "names arn:aws:s3:::missing" in missing["no_response_excerpt"]
    assert aggregate["excerpts"] == [] and "no resource id" in aggregate["no_response_excerpt"]
    handed_nothing = row_evidence(row, None)["account"]["sources"][0]
    assert handed_nothing["excerpts"] == [] and handed_nothing["no_response_excerpt"]


def test_the_reader_keeps_every_page_and_answered_error_it_read_and_no_failed_one(reader_for):
    reader = reader_for(page_sizes={"dynamodb:list_tables": 2})
    creator = reader.session.client("dynamodb", region_name=REGION, endpoint_url=reader.settings.endpoint_url)
    for name in ("a-table", "b-table", "c-table"):
        creator.create_table(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
    assert reader.paginate("dynamodb", REGION, "list_tables", "TableNames") == ["a-table", "b-table", "c-table"]
    reader.call("dynamodb", REGION, "describe_table", TableName="b-table")
    with pytest.raises(AwsReadError):
        reader.call("dynamodb", REGION, "describe_table", TableName="none-such")
    with pytest.raises(AwsReadError):
        reader.call("dynamodb", REGION, "describe_table", answers=("ResourceNotFoundException",), TableName="gone")
    pages = reader.responses("dynamodb", REGION, "ListTables")
    assert [(p.page, p.body["TableNames"]) for p in pages] == [(1, ["a-table", "b-table"]), (2, ["c-table"])]
    described = reader.responses(operation="DescribeTable")
    assert [r.arguments for r in described] == [{"TableName": "b-table"}, {"TableName": "gone"}]
    assert described[0].body["Table"]["TableName"] == "b-table"
    assert described[1].body["Error"]["Code"] == "ResourceNotFoundException"
    assert reader.responses("s3") == [] and len(reader.responses()) == 4
    reader.paginate("dynamodb", REGION, "list_tables", "TableNames")  # read once per run: nothing kept twice
    assert len(reader.responses()) == 4


def test_an_inline_policy_is_quoted_from_its_roles_entry_only_when_the_entry_holds_it():
    details = response("iam", "GetAccountAuthorizationDetails", {"RoleDetailList": [
        {"RoleName": "app", "Arn": "arn:aws:iam::111122223333:role/app",
         "RolePolicyList": [{"PolicyName": "ddb", "PolicyDocument": {"Statement": []}}]},
        {"RoleName": "other", "Arn": "arn:aws:iam::111122223333:role/other", "RolePolicyList": []}],
        "IsTruncated": False}, GLOBAL_REGION, Filter=["Role"])
    index = ResponseIndex([details], GLOBAL_REGION)
    assert [e["path"] for e in index.excerpts("arn:aws:iam::111122223333:role/app/ddb", None)] == ["RoleDetailList[0]"]
    assert index.excerpts("arn:aws:iam::111122223333:role/other/ddb", None) == []
    assert index.excerpts("arn:aws:iam::111122223333:role/app/gone", None) == []


def test_a_registry_is_quoted_from_the_response_its_top_level_id_names():
    registry = response("ecr", "DescribeRegistry", {"registryId": "111122223333", "replicationConfiguration": {
        "rules": [{"destinations": [{"region": OTHER, "registryId": "111122223333"}]}]}})
    repositories = response("ecr", "DescribeRepositories", {"repositories": [
        {"repositoryName": "app", "registryId": "111122223333"}]})
    elsewhere = response("ecr", "DescribeRegistry", {"registryId": "444455556666"})
    index = ResponseIndex([registry, repositories, elsewhere], GLOBAL_REGION)
    found = index.excerpts("ecr registry 111122223333", REGION)
    assert [(e["operation"], e["path"]) for e in found] == [("DescribeRegistry", "")]
    assert found[0]["item"]["replicationConfiguration"]["rules"][0]["destinations"][0]["region"] == OTHER
    assert index.excerpts("ecr registry 777788889999", REGION) == []
