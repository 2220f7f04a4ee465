"""``python -m dr_audit init``: a new team's first policy, drafted from its Terraform.

The draft states what the code declares today, one row per DR-relevant value, each
``derived: scaffold``; it loads as a policy and the static audit runs it at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dr_audit.__main__ import main
from dr_audit.policy import load_policy
from tests.conftest import FIXTURES, REPO, write_tree

PORTFORGE_ROLES = ["--role", "primary=ap-northeast-2:primary", "--role", "dr=ap-northeast-1:dr"]


def scaffold(tmp_path: Path, root: Path, roles: list[str], name: str = "team-dr", *extra: str) -> Path:
    """Run ``init`` in-process into tmp_path/policies/NAME.yaml; return the written path."""
    output = tmp_path / "policies" / f"{name}.yaml"
    status = main(["init", "--terraform-root", str(root), *roles, "--name", name, "--output", str(output), *extra])
    assert status == 0
    return output


def rows_by(policy, **fields):
    return [r for r in policy.rows if all(getattr(r, k) == v for k, v in fields.items())]


def static_audit(policy: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """``pytest audits/ --dr-mode static`` on ``policy`` in a subprocess, every output under tmp_path."""
    out = tmp_path / "reports"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "audits/", "--dr-policy", str(policy), "--dr-mode", "static",
         "--dr-checkov", "off", "--dr-parse-cache", "off", "-q", "-p", "no:cacheprovider",
         "--dr-json", str(out / "a.json"), "--dr-html", str(out / "a.html"), "--dr-sarif", str(out / "a.sarif"),
         "--dr-history", str(out / "history"), "--junitxml", str(out / "junit.xml")],
        cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def portforge(tmp_path_factory):
    """The draft scaffolded from the PortForge fixture, its text and the loaded policy."""
    tmp_path = tmp_path_factory.mktemp("portforge")
    path = scaffold(tmp_path, FIXTURES, PORTFORGE_ROLES, "portforge-scaffold")
    return path, path.read_text(), load_policy(path)


def test_every_row_is_derived_scaffold_and_the_roles_are_the_command_lines(portforge):
    path, text, policy = portforge
    assert policy.rows and all(row.derived == "scaffold" for row in policy.rows)
    assert text.count("\n    derived: scaffold\n") == len(policy.rows)
    assert policy.roles["primary"].region == "ap-northeast-2" and policy.roles["primary"].terraform_root == "primary"
    assert policy.roles["dr"].region == "ap-northeast-1" and policy.roles["dr"].terraform_root == "dr"
    assert Path(policy.terraform_root) == FIXTURES.resolve()
    assert policy.version == "0.1"


def test_rows_state_the_values_the_code_has_today(portforge):
    _, _, policy = portforge
    primary = {"identifier": "portforge-test-rds"}
    replica = {"identifier": "portforge-dr-rds-replica"}
    [multi_az] = rows_by(policy, kind="rds_instance", select=primary, attribute="multi_az")
    assert (multi_az.role, multi_az.op, multi_az.value, multi_az.managed_by) == ("primary", "eq", True, "terraform")
    [retention] = rows_by(policy, kind="rds_instance", select=primary, attribute="backup_retention_period")
    assert (retention.op, retention.value) == ("gte", 7)
    [source] = rows_by(policy, kind="rds_instance", select=replica, attribute="replicate_source_region")
    assert (source.role, source.op, source.value) == ("dr", "eq", "ap-northeast-2")
    [pitr] = rows_by(policy, kind="dynamodb_table", select={"name": "chat_rooms_ddb"}, role="primary",
                     attribute="point_in_time_recovery")
    assert pitr.value is True


def test_a_false_dr_setting_is_not_enshrined_but_said_in_a_comment(portforge):
    _, text, policy = portforge
    assert not rows_by(policy, select={"identifier": "portforge-dr-rds-replica"}, attribute="multi_az")
    assert not rows_by(policy, kind="dynamodb_table", attribute="stream_enabled")
    assert "#   multi_az: not proposed, the code says false" in text
    assert "#   stream_enabled: not proposed, the code says false" in text


def test_failover_records_health_checks_and_alarms_exist_rows(portforge):
    _, _, policy = portforge
    for role in ("PRIMARY", "SECONDARY"):
        [record] = rows_by(policy, kind="route53_record", op="exists",
                           select={"name": "api.portforge.org", "failover_role": role})
        assert record.role is None  # a global kind: no region to select by
    [checked] = rows_by(policy, kind="route53_record", attribute="has_health_check",
                        select={"name": "api.portforge.org", "failover_role": "PRIMARY"})
    assert checked.value is True
    [health] = rows_by(policy, kind="route53_health_check", op="exists")
    assert health.select == {"name": "portforge-primary-api"}
    [interval] = rows_by(policy, kind="route53_health_check", attribute="request_interval")
    assert interval.value == 30
    [alarm] = rows_by(policy, kind="cloudwatch_alarm", op="exists", select={"name": "RDS-ReplicaLag-High"})
    assert alarm.role == "dr"


def test_a_resource_in_a_region_no_role_gives_gets_a_role_of_its_own(portforge):
    """The health alarm is declared through a provider alias in another region than either role's."""
    _, _, policy = portforge
    [alarm] = rows_by(policy, kind="cloudwatch_alarm", op="exists", select={"name": "Route53-PrimaryAPI-Unhealthy"})
    assert policy.roles[alarm.role].region == "us-east-1" and policy.roles[alarm.role].terraform_root is None
    [ecr] = rows_by(policy, kind="ecr_replication", attribute="destination_regions")
    assert (ecr.role, ecr.op, ecr.value) == ("primary", "contains_all", ["ap-northeast-1"])


def test_a_data_source_gets_only_a_presence_row(portforge):
    _, _, policy = portforge
    found = rows_by(policy, kind="dynamodb_table", role="dr")
    assert {r.select["name"] for r in found} == {"chat_rooms_ddb", "team_chats_ddb"}
    assert all(r.op == "exists" and r.managed_by == "data" for r in found)


def test_the_portforge_draft_runs_in_the_static_audit(portforge, tmp_path):
    path, _, policy = portforge
    result = static_audit(path, tmp_path)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{len(policy.rows)} rows" in result.stdout
    assert (tmp_path / "reports" / "a.json").is_file()


NESTED = {
    "main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }
        provider "aws" {
          alias  = "backup"
          region = "eu-central-1"
        }
        variable "retention" {
          type = number
        }
        module "data" {
          source    = "./modules/data"
          retention = var.retention
          providers = { aws.backup = aws.backup }
        }
    """,
    "modules/data/main.tf": """
        terraform {
          required_providers {
            aws = { source = "hashicorp/aws", configuration_aliases = [aws.backup] }
          }
        }
        variable "retention" {}
        module "db" {
          source    = "./db"
          retention = var.retention
        }
        resource "aws_dynamodb_table" "orders" {
          name             = "orders"
          hash_key         = "id"
          stream_enabled   = true
          stream_view_type = "NEW_AND_OLD_IMAGES"
          replica {
            region_name = "eu-central-1"
          }
        }
        resource "aws_cloudwatch_metric_alarm" "lag" {
          provider            = aws.backup
          alarm_name          = "orders-lag"
          namespace           = "AWS/DynamoDB"
          metric_name         = "ReplicationLatency"
          comparison_operator = "GreaterThanThreshold"
          threshold           = 1000
          period              = 60
          evaluation_periods  = 1
          alarm_actions       = ["arn:aws:sns:eu-central-1:123456789012:pager"]
        }
    """,
    "modules/data/db/main.tf": """
        variable "retention" {}
        resource "aws_db_instance" "orders" {
          identifier              = "orders-db"
          engine                  = "postgres"
          instance_class          = "db.t3.micro"
          multi_az                = true
          backup_retention_period = var.retention
        }
        resource "aws_db_instance" "unnamed" {
          identifier     = "${var.retention}-db"
          engine         = "postgres"
          instance_class = "db.t3.micro"
          multi_az       = true
        }
    """,
}


@pytest.fixture(scope="module")
def nested(tmp_path_factory):
    """A one-root tree whose resources sit in a module inside a module, scaffolded."""
    tmp_path = tmp_path_factory.mktemp("nested")
    root = write_tree(tmp_path / "infra", NESTED)
    path = scaffold(tmp_path, root, ["--role", "main=eu-west-1"], "nested-dr")
    return path, path.read_text(), load_policy(path)


def test_a_nested_module_s_resources_are_scaffolded(nested):
    _, _, policy = nested
    assert policy.roles["main"].terraform_root == "."
    [multi_az] = rows_by(policy, kind="rds_instance", select={"identifier": "orders-db"}, attribute="multi_az")
    assert (multi_az.role, multi_az.value) == ("main", True)
    [stream] = rows_by(policy, kind="dynamodb_table", select={"name": "orders"}, attribute="stream_enabled")
    assert stream.value is True
    [replicas] = rows_by(policy, kind="dynamodb_table", select={"name": "orders"}, attribute="replica_regions")
    assert (replicas.op, replicas.value) == ("contains_all", ["eu-central-1"])
    [alarm] = rows_by(policy, kind="cloudwatch_alarm", op="exists", select={"name": "orders-lag"})
    assert policy.roles[alarm.role].region == "eu-central-1"


def test_an_unresolved_value_is_not_proposed_and_a_comment_says_why(nested):
    _, text, policy = nested
    assert not rows_by(policy, select={"identifier": "orders-db"}, attribute="backup_retention_period")
    assert "#   backup_retention_period: not proposed, the code's value is unresolved (" in text


def test_an_unresolved_identifier_gives_no_row_and_a_comment(nested):
    _, text, policy = nested
    assert all(r.select.get("identifier") != "orders-db" or r.attribute for r in policy.rows)
    assert len(rows_by(policy, kind="rds_instance")) == 1
    assert 'aws_db_instance.unnamed' in text and "no row proposed: its identifier is unresolved" in text


def test_a_resource_with_only_unresolved_checks_still_gets_an_existence_row(tmp_path):
    root = write_tree(tmp_path / "infra", {"main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }
        variable "az" {}
        resource "aws_db_instance" "db" {
          identifier              = "db-one"
          multi_az                = var.az
          backup_retention_period = var.az
        }
    """})
    policy = load_policy(scaffold(tmp_path, root, ["--role", "main=eu-west-1"]))
    [row] = rows_by(policy, kind="rds_instance")
    assert (row.op, row.select, row.derived) == ("exists", {"identifier": "db-one"}, "scaffold")


def test_a_resource_whose_count_is_unresolved_gets_only_an_existence_row(tmp_path):
    root = write_tree(tmp_path / "infra", {"main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }
        variable "enabled" {}
        resource "aws_cloudwatch_metric_alarm" "maybe" {
          count         = var.enabled ? 1 : 0
          alarm_name    = "maybe"
          alarm_actions = ["arn:aws:sns:eu-west-1:123456789012:a"]
        }
    """})
    path = scaffold(tmp_path, root, ["--role", "main=eu-west-1"])
    [row] = load_policy(path).rows
    assert (row.op, row.select) == ("exists", {"name": "maybe"})
    assert "whether it is created is unresolved (" in path.read_text()


def test_a_replicated_bucket_gets_its_destinations_and_an_unreplicated_one_nothing(tmp_path):
    root = write_tree(tmp_path / "infra", {"main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }
        resource "aws_s3_bucket" "assets" {
          bucket = "orders-assets"
        }
        resource "aws_s3_bucket" "logs" {
          bucket = "orders-logs"
        }
        resource "aws_s3_bucket_versioning" "assets" {
          bucket = aws_s3_bucket.assets.id
          versioning_configuration {
            status = "Enabled"
          }
        }
        resource "aws_s3_bucket_replication_configuration" "assets" {
          bucket = aws_s3_bucket.assets.id
          role   = "arn:aws:iam::123456789012:role/replication"
          rule {
            id     = "all"
            status = "Enabled"
            destination {
              bucket = "arn:aws:s3:::orders-assets-dr"
            }
          }
        }
    """})
    policy = load_policy(scaffold(tmp_path, root, ["--role", "main=eu-west-1"]))
    assert {r.select["name"] for r in policy.rows} == {"orders-assets"}
    [destinations] = rows_by(policy, attribute="replication_destination_buckets")
    assert (destinations.op, destinations.value) == ("contains_all", ["orders-assets-dr"])
    [versioning] = rows_by(policy, attribute="versioning")
    assert versioning.value == "Enabled"


def test_the_nested_draft_runs_in_the_static_audit(nested, tmp_path):
    path, _, _ = nested
    result = static_audit(path, tmp_path)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]


def test_resources_the_identifiers_cannot_tell_apart_get_a_comment_not_a_row(tmp_path):
    root = write_tree(tmp_path / "infra", {"main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }
        resource "aws_cloudwatch_metric_alarm" "a" {
          alarm_name    = "same"
          alarm_actions = ["arn:aws:sns:eu-west-1:123456789012:a"]
        }
        resource "aws_cloudwatch_metric_alarm" "b" {
          alarm_name    = "same"
          alarm_actions = ["arn:aws:sns:eu-west-1:123456789012:b"]
        }
        resource "aws_cloudwatch_metric_alarm" "c" {
          alarm_name    = "other"
          alarm_actions = ["arn:aws:sns:eu-west-1:123456789012:c"]
        }
    """})
    path = scaffold(tmp_path, root, ["--role", "main=eu-west-1"])
    policy = load_policy(path)
    assert {r.select["name"] for r in policy.rows} == {"other"}
    assert "has the same name: write its row by hand" in path.read_text()


def test_the_module_entry_point_runs(tmp_path):
    output = tmp_path / "p.yaml"
    result = subprocess.run([sys.executable, "-m", "dr_audit", "init", "--terraform-root", str(FIXTURES),
                             *PORTFORGE_ROLES, "--name", "entry", "--output", str(output)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"wrote {output}" in result.stdout and "--dr-mode static" in result.stdout
    assert load_policy(output).name == "entry"


def test_the_default_output_is_policies_name_yaml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--terraform-root", str(FIXTURES), *PORTFORGE_ROLES]) == 0
    assert load_policy(tmp_path / "policies" / "portforge-dr.yaml").name == "portforge-dr"


def test_an_existing_output_is_kept_without_force(tmp_path, capsys):
    output = tmp_path / "mine.yaml"
    output.write_text("my own policy\n")
    arguments = ["init", "--terraform-root", str(FIXTURES), *PORTFORGE_ROLES, "--output", str(output)]
    assert main(arguments) == 4
    assert output.read_text() == "my own policy\n"
    assert "--force" in capsys.readouterr().err
    assert main(arguments + ["--force"]) == 0
    assert load_policy(output).rows


@pytest.mark.parametrize("role, message", [
    ("primary=ap-northeast-2:nowhere", "nowhere"),
    ("primary=us-east1:primary", "did you mean 'us-east-1'?"),
    ("primary=mars-north-1:primary", "'mars-north-1' is not an AWS region"),
    ("Primary", "NAME=REGION[:SUBDIR]"),
])
def test_a_bad_role_is_exit_4_naming_what_is_wrong(tmp_path, capsys, role, message):
    output = tmp_path / "p.yaml"
    assert main(["init", "--terraform-root", str(FIXTURES), "--role", role, "--output", str(output)]) == 4
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_a_bad_terraform_root_is_exit_4_naming_the_path(tmp_path, capsys):
    missing = tmp_path / "no-such-tree"
    assert main(["init", "--terraform-root", str(missing), *PORTFORGE_ROLES, "--output", str(tmp_path / "p.yaml")]) == 4
    assert str(missing) in capsys.readouterr().err


def test_a_tree_without_dr_resources_is_refused(tmp_path, capsys):
    root = write_tree(tmp_path / "infra", {"main.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n'})
    assert main(["init", "--terraform-root", str(root), "--role", "main=eu-west-1",
                 "--output", str(tmp_path / "p.yaml")]) == 4
    assert "no DR-relevant resource" in capsys.readouterr().err


def test_a_missing_role_is_a_usage_error_exit_4(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["init", "--terraform-root", str(FIXTURES)])
    assert exit_info.value.code == 4


def test_the_readme_walk_through_runs_the_command_as_it_is():
    """The README's "Your first policy" command parses, its roles are real regions, and the
    walk-through names the estates setting the plugin reads."""
    import shlex

    from dr_audit.__main__ import _parser
    from dr_audit.partitions import aws_regions
    from dr_audit.scaffold import parse_role

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Your first policy"):readme.index("<!-- vocabulary")]
    [command] = [line.strip() for line in section.splitlines() if "-m dr_audit init" in line]
    words = shlex.split(command)
    arguments = _parser().parse_args(words[words.index("dr_audit") + 1:])
    assert all(parse_role(role).region in aws_regions() for role in arguments.role)
    assert "dr_estates_dir" in section and "--dr-mode static" in section


def test_a_sensitive_value_is_never_written(tmp_path):
    root = write_tree(tmp_path / "infra", {"main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }
        variable "probe_token" {
          default = "tok-9f8e7d6c5b4a"
        }
        resource "aws_route53_health_check" "api" {
          fqdn          = "api.example.org"
          type          = "HTTPS"
          resource_path = "/health?key=${var.probe_token}"
          tags          = { Name = "api-check" }
        }
    """})
    path = scaffold(tmp_path, root, ["--role", "main=eu-west-1"])
    text = path.read_text()
    assert "tok-9f8e7d6c5b4a" not in text
    assert "resource_path: not proposed, the value is sensitive" in text
    assert rows_by(load_policy(path), kind="route53_health_check", attribute="type")
