"""The ``kinesis_firehose_delivery_stream`` kind: Terraform (the destination block's buffering_interval,
else the provider's documented default for that destination), the collector against Firehose's
response shapes (Stubber: ListDeliveryStreams read to its last page by HasMoreDeliveryStreams and
ExclusiveStartDeliveryStreamName, a stream that is not ACTIVE, Redshift's buffering in its
intermediate bucket, a description that cannot be read) and the sandbox."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.terraform.values import Unknown
from tests.conftest import one

REGION = "eu-west-1"
ACCOUNT = "123456789012"
KIND = "kinesis_firehose_delivery_stream"


# ----- Terraform ---------------------------------------------------------------------

def _stream_tf(name: str, destination: str, block: str) -> str:
    return f'''
    resource "aws_kinesis_firehose_delivery_stream" "{name}" {{
      name        = "{name}"
      destination = "{destination}"
      {block}
    }}
'''


def test_terraform_reads_the_written_interval_and_the_documented_default(tree):
    inventory = tree({"main.tf": '''
    provider "aws" {
      region = "eu-west-1"
    }
''' + _stream_tf("written", "extended_s3", '''extended_s3_configuration {
        role_arn           = "arn:aws:iam::1:role/r"
        bucket_arn         = "arn:aws:s3:::logs"
        buffering_interval = 120
      }''') + _stream_tf("defaulted", "extended_s3", '''extended_s3_configuration {
        role_arn   = "arn:aws:iam::1:role/r"
        bucket_arn = "arn:aws:s3:::logs"
      }''') + _stream_tf("splunk", "splunk", '''splunk_configuration {
        hec_endpoint = "https://splunk.example.com:443"
      }''') + _stream_tf("redshift", "redshift", '''redshift_configuration {
        cluster_jdbcurl = "jdbc:redshift://x"
        data_table_name = "t"
        role_arn        = "arn:aws:iam::1:role/r"
        s3_configuration {
          role_arn           = "arn:aws:iam::1:role/r"
          bucket_arn         = "arn:aws:s3:::staging"
          buffering_interval = 600
        }
      }''')})
    written = one(inventory, KIND, name="written")
    assert (written.value("destination"), written.value("buffering_interval"), written.value("status")) == (
        "extended_s3", 120, "ACTIVE")
    defaulted = one(inventory, KIND, name="defaulted")
    assert defaulted.value("buffering_interval") == 300 and "provider default" in defaulted.attributes[
        "buffering_interval"].note
    assert one(inventory, KIND, name="splunk").value("buffering_interval") == 60  # Splunk's own default
    assert one(inventory, KIND, name="redshift").value("buffering_interval") == 600  # the intermediate bucket's


def test_terraform_leaves_the_interval_unknown_when_the_destination_is(tree):
    inventory = tree({"main.tf": '''
    variable "destination" {
      type = string
    }
''' + _stream_tf("open", "${var.destination}", "")})
    assert isinstance(one(inventory, KIND, name="open").value("buffering_interval"), Unknown)


# ----- the account: Firehose's response shapes -----------------------------------------------

def _stubbed():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("firehose", REGION))


def _description(name: str, status: str, destination: dict) -> dict:
    return {"DeliveryStreamDescription": {
        "DeliveryStreamName": name, "DeliveryStreamARN": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{name}",
        "DeliveryStreamStatus": status, "DeliveryStreamType": "DirectPut", "VersionId": "1",
        "CreateTimestamp": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "Destinations": [{"DestinationId": "destinationId-000000000001", **destination}], "HasMoreDestinations": False}}


def _s3(interval: int) -> dict:
    return {"RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::logs",
            "BufferingHints": {"IntervalInSeconds": interval, "SizeInMBs": 5}, "CompressionFormat": "UNCOMPRESSED",
            "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"}}


def test_streams_are_listed_to_the_last_page_and_only_active_ones_count():
    reader, stub = _stubbed()
    stub.add_response("list_delivery_streams", {"DeliveryStreamNames": ["logs-a"], "HasMoreDeliveryStreams": True}, {})
    stub.add_response("list_delivery_streams", {"DeliveryStreamNames": ["logs-b", "logs-c"],
                                                "HasMoreDeliveryStreams": False},
                      {"ExclusiveStartDeliveryStreamName": "logs-a"})
    stub.add_response("describe_delivery_stream", _description(
        "logs-a", "ACTIVE", {"ExtendedS3DestinationDescription": _s3(300), "S3DestinationDescription": _s3(300)}),
        {"DeliveryStreamName": "logs-a"})
    stub.add_response("describe_delivery_stream", _description("logs-b", "CREATING_FAILED", {
        "ExtendedS3DestinationDescription": _s3(60), "S3DestinationDescription": _s3(60)}),
        {"DeliveryStreamName": "logs-b"})
    stub.add_response("describe_delivery_stream", _description("logs-c", "ACTIVE", {
        "RedshiftDestinationDescription": {
            "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "ClusterJDBCURL": "jdbc:redshift://x",
            "CopyCommand": {"DataTableName": "t"}, "Username": "u", "S3DestinationDescription": _s3(900)}}),
        {"DeliveryStreamName": "logs-c"})
    with stub:
        found = {r.value("name"): r for r in KINDS[KIND].collect(reader, REGION)}
    stub.assert_no_pending_responses()
    assert set(found) == {"logs-a", "logs-b", "logs-c"}  # the second page is read
    assert [found["logs-a"].value(n) for n in ("status", "destination", "buffering_interval")] == [
        "ACTIVE", "extended_s3", 300]
    assert found["logs-a"].out_of_service is None
    assert found["logs-b"].out_of_service.startswith("DeliveryStreamStatus CREATING_FAILED")
    assert (found["logs-c"].value("destination"), found["logs-c"].value("buffering_interval")) == ("redshift", 900)


def test_a_description_that_cannot_be_read_leaves_the_stream_unreadable():
    reader, stub = _stubbed()
    stub.add_response("list_delivery_streams", {"DeliveryStreamNames": ["logs-a"], "HasMoreDeliveryStreams": False}, {})
    stub.add_client_error("describe_delivery_stream", "AccessDeniedException", "denied", 400)
    with stub:
        (stream,) = KINDS[KIND].collect(reader, REGION)
    assert isinstance(stream.value("buffering_interval"), Unreadable)
    assert isinstance(stream.value("status"), Unreadable)


@pytest.mark.parametrize("status", ["CREATING", "DELETING", "DELETING_FAILED"])
def test_a_stream_that_is_not_active_meets_no_row(status):
    reader, stub = _stubbed()
    stub.add_response("list_delivery_streams", {"DeliveryStreamNames": ["logs-a"], "HasMoreDeliveryStreams": False}, {})
    stub.add_response("describe_delivery_stream", _description(
        "logs-a", status, {"ExtendedS3DestinationDescription": _s3(300)}), {"DeliveryStreamName": "logs-a"})
    with stub:
        (stream,) = KINDS[KIND].collect(reader, REGION)
    assert stream.out_of_service.startswith(f"DeliveryStreamStatus {status}")


# ----- the sandbox ---------------------------------------------------------------------------

def test_the_sandbox_serves_what_the_collector_reads(reader_for, sandbox):
    firehose = sandbox.session().client("firehose", region_name=REGION, endpoint_url=sandbox.url)
    for name, interval in (("logs-a", 300), ("logs-b", 600)):
        firehose.create_delivery_stream(DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                                        ExtendedS3DestinationConfiguration={
                                            "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose",
                                            "BucketARN": "arn:aws:s3:::logs",
                                            "BufferingHints": {"IntervalInSeconds": interval, "SizeInMBs": 5}})
    found = {r.value("name"): r for r in KINDS[KIND].collect(reader_for(), REGION)}
    assert {name: (r.value("status"), r.value("destination"), r.value("buffering_interval"))
            for name, r in found.items()} == {"logs-a": ("ACTIVE", "extended_s3", 300),
                                              "logs-b": ("ACTIVE", "extended_s3", 600)}
