"""``s3_bucket``'s default encryption and replication-rule attributes: Terraform (the split
resources, the provider v3 inline blocks, S3's defaults), the collector against AWS's
response shapes (Stubber: "no configuration" as an answer, a disabled rule, tag filters, a
second page), the sandbox (with its default-encryption shim) and the FileFlow rows failing
on planted evidence."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.evaluate import evaluate_full
from dr_audit.findings import Status
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.values import Unknown
from tests.conftest import REPO, one

PRIMARY, DR = "ap-northeast-2", "ap-northeast-1"
ACCOUNT = "123456789012"
FILEFLOW = REPO / "policies" / "fileflow-hybrid.yaml"
FILEFLOW_REMEDIATED = REPO / "fixtures" / "terraform" / "fileflow-remediated"

ENCRYPTION = ("sse_algorithm", "sse_kms_key_region", "bucket_key_enabled")
RULES = ("replication_role", "replication_rule_ids", "replication_prefixes", "replication_storage_class",
         "replica_kms_key_region", "replication_metrics", "replication_metrics_minutes")

SPLIT_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
    resource "aws_kms_key" "dr" {{
      provider = aws.dr
    }}
    resource "aws_iam_role" "replication" {{
      name = "replicator"
    }}
    resource "aws_s3_bucket" "source" {{
      bucket = "orders-source"
    }}
    resource "aws_s3_bucket" "copy" {{
      provider = aws.dr
      bucket   = "orders-copy"
    }}
    resource "aws_s3_bucket_server_side_encryption_configuration" "copy" {{
      provider = aws.dr
      bucket   = aws_s3_bucket.copy.id
      rule {{
        apply_server_side_encryption_by_default {{
          sse_algorithm     = "aws:kms"
          kms_master_key_id = aws_kms_key.dr.arn
        }}
        bucket_key_enabled = true
      }}
    }}
    resource "aws_s3_bucket_replication_configuration" "source" {{
      bucket = aws_s3_bucket.source.id
      role   = aws_iam_role.replication.arn
      rule {{
        id     = "everything"
        status = "Enabled"
        filter {{}}
        destination {{
          bucket        = aws_s3_bucket.copy.arn
          storage_class = "STANDARD_IA"
          encryption_configuration {{
            replica_kms_key_id = aws_kms_key.dr.arn
          }}
          metrics {{
            status = "Enabled"
            event_threshold {{
              minutes = 15
            }}
          }}
        }}
      }}
      rule {{
        id     = "tagged"
        status = "Enabled"
        filter {{
          and {{
            prefix = "logs/"
            tags   = {{ tier = "gold" }}
          }}
        }}
        destination {{
          bucket        = aws_s3_bucket.copy.arn
          storage_class = "STANDARD_IA"
          encryption_configuration {{
            replica_kms_key_id = aws_kms_key.dr.arn
          }}
          metrics {{
            status = "Enabled"
            event_threshold {{
              minutes = 15
            }}
          }}
        }}
      }}
      rule {{
        id     = "paused"
        status = "Disabled"
        filter {{
          prefix = "tmp/"
        }}
        destination {{
          bucket        = aws_s3_bucket.copy.arn
          storage_class = "GLACIER"
        }}
      }}
    }}
'''}

INLINE_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    resource "aws_s3_bucket" "legacy" {{
      bucket = "orders-legacy"
      server_side_encryption_configuration {{
        rule {{
          apply_server_side_encryption_by_default {{
            sse_algorithm = "aws:kms"
          }}
        }}
      }}
      replication_configuration {{
        role = "arn:aws:iam::{ACCOUNT}:role/service-role/legacy-replicator"
        rules {{
          status = "Enabled"
          prefix = "data/"
          destination {{
            bucket             = "arn:aws:s3:::orders-elsewhere"
            replica_kms_key_id = "arn:aws:kms:{DR}:{ACCOUNT}:key/abcd"
            metrics {{
              status  = "Enabled"
              minutes = 15
            }}
          }}
        }}
      }}
    }}
'''}


def _values(resource, names):
    return [resource.value(name) for name in names]


# ----- Terraform -------------------------------------------------------------------

def test_split_resources_give_the_encryption_and_the_enabled_rules_settings(tree):
    inventory = tree(SPLIT_TF)
    copy = one(inventory, "s3_bucket", name="orders-copy")
    # the key's ARN is known only after apply, but the region of the provider that declares it is not
    assert _values(copy, ENCRYPTION) == ["aws:kms", DR, True]
    source = one(inventory, "s3_bucket", name="orders-source")
    # the Disabled rule ("paused", GLACIER) is no replication: it shows nowhere
    assert _values(source, RULES) == ["replicator", ["everything", "tagged"], ["", "logs/[tier=gold]"],
                                      "STANDARD_IA", DR, True, 15]


def test_a_bucket_without_encryption_in_code_has_s3s_default(tree):
    source = one(tree(SPLIT_TF), "s3_bucket", name="orders-source")
    assert _values(source, ENCRYPTION) == ["AES256", None, False]
    assert "SSE-S3 by default" in source.attributes["sse_algorithm"].note


def test_provider_v3_inline_blocks_are_read_too(tree):
    legacy = one(tree(INLINE_TF), "s3_bucket", name="orders-legacy")
    # aws:kms without a key: the region's aws/s3 key; no storage class: the source object's
    assert _values(legacy, ENCRYPTION) == ["aws:kms", PRIMARY, False]
    assert _values(legacy, RULES[2:]) == [["data/"], None, DR, True, 15]
    # a role written as an ARN is named by its last path segment; a rule without an id gets one from S3
    assert legacy.value("replication_role") == "legacy-replicator"
    assert isinstance(legacy.value("replication_rule_ids"), Unknown)


def test_an_unnamed_rule_id_is_unknown_and_rules_without_metrics_have_none(tree):
    files = {"main.tf": SPLIT_TF["main.tf"].replace('id     = "everything"\n', "").replace(
        '''          metrics {
            status = "Enabled"
            event_threshold {
              minutes = 15
            }
          }
        }
      }
      rule {
        id     = "tagged"''', '''        }
      }
      rule {
        id     = "tagged"''')}
    source = one(tree(files), "s3_bucket", name="orders-source")
    assert isinstance(source.value("replication_rule_ids"), Unknown)
    assert "S3 assigns one" in source.value("replication_rule_ids").reason
    assert (source.value("replication_metrics"), source.value("replication_metrics_minutes")) == (False, None)


def test_an_encryption_configuration_that_may_name_the_bucket_is_unknown(tree):
    files = {"main.tf": SPLIT_TF["main.tf"].replace("bucket   = aws_s3_bucket.copy.id", "bucket   = var.name")
             + 'variable "name" {\n  type = string\n}\n'}
    copy = one(tree(files), "s3_bucket", name="orders-copy")
    for name in ENCRYPTION:
        assert isinstance(copy.value(name), Unknown), name


# ----- the account: AWS's response shapes ------------------------------------------

def _stubbed():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("s3", reader.global_region)), Stubber(reader.client("s3", PRIMARY))


def _rule(rule_id: str, status: str = "Enabled", **more) -> dict:
    destination = {"Bucket": "arn:aws:s3:::orders-copy", "StorageClass": "STANDARD_IA",
                   "EncryptionConfiguration": {"ReplicaKmsKeyID": f"arn:aws:kms:{DR}:{ACCOUNT}:key/abcd"},
                   "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}}
    return {"ID": rule_id, "Priority": 1, "Status": status, "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Enabled"}, "Destination": destination, **more}


def test_the_collector_reads_every_page_no_configuration_as_an_answer_and_only_enabled_rules():
    reader, listing, stub = _stubbed()
    bucket = lambda name: {"Name": name, "CreationDate": "2026-01-01T00:00:00Z", "BucketRegion": PRIMARY}
    listing.add_response("list_buckets", {"Buckets": [bucket("orders-source")], "ContinuationToken": "t"},
                         {"MaxBuckets": 10_000})
    listing.add_response("list_buckets", {"Buckets": [bucket("orders-plain"), bucket("orders-denied")]},
                         {"MaxBuckets": 10_000, "ContinuationToken": "t"})
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": "orders-source"})
    stub.add_response("get_bucket_encryption", {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/orders"},
         "BucketKeyEnabled": True}]}}, {"Bucket": "orders-source"})
    stub.add_response("get_bucket_replication", {"ReplicationConfiguration": {
        "Role": f"arn:aws:iam::{ACCOUNT}:role/service-role/replicator",
        "Rules": [_rule("everything"),
                  _rule("tagged", Filter={"And": {"Prefix": "logs/", "Tags": [{"Key": "tier", "Value": "gold"}]}}),
                  _rule("paused", "Disabled", Filter={"Tag": {"Key": "tmp", "Value": "1"}})]}},
        {"Bucket": "orders-source"})
    stub.add_response("get_bucket_versioning", {}, {"Bucket": "orders-plain"})
    stub.add_client_error("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError", "none", 404,
                          expected_params={"Bucket": "orders-plain"})
    stub.add_client_error("get_bucket_replication", "ReplicationConfigurationNotFoundError", "none", 404,
                          expected_params={"Bucket": "orders-plain"})
    stub.add_response("get_bucket_versioning", {}, {"Bucket": "orders-denied"})
    stub.add_client_error("get_bucket_encryption", "AccessDenied", "no", 403, expected_params={"Bucket": "orders-denied"})
    stub.add_client_error("get_bucket_replication", "AccessDenied", "no", 403,
                          expected_params={"Bucket": "orders-denied"})
    with listing, stub:
        buckets = {b.value("name"): b for b in KINDS["s3_bucket"].collect(reader, PRIMARY)}
    listing.assert_no_pending_responses()
    stub.assert_no_pending_responses()
    source = buckets["orders-source"]
    # an alias names a key of the bucket's own region
    assert _values(source, ENCRYPTION) == ["aws:kms", PRIMARY, True]
    assert _values(source, RULES) == ["replicator", ["everything", "tagged"], ["", "logs/[tier=gold]"],
                                      "STANDARD_IA", DR, True, 15]
    assert "paused (Status Disabled" in source.attributes["replication_rule_ids"].note
    # "no configuration" is what the bucket has, not a failed read
    plain = buckets["orders-plain"]
    assert _values(plain, ENCRYPTION + RULES) == [None, None, False, None, [], [], None, None, False, None]
    denied = buckets["orders-denied"]
    for name in ENCRYPTION + RULES:
        assert isinstance(denied.value(name), Unreadable), name


def test_rules_that_differ_show_every_value_and_a_rule_without_metrics_has_no_threshold():
    reader, listing, stub = _stubbed()
    listing.add_response("list_buckets", {"Buckets": [
        {"Name": "mixed", "CreationDate": "2026-01-01T00:00:00Z", "BucketRegion": PRIMARY}]}, {"MaxBuckets": 10_000})
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": "mixed"})
    stub.add_response("get_bucket_encryption", {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}, {"Bucket": "mixed"})
    other = _rule("cold")
    other["Destination"] = {"Bucket": "arn:aws:s3:::orders-copy", "StorageClass": "GLACIER"}
    stub.add_response("get_bucket_replication", {"ReplicationConfiguration": {
        "Role": f"arn:aws:iam::{ACCOUNT}:role/replicator", "Rules": [_rule("warm"), other]}}, {"Bucket": "mixed"})
    with listing, stub:
        [mixed] = KINDS["s3_bucket"].collect(reader, PRIMARY)
    assert _values(mixed, ENCRYPTION) == ["AES256", None, False]
    assert _values(mixed, RULES[3:]) == ["GLACIER, STANDARD_IA", f"None, {DR}", False, None]


# ----- the sandbox -----------------------------------------------------------------

def test_the_sandbox_reports_s3s_default_encryption_and_the_replication_rules(sandbox, reader_for):
    s3 = sandbox.session().client("s3", region_name=PRIMARY, endpoint_url=sandbox.url)
    for name in ("orders-source", "orders-copy"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": PRIMARY})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket="orders-source", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{ACCOUNT}:role/replicator",
        "Rules": [_rule("everything"), _rule("paused", "Disabled", Filter={"Prefix": "tmp/"})]})
    s3.put_bucket_encryption(Bucket="orders-copy", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                "KMSMasterKeyID": f"arn:aws:kms:{DR}:{ACCOUNT}:key/abcd"},
         "BucketKeyEnabled": True}]})
    inventory = collect_aws(reader_for(), {"s3_bucket": {PRIMARY}})
    assert inventory.errors == []
    source = one(inventory, "s3_bucket", name="orders-source")
    # moto alone answers "no configuration"; AWS (and the shim) answer SSE-S3, the default of every bucket
    assert _values(source, ENCRYPTION) == ["AES256", None, False]
    assert _values(source, RULES) == ["replicator", ["everything"], [""], "STANDARD_IA", DR, True, 15]
    assert _values(one(inventory, "s3_bucket", name="orders-copy"), ENCRYPTION) == ["aws:kms", DR, True]


# ----- the FileFlow rows on planted evidence ---------------------------------------

def _fileflow_findings(reader_for, plant) -> dict:
    """Every FileFlow s3_bucket row on the remediated code and the remediated estate after ``plant(s3 clients)``."""
    policy = load_policy(FILEFLOW)
    reader_for("fileflow-remediated")
    plant()
    live = collect_aws(reader_for(), {"s3_bucket": {PRIMARY, DR}})
    code = collect_terraform(FILEFLOW_REMEDIATED, {r.name: r.terraform_root for r in policy.roles.values()
                                                   if r.terraform_root})
    # measured rows read CloudWatch series too: tests/test_measured_*.py cover those
    return {row.id: evaluate_full(row, policy, code, live) for row in policy.rows
            if row.kind == "s3_bucket" and row.measure is None}


def test_the_fileflow_rows_pass_on_the_remediated_estate(reader_for):
    findings = _fileflow_findings(reader_for, lambda: None)
    assert {i: f.status for i, f in findings.items() if f.status is not Status.PASS} == {}


def test_the_fileflow_rows_drift_on_a_console_replication_and_an_unencrypted_dr_bucket(sandbox, reader_for):
    def plant():
        s3 = sandbox.session().client("s3", region_name=PRIMARY, endpoint_url=sandbox.url)
        s3.put_bucket_replication(Bucket="ryuqqq-logs", ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/console-replicator",
            "Rules": [{"ID": "console", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "2026/"},
                       "DeleteMarkerReplication": {"Status": "Enabled"},
                       "Destination": {"Bucket": "arn:aws:s3:::ryuqqq-dr-logs", "StorageClass": "STANDARD",
                                       "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                                       "Metrics": {"Status": "Disabled"}}}]})
        dr = sandbox.session().client("s3", region_name=DR, endpoint_url=sandbox.url)
        dr.delete_bucket_encryption(Bucket="ryuqqq-dr-logs")

    findings = _fileflow_findings(reader_for, plant)
    drift = {"S3-CRR-ROLE", "S3-CRR-RULE-ID", "S3-CRR-EVERY-OBJECT", "S3-CRR-STORAGE-CLASS", "S3-CRR-REPLICA-KMS-REGION",
             "S3-CRR-METRICS", "S3-CRR-METRICS-THRESHOLD", "S3-SSE-KMS-DR", "S3-SSE-KEY-REGION-DR", "S3-BUCKET-KEY-DR"}
    assert {i for i, f in findings.items() if f.status is Status.DRIFT} == drift
    assert findings["S3-CRR-EVERY-OBJECT"].live.value == ["2026/"]
    assert findings["S3-SSE-KMS-DR"].live.value == "AES256"


def test_a_disabled_rule_is_no_replication_for_the_fileflow_rows(sandbox, reader_for):
    def plant():
        s3 = sandbox.session().client("s3", region_name=PRIMARY, endpoint_url=sandbox.url)
        config = s3.get_bucket_replication(Bucket="ryuqqq-logs")["ReplicationConfiguration"]
        for rule in config["Rules"]:
            rule["Status"] = "Disabled"
        s3.put_bucket_replication(Bucket="ryuqqq-logs", ReplicationConfiguration=config)

    findings = _fileflow_findings(reader_for, plant)
    assert findings["S3-CRR-DESTINATION"].status is Status.DRIFT
    assert findings["S3-CRR-RULE-ID"].live.value == []
    assert findings["S3-CRR-ROLE"].status is Status.DRIFT
