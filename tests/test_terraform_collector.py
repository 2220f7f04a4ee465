"""The Terraform collector on the PortForge fixtures and on small trees that
exercise real-world HCL: every value resolved or Unknown, with file:line."""

from __future__ import annotations

from dr_audit.terraform.collector import collect_terraform, supported_attributes
from dr_audit.kinds import KINDS
from dr_audit.terraform.values import Unknown
from tests.conftest import FIXTURES, one


def fixtures():
    return collect_terraform(FIXTURES, {"primary": "primary", "dr": "dr"})


def test_fixtures_read_without_errors_and_have_the_expected_shape():
    inventory = fixtures()
    assert inventory.errors == []
    primary_tf = [f for f in inventory.files if f.startswith("primary/") and f.endswith(".tf")]
    dr_tf = [f for f in inventory.files if f.startswith("dr/") and f.endswith(".tf")]
    assert (len(primary_tf), len(dr_tf)) == (8, 13)
    subnets = sorted((r.region, r.value("cidr_block"), r.value("availability_zone"))
                     for r in inventory.resources if r.kind == "subnet")
    assert subnets == sorted(
        [("ap-northeast-2", f"10.10.{n}.0/24", f"ap-northeast-2{az}") for n, az in
         ((1, "a"), (11, "c"), (2, "a"), (12, "c"), (3, "a"), (13, "c"))] +
        [("ap-northeast-1", f"10.20.{n}.0/24", f"ap-northeast-1{az}") for n, az in
         ((1, "a"), (11, "c"), (2, "a"), (12, "c"), (3, "a"), (13, "c"))])


def test_module_resources_carry_module_addresses_and_file_lines():
    vpc = one(fixtures(), "vpc", name="portforge-dr-vpc")
    assert vpc.address == "module.network.aws_vpc.this"
    assert (vpc.file, vpc.line, vpc.root, vpc.region) == ("modules/network/main.tf", 15, "dr", "ap-northeast-1")
    cidr = vpc.attributes["cidr_block"]
    assert (cidr.value, cidr.line, cidr.expression) == ("10.20.0.0/16", 16, "var.cidr_block")


def test_links_follow_references_between_resources():
    nat = one(fixtures(), "nat_gateway", name="portforge-test-nat-c")
    assert nat.value("availability_zone") == "ap-northeast-2c"
    assert nat.value("vpc") == "portforge-test-vpc"
    assert "via module.network.aws_subnet.this[\"public-c\"]" in nat.attributes["availability_zone"].note


def test_cross_region_replica_source_resolves_through_the_data_source():
    replica = one(fixtures(), "rds_instance", identifier="portforge-dr-rds-replica")
    assert replica.value("replicate_source_identifier") == "portforge-test-rds"
    assert replica.value("replicate_source_region") == "ap-northeast-2"
    version = replica.value("engine_version")
    assert isinstance(version, Unknown) and "inherits" in version.reason


def test_tfvars_and_provider_defaults_are_evidence():
    inventory = fixtures()
    primary_db = one(inventory, "rds_instance", identifier="portforge-test-rds")
    assert primary_db.value("engine_version") == "8.4.7"  # from terraform.tfvars via var.db_engine_version
    assert primary_db.value("port") == 3306
    assert "engine mysql default" in primary_db.attributes["port"].note
    table = one(inventory, "dynamodb_table", name="team_chats_ddb")
    assert table.value("stream_enabled") is False
    assert table.attributes["stream_enabled"].note == "stream_enabled not set: provider default"


def test_provider_alias_and_per_resource_region():
    inventory = fixtures()
    replication = one(inventory, "ecr_replication")
    assert replication.region == "ap-northeast-2"  # provider = aws.primary in the DR root
    assert replication.value("destination_regions") == ["ap-northeast-1"]
    assert len(replication.value("rules")[0]["prefixes"]) == 7  # dynamic repository_filter blocks
    alarm = one(inventory, "cloudwatch_alarm", name="Route53-PrimaryAPI-Unhealthy")
    assert alarm.region == "us-east-1"  # AWS provider v6 region argument


def test_route53_relative_names_and_dynamic_alias():
    inventory = fixtures()
    primary = one(inventory, "route53_record", name="infra-bot.portforge.org", failover_role="PRIMARY")
    assert primary.value("type") == "CNAME" and primary.value("alias_dns_name") is None
    api = one(inventory, "route53_record", name="api.portforge.org", failover_role="SECONDARY")
    assert api.value("alias_dns_name").endswith("ap-northeast-1.elb.amazonaws.com")


REAL_WORLD = {
    "main.tf": '''
        terraform {
          required_version = ">= 1.9"
        }
        provider "aws" {
          region = var.region
        }
        variable "region" {
          type    = string
          default = "eu-west-1"
        }
        variable "buckets" {
          type = map(object({
            versioned = optional(bool, true)
            replicate = optional(string)
          }))
          default = {
            logs  = {}
            media = { versioned = false, replicate = "media-dr" }
          }
        }
        resource "aws_s3_bucket" "b" {
          for_each = var.buckets
          bucket   = "acme-${each.key}"
        }
        resource "aws_s3_bucket_versioning" "b" {
          for_each = var.buckets
          bucket   = aws_s3_bucket.b[each.key].id
          versioning_configuration {
            status = each.value.versioned ? "Enabled" : "Suspended"
          }
        }
        moved {
          from = aws_s3_bucket.old
          to   = aws_s3_bucket.b["logs"]
        }
        import {
          to = aws_s3_bucket.b["media"]
          id = "acme-media"
        }
        check "health" {
          data "http" "probe" {
            url = "https://example.com"
          }
          assert {
            condition     = true
            error_message = "down"
          }
        }
    ''',
    "empty.tf": "",
    "comments only.tf": "# nothing here yet\n/* planned */\n// later\n",
    "policy.tf": '''
        resource "aws_iam_role" "r" {
          name = "heredoc-role"
          assume_role_policy = <<EOF
        {"Statement": [{"Effect": "Allow"}]}
        EOF
        }
    ''',
    "modules.tf": '''
        module "queue" {
          source   = "./modules/queue"
          for_each = toset(["a", "b"])
          name     = "q-${each.key}"
        }
        module "single" {
          source = "./modules/queue"
          count  = 1
          name   = "single"
        }
        module "remote" {
          source = "terraform-aws-modules/vpc/aws"
        }
    ''',
    "modules/queue/main.tf": '''
        variable "name" {
          type = string
        }
        resource "aws_secretsmanager_secret" "s" {
          name = "secret/${var.name}"
          dynamic "replica" {
            for_each = ["us-west-2", "eu-central-1"]
            content {
              region = replica.value
            }
          }
        }
    ''',
}


def test_real_world_patterns(tree):
    inventory = tree(REAL_WORLD)
    logs = one(inventory, "s3_bucket", name="acme-logs")
    media = one(inventory, "s3_bucket", name="acme-media")
    assert (logs.value("versioning"), media.value("versioning")) == ("Enabled", "Suspended")
    assert logs.region == "eu-west-1"
    assert one(inventory, "iam_role", name="heredoc-role").file == "root/policy.tf"
    secrets = sorted(r.address for r in inventory.resources if r.kind == "secretsmanager_secret")
    assert secrets == ['module.queue["a"].aws_secretsmanager_secret.s', 'module.queue["b"].aws_secretsmanager_secret.s',
                       "module.single[0].aws_secretsmanager_secret.s"]
    assert one(inventory, "secretsmanager_secret", name="secret/q-a").value("replica_regions") == [
        "us-west-2", "eu-central-1"]
    # a registry module not installed by terraform init is a gap (not an error): said so, with file and line
    assert inventory.errors == []
    assert [(g.path, g.line) for g in inventory.gaps] == [("root/modules.tf", 12)]
    assert "terraform init -backend=false" in str(inventory.gaps[0])


def test_malformed_file_names_line_and_column_and_the_rest_is_audited(tree):
    inventory = tree({
        "good.tf": 'resource "aws_kms_alias" "a" {\n  name = "alias/ok"\n}\nprovider "aws" {\n  region = "us-east-1"\n}\n',
        "bad.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n  tags = {\n    Name = \n  }\n}\n',
        "truncated.tf": 'resource "aws_vpc" "w" {\n  cidr_block = @@\n',
    })
    assert [str(e) for e in inventory.errors] == ["root/bad.tf:4:12: HCL syntax error: unexpected end of line",
                                                  "root/truncated.tf:2:16: HCL syntax error: unexpected '@@'"]
    assert one(inventory, "kms_alias").value("name") == "alias/ok"


def test_unreadable_inputs_are_errors_not_silence(tree, tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "loop.tf").symlink_to(tmp_path / "root" / "loop.tf")
    inventory = tree({
        "latin1.tf": b'resource "aws_iam_role" "r" {\n  name = "caf\xe9"\n}\n',
        "legacy.tf.json": '{"resource": {}}',
        "ok.tf": 'provider "aws" {\n  region = "us-east-1"\n}\n',
    })
    messages = {(e.path, e.line): e.message for e in inventory.errors}
    assert messages[("root/latin1.tf", 2)].startswith("not UTF-8 text")
    assert "is not audited" in messages[("root/legacy.tf.json", None)]
    assert "symlink loop" in messages[("root/loop.tf", None)]


def test_tfvars_of_the_wrong_type_is_refused_with_its_line(tree):
    inventory = tree({
        "main.tf": 'variable "n" {\n  type = number\n}\nvariable "s" {\n  type = string\n}\n',
        "terraform.tfvars": 's = "fine"\nn = "three"\n',
    })
    assert [(e.path, e.line) for e in inventory.errors] == [("root/terraform.tfvars", 2)]
    assert "declared number" in inventory.errors[0].message


def test_missing_and_empty_roots(tmp_path):
    (tmp_path / "empty").mkdir()
    inventory = collect_terraform(tmp_path, {"a": "empty", "b": "absent"})
    assert sorted(e.message for e in inventory.errors) == [
        "Terraform root 'a' has no .tf files", "Terraform root 'b': directory not found"]


def test_unknown_count_makes_the_resource_uncertain(tree):
    inventory = tree({"main.tf": '''
        provider "aws" {
          region = "us-east-1"
        }
        variable "n" {
          type = number
        }
        resource "aws_kms_alias" "a" {
          count = var.n
          name  = "alias/x"
        }
    '''})
    alias = one(inventory, "kms_alias")
    assert alias.presence is not None and "no default" in alias.presence.reason
    selection = inventory.select("kms_alias", "us-east-1", {"name": "alias/x"})
    assert selection.matched == [] and len(selection.possible) == 1


def test_every_kind_attribute_is_produced_by_the_terraform_mappings():
    supported = supported_attributes()
    for kind, spec in KINDS.items():
        if not spec.terraform:
            continue  # an account-only kind (backup jobs): no Terraform type declares it
        assert supported.get(kind) == set(spec.attributes), kind


def test_load_balancers_target_groups_and_route_tables(tree):
    inventory = tree({"main.tf": """
        provider "aws" { region = "eu-west-1" }
        resource "aws_vpc" "v" {
          cidr_block = "10.0.0.0/16"
          tags = { Name = "v" }
        }
        resource "aws_internet_gateway" "g" { vpc_id = aws_vpc.v.id }
        resource "aws_vpn_gateway" "vgw" { vpc_id = aws_vpc.v.id }
        resource "aws_subnet" "s" {
          vpc_id     = aws_vpc.v.id
          cidr_block = "10.0.1.0/24"
          tags = { Name = "s1" }
        }
        resource "aws_route_table" "public" {
          vpc_id = aws_vpc.v.id
          route {
            cidr_block = "0.0.0.0/0"
            gateway_id = aws_internet_gateway.g.id
          }
          tags = { Name = "public" }
        }
        resource "aws_route_table" "vpn" {
          vpc_id = aws_vpc.v.id
          route {
            cidr_block = "0.0.0.0/0"
            gateway_id = aws_vpn_gateway.vgw.id
          }
          tags = { Name = "vpn" }
        }
        resource "aws_route_table_association" "a" {
          subnet_id      = aws_subnet.s.id
          route_table_id = aws_route_table.public.id
        }
        resource "aws_lb" "web" {
          name     = "web"
          internal = true
        }
        resource "aws_lb_target_group" "web" {
          name     = "web-tg"
          protocol = "HTTP"
          port     = 80
          health_check {
            path              = "/health"
            unhealthy_threshold = 5
          }
        }
    """})
    assert inventory.errors == []
    public = one(inventory, "route_table", name="public")
    assert (public.value("vpc"), public.value("subnets"), public.value("default_route_target")) == (
        "v", ["s1"], "internet_gateway")
    assert one(inventory, "route_table", name="vpn").value("default_route_target") == "other"
    lb = one(inventory, "load_balancer", name="web")
    assert (lb.value("type"), lb.value("scheme")) == ("application", "internal")
    group = one(inventory, "lb_target_group", name="web-tg")
    assert (group.value("health_check_path"), group.value("unhealthy_threshold"), group.value("healthy_threshold"),
            group.value("health_check_interval"), group.value("health_check_matcher")) == ("/health", 5, 3, 30, "200")
    assert group.attributes["healthy_threshold"].note == "health_check.healthy_threshold not set: provider default"


def test_scaling_groups_inline_policies_and_replication_details(tree):
    inventory = tree({"main.tf": '''
        provider "aws" {
          region = "eu-west-1"
        }
        variable "prefix" {
          default = "app"
        }
        resource "aws_lb_target_group" "web" {
          name = "web-tg"
        }
        resource "aws_autoscaling_group" "web" {
          name              = "web"
          min_size          = 1
          max_size          = 3
          target_group_arns = [aws_lb_target_group.web.arn, "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/old-tg/abc"]
        }
        resource "aws_iam_role" "app" {
          name = "app-role"
        }
        resource "aws_iam_role_policy" "ddb" {
          name = "ddb"
          role = aws_iam_role.app.id
          policy = jsonencode({
            Statement = [
              { Effect = "Allow", Action = ["dynamodb:GetItem"], Resource = "arn:aws:dynamodb:*:*:table/${var.prefix}-*" },
              { Effect = "Deny", Action = "*", Resource = "*" }
            ]
          })
        }
        resource "aws_s3_bucket" "src" {
          bucket = "src"
        }
        resource "aws_s3_bucket" "dst" {
          bucket = "dst"
        }
        resource "aws_s3_bucket_replication_configuration" "src" {
          bucket = aws_s3_bucket.src.id
          role   = "arn:aws:iam::1:role/r"
          rule {
            status = "Enabled"
            destination {
              bucket = aws_s3_bucket.dst.arn
              replication_time {
                status = "Enabled"
                time {
                  minutes = 15
                }
              }
            }
            delete_marker_replication {
              status = "Enabled"
            }
          }
          rule {
            status = "Enabled"
            destination {
              bucket = aws_s3_bucket.dst.arn
            }
          }
        }
        resource "aws_db_instance" "a" {
          identifier        = "a"
          storage_encrypted = true
        }
        resource "aws_db_instance" "b" {
          identifier        = "b"
          storage_encrypted = true
          kms_key_id        = "arn:aws:kms:us-west-2:1:key/k"
        }
        resource "aws_db_instance" "c" {
          identifier          = "c"
          replicate_source_db = "a"
        }
    '''})
    group = one(inventory, "autoscaling_group", name="web")
    assert group.value("desired_capacity") == 1 and "AWS starts at min_size" in group.attributes["desired_capacity"].note
    assert group.value("target_groups") == ["old-tg", "web-tg"] and group.value("health_check_type") == "EC2"
    policy = one(inventory, "iam_role_policy", name="ddb")
    assert policy.value("role") == "app-role"
    assert policy.value("actions") == ["dynamodb:GetItem"]  # the Deny statement grants nothing
    assert policy.value("resources") == ["arn:aws:dynamodb:*:*:table/app-*"]
    source = one(inventory, "s3_bucket", name="src")
    assert source.value("replication_destination_buckets") == ["dst", "dst"]  # a bucket's ARN is known from its name
    assert source.value("replication_time_minutes") is None  # the second rule has no RTC
    assert source.value("delete_marker_replication") is False
    assert one(inventory, "rds_instance", identifier="a").value("kms_key_region") == "eu-west-1"  # aws/rds default
    assert one(inventory, "rds_instance", identifier="b").value("kms_key_region") == "us-west-2"
    replica = one(inventory, "rds_instance", identifier="c")
    assert not replica.attributes["storage_encrypted"].known  # inherited from its source at apply time
    assert not replica.attributes["kms_key_region"].known


def test_other_providers_map_onto_terraform_only_kinds(tree):
    inventory = tree({"main.tf": '''
        provider "google" {
          region = "asia-northeast3"
        }
        resource "google_sql_database_instance" "db" {
          name             = "db"
          database_version = "POSTGRES_15"
          settings {
            tier = "db-custom-4-15360"
          }
        }
        resource "google_redis_instance" "cache" {
          name = "cache"
        }
        resource "cloudflare_load_balancer_monitor" "m" {
          description = "m"
        }
        resource "cloudflare_load_balancer_pool" "a" {
          name    = "a"
          monitor = cloudflare_load_balancer_monitor.m.id
          origins {
            name    = "one"
            address = "192.0.2.1"
          }
        }
        resource "cloudflare_load_balancer" "lb" {
          name             = "example.org"
          default_pool_ids = [cloudflare_load_balancer_pool.a.id]
          fallback_pool_id = cloudflare_load_balancer_pool.a.id
        }
    '''})
    database = one(inventory, "gcp_sql_instance", name="db")
    assert database.region == "asia-northeast3"
    # the provider's documented defaults, each noted as such
    assert (database.value("availability_type"), database.value("backup_enabled"),
            database.value("point_in_time_recovery"), database.value("deletion_protection")) == ("ZONAL", False, False, True)
    assert one(inventory, "gcp_redis_instance", name="cache").value("tier") == "BASIC"
    monitor = one(inventory, "cloudflare_lb_monitor", description="m")
    assert (monitor.value("interval"), monitor.value("retries"), monitor.value("type")) == (60, 2, "http")
    pool = one(inventory, "cloudflare_lb_pool", name="a")
    assert pool.value("origins") == ["one"] and pool.value("has_monitor") is True
    balancer = one(inventory, "cloudflare_load_balancer", name="example.org")
    assert balancer.value("default_pools") == ["a"] and balancer.value("fallback_pool") == "a"
    assert balancer.value("steering_policy") == "off" and balancer.value("proxied") is False
