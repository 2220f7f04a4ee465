"""``tags`` on every taggable kind: Terraform's tags over the provider's default_tags, and the
account's from one Resource Groups Tagging API listing per region, joined by ARN."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from dr_audit import arns
from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.aws.readonly import read_operations
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS, STR, KindError, declare_kind
from dr_audit.kinds.spec import MAP, TAGS
from dr_audit.terraform.values import Unknown
from tests.conftest import inject_error, one

REGION, OTHER = "eu-west-1", "eu-west-2"
ACCOUNT = "111122223333"


# ----- the declaration ----------------------------------------------------------

def _probe(**change):
    arguments = dict(name="probe_queue", scope="regional", doc="probe", attributes={"name": (STR, "name")},
                     service="sqs", collect=lambda reader, region: [],
                     reads={"sqs": {"ListQueues": "sqs:ListQueues"}})
    arguments.update(change)
    return declare_kind(**arguments)


def test_an_aws_kind_has_tags_and_reads_them_from_the_tagging_api():
    kind = _probe()
    assert kind.tags and kind.attributes[TAGS].type == MAP
    assert kind.reads["resourcegroupstaggingapi"] == {"GetResources": "tag:GetResources"}
    assert kind.reads["sqs"] == {"ListQueues": "sqs:ListQueues"}


def test_a_kind_that_cannot_be_tagged_or_is_not_aws_has_no_tags():
    assert TAGS not in _probe(tags=False).attributes
    assert "resourcegroupstaggingapi" not in _probe(tags=False).reads
    google = declare_kind("probe_bucket", "regional", "probe", attributes={"name": (STR, "name")}, provider="google")
    assert not google.tags and TAGS not in google.attributes
    for name in ("route53_record", "kms_alias", "iam_role_policy", "ecr_replication"):
        assert TAGS not in KINDS[name].attributes, name
    for name in ("vpc", "rds_instance", "route53_zone", "cloudwatch_alarm", "iam_role"):
        assert KINDS[name].attributes[TAGS].type == MAP, name


def test_a_taggable_kind_declaring_tags_of_another_type_is_refused():
    with pytest.raises(KindError, match="must be map"):
        _probe(attributes={"tags": (STR, "a string")})


def test_the_allowlist_has_the_tagging_read():
    assert read_operations()["resourcegroupstaggingapi"] == {"GetResources": "tag:GetResources"}


def test_an_arn_is_built_for_id_addressed_kinds():
    assert arns.of_resource("subnet", "subnet-1", "aws-cn", ACCOUNT, "cn-north-1") == \
        f"arn:aws-cn:ec2:cn-north-1:{ACCOUNT}:subnet/subnet-1"
    assert arns.of_resource("route53_health_check", "abc", "aws", None, None) == "arn:aws:route53:::healthcheck/abc"
    assert arns.of_resource("vpc", "vpc-1", "aws", None, REGION) is None
    assert arns.of_resource("ecr_replication", "ecr registry 1", "aws", ACCOUNT, REGION) is None
    assert arns.tagging_api_gap(f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:u:autoScalingGroupName/a")
    assert arns.tagging_api_gap(f"arn:aws:rds::{ACCOUNT}:global-cluster:g")
    assert arns.tagging_api_gap(f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:c") is None


# ----- Terraform ----------------------------------------------------------------

PROVIDERS = """\
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Owner = "platform", Env = "prod", Shared = null }
  }
}
provider "aws" {
  alias  = "dr"
  region = "eu-west-2"
}
"""


def test_resource_tags_win_over_default_tags_and_null_is_not_set(tree):
    inventory = tree({"main.tf": PROVIDERS + """\
variable "none" {
  default = null
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = { Name = "main", Env = "dr", Gone = var.none, Count = 3, Flag = true }
}
resource "aws_vpc" "plain" {
  cidr_block = "10.1.0.0/16"
  tags       = null
}
"""})
    main = one(inventory, "vpc", name="main")
    assert main.value(TAGS) == {"Owner": "platform", "Env": "dr", "Name": "main", "Count": "3", "Flag": "true"}
    assert (main.attributes[TAGS].file, main.attributes[TAGS].line) == ("root/main.tf", 16)
    assert main.attributes[TAGS].note == "over default_tags (root/main.tf:4)"
    plain = [r for r in inventory.resources if r.address == "aws_vpc.plain"][0]
    assert plain.value(TAGS) == {"Owner": "platform", "Env": "prod"}


def test_each_provider_configuration_gives_its_own_default_tags_down_modules(tree):
    inventory = tree({"main.tf": PROVIDERS + """\
resource "aws_vpc" "dr" {
  provider   = aws.dr
  cidr_block = "10.2.0.0/16"
}
module "in_dr" {
  source    = "./net"
  providers = { aws = aws.dr }
}
module "in_primary" {
  source = "./net"
}
""", "net/main.tf": """\
resource "aws_vpc" "inner" {
  cidr_block = "10.3.0.0/16"
  tags       = { Name = "inner" }
}
"""})
    tags = {r.address: r.value(TAGS) for r in inventory.resources}
    assert tags["aws_vpc.dr"] == {}
    assert tags["module.in_dr.aws_vpc.inner"] == {"Name": "inner"}
    assert tags["module.in_primary.aws_vpc.inner"] == {"Owner": "platform", "Env": "prod", "Name": "inner"}


def test_unresolved_tags_are_unknown(tree):
    inventory = tree({"main.tf": """\
variable "owner" {}
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Owner = var.owner }
  }
}
resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "b" {
  provider   = aws
  vpc_id     = "vpc-1"
  cidr_block = "10.0.1.0/24"
}
"""})
    for resource in inventory.resources:
        assert isinstance(resource.value(TAGS), Unknown), resource.address


def test_a_tag_known_only_after_apply_is_unknown(tree):
    inventory = tree({"main.tf": """\
provider "aws" {
  region = "eu-west-1"
}
resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "b" {
  vpc_id     = aws_vpc.a.id
  cidr_block = "10.0.1.0/24"
  tags       = { Vpc = aws_vpc.a.id }
}
"""})
    subnet = [r for r in inventory.resources if r.kind == "subnet"][0]
    assert isinstance(subnet.value(TAGS), Unknown) and "after apply" in subnet.value(TAGS).reason


def test_auto_scaling_tag_blocks_are_its_tags_without_default_tags(tree):
    inventory = tree({"main.tf": PROVIDERS + """\
resource "aws_autoscaling_group" "web" {
  name     = "web"
  min_size = 1
  max_size = 2
  tag {
    key                 = "Name"
    value               = "web"
    propagate_at_launch = true
  }
}
"""})
    assert one(inventory, "autoscaling_group").value(TAGS) == {"Name": "web"}


def test_a_data_sources_tags_are_unknown(tree):
    inventory = tree({"main.tf": PROVIDERS + """\
data "aws_route53_zone" "main" {
  name = "example.com"
}
"""})
    zone = one(inventory, "route53_zone", mode="data")
    assert isinstance(zone.value(TAGS), Unknown)


# ----- the account: Stubber shapes ----------------------------------------------

def _stubbed_reader() -> AwsReader:
    return AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))


def _vpc_stubs(reader: AwsReader, vpc_ids: list[str]) -> Stubber:
    ec2 = Stubber(reader.client("ec2", REGION))
    ec2.add_response("describe_vpcs", {"Vpcs": [{"VpcId": v, "CidrBlock": "10.0.0.0/16"} for v in vpc_ids]})
    for vpc_id in vpc_ids:
        ec2.add_response("describe_vpc_attribute", {"VpcId": vpc_id, "EnableDnsHostnames": {"Value": True}},
                         {"VpcId": vpc_id, "Attribute": "enableDnsHostnames"})
    return ec2


def test_every_page_of_the_listing_is_joined_by_arn():
    reader = _stubbed_reader()
    reader.account_id = ACCOUNT
    ec2 = _vpc_stubs(reader, ["vpc-1", "vpc-2", "vpc-3"])
    tagging = Stubber(reader.client("resourcegroupstaggingapi", REGION))
    tagging.add_response("get_resources", {"PaginationToken": "next", "ResourceTagMappingList": [
        {"ResourceARN": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1", "Tags": [{"Key": "Name", "Value": "one"}]}]}, {})
    tagging.add_response("get_resources", {"PaginationToken": "", "ResourceTagMappingList": [
        {"ResourceARN": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-2",
         "Tags": [{"Key": "Name", "Value": "two"}, {"Key": "Env", "Value": "prod"}]},
        {"ResourceARN": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-9", "Tags": [{"Key": "Name", "Value": "gone"}]}]},
        {"PaginationToken": "next"})
    with ec2, tagging:
        inventory = collect_aws(reader, {"vpc": {REGION}}, concurrency=1)
    tags = {r.address: r.value(TAGS) for r in inventory.resources}
    # vpc-3 is in no page: the Tagging API lists every tagged EC2 resource, so it has none
    assert tags == {"vpc-1": {"Name": "one"}, "vpc-2": {"Name": "two", "Env": "prod"}, "vpc-3": {}}
    assert [c.page for c in reader.calls() if c.operation == "GetResources"] == [1, 2]


def test_before_sts_names_the_account_an_id_is_matched_on_every_other_arn_field():
    reader = _stubbed_reader()
    ec2 = _vpc_stubs(reader, ["vpc-1"])
    tagging = Stubber(reader.client("resourcegroupstaggingapi", REGION))
    tagging.add_response("get_resources", {"ResourceTagMappingList": [
        {"ResourceARN": f"arn:aws:ec2:{OTHER}:{ACCOUNT}:vpc/vpc-1", "Tags": [{"Key": "Name", "Value": "elsewhere"}]},
        {"ResourceARN": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1", "Tags": [{"Key": "Name", "Value": "here"}]}]}, {})
    with ec2, tagging:
        [vpc] = collect_aws(reader, {"vpc": {REGION}}).resources
    assert vpc.value(TAGS) == {"Name": "here"}


def test_iam_role_tags_come_from_the_authorization_listing_not_the_tagging_api():
    """The Tagging API lists no IAM role; GetAccountAuthorizationDetails carries each role's tags."""
    reader = _stubbed_reader()
    iam = Stubber(reader.client("iam", reader.global_region))
    iam.add_response("get_account_authorization_details", {"RoleDetailList": [
        {"Path": "/", "RoleName": "app", "RoleId": "AROAEXAMPLEEXAMPLE01", "Arn": f"arn:aws:iam::{ACCOUNT}:role/app",
         "CreateDate": "2026-01-01T00:00:00Z", "Tags": [{"Key": "Team", "Value": "payments"}]},
        {"Path": "/", "RoleName": "bare", "RoleId": "AROAEXAMPLEEXAMPLE02", "Arn": f"arn:aws:iam::{ACCOUNT}:role/bare",
         "CreateDate": "2026-01-01T00:00:00Z"}], "IsTruncated": False}, {"Filter": ["Role"]})
    with iam:
        roles = {r.value("name"): r for r in collect_aws(reader, {"iam_role": {REGION}}).resources}
    assert roles["app"].value(TAGS) == {"Team": "payments"}
    assert roles["bare"].value(TAGS) == {}  # the listing gives a tagged role its Tags: none listed is none
    assert not [c for c in reader.calls() if c.operation == "GetResources"]


# ----- the account: the sandbox --------------------------------------------------

def test_sandbox_tags_one_listing_per_region(sandbox, reader_for):
    reader = reader_for(None)
    session = sandbox.session()
    ec2 = session.client("ec2", region_name=REGION, endpoint_url=sandbox.url)
    tagged = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": "main"}, {"Key": "Env", "Value": "prod"}]}])["Vpc"]["VpcId"]
    untagged = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    session.client("ec2", region_name=OTHER, endpoint_url=sandbox.url).create_vpc(
        CidrBlock="10.2.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "dr"}]}])
    route53 = session.client("route53", region_name=reader.global_region, endpoint_url=sandbox.url)
    zone = route53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"].split("/")[-1]
    route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone,
                                     AddTags=[{"Key": "Owner", "Value": "dns"}])
    inventory = collect_aws(reader, {"vpc": {REGION, OTHER}, "subnet": {REGION, OTHER}, "route53_zone": {REGION}})
    assert inventory.errors == []
    tags = {r.address: r.value(TAGS) for r in inventory.resources if r.kind == "vpc"}
    assert tags[tagged] == {"Name": "main", "Env": "prod"} and tags[untagged] == {}
    assert {"Name": "dr"} in tags.values()
    assert [r.value(TAGS) for r in inventory.resources if r.kind == "route53_zone"] == [{"Owner": "dns"}]
    listings = sorted(c.region for c in reader.calls() if c.operation == "GetResources" and c.page == 1)
    assert listings == sorted({REGION, OTHER, reader.global_region})


def test_sandbox_tagging_listing_pages_are_all_read(sandbox, reader_for):
    reader = reader_for(None, page_sizes={"resourcegroupstaggingapi:get_resources": 1})
    ec2 = sandbox.session().client("ec2", region_name=REGION, endpoint_url=sandbox.url)
    for n in range(3):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
            {"Key": "Name", "Value": f"vpc-{n}"}]}])
    inventory = collect_aws(reader, {"vpc": {REGION}})
    names = sorted(r.value(TAGS).get("Name") for r in inventory.resources if r.value(TAGS))
    assert names == ["vpc-0", "vpc-1", "vpc-2"]
    assert max(c.page for c in reader.calls() if c.operation == "GetResources") >= 3


def test_sandbox_eks_and_ecr_tags_are_listed_as_aws_lists_them(sandbox, reader_for):
    reader = reader_for(None)
    session = sandbox.session()
    session.client("ecr", region_name=REGION, endpoint_url=sandbox.url).create_repository(
        repositoryName="app", tags=[{"Key": "Team", "Value": "core"}])
    session.client("eks", region_name=REGION, endpoint_url=sandbox.url).create_cluster(
        name="main", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks", resourcesVpcConfig={"subnetIds": []},
        tags={"Env": "prod"})
    inventory = collect_aws(reader, {"ecr_repository": {REGION}, "eks_cluster": {REGION}})
    assert {r.kind: r.value(TAGS) for r in inventory.resources} == {
        "ecr_repository": {"Team": "core"}, "eks_cluster": {"Env": "prod"}}


def test_a_failed_listing_makes_tags_unreadable_and_nothing_else(sandbox, reader_for):
    reader = reader_for(None, retries={"mode": "standard", "max_attempts": 1})
    sandbox.session().client("ec2", region_name=REGION, endpoint_url=sandbox.url).create_vpc(CidrBlock="10.0.0.0/16")
    inject_error(reader, "resourcegroupstaggingapi", "GetResources", 400, "AccessDeniedException", "no tag access")
    inventory = collect_aws(reader, {"vpc": {REGION}})
    assert inventory.errors == []
    vpc = one(inventory, "vpc", cidr_block="10.0.0.0/16")
    assert isinstance(vpc.value(TAGS), Unreadable) and "AccessDeniedException" in vpc.value(TAGS).reason


def test_a_kind_whose_listing_carries_its_tags_needs_no_tagging_read_and_says_where_they_come_from():
    for name in ("eip", "iam_role"):
        kind = KINDS[name]
        assert kind.tags and kind.tags_collected
        assert "resourcegroupstaggingapi" not in kind.reads
        assert "the kind's own listing" in kind.attributes[TAGS].doc
    assert "resourcegroupstaggingapi" in KINDS["vpc"].reads and not KINDS["vpc"].tags_collected
