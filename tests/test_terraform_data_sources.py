"""Data sources Terraform resolves without the account: aws_region, aws_partition,
aws_caller_identity and aws_iam_policy_document, read through expressions."""

from __future__ import annotations

import json
from pathlib import Path

from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.data_sources import STATIC_ACCOUNT, render_policy
from dr_audit.terraform.module import ModuleInstance, RootSettings
from dr_audit.terraform.parsing import parse_directory
from dr_audit.terraform.values import Ref, Unknown
from tests.conftest import one, write_tree

PROVIDERS = '''
provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "china"
  region = "cn-north-1"
}
provider "aws" {
  alias  = "gov"
  region = "us-gov-west-1"
}
'''


def root_module(tmp_path: Path, text: str, account_id: str | None = None) -> ModuleInstance:
    write_tree(tmp_path / "root", {"main.tf": PROVIDERS + text})
    parsed = parse_directory(tmp_path / "root", tmp_path)
    assert parsed.errors == []
    return ModuleInstance(parsed, "", {}, {}, tmp_path, [], tmp_path / "root",
                          settings=RootSettings(account_id=account_id))


def test_aws_region_follows_the_provider_its_alias_and_the_v6_region_argument(tmp_path):
    root = root_module(tmp_path, '''
        data "aws_region" "current" {}
        data "aws_region" "china" {
          provider = aws.china
        }
        data "aws_region" "v6" {
          region = "ap-southeast-2"
        }
        data "aws_region" "v5" {
          name = "us-east-2"
        }
        data "aws_region" "null_region" {
          region = null
        }
    ''')
    current = root.data("aws_region", "current")
    assert [current.get_attribute(a) for a in ("name", "region", "id")] == ["eu-west-1"] * 3
    assert current.get_attribute("endpoint") == "ec2.eu-west-1.amazonaws.com"
    assert current.get_attribute("description") == "Europe (Ireland)"
    china = root.data("aws_region", "china")
    assert (china.get_attribute("name"), china.get_attribute("endpoint")) == ("cn-north-1", "ec2.cn-north-1.amazonaws.com.cn")
    assert root.data("aws_region", "v6").get_attribute("name") == "ap-southeast-2"
    assert root.data("aws_region", "v5").get_attribute("region") == "us-east-2"
    assert root.data("aws_region", "null_region").get_attribute("name") == "eu-west-1"


def test_aws_region_feeds_expressions_and_a_module_sees_its_callers_provider(tmp_path):
    write_tree(tmp_path / "root", {
        "main.tf": PROVIDERS + '''
            module "dr" {
              source    = "./dr"
              providers = { aws = aws.china }
            }
        ''',
        "dr/main.tf": '''
            data "aws_region" "here" {}
            resource "aws_kms_alias" "a" {
              name = "alias/backup-${data.aws_region.here.name}"
            }
        ''',
    })
    inventory = collect_terraform(tmp_path, {"main": "root"})
    alias = one(inventory, "kms_alias")
    assert (alias.value("name"), alias.region) == ("alias/backup-cn-north-1", "cn-north-1")
    assert (alias.attributes["name"].file, alias.attributes["name"].line) == ("root/dr/main.tf", 4)


def test_aws_partition_from_the_provider_region(tmp_path):
    root = root_module(tmp_path, '''
        data "aws_partition" "commercial" {}
        data "aws_partition" "china" {
          provider = aws.china
        }
        data "aws_partition" "gov" {
          provider = aws.gov
        }
    ''')
    read = {name: [root.data("aws_partition", name).get_attribute(a)
                   for a in ("partition", "id", "dns_suffix", "reverse_dns_prefix")]
            for name in ("commercial", "china", "gov")}
    assert read == {"commercial": ["aws", "aws", "amazonaws.com", "com.amazonaws"],
                    "china": ["aws-cn", "aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"],
                    "gov": ["aws-us-gov", "aws-us-gov", "amazonaws.com", "com.amazonaws"]}


def test_aws_partition_with_an_unresolved_region_is_unknown(tmp_path):
    write_tree(tmp_path / "root", {"main.tf": '''
        variable "region" {}
        provider "aws" {
          region = var.region
        }
        data "aws_partition" "p" {}
        output "p" {
          value = data.aws_partition.p.partition
        }
    '''})
    parsed = parse_directory(tmp_path / "root", tmp_path)
    root = ModuleInstance(parsed, "", {}, {}, tmp_path, [], tmp_path / "root")
    value = root.output("p")
    assert isinstance(value, Unknown) and "no default" in value.reason


def test_caller_identity_gives_the_audited_account_or_says_why_not(tmp_path):
    text = '''
        data "aws_caller_identity" "me" {}
        locals {
          bucket = "backups-${data.aws_caller_identity.me.account_id}"
        }
    '''
    live = root_module(tmp_path / "live", text, account_id="123456789012")
    assert live.local("bucket") == "backups-123456789012"
    assert live.data("aws_caller_identity", "me").get_attribute("id") == "123456789012"
    assert isinstance(live.data("aws_caller_identity", "me").get_attribute("arn"), Ref)
    static = root_module(tmp_path / "static", text)
    bucket = static.local("bucket")
    assert isinstance(bucket, Unknown) and bucket.reason == STATIC_ACCOUNT


def test_collect_terraform_passes_the_account_id_to_caller_identity(tmp_path):
    write_tree(tmp_path / "root", {"main.tf": PROVIDERS + '''
        data "aws_caller_identity" "me" {}
        resource "aws_kms_alias" "a" {
          name = "alias/${data.aws_caller_identity.me.account_id}"
        }
    '''})
    assert one(collect_terraform(tmp_path, {"m": "root"}, account_id="210987654321"), "kms_alias").value(
        "name") == "alias/210987654321"
    unknown = one(collect_terraform(tmp_path, {"m": "root"}), "kms_alias").value("name")
    assert isinstance(unknown, Unknown) and "static mode" in unknown.reason


POLICY = '''
    data "aws_iam_policy_document" "assume" {
      statement {
        sid     = "Assume"
        actions = ["sts:AssumeRole"]
        principals {
          type        = "Service"
          identifiers = ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]
        }
      }
    }
    data "aws_iam_policy_document" "s3" {
      policy_id = "backup"
      statement {
        actions   = ["s3:PutObject", "s3:GetObject", "s3:ListBucket"]
        resources = ["arn:aws:s3:::b", "arn:aws:s3:::b/&{aws:username}/*"]
        condition {
          test     = "StringEquals"
          variable = "aws:SourceAccount"
          values   = ["123456789012"]
        }
        condition {
          test     = "Bool"
          variable = "aws:SecureTransport"
          values   = [true]
        }
      }
      statement {
        effect        = "Deny"
        not_actions   = ["s3:GetObject"]
        not_resources = ["arn:aws:s3:::b"]
        principals {
          type        = "*"
          identifiers = ["*"]
        }
      }
    }
'''


def test_iam_policy_document_renders_the_json_the_provider_does(tmp_path):
    root = root_module(tmp_path, POLICY)
    assume = root.data("aws_iam_policy_document", "assume").get_attribute("json")
    assert assume == (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Sid": "Assume",\n'
        '      "Effect": "Allow",\n      "Action": "sts:AssumeRole",\n      "Principal": {\n'
        '        "Service": [\n          "ecs-tasks.amazonaws.com",\n          "ec2.amazonaws.com"\n'
        '        ]\n      }\n    }\n  ]\n}')
    s3 = json.loads(root.data("aws_iam_policy_document", "s3").get_attribute("minified_json"))
    assert s3 == {"Version": "2012-10-17", "Id": "backup", "Statement": [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:ListBucket", "s3:GetObject"],
         "Resource": ["arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b"],
         "Condition": {"Bool": {"aws:SecureTransport": "true"},
                       "StringEquals": {"aws:SourceAccount": "123456789012"}}},
        {"Effect": "Deny", "NotAction": "s3:GetObject", "NotResource": "arn:aws:s3:::b", "Principal": "*"}]}
    minified = root.data("aws_iam_policy_document", "s3").get_attribute("minified_json")
    assert minified.startswith('{"Version":"2012-10-17","Id":"backup","Statement":[{"Effect":"Allow","Action":[')


def test_iam_policy_document_merges_source_and_override_documents_by_sid(tmp_path):
    root = root_module(tmp_path, POLICY + '''
        data "aws_iam_policy_document" "merged" {
          source_policy_documents   = [data.aws_iam_policy_document.assume.json]
          override_policy_documents = [jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Sid = "Assume", Effect = "Deny", Action = ["sts:AssumeRole"], Principal = "*" }]
          })]
          statement {
            sid       = "Read"
            actions   = ["s3:GetObject"]
            resources = ["*"]
          }
        }
    ''')
    merged = json.loads(root.data("aws_iam_policy_document", "merged").get_attribute("json"))
    assert merged == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Assume", "Effect": "Deny", "Action": ["sts:AssumeRole"], "Principal": "*"},
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def test_iam_policy_document_with_an_unresolved_part_is_unknown_and_says_which(tmp_path):
    root = root_module(tmp_path, '''
        variable "bucket_arn" {}
        data "aws_iam_policy_document" "p" {
          statement {
            actions   = ["s3:GetObject"]
            resources = [var.bucket_arn]
          }
        }
    ''')
    value = root.data("aws_iam_policy_document", "p").get_attribute("json")
    assert isinstance(value, Unknown) and "no default" in value.reason


def test_the_policy_json_escapes_as_go_does():
    assert render_policy({"Statement": [{"Condition": {"StringLike": {"k": "a<b>&c"}}}]}, minified=True) == (
        '{"Statement":[{"Condition":{"StringLike":{"k":"a\\u003cb\\u003e\\u0026c"}}}]}')


def test_the_audit_context_passes_the_targets_account_id_to_the_collector(tmp_path):
    from dr_audit.context import AuditContext

    write_tree(tmp_path, {
        "policy.yaml": "policy: {name: acct, title: Account, version: 1}\nroles:\n  primary: {region: eu-west-1, terraform_root: root}\n"
                       "terraform: {root: tf}\nrows:\n  - {id: ALIAS, clause: '1', title: alias, kind: kms_alias, role: primary,"
                       " select: {name: alias/x}, attribute: name, op: eq, value: alias/x, managed_by: terraform,"
                       " severity: low}\n",
        "tf/root/main.tf": PROVIDERS + 'data "aws_caller_identity" "me" {}\nresource "aws_kms_alias" "a" {\n'
                                       '  name = "alias/${data.aws_caller_identity.me.account_id}"\n}\n',
    })

    class OpenedTarget:  # what LiveTarget holds after open(): the STS answer
        account_id = "444455556666"

        def open(self):
            return self

    context = AuditContext(tmp_path / "policy.yaml", tmp_path / "tf", "static")
    context.target = OpenedTarget()
    assert one(context.terraform, "kms_alias").value("name") == "alias/444455556666"


def test_iam_policy_document_with_dynamic_statements(tmp_path):
    root = root_module(tmp_path, '''
        variable "readers" {
          default = { media = "arn:aws:s3:::media", logs = "arn:aws:s3:::logs" }
        }
        variable "unknown_list" {
          type = list(string)
        }
        data "aws_iam_policy_document" "known" {
          dynamic "statement" {
            for_each = var.readers
            content {
              sid       = statement.key
              actions   = ["s3:GetObject"]
              resources = [statement.value]
            }
          }
        }
        data "aws_iam_policy_document" "unknown" {
          statement {
            actions = ["s3:GetObject"]
            dynamic "principals" {
              for_each = var.unknown_list
              content {
                type        = "AWS"
                identifiers = ["arn:aws:iam::111122223333:root"]
              }
            }
          }
        }
    ''')
    known = json.loads(root.data("aws_iam_policy_document", "known").get_attribute("json"))
    assert [(s["Sid"], s["Resource"]) for s in known["Statement"]] == [
        ("logs", "arn:aws:s3:::logs"), ("media", "arn:aws:s3:::media")]
    unknown = root.data("aws_iam_policy_document", "unknown").get_attribute("json")
    assert isinstance(unknown, Unknown) and "dynamic principals block is unresolved" in unknown.reason
