"""A large Terraform tree that looks like real work, and a policy over it.

``generate_tree(directory, roots=16, services=20)`` writes 20 local modules
(5 files each) and ``roots`` root modules (5 shared files plus one file per
service), each service file using variables, locals, ``for_each``, ``dynamic``
blocks, ``jsonencode`` and a local module call. The defaults give 500 files and
more than 40,000 lines. Everything is deterministic: the same call writes the
same bytes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

REGIONS = ("ap-northeast-2", "ap-northeast-1")


def _write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = textwrap.dedent(text).lstrip("\n")
    path.write_text(body, encoding="utf-8")
    return body.count("\n")


def _module(directory: Path, index: int) -> int:
    lines = _write(directory / "variables.tf", f'''
        variable "name" {{
          type        = string
          description = "name prefix of module {index}"
        }}

        variable "vpc_id" {{
          type    = string
          default = "vpc-0000000000000{index:03d}"
        }}

        variable "ports" {{
          type    = list(number)
          default = [80, 443, {8000 + index}]
        }}

        variable "tags" {{
          type    = map(string)
          default = {{}}
        }}

        variable "retention_days" {{
          type    = number
          default = {7 + index % 24}
        }}
    ''')
    lines += _write(directory / "locals.tf", f'''
        locals {{
          full_name = "${{var.name}}-m{index}"
          common_tags = merge(var.tags, {{
            Module    = "m{index}"
            ManagedBy = "terraform"
          }})
          rules = {{ for port in var.ports : tostring(port) => {{ from = port, to = port, cidr = "10.0.0.0/8" }} }}
        }}
    ''')
    lines += _write(directory / "main.tf", f'''
        resource "aws_security_group" "this" {{
          name   = local.full_name
          vpc_id = var.vpc_id

          dynamic "ingress" {{
            for_each = local.rules
            content {{
              from_port   = ingress.value.from
              to_port     = ingress.value.to
              protocol    = "tcp"
              cidr_blocks = [ingress.value.cidr]
            }}
          }}

          egress {{
            from_port   = 0
            to_port     = 0
            protocol    = "-1"
            cidr_blocks = ["0.0.0.0/0"]
          }}

          tags = local.common_tags
        }}

        resource "aws_cloudwatch_log_group" "this" {{
          name              = "/app/${{local.full_name}}"
          retention_in_days = var.retention_days
          tags              = local.common_tags
        }}
    ''')
    lines += _write(directory / "security.tf", f'''
        resource "aws_iam_role" "this" {{
          name = "${{local.full_name}}-role"
          assume_role_policy = jsonencode({{
            Version = "2012-10-17"
            Statement = [{{
              Effect    = "Allow"
              Action    = "sts:AssumeRole"
              Principal = {{ Service = "ecs-tasks.amazonaws.com" }}
            }}]
          }})
          tags = local.common_tags
        }}

        resource "aws_iam_role_policy" "this" {{
          name = "${{local.full_name}}-logs"
          role = aws_iam_role.this.id
          policy = jsonencode({{
            Version = "2012-10-17"
            Statement = [{{
              Effect   = "Allow"
              Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
              Resource = "${{aws_cloudwatch_log_group.this.arn}}:*"
            }}]
          }})
        }}
    ''')
    lines += _write(directory / "outputs.tf", '''
        output "security_group_id" {
          value = aws_security_group.this.id
        }

        output "role_arn" {
          value = aws_iam_role.this.arn
        }

        output "log_group" {
          value = aws_cloudwatch_log_group.this.name
        }
    ''')
    return lines


def _root_shared(directory: Path, root: int, region: str) -> int:
    lines = _write(directory / "providers.tf", f'''
        terraform {{
          required_providers {{
            aws = {{
              source  = "hashicorp/aws"
              version = "~> 5.0"
            }}
          }}
        }}

        provider "aws" {{
          region = var.region
        }}
    ''')
    lines += _write(directory / "variables.tf", f'''
        variable "region" {{
          type    = string
          default = "{region}"
        }}

        variable "environment" {{
          type    = string
          default = "env{root}"
        }}

        variable "vpc_cidr" {{
          type    = string
          default = "10.{root}.0.0/16"
        }}

        variable "azs" {{
          type    = list(string)
          default = ["{region}a", "{region}c"]
        }}
    ''')
    lines += _write(directory / "locals.tf", f'''
        locals {{
          prefix = "bench-r{root}"
          tags = {{
            Environment = var.environment
            Root        = "r{root}"
          }}
          subnets = {{ for index, az in var.azs : az => cidrsubnet(var.vpc_cidr, 4, index) }}
        }}
    ''')
    lines += _write(directory / "network.tf", '''
        resource "aws_vpc" "main" {
          cidr_block           = var.vpc_cidr
          enable_dns_hostnames = true
          tags                 = merge(local.tags, { Name = "${local.prefix}-vpc" })
        }

        resource "aws_subnet" "private" {
          for_each          = local.subnets
          vpc_id            = aws_vpc.main.id
          cidr_block        = each.value
          availability_zone = each.key
          tags              = merge(local.tags, { Name = "${local.prefix}-private-${each.key}" })
        }

        resource "aws_internet_gateway" "main" {
          vpc_id = aws_vpc.main.id
          tags   = merge(local.tags, { Name = "${local.prefix}-igw" })
        }
    ''')
    lines += _write(directory / "terraform.tfvars", f'''
        environment = "env{root}"
        vpc_cidr    = "10.{root}.0.0/16"
    ''')
    return lines


def _service(directory: Path, root: int, service: int, modules: int) -> int:
    name = f"r{root}-s{service}"
    return _write(directory / f"service_{service:02d}.tf", f'''
        locals {{
          s{service}_tables = {{
            orders   = "orderId"
            sessions = "sessionId"
            events   = "eventId"
          }}
          s{service}_repositories = toset(["api", "worker", "scheduler"])
        }}

        resource "aws_dynamodb_table" "s{service}" {{
          for_each         = local.s{service}_tables
          name             = "{name}-${{each.key}}"
          billing_mode     = "PAY_PER_REQUEST"
          hash_key         = each.value
          stream_enabled   = true
          stream_view_type = "NEW_AND_OLD_IMAGES"

          attribute {{
            name = each.value
            type = "S"
          }}

          point_in_time_recovery {{
            enabled = true
          }}

          dynamic "replica" {{
            for_each = var.region == "{REGIONS[0]}" ? ["{REGIONS[1]}"] : []
            content {{
              region_name = replica.value
            }}
          }}

          tags = merge(local.tags, {{ Service = "s{service}" }})
        }}

        resource "aws_ecr_repository" "s{service}" {{
          for_each             = local.s{service}_repositories
          name                 = "{name}-${{each.key}}"
          image_tag_mutability = "IMMUTABLE"

          image_scanning_configuration {{
            scan_on_push = true
          }}

          tags = local.tags
        }}

        resource "aws_cloudwatch_metric_alarm" "s{service}_errors" {{
          alarm_name          = "{name}-errors"
          namespace           = "App/s{service}"
          metric_name         = "Errors"
          comparison_operator = "GreaterThanThreshold"
          threshold           = {service + 1}
          period              = 60
          evaluation_periods  = 3
          statistic           = "Sum"
          alarm_actions       = []
          tags                = local.tags
        }}

        resource "aws_s3_bucket" "s{service}" {{
          bucket = "{name}-artifacts"
          tags   = local.tags
        }}

        resource "aws_s3_bucket_versioning" "s{service}" {{
          bucket = aws_s3_bucket.s{service}.id
          versioning_configuration {{
            status = "Enabled"
          }}
        }}

        resource "aws_sqs_queue" "s{service}_dead" {{
          name                      = "{name}-dead-letters"
          message_retention_seconds = 1209600
          tags                      = local.tags
        }}

        resource "aws_sqs_queue" "s{service}" {{
          name                       = "{name}-work"
          visibility_timeout_seconds = 120
          redrive_policy = jsonencode({{
            deadLetterTargetArn = aws_sqs_queue.s{service}_dead.arn
            maxReceiveCount     = 5
          }})
          tags = local.tags
        }}

        resource "aws_cloudwatch_metric_alarm" "s{service}_latency" {{
          alarm_name          = "{name}-latency"
          namespace           = "App/s{service}"
          metric_name         = "LatencyP99"
          comparison_operator = "GreaterThanThreshold"
          threshold           = {250 + service * 10}
          period              = 60
          evaluation_periods  = 5
          statistic           = "Maximum"
          alarm_actions       = []
          tags                = local.tags
        }}

        resource "aws_ssm_parameter" "s{service}_queue" {{
          name  = "/${{var.environment}}/s{service}/queue-url"
          type  = "String"
          value = aws_sqs_queue.s{service}.url
          tags  = local.tags
        }}

        module "s{service}_app" {{
          source = "../../modules/m{(root * 7 + service) % modules:02d}"
          name   = "{name}"
          vpc_id = aws_vpc.main.id
          ports  = [80, 443, {9000 + service}]
          tags   = local.tags
        }}
    ''')


def generate_tree(directory: Path, roots: int = 16, services: int = 20, modules: int = 20) -> dict[str, int]:
    """Write the tree; returns {"files": n, "lines": n, "roots": n}."""
    directory = Path(directory)
    lines = files = 0
    for index in range(modules):
        lines += _module(directory / "modules" / f"m{index:02d}", index)
        files += 5
    for root in range(roots):
        folder = directory / "envs" / f"r{root:02d}"
        lines += _root_shared(folder, root, REGIONS[root % 2])
        files += 5
        for service in range(services):
            lines += _service(folder, root, service, modules)
            files += 1
    return {"files": files, "lines": lines, "roots": roots}


def generate_policy(path: Path, roots: int = 16, services: int = 20) -> int:
    """A policy over the generated tree: for each root, its VPC and every service's
    tables, repositories and alarm (6 rows per service). Returns the row count."""
    out = ["policy: {name: bench, title: generated benchmark policy, version: 1}", "roles:"]
    for root in range(roots):
        out.append(f"  r{root:02d}: {{region: {REGIONS[root % 2]}, terraform_root: envs/r{root:02d}}}")
    out += ["terraform: {root: tree}", "rows:"]

    def row(row_id: str, role: str, kind: str, select: str, attribute: str, op: str, value: str) -> None:
        out.extend([f"  - id: {row_id}", '    clause: "1"', f"    title: {row_id.lower()}", f"    kind: {kind}",
                    f"    role: {role}", f"    select: {{{select}}}", f"    attribute: {attribute}", f"    op: {op}",
                    f"    value: {value}", "    managed_by: terraform", "    severity: medium"])

    for root in range(roots):
        role = f"r{root:02d}"
        row(f"VPC-CIDR-R{root}", role, "vpc", f"name: bench-r{root}-vpc", "cidr_block", "cidr_eq", f"10.{root}.0.0/16")
        for service in range(services):
            name = f"r{root}-s{service}"
            for table in ("orders", "sessions"):
                row(f"DDB-PITR-{name.upper()}-{table.upper()}", role, "dynamodb_table", f"name: {name}-{table}",
                    "point_in_time_recovery", "eq", "true")
            row(f"DDB-STREAM-{name.upper()}", role, "dynamodb_table", f"name: {name}-events", "stream_view_type",
                "eq", "NEW_AND_OLD_IMAGES")
            row(f"ECR-IMMUTABLE-{name.upper()}", role, "ecr_repository", f"name: {name}-api", "image_tag_mutability",
                "eq", "IMMUTABLE")
            row(f"ALARM-PERIODS-{name.upper()}", role, "cloudwatch_alarm", f"name: {name}-errors",
                "evaluation_periods", "gte", "3")
            row(f"S3-VERSIONING-{name.upper()}", role, "s3_bucket", f"name: {name}-artifacts", "versioning", "eq",
                "Enabled")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return roots * (1 + services * 6)
