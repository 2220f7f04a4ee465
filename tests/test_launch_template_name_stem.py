"""``launch_template.name_stem``: the name without the unique suffix Terraform appends to a
``name_prefix`` (terraform-plugin-sdk's PrefixedUniqueId: 18 digits of UTC time to 1/10000 s, then
an 8-hex-digit counter). Terraform side: ``name_prefix``, ``name`` or the provider's ``terraform-``;
account side: only exactly that suffix is taken off, any other name is its own stem."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.kinds.launch_template import launch_templates, name_stem
from dr_audit.terraform.values import Unknown
from tests.conftest import one

REGION = "ap-northeast-1"

TEMPLATES_TF = '''
    provider "aws" {
      region = "ap-northeast-1"
    }
    variable "project_name" {
      default = "MegaTicket"
    }
    variable "unset" {}
    resource "aws_launch_template" "prefixed" {
      name_prefix   = "${var.project_name}-DR-Web-LT-"
      instance_type = "t2.small"
    }
    resource "aws_launch_template" "named" {
      name          = "hand-named-lt"
      instance_type = "t2.micro"
    }
    resource "aws_launch_template" "nameless" {
      instance_type = "t2.nano"
    }
    resource "aws_launch_template" "null_name" {
      name          = null
      name_prefix   = "fallback-"
      instance_type = "t3.nano"
    }
    resource "aws_launch_template" "unresolved" {
      name_prefix   = var.unset
      instance_type = "t3.micro"
    }
'''


# ----- Terraform ---------------------------------------------------------------------

def _stems(tree) -> dict:
    inventory = tree({"main.tf": TEMPLATES_TF})
    return {t: one(inventory, "launch_template", instance_type=t).value("name_stem")
            for t in ("t2.small", "t2.micro", "t2.nano", "t3.nano", "t3.micro")}


def test_the_stem_in_code_is_the_prefix_or_the_written_name(tree):
    stems = _stems(tree)
    assert (stems["t2.small"], stems["t2.micro"]) == ("MegaTicket-DR-Web-LT-", "hand-named-lt")
    assert stems["t3.nano"] == "fallback-"  # name = null is not set: the prefix names it


def test_a_template_with_neither_name_nor_prefix_gets_the_providers_terraform_prefix(tree):
    # the provider then generates terraform-<unique suffix>, the same shape as from a prefix
    assert _stems(tree)["t2.nano"] == "terraform-"


def test_an_unresolved_prefix_leaves_the_stem_unknown(tree):
    assert isinstance(_stems(tree)["t3.micro"], Unknown)


# ----- the account: the suffix shapes ------------------------------------------------------

@pytest.mark.parametrize("name, stem", [
    ("MegaTicket-DR-Web-LT-20251229083015123400000001", "MegaTicket-DR-Web-LT-"),  # a counter in hex
    ("MegaTicket-DR-App-LT-2025122908301512410000000a", "MegaTicket-DR-App-LT-"),
    ("terraform-20240101000000000000000abc", "terraform-"),
    # not exactly that suffix: a hand-written name is its own stem
    ("MegaTicket-DR-Web-LT-20251229", "MegaTicket-DR-Web-LT-20251229"),
    ("MegaTicket-DR-Web-LT-2025122908301512340000000A", "MegaTicket-DR-Web-LT-2025122908301512340000000A"),
    ("MegaTicket-DR-Web-LT-2025122908301512340000001", "MegaTicket-DR-Web-LT-2025122908301512340000001"),
    ("MegaTicket-DR-Web-LT-202512290830151234x0000001", "MegaTicket-DR-Web-LT-202512290830151234x0000001"),
    ("20251229083015123400000001", "20251229083015123400000001"),  # nothing would be left of it
])
def test_only_exactly_terraforms_suffix_is_taken_off(name, stem):
    assert name_stem(name) == stem


def test_the_collector_gives_each_template_its_stem():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    ec2, autoscaling = Stubber(reader.client("ec2", REGION)), Stubber(reader.client("autoscaling", REGION))
    listed = [{"LaunchTemplateId": f"lt-{i}", "LaunchTemplateName": name, "LatestVersionNumber": 1}
              for i, name in enumerate(("web-lt-20251229083015123400000001", "hand-made-lt"))]
    ec2.add_response("describe_launch_templates", {"LaunchTemplates": listed}, {})
    autoscaling.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []}, {})
    ec2.add_response("describe_security_groups", {"SecurityGroups": []}, {})
    for template in listed:
        ec2.add_response("describe_launch_template_versions", {"LaunchTemplateVersions": [
            {"LaunchTemplateId": template["LaunchTemplateId"], "VersionNumber": 1, "LaunchTemplateData": {}}]},
            {"LaunchTemplateId": template["LaunchTemplateId"], "Versions": ["$Latest"]})
    with ec2, autoscaling:
        found = {r.address: r.value("name_stem") for r in launch_templates(reader, REGION)}
    assert found == {"lt-0": "web-lt-", "lt-1": "hand-made-lt"}
