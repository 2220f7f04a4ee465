"""The collectors against AWS's real response shapes, where the sandbox
needs a shim or moto simplifies: botocore's Stubber validates each canned
response against the service model, so these are shapes AWS can send."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.kinds import KINDS
from dr_audit.aws.reader import AwsReader

REGION = "ap-northeast-2"


def stubbed(service: str, region: str = REGION):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    stubber = Stubber(reader.client(service, region))
    return reader, stubber


def test_dynamodb_global_table_replicas_come_from_describe_table():
    reader, stub = stubbed("dynamodb")
    stub.add_response("list_global_tables", {"GlobalTables": []}, {"RegionName": REGION})
    stub.add_response("list_tables", {"TableNames": ["orders"]})
    stub.add_response("describe_table", {"Table": {
        "TableName": "orders", "TableArn": f"arn:aws:dynamodb:{REGION}:111122223333:table/orders",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "Replicas": [{"RegionName": "ap-northeast-1", "ReplicaStatus": "ACTIVE"},
                     {"RegionName": "us-west-2", "ReplicaStatus": "CREATING"}]}}, {"TableName": "orders"})
    stub.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}}}, {"TableName": "orders"})
    with stub:
        [table] = KINDS["dynamodb_table"].collect(reader, REGION)
    stub.assert_no_pending_responses()
    # a replica still being created does not replicate yet: it is left out, and the evidence says so
    assert table.value("replica_regions") == ["ap-northeast-1"]
    assert table.attributes["replica_regions"].note == "replicas not counted: us-west-2 (ReplicaStatus CREATING)"
    assert table.value("stream_view_type") == "NEW_AND_OLD_IMAGES"
    assert table.value("point_in_time_recovery") is True


def _distribution(target: str, groups: list[dict]) -> dict:
    return {"Id": "E2EXAMPLE", "ARN": "arn:aws:cloudfront::111122223333:distribution/E2EXAMPLE",
            "ETag": "x", "Status": "Deployed", "LastModifiedTime": "2026-01-01T00:00:00Z",
            "DomainName": "d111111abcdef8.cloudfront.net", "Aliases": {"Quantity": 1, "Items": ["example.org"]},
            "Origins": {"Quantity": 2, "Items": [
                {"Id": "a", "DomainName": "a.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}},
                {"Id": "b", "DomainName": "b.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "OriginGroups": {"Quantity": len(groups), "Items": groups},
            "DefaultCacheBehavior": {"TargetOriginId": target, "ViewerProtocolPolicy": "redirect-to-https"},
            "CacheBehaviors": {"Quantity": 0}, "CustomErrorResponses": {"Quantity": 0}, "Comment": "",
            "PriceClass": "PriceClass_All", "Enabled": True,
            "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
            "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
            "WebACLId": "", "HttpVersion": "http2", "IsIPV6Enabled": True, "Staging": False}


GROUP = {"Id": "failover", "FailoverCriteria": {"StatusCodes": {"Quantity": 2, "Items": [500, 503]}},
         "Members": {"Quantity": 2, "Items": [{"OriginId": "a"}, {"OriginId": "b"}]}}


def test_cloudfront_origin_failover_means_the_default_behaviour_targets_a_two_member_group():
    reader, stub = stubbed("cloudfront", "us-east-1")
    stub.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 2,
        "Items": [_distribution("failover", [GROUP]), {**_distribution("a", [GROUP]), "Id": "E3EXAMPLE"}]}})
    with stub:
        found = {d.value("id"): (d.value("has_origin_failover"), d.value("origin_failover_status_codes"))
                 for d in KINDS["cloudfront_distribution"].collect(reader, REGION)}
    # a group that serves nothing is no failover, and its status codes are not the distribution's
    assert found == {"E2EXAMPLE": (True, [500, 503]), "E3EXAMPLE": (False, [])}


def test_s3_replication_reads_enabled_rule_destinations_by_bucket_name():
    reader, stub = stubbed("s3", "us-east-1")
    regional = Stubber(reader.client("s3", REGION))
    stub.add_response("list_buckets", {"Buckets": [{"Name": "front", "BucketRegion": REGION}], "Owner": {"ID": "o"}})
    regional.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": "front"})
    regional.add_response("get_bucket_replication", {"ReplicationConfiguration": {
        "Role": "arn:aws:iam::111122223333:role/r", "Rules": [
            {"ID": "on", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
             "DeleteMarkerReplication": {"Status": "Enabled"},
             "Destination": {"Bucket": "arn:aws:s3:::front-dr",
                             "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}}}},
            {"ID": "off", "Status": "Disabled", "Priority": 2, "Filter": {"Prefix": "tmp/"},
             "Destination": {"Bucket": "arn:aws:s3:::front-old"}}]}}, {"Bucket": "front"})
    with stub, regional:
        [bucket] = KINDS["s3_bucket"].collect(reader, REGION)
    assert bucket.value("versioning") == "Enabled"
    assert bucket.value("replication_destination_buckets") == ["front-dr"]
    # only the enabled rule counts: it has RTC at 15 minutes and replicates delete markers
    assert bucket.value("replication_time_minutes") == 15
    assert bucket.value("delete_marker_replication") is True


def test_s3_replication_without_rtc_on_one_enabled_rule_has_no_replication_time():
    reader, stub = stubbed("s3", "us-east-1")
    regional = Stubber(reader.client("s3", REGION))
    stub.add_response("list_buckets", {"Buckets": [{"Name": "logs", "BucketRegion": REGION}], "Owner": {"ID": "o"}})
    regional.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": "logs"})
    regional.add_response("get_bucket_replication", {"ReplicationConfiguration": {
        "Role": "arn:aws:iam::111122223333:role/r", "Rules": [
            {"ID": "rtc", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": "a/"},
             "DeleteMarkerReplication": {"Status": "Enabled"},
             "Destination": {"Bucket": "arn:aws:s3:::logs-dr",
                             "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}}}},
            {"ID": "plain", "Status": "Enabled", "Priority": 2, "Filter": {"Prefix": "b/"},
             "DeleteMarkerReplication": {"Status": "Disabled"},
             "Destination": {"Bucket": "arn:aws:s3:::logs-dr"}}]}}, {"Bucket": "logs"})
    with stub, regional:
        [bucket] = KINDS["s3_bucket"].collect(reader, REGION)
    assert bucket.value("replication_time_minutes") is None
    assert bucket.value("delete_marker_replication") is False


def test_auto_scaling_groups_name_their_target_groups_from_the_arns():
    reader, stub = stubbed("autoscaling", "ap-northeast-1")
    stub.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [{
        "AutoScalingGroupName": "web", "AutoScalingGroupARN": "arn:aws:autoscaling:ap-northeast-1:111122223333:"
        "autoScalingGroup:1a2b:autoScalingGroupName/web", "MinSize": 0, "MaxSize": 3, "DesiredCapacity": 0,
        "DefaultCooldown": 300, "AvailabilityZones": ["ap-northeast-1a"], "HealthCheckType": "ELB",
        "CreatedTime": "2026-01-01T00:00:00Z",
        "TargetGroupARNs": ["arn:aws:elasticloadbalancing:ap-northeast-1:111122223333:targetgroup/web-tg/0123456789abcdef"]}]})
    with stub:
        [group] = KINDS["autoscaling_group"].collect(reader, "ap-northeast-1")
    assert (group.value("min_size"), group.value("desired_capacity"), group.value("max_size")) == (0, 0, 3)
    assert group.value("target_groups") == ["web-tg"] and group.value("health_check_type") == "ELB"


def test_elasticache_replication_groups_read_enabled_flags_from_their_strings():
    reader, stub = stubbed("elasticache")
    stub.add_response("describe_replication_groups", {"ReplicationGroups": [{
        "ReplicationGroupId": "cache", "ARN": f"arn:aws:elasticache:{REGION}:111122223333:replicationgroup:cache",
        "AutomaticFailover": "disabling", "MultiAZ": "enabled", "CacheNodeType": "cache.t3.medium",
        "TransitEncryptionEnabled": True, "AtRestEncryptionEnabled": False, "SnapshotRetentionLimit": 30}]})
    with stub:
        [group] = KINDS["elasticache_replication_group"].collect(reader, REGION)
    assert group.value("automatic_failover") is False  # being switched off is not on
    assert (group.value("multi_az"), group.value("transit_encryption"), group.value("at_rest_encryption")) == (
        True, True, False)


def test_inline_role_policies_are_read_as_allowed_actions_and_resources():
    reader, stub = stubbed("iam", "us-east-1")
    # the wire form is URL-encoded JSON; a Deny statement grants nothing
    document = ("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
                "%22Action%22%3A%22dynamodb%3AGetItem%22%2C%22Resource%22%3A%5B%22arn%3Aaws%3Adynamodb%3A%2A%3A%2A"
                "%3Atable%2Fapp-%2A%22%5D%7D%2C%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22%2A%22%2C"
                "%22Resource%22%3A%22%2A%22%7D%5D%7D")
    stub.add_response("get_account_authorization_details", {"RoleDetailList": [{
        "RoleName": "app", "RoleId": "AROAEXAMPLE0000000000", "Arn": "arn:aws:iam::111122223333:role/app",
        "Path": "/", "CreateDate": "2026-01-01T00:00:00Z",
        "RolePolicyList": [{"PolicyName": "ddb", "PolicyDocument": document}]}], "IsTruncated": False},
        {"Filter": ["Role"]})
    with stub:
        [policy] = KINDS["iam_role_policy"].collect(reader, REGION)
    assert (policy.value("role"), policy.value("name")) == ("app", "ddb")
    assert policy.value("actions") == ["dynamodb:GetItem"]
    assert policy.value("resources") == ["arn:aws:dynamodb:*:*:table/app-*"]


def test_secret_replicas_come_from_describe_secret_and_replicas_are_not_counted_twice():
    reader, stub = stubbed("secretsmanager")
    arn = f"arn:aws:secretsmanager:{REGION}:111122223333:secret:app/db-AbCdEf"
    stub.add_response("list_secrets", {"SecretList": [
        {"ARN": arn, "Name": "app/db", "PrimaryRegion": REGION},
        {"ARN": "arn:aws:secretsmanager:us-west-2:111122223333:secret:other-XyZ", "Name": "other",
         "PrimaryRegion": "us-west-2"}]})
    stub.add_response("describe_secret", {"ARN": arn, "Name": "app/db", "ReplicationStatus": [
        {"Region": "ap-northeast-1", "Status": "InSync"}]}, {"SecretId": arn})
    with stub:
        found = KINDS["secretsmanager_secret"].collect(reader, REGION)
    assert [(s.value("name"), s.value("replica_regions")) for s in found] == [("app/db", ["ap-northeast-1"])]


def test_a_cross_region_read_replica_names_its_source_and_region_from_the_arn():
    reader, stub = stubbed("rds", "ap-northeast-1")
    stub.add_response("describe_db_instances", {"DBInstances": [{
        "DBInstanceIdentifier": "dr-replica", "DBInstanceArn": "arn:aws:rds:ap-northeast-1:111122223333:db:dr-replica",
        "Engine": "mysql", "EngineVersion": "8.4.7", "DBInstanceClass": "db.t3.micro", "MultiAZ": False,
        "BackupRetentionPeriod": 7, "PreferredBackupWindow": "18:45-19:15", "StorageEncrypted": True,
        "Endpoint": {"Address": "x", "Port": 3306}, "DBSubnetGroup": {"DBSubnetGroupName": "dr-db"},
        "KmsKeyId": "arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "ReadReplicaSourceDBInstanceIdentifier": "arn:aws:rds:ap-northeast-2:111122223333:db:main-db"}]})
    with stub:
        [replica] = KINDS["rds_instance"].collect(reader, "ap-northeast-1")
    assert (replica.value("replicate_source_identifier"), replica.value("replicate_source_region"),
            replica.value("is_read_replica"), replica.value("db_subnet_group")) == (
        "main-db", "ap-northeast-2", True, "dr-db")
    assert replica.value("kms_key_region") == "ap-northeast-1" and replica.value("deletion_protection") is False


def test_ecr_registry_replication_rules_keep_destinations_and_prefixes():
    reader, stub = stubbed("ecr")
    stub.add_response("describe_registry", {"registryId": "111122223333", "replicationConfiguration": {"rules": [
        {"destinations": [{"region": "ap-northeast-1", "registryId": "111122223333"}],
         "repositoryFilters": [{"filter": "svc-", "filterType": "PREFIX_MATCH"}]}]}})
    with stub:
        [registry] = KINDS["ecr_replication"].collect(reader, REGION)
    assert registry.value("rules") == [{"destinations": ["ap-northeast-1"], "prefixes": ["svc-"]}]
    assert registry.value("destination_regions") == ["ap-northeast-1"]
