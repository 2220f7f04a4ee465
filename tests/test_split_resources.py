"""Terraform mappings on real code: an argument that evaluates to null is not
set, and an attribute is read wherever the AWS provider lets it be set
(split resources, AWS provider v3 inline blocks, launch templates)."""

from __future__ import annotations

from dr_audit.terraform.values import Unknown
from tests.conftest import one

PROVIDER = 'provider "aws" {\n  region = "eu-west-1"\n}\n'


def _unknown(resource, attribute: str) -> Unknown:
    value = resource.value(attribute)
    assert isinstance(value, Unknown), (attribute, value)
    return value


# ----- null means not set ----------------------------------------------------

def test_a_null_replication_source_is_not_a_replica(tree):
    # the terraform-aws-modules rds module writes replicate_source_db = var.replicate_source_db
    inventory = tree({"main.tf": PROVIDER + '''
        variable "replicate_source_db" {
          default = null
        }
        variable "unresolved" {
          type = string
        }
        resource "aws_db_instance" "primary" {
          identifier          = "primary"
          engine              = "postgres"
          port                = null
          kms_key_id          = null
          storage_encrypted   = true
          replicate_source_db = var.replicate_source_db
        }
        resource "aws_db_instance" "replica" {
          identifier          = "replica"
          replicate_source_db = aws_db_instance.primary.identifier
          kms_key_id          = null
        }
        resource "aws_db_instance" "maybe" {
          identifier          = "maybe"
          replicate_source_db = var.unresolved
        }
    '''})
    assert inventory.errors == []
    primary = one(inventory, "rds_instance", identifier="primary")
    assert primary.value("is_read_replica") is False
    assert primary.value("replicate_source_identifier") is None
    assert primary.value("port") == 5432 and "engine postgres default" in primary.attributes["port"].note
    assert primary.value("kms_key_region") == "eu-west-1"  # kms_key_id = null: the region's aws/rds key
    replica = one(inventory, "rds_instance", identifier="replica")
    assert replica.value("is_read_replica") is True
    assert "inherits" in _unknown(replica, "storage_encrypted").reason  # a null key does not encrypt it
    maybe = one(inventory, "rds_instance", identifier="maybe")
    _unknown(maybe, "is_read_replica")  # it may evaluate to null


def test_null_arguments_take_the_provider_default_or_none(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        variable "none" {
          default = null
        }
        resource "aws_autoscaling_group" "web" {
          name             = "web"
          min_size         = 2
          max_size         = 4
          desired_capacity = var.none
        }
        resource "aws_route53_record" "www" {
          zone_id         = "Z1"
          name            = "www.example.org"
          type            = "A"
          health_check_id = null
        }
        resource "aws_cloudwatch_metric_alarm" "a" {
          alarm_name          = "a"
          comparison_operator = "GreaterThanThreshold"
          evaluation_periods  = 1
          alarm_actions       = null
        }
        resource "cloudflare_load_balancer_pool" "p" {
          name    = "p"
          monitor = var.none
        }
        resource "aws_vpc" "v" {
          cidr_block = "10.0.0.0/16"
          tags       = null
        }
        resource "aws_dynamodb_table" "t" {
          name         = "t"
          stream_enabled = null
        }
    '''})
    assert inventory.errors == []
    group = one(inventory, "autoscaling_group", name="web")
    assert group.value("desired_capacity") == 2 and "AWS starts at min_size" in group.attributes["desired_capacity"].note
    assert one(inventory, "route53_record").value("has_health_check") is False
    assert one(inventory, "cloudwatch_alarm", name="a").value("has_actions") is False
    assert one(inventory, "cloudflare_lb_pool", name="p").value("has_monitor") is False
    assert one(inventory, "vpc").value("name") is None
    table = one(inventory, "dynamodb_table", name="t")
    assert table.value("stream_enabled") is False
    assert table.attributes["stream_enabled"].note == "stream_enabled not set: provider default"


def test_an_unresolved_optional_reference_is_unknown_not_true(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        variable "check" {
          type = string
        }
        resource "aws_route53_record" "www" {
          zone_id         = "Z1"
          name            = "www.example.org"
          type            = "A"
          health_check_id = var.check
        }
    '''})
    _unknown(one(inventory, "route53_record"), "has_health_check")


def test_links_and_nested_blocks_treat_null_as_not_set(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        resource "aws_autoscaling_group" "web" {
          name              = "web"
          min_size          = 1
          max_size          = 1
          target_group_arns = null
        }
        resource "aws_lb_target_group" "tg" {
          name = "tg"
          health_check {
            path     = null
            interval = null
          }
        }
        resource "aws_subnet" "s" {
          vpc_id     = null
          cidr_block = "10.0.0.0/24"
        }
    '''})
    assert one(inventory, "autoscaling_group", name="web").value("target_groups") == []
    group = one(inventory, "lb_target_group", name="tg")
    assert (group.value("health_check_path"), group.value("health_check_interval")) == ("/", 30)
    assert _unknown(one(inventory, "subnet"), "vpc").reason == "not set in code"


# ----- route tables --------------------------------------------------------------

ROUTES = PROVIDER + '''
    resource "aws_vpc" "v" {
      cidr_block = "10.0.0.0/16"
      tags       = { Name = "v" }
    }
    resource "aws_internet_gateway" "g" {
      vpc_id = aws_vpc.v.id
    }
    resource "aws_nat_gateway" "n" {
      subnet_id = aws_subnet.public.id
    }
    resource "aws_subnet" "public" {
      vpc_id     = aws_vpc.v.id
      cidr_block = "10.0.1.0/24"
      tags       = { Name = "public-a" }
    }
    resource "aws_subnet" "private" {
      vpc_id     = aws_vpc.v.id
      cidr_block = "10.0.2.0/24"
      tags       = { Name = "private-a" }
    }
    resource "aws_route_table" "public" {
      vpc_id = aws_vpc.v.id
      tags   = { Name = "public" }
    }
    resource "aws_route" "public_internet" {
      route_table_id         = aws_route_table.public.id
      destination_cidr_block = "0.0.0.0/0"
      gateway_id             = aws_internet_gateway.g.id
    }
    resource "aws_route_table" "private" {
      vpc_id = aws_vpc.v.id
      tags   = { Name = "private" }
      route {
        cidr_block     = "0.0.0.0/0"
        gateway_id     = null
        nat_gateway_id = aws_nat_gateway.n.id
      }
    }
    resource "aws_route_table" "lenient" {
      vpc_id = aws_vpc.v.id
      tags   = { Name = "lenient" }
    }
    resource "aws_route" "lenient" {
      route_table_id         = aws_route_table.lenient.id
      destination_cidr_block = "0.0.0.0/0"
      gateway_id             = aws_nat_gateway.n.id
    }
    resource "aws_route_table" "isolated" {
      vpc_id = aws_vpc.v.id
      tags   = { Name = "isolated" }
    }
    resource "aws_route" "isolated_peering" {
      route_table_id            = aws_route_table.isolated.id
      destination_cidr_block    = "10.1.0.0/16"
      vpc_peering_connection_id = "pcx-1"
    }
    resource "aws_route_table_association" "public" {
      subnet_id      = aws_subnet.public.id
      route_table_id = aws_route_table.public.id
    }
    resource "aws_main_route_table_association" "main" {
      vpc_id         = aws_vpc.v.id
      route_table_id = aws_route_table.private.id
    }
'''


def test_aws_route_resources_set_the_default_route_target(tree):
    inventory = tree({"main.tf": ROUTES})
    assert inventory.errors == []
    public = one(inventory, "route_table", name="public")
    assert public.value("default_route_target") == "internet_gateway"
    assert public.attributes["default_route_target"].file == "root/main.tf"
    assert one(inventory, "route_table", name="private").value("default_route_target") == "nat_gateway"
    # AWS stores a NAT gateway given as gateway_id as a NAT gateway route
    assert one(inventory, "route_table", name="lenient").value("default_route_target") == "nat_gateway"
    assert one(inventory, "route_table", name="isolated").value("default_route_target") == "none"


def test_subnets_are_the_explicit_associations_even_for_the_main_table(tree):
    inventory = tree({"main.tf": ROUTES})
    assert one(inventory, "route_table", name="public").value("subnets") == ["public-a"]
    # the main table serves private-a implicitly; AWS lists no association for it, nor do we
    assert one(inventory, "route_table", name="private").value("subnets") == []


def test_a_route_whose_table_is_unresolved_makes_the_target_unknown(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        variable "table" {
          type = string
        }
        resource "aws_route_table" "t" {
          tags = { Name = "t" }
        }
        resource "aws_route" "r" {
          route_table_id         = var.table
          destination_cidr_block = "0.0.0.0/0"
          gateway_id             = "igw-1"
        }
    '''})
    assert "may be in this table" in _unknown(one(inventory, "route_table", name="t"), "default_route_target").reason


# ----- DynamoDB global tables ------------------------------------------------------

def test_table_replica_resources_and_null_replica_regions(tree):
    inventory = tree({"main.tf": '''
        provider "aws" {
          region = "us-east-1"
        }
        provider "aws" {
          alias  = "west"
          region = "us-west-2"
        }
        resource "aws_dynamodb_table" "orders" {
          name = "orders"
          lifecycle {
            ignore_changes = [replica]
          }
        }
        resource "aws_dynamodb_table_replica" "west" {
          provider         = aws.west
          global_table_arn = aws_dynamodb_table.orders.arn
        }
        resource "aws_dynamodb_table_replica" "eu" {
          region           = "eu-west-1"
          global_table_arn = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
        }
        resource "aws_dynamodb_table" "inline" {
          name = "inline"
          replica {
            region_name = "ap-southeast-2"
          }
          replica {
            region_name = null
          }
        }
    '''})
    assert inventory.errors == []
    assert one(inventory, "dynamodb_table", name="orders").value("replica_regions") == ["us-west-2", "eu-west-1"]
    assert one(inventory, "dynamodb_table", name="inline").value("replica_regions") == ["ap-southeast-2"]


# ----- Route 53 private zones ----------------------------------------------------------

def test_a_zone_is_private_when_created_with_a_vpc(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        resource "aws_vpc" "v" {
          cidr_block = "10.0.0.0/16"
        }
        resource "aws_route53_zone" "internal" {
          name = "internal.example"
          vpc {
            vpc_id = aws_vpc.v.id
          }
          lifecycle {
            ignore_changes = [vpc]
          }
        }
        resource "aws_route53_zone_association" "more" {
          zone_id = aws_route53_zone.internal.zone_id
          vpc_id  = "vpc-2"
        }
        resource "aws_route53_zone" "public" {
          name = "example.org"
        }
        resource "aws_route53_zone" "orphan" {
          name = "orphan.example"
        }
        resource "aws_route53_zone_association" "refused" {
          zone_id = aws_route53_zone.orphan.zone_id
          vpc_id  = "vpc-3"
        }
    '''})
    assert one(inventory, "route53_zone", name="internal.example").value("private_zone") is True
    assert one(inventory, "route53_zone", name="example.org").value("private_zone") is False
    orphan = one(inventory, "route53_zone", name="orphan.example")
    assert orphan.value("private_zone") is False and "would be refused" in orphan.attributes["private_zone"].note


# ----- S3: split resources and v3 inline blocks ------------------------------------------

def test_s3_split_resources_by_id_bucket_or_literal_name(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        resource "aws_s3_bucket" "a" {
          bucket = "a"
        }
        resource "aws_s3_bucket" "b" {
          bucket = "b"
        }
        resource "aws_s3_bucket" "dst" {
          bucket = "dst"
        }
        resource "aws_s3_bucket_versioning" "a" {
          bucket = aws_s3_bucket.a.bucket
          versioning_configuration {
            status = "Enabled"
          }
        }
        resource "aws_s3_bucket_versioning" "b" {
          bucket = "b"
          versioning_configuration {
            status = "Suspended"
          }
        }
        resource "aws_s3_bucket_replication_configuration" "b" {
          bucket = "b"
          role   = "arn:aws:iam::1:role/r"
          rule {
            status = "Enabled"
            destination {
              bucket = aws_s3_bucket.dst.arn
            }
          }
          rule {
            status = "Disabled"
            destination {
              bucket = "arn:aws:s3:::ignored"
            }
          }
        }
    '''})
    assert one(inventory, "s3_bucket", name="a").value("versioning") == "Enabled"
    b = one(inventory, "s3_bucket", name="b")
    assert b.value("versioning") == "Suspended"
    assert b.value("replication_destination_buckets") == ["dst"]  # the disabled rule replicates nothing
    assert one(inventory, "s3_bucket", name="dst").value("versioning") == "Disabled"


def test_s3_inline_replication_configuration_of_provider_v3(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        resource "aws_s3_bucket" "src" {
          bucket = "src"
          versioning {
            enabled = true
          }
          replication_configuration {
            role = "arn:aws:iam::1:role/r"
            rules {
              id     = "all"
              status = "Enabled"
              delete_marker_replication_status = "Enabled"
              filter {
              }
              destination {
                bucket = "arn:aws:s3:::dst-v3"
                replication_time {
                  status  = "Enabled"
                  minutes = 15
                }
              }
            }
          }
        }
    '''})
    source = one(inventory, "s3_bucket", name="src")
    assert (source.value("versioning"), source.value("replication_destination_buckets"),
            source.value("replication_time_minutes"), source.value("delete_marker_replication")) == (
        "Enabled", ["dst-v3"], 15, True)


def test_an_s3_split_resource_naming_an_unresolved_bucket_is_unknown(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        variable "name" {
          type = string
        }
        resource "aws_s3_bucket" "a" {
          bucket = "a"
        }
        resource "aws_s3_bucket_versioning" "maybe" {
          bucket = var.name
          versioning_configuration {
            status = "Enabled"
          }
        }
    '''})
    assert "may configure it" in _unknown(one(inventory, "s3_bucket", name="a"), "versioning").reason


# ----- EKS node groups and launch templates ------------------------------------------

def test_node_group_instance_types_come_from_its_launch_template(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        resource "aws_launch_template" "big" {
          name          = "big"
          instance_type = "m6i.large"
        }
        resource "aws_launch_template" "bare" {
          name = "bare"
        }
        resource "aws_eks_node_group" "templated" {
          node_group_name = "templated"
          cluster_name    = "c"
          launch_template {
            id      = aws_launch_template.big.id
            version = "$Latest"
          }
        }
        resource "aws_eks_node_group" "by_name" {
          node_group_name = "by-name"
          cluster_name    = "c"
          launch_template {
            name    = "bare"
            version = "1"
          }
        }
        resource "aws_eks_node_group" "elsewhere" {
          node_group_name = "elsewhere"
          cluster_name    = "c"
          launch_template {
            name    = "not-in-code"
            version = "1"
          }
        }
        resource "aws_eks_node_group" "plain" {
          node_group_name = "plain"
          cluster_name    = "c"
          instance_types  = null
        }
    '''})
    templated = one(inventory, "eks_node_group", name="templated")
    assert templated.value("instance_types") == ["m6i.large"]
    assert "via aws_launch_template.big" in templated.attributes["instance_types"].note
    assert one(inventory, "eks_node_group", name="by-name").value("instance_types") == ["t3.medium"]
    assert "not declared" in _unknown(one(inventory, "eks_node_group", name="elsewhere"), "instance_types").reason
    assert one(inventory, "eks_node_group", name="plain").value("instance_types") == ["t3.medium"]


# ----- Secrets Manager and Route 53 health checks --------------------------------------

def test_secret_replica_blocks_with_a_null_region_are_no_replica(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        resource "aws_secretsmanager_secret" "s" {
          name = "s"
          replica {
            region = "eu-central-1"
          }
          replica {
            region = null
          }
        }
    '''})
    assert one(inventory, "secretsmanager_secret", name="s").value("replica_regions") == ["eu-central-1"]


def test_health_check_defaults_depend_on_the_type(tree):
    inventory = tree({"main.tf": PROVIDER + '''
        resource "aws_route53_health_check" "web" {
          type          = "HTTPS"
          fqdn          = "api.example.org."
          resource_path = "/health"
          tags          = { Name = "web" }
        }
        resource "aws_route53_health_check" "all" {
          type                   = "CALCULATED"
          child_health_threshold = 1
          child_healthchecks     = [aws_route53_health_check.web.id]
          tags                   = { Name = "all" }
        }
        resource "aws_route53_health_check" "alarm" {
          type                  = "CLOUDWATCH_METRIC"
          cloudwatch_alarm_name = "x"
          tags                  = { Name = "alarm" }
        }
    '''})
    web = one(inventory, "route53_health_check", name="web")
    assert (web.value("request_interval"), web.value("failure_threshold"), web.value("fqdn")) == (
        30, 3, "api.example.org")
    _unknown(web, "port")  # AWS documents no default port: never guessed
    for name in ("all", "alarm"):
        check = one(inventory, "route53_health_check", name=name)
        for attribute in ("request_interval", "failure_threshold", "port", "fqdn"):
            assert check.value(attribute) is None, (name, attribute)
            assert "not applicable to type" in check.attributes[attribute].note
