"""Route 53 record targets (``records``, ``evaluate_target_health``) and CloudWatch alarm
``dimensions``: from Terraform, from botocore-shaped responses and from the sandbox, alike."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.kinds import KINDS
from dr_audit.terraform.values import Unknown
from tests.conftest import one

REGION = "eu-west-1"
ZONE_ID = "Z0123456789ABCDEFGHIJ"

RECORDS_TF = """\
provider "aws" {
  region = "eu-west-1"
}
resource "aws_route53_zone" "main" {
  name = "example.com"
}
resource "aws_route53_record" "api" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "api"
  type    = "CNAME"
  ttl     = 60
  records = ["lb-2.example.net.", "lb-1.example.net"]
}
resource "aws_route53_record" "spf" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "example.com"
  type    = "TXT"
  ttl     = 300
  records = ["v=spf1 -all"]
}
resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www"
  type    = "A"
  alias {
    name                   = "dualstack.lb.example.net."
    zone_id                = "Z1"
    evaluate_target_health = true
  }
}
resource "aws_route53_record" "half" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "half"
  type    = "A"
  alias {
    name    = "lb.example.net"
    zone_id = "Z1"
  }
}
"""


def test_terraform_records_and_alias_target_health(tree):
    inventory = tree({"main.tf": RECORDS_TF})
    api = one(inventory, "route53_record", name="api.example.com")
    assert api.value("records") == ["lb-1.example.net", "lb-2.example.net"]
    assert api.value("evaluate_target_health") is None
    assert one(inventory, "route53_record", name="example.com").value("records") == ["v=spf1 -all"]
    www = one(inventory, "route53_record", name="www.example.com")
    assert www.value("records") is None and www.value("evaluate_target_health") is True
    half = one(inventory, "route53_record", name="half.example.com")
    assert isinstance(half.value("evaluate_target_health"), Unknown)


def test_terraform_records_unresolved_are_unknown(tree):
    inventory = tree({"main.tf": """\
variable "target" {}
resource "aws_route53_record" "api" {
  zone_id = "Z1"
  name    = "api.example.com"
  type    = "CNAME"
  records = [var.target]
}
"""})
    assert not one(inventory, "route53_record").attributes["records"].known


def _stubbed(service: str, region: str) -> tuple[AwsReader, Stubber]:
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client(service, region))


def test_live_records_over_two_pages_match_terraforms_shape():
    reader, stub = _stubbed("route53", "us-east-1")
    stub.add_response("list_hosted_zones", {"HostedZones": [
        {"Id": f"/hostedzone/{ZONE_ID}", "Name": "example.com.", "CallerReference": "r"}],
        "Marker": "", "IsTruncated": False, "MaxItems": "100"})
    stub.add_response("list_resource_record_sets", {"ResourceRecordSets": [
        {"Name": "api.example.com.", "Type": "CNAME", "TTL": 60,
         "ResourceRecords": [{"Value": "lb-2.example.net."}, {"Value": "lb-1.example.net"}]}],
        "IsTruncated": True, "NextRecordName": "example.com.", "NextRecordType": "TXT", "MaxItems": "1"},
        {"HostedZoneId": ZONE_ID})
    stub.add_response("list_resource_record_sets", {"ResourceRecordSets": [
        {"Name": "example.com.", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"v=spf1 -all"'}]},
        {"Name": "www.example.com.", "Type": "A", "AliasTarget": {
            "HostedZoneId": "Z1", "DNSName": "dualstack.lb.example.net.", "EvaluateTargetHealth": False}}],
        "IsTruncated": False, "MaxItems": "100"},
        {"HostedZoneId": ZONE_ID, "StartRecordName": "example.com.", "StartRecordType": "TXT"})
    with stub:
        records = {r.value("name"): r for r in KINDS["route53_record"].collect(reader, "us-east-1")}
    assert records["api.example.com"].value("records") == ["lb-1.example.net", "lb-2.example.net"]
    assert records["api.example.com"].value("evaluate_target_health") is None
    assert records["example.com"].value("records") == ["v=spf1 -all"]
    assert records["www.example.com"].value("records") is None
    assert records["www.example.com"].value("evaluate_target_health") is False


def test_records_and_target_health_from_the_sandbox(sandbox, reader_for):
    reader = reader_for(None)
    route53 = sandbox.session().client("route53", region_name=reader.global_region, endpoint_url=sandbox.url)
    zone = route53.create_hosted_zone(Name="example.com", CallerReference="c")["HostedZone"]["Id"]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "api.example.com", "Type": "A", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "192.0.2.2"}, {"Value": "192.0.2.1"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.example.com", "Type": "A", "AliasTarget": {
            "HostedZoneId": zone.split("/")[-1], "DNSName": "api.example.com", "EvaluateTargetHealth": True}}}]})
    records = {r.value("name"): r for r in KINDS["route53_record"].collect(reader, reader.global_region)}
    assert records["api.example.com"].value("records") == ["192.0.2.1", "192.0.2.2"]
    assert records["www.example.com"].value("records") is None
    assert records["www.example.com"].value("evaluate_target_health") is True


ALARM_TF = """\
provider "aws" {
  region = "eu-west-1"
}
variable "nothing" {
  default = null
}
resource "aws_cloudwatch_metric_alarm" "lag" {
  alarm_name          = "lag"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "ReplicaLag"
  namespace           = "AWS/RDS"
  period              = 60
  threshold           = 30
  dimensions = {
    DBInstanceIdentifier = "app-db-replica"
    Shard                = 2
    Unused               = var.nothing
  }
}
resource "aws_cloudwatch_metric_alarm" "math" {
  alarm_name          = "math"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = 1
}
"""


def test_terraform_alarm_dimensions(tree):
    inventory = tree({"main.tf": ALARM_TF})
    assert one(inventory, "cloudwatch_alarm", name="lag").value("dimensions") == {
        "DBInstanceIdentifier": "app-db-replica", "Shard": "2"}
    assert one(inventory, "cloudwatch_alarm", name="math").value("dimensions") == {}


def test_live_alarm_dimensions_over_two_pages():
    reader, stub = _stubbed("cloudwatch", REGION)
    arn = f"arn:aws:cloudwatch:{REGION}:111122223333:alarm:"
    stub.add_response("describe_alarms", {"MetricAlarms": [
        {"AlarmName": "lag", "AlarmArn": arn + "lag", "MetricName": "ReplicaLag", "Namespace": "AWS/RDS",
         "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "app-db-replica"}]}], "NextToken": "t"},
        {"AlarmTypes": ["MetricAlarm"]})
    stub.add_response("describe_alarms", {"MetricAlarms": [
        {"AlarmName": "math", "AlarmArn": arn + "math", "Metrics": []}]},
        {"AlarmTypes": ["MetricAlarm"], "NextToken": "t"})
    with stub:
        alarms = {a.value("name"): a for a in KINDS["cloudwatch_alarm"].collect(reader, REGION)}
    assert alarms["lag"].value("dimensions") == {"DBInstanceIdentifier": "app-db-replica"}
    assert alarms["math"].value("dimensions") == {}


def test_alarm_dimensions_from_the_sandbox(sandbox, reader_for):
    reader = reader_for(None)
    sandbox.session().client("cloudwatch", region_name=REGION, endpoint_url=sandbox.url).put_metric_alarm(
        AlarmName="lag", ComparisonOperator="GreaterThanThreshold", EvaluationPeriods=1, MetricName="ReplicaLag",
        Namespace="AWS/RDS", Period=60, Statistic="Maximum", Threshold=30,
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "app-db-replica"}])
    [alarm] = KINDS["cloudwatch_alarm"].collect(reader, REGION)
    assert alarm.value("dimensions") == {"DBInstanceIdentifier": "app-db-replica"}
