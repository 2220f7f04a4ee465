"""Modules as ``terraform init`` leaves them, null inputs, optional attributes,
per-resource regions and dynamic blocks, on trees written under tmp_path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.module import ModuleInstance, RootSettings
from dr_audit.terraform.parse_cache import ParseCache
from dr_audit.terraform.parsing import parse_directory
from dr_audit.terraform.values import Unknown
from tests.conftest import one, write_tree

PROVIDER = 'provider "aws" {\n  region = "eu-west-1"\n}\n'


def manifest(*entries: tuple[str, str, str]) -> str:
    """modules.json as terraform init writes it: the root entry, then (key, source, dir) per call."""
    modules = [{"Key": "", "Source": "", "Dir": "."}]
    modules += [{"Key": key, "Source": source, "Dir": directory} for key, source, directory in entries]
    return json.dumps({"Modules": modules})


def collect(tmp_path: Path, files: dict[str, str], **options):
    write_tree(tmp_path / "root", files)
    return collect_terraform(tmp_path, {"main": "root"}, **options)


def root_module(tmp_path: Path, files: dict[str, str]) -> ModuleInstance:
    """The evaluated root module of a tree written at tmp_path/root (no mappings involved)."""
    write_tree(tmp_path / "root", files)
    parsed = parse_directory(tmp_path / "root", tmp_path)
    assert parsed.errors == []
    return ModuleInstance(parsed, "", {}, {}, tmp_path, [], tmp_path / "root", settings=RootSettings())


def instance(root: ModuleInstance, address: str):
    found = [i for i in root.all_instances() if i.address == address]
    assert len(found) == 1, [i.address for i in root.all_instances()]
    return found[0]


# ----- modules from .terraform/modules -------------------------------------------
REGISTRY_TREE = {
    "main.tf": PROVIDER + '''
        module "vpc" {
          source  = "terraform-aws-modules/vpc/aws"
          version = "5.0.0"
          cidr    = "10.1.0.0/16"
        }
    ''',
    ".terraform/modules/modules.json": manifest(
        ("vpc", "registry.terraform.io/terraform-aws-modules/vpc/aws", ".terraform/modules/vpc"),
        ("vpc.subnets", "./modules/subnets", ".terraform/modules/vpc/modules/subnets")),
    ".terraform/modules/vpc/main.tf": '''
        variable "cidr" {
          type = string
        }
        resource "aws_vpc" "this" {
          cidr_block = var.cidr
          tags = {
            Name = "registry-vpc"
          }
        }
        module "subnets" {
          source = "./modules/subnets"
          vpc_id = aws_vpc.this.id
          cidrs  = [cidrsubnet(var.cidr, 8, 1)]
        }
    ''',
    ".terraform/modules/vpc/modules/subnets/main.tf": '''
        variable "vpc_id" {}
        variable "cidrs" {
          type = list(string)
        }
        resource "aws_subnet" "this" {
          count      = length(var.cidrs)
          vpc_id     = var.vpc_id
          cidr_block = var.cidrs[count.index]
        }
    ''',
}


def test_a_registry_module_and_its_nested_local_module_are_read_from_where_init_put_them(tmp_path):
    inventory = collect(tmp_path, REGISTRY_TREE)
    assert (inventory.errors, inventory.gaps) == ([], [])
    vpc = one(inventory, "vpc", name="registry-vpc")
    assert (vpc.address, vpc.file, vpc.line, vpc.region) == (
        "module.vpc.aws_vpc.this", "root/.terraform/modules/vpc/main.tf", 5, "eu-west-1")
    subnet = one(inventory, "subnet", cidr_block="10.1.1.0/24")
    assert subnet.address == "module.vpc.module.subnets.aws_subnet.this[0]"
    assert subnet.value("vpc") == "registry-vpc"  # the link crosses both module boundaries
    # a value written in the nested module cites the nested module's file and line
    cidr = subnet.attributes["cidr_block"]
    assert (cidr.file, cidr.line, cidr.expression) == (
        "root/.terraform/modules/vpc/modules/subnets/main.tf", 9, "var.cidrs[count.index]")


def test_a_subdirectory_source_is_read_from_the_directory_init_recorded(tmp_path):
    inventory = collect(tmp_path, {
        "main.tf": PROVIDER + '''
            module "keys" {
              source = "git::https://example.com/platform.git//modules/kms?ref=v1.2.0"
              alias  = "alias/platform"
            }
        ''',
        ".terraform/modules/modules.json": manifest(
            ("keys", "git::https://example.com/platform.git//modules/kms?ref=v1.2.0", ".terraform/modules/keys/modules/kms")),
        ".terraform/modules/keys/main.tf": 'resource "aws_kms_alias" "decoy" {\n  name = "alias/repository-root"\n}\n',
        ".terraform/modules/keys/modules/kms/main.tf": 'variable "alias" {}\nresource "aws_kms_alias" "a" {\n  name = var.alias\n}\n',
    })
    assert (inventory.errors, inventory.gaps) == ([], [])
    assert [(r.address, r.value("name"), r.file) for r in inventory.resources if r.kind == "kms_alias"] == [
        ("module.keys.aws_kms_alias.a", "alias/platform", "root/.terraform/modules/keys/modules/kms/main.tf")]


def test_a_module_called_twice_is_two_instances_of_one_directory(tmp_path):
    inventory = collect(tmp_path, {
        "main.tf": PROVIDER + '''
            module "blue" {
              source = "acme/alias/aws"
              name   = "alias/blue"
            }
            module "green" {
              source = "acme/alias/aws"
              name   = "alias/green"
            }
            module "many" {
              source   = "acme/alias/aws"
              for_each = toset(["x", "y"])
              name     = "alias/${each.key}"
            }
        ''',
        ".terraform/modules/modules.json": manifest(
            ("blue", "registry.terraform.io/acme/alias/aws", ".terraform/modules/shared"),
            ("green", "registry.terraform.io/acme/alias/aws", ".terraform/modules/shared"),
            ("many", "registry.terraform.io/acme/alias/aws", ".terraform/modules/many")),
        ".terraform/modules/shared/main.tf": 'variable "name" {}\nresource "aws_kms_alias" "a" {\n  name = var.name\n}\n',
        ".terraform/modules/many/main.tf": 'variable "name" {}\nresource "aws_kms_alias" "a" {\n  name = var.name\n}\n',
    })
    assert (inventory.errors, inventory.gaps) == ([], [])
    assert sorted((r.address, r.value("name")) for r in inventory.resources if r.kind == "kms_alias") == [
        ("module.blue.aws_kms_alias.a", "alias/blue"), ("module.green.aws_kms_alias.a", "alias/green"),
        ('module.many["x"].aws_kms_alias.a', "alias/x"), ('module.many["y"].aws_kms_alias.a', "alias/y")]


UNINITIALISED = {
    "main.tf": PROVIDER + '''
        resource "aws_kms_alias" "root" {
          name = "alias/in-root"
        }
        module "remote" {
          source = "terraform-aws-modules/kms/aws"
        }
        output "remote_arn" {
          value = module.remote.key_arn
        }
    ''',
}


def test_without_modules_json_a_remote_module_is_a_gap_and_the_rest_stays_definite(tmp_path):
    inventory = collect(tmp_path, UNINITIALISED)
    assert inventory.errors == []  # a gap is not an unreadable input: no row becomes ERROR for it
    [gap] = inventory.gaps
    assert (gap.path, gap.line, gap.module, gap.source) == ("root/main.tf", 8, "module.remote", "terraform-aws-modules/kms/aws")
    assert str(gap).startswith("root/main.tf:8: module.remote (source 'terraform-aws-modules/kms/aws') is not audited")
    assert "terraform init -backend=false" in str(gap) and "modules.json is absent" in str(gap)
    assert gap.kinds is None and gap.affects("kms_alias", "eu-west-1") and inventory.gaps_for("vpc", None) == [gap]
    selection = inventory.select("kms_alias", "eu-west-1", {"name": "alias/in-root"})
    assert [r.address for r in selection.matched] == ["aws_kms_alias.root"] and selection.possible == []


def test_a_manifest_entry_that_is_missing_or_whose_directory_is_gone_is_a_gap(tmp_path):
    inventory = collect(tmp_path, {
        "main.tf": PROVIDER + '''
            module "gone" {
              source = "acme/gone/aws"
            }
            module "late" {
              source = "acme/late/aws"
            }
        ''',
        ".terraform/modules/modules.json": manifest(("gone", "registry.terraform.io/acme/gone/aws", ".terraform/modules/gone")),
    })
    assert inventory.errors == []
    reasons = {gap.module: gap.reason for gap in inventory.gaps}
    assert reasons == {"module.gone": ".terraform/modules/gone named by .terraform/modules/modules.json is absent",
                       "module.late": ".terraform/modules/modules.json has no entry for module 'late' "
                                      "(the module was added after init)"}


def test_a_corrupt_manifest_is_an_error_and_its_modules_are_gaps(tmp_path):
    inventory = collect(tmp_path, {**UNINITIALISED, ".terraform/modules/modules.json": "{not json"})
    assert [(e.path, "Modules list" in e.message) for e in inventory.errors] == [
        ("root/.terraform/modules/modules.json", True)]
    assert [gap.module for gap in inventory.gaps] == ["module.remote"]


def test_a_module_whose_count_is_unresolved_is_a_gap_naming_the_reason(tmp_path):
    inventory = collect(tmp_path, {
        "main.tf": PROVIDER + '''
            variable "replicas" {
              type = number
            }
            module "replica" {
              source = "./modules/alias"
              count  = var.replicas
            }
        ''',
        "modules/alias/main.tf": 'resource "aws_kms_alias" "a" {\n  name = "alias/replica"\n}\n'
                                 'module "net" {\n  source = "./net"\n}\n',
        "modules/alias/net/main.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n',
    })
    assert inventory.errors == []
    [gap] = inventory.gaps
    assert (gap.module, gap.line) == ("module.replica", 8)
    assert "count is unresolved" in gap.reason and "no default" in gap.reason
    assert "tfvars" in gap.remedy
    # the module itself was read: it can hide only the kinds its tree declares
    assert gap.kinds == {"kms_alias", "vpc"}
    assert gap.affects("kms_alias", "eu-west-1") and not gap.affects("rds_instance", "eu-west-1")


def test_gaps_are_kept_with_the_cached_root_and_a_new_manifest_invalidates_it(tmp_path):
    cache = tmp_path / "cache"
    first = collect(tmp_path, UNINITIALISED, cache=ParseCache(cache))
    warm_cache = ParseCache(cache)
    again = collect_terraform(tmp_path, {"main": "root"}, warm_cache)
    assert warm_cache.stats.roots_reused == 1
    assert [str(g) for g in again.gaps] == [str(g) for g in first.gaps] != []
    write_tree(tmp_path / "root", {
        ".terraform/modules/modules.json": manifest(("remote", "registry.terraform.io/terraform-aws-modules/kms/aws",
                                                     ".terraform/modules/remote")),
        ".terraform/modules/remote/main.tf": 'resource "aws_kms_alias" "k" {\n  name = "alias/remote"\n}\n',
    })
    after_init = ParseCache(cache)
    initialised = collect_terraform(tmp_path, {"main": "root"}, after_init)
    assert after_init.stats.roots_reused == 0 and initialised.gaps == []
    assert sorted(r.value("name") for r in initialised.resources if r.kind == "kms_alias") == [
        "alias/in-root", "alias/remote"]


# ----- null means not set --------------------------------------------------------
def test_null_inputs_follow_nullable(tmp_path):
    root = root_module(tmp_path, {
        "main.tf": PROVIDER + '''
            module "m" {
              source       = "./m"
              strict       = null
              loose        = null
              required     = null
              strict_given = "given"
            }
        ''',
        "m/main.tf": '''
            variable "strict" {
              default  = "strict-default"
              nullable = false
            }
            variable "loose" {
              default = "loose-default"
            }
            variable "required" {
              type = string
            }
            variable "strict_given" {
              default  = "unused"
              nullable = false
            }
            resource "aws_kms_alias" "a" {
              name        = var.strict
              target_key_id = var.loose
              description = var.required
              tags = {
                given = var.strict_given
              }
            }
        ''',
    })
    alias = instance(root, "module.m.aws_kms_alias.a")
    assert alias.evidence("name").value == "strict-default"   # nullable = false: null takes the default
    assert alias.evidence("target_key_id").value is None        # nullable (the default): null stays null
    assert alias.evidence("description").value is None         # no default: null is a value, not "missing"
    assert alias.evidence("tags").value == {"given": "given"}


def test_a_non_nullable_variable_without_default_given_null_is_unknown(tmp_path):
    root = root_module(tmp_path, {
        "main.tf": 'module "m" {\n  source = "./m"\n  v = null\n}\n',
        "m/main.tf": 'variable "v" {\n  nullable = false\n}\noutput "o" {\n  value = var.v\n}\n',
    })
    value = root.module_outputs("m").get_attribute("o")
    assert isinstance(value, Unknown) and "not nullable" in value.reason


def test_optional_attribute_defaults_apply_at_every_depth_and_for_null(tmp_path):
    root = root_module(tmp_path, {
        "main.tf": '''
            variable "buckets" {
              type = map(object({
                versioned = optional(bool, true)
                lifecycle = optional(object({
                  days    = optional(number, 30)
                  enabled = optional(bool, false)
                }), {})
                rules = optional(list(object({
                  prefix  = string
                  storage = optional(string, "STANDARD_IA")
                })), [])
              }))
              default = {
                logs  = { versioned = null, rules = [{ prefix = "a/" }, { prefix = "b/", storage = "GLACIER" }] }
                media = { lifecycle = { days = 7 } }
                plain = { lifecycle = null }
              }
            }
            output "buckets" {
              value = var.buckets
            }
        ''',
    })
    assert root.output("buckets") == {
        "logs": {"versioned": True, "lifecycle": {"days": 30, "enabled": False},
                 "rules": [{"prefix": "a/", "storage": "STANDARD_IA"}, {"prefix": "b/", "storage": "GLACIER"}]},
        "media": {"versioned": True, "lifecycle": {"days": 7, "enabled": False}, "rules": []},
        "plain": {"versioned": True, "lifecycle": {"days": 30, "enabled": False}, "rules": []},
    }


def test_a_null_per_resource_region_means_the_providers(tmp_path):
    root = root_module(tmp_path, {"main.tf": PROVIDER + '''
        variable "region" {
          default = null
        }
        resource "aws_kms_alias" "a" {
          name   = "alias/a"
          region = var.region
        }
        resource "aws_kms_alias" "b" {
          name   = "alias/b"
          region = "us-west-2"
        }
    '''})
    assert (instance(root, "aws_kms_alias.a").region, instance(root, "aws_kms_alias.b").region) == (
        "eu-west-1", "us-west-2")


# ----- dynamic blocks ------------------------------------------------------------
def block_values(holder, block_type: str, argument: str) -> list:
    return [b.evidence(argument).value for b in holder.blocks(block_type)]


def test_dynamic_iterator_nested_dynamic_and_map_or_set_for_each(tmp_path):
    root = root_module(tmp_path, {"main.tf": '''
        variable "rules" {
          default = {
            first  = ["eu-west-1", "us-east-1"]
            second = ["ap-south-1"]
          }
        }
        resource "aws_ecr_replication_configuration" "r" {
          replication_configuration {
            dynamic "rule" {
              for_each = var.rules
              iterator = r
              content {
                description = r.key
                dynamic "destination" {
                  for_each = toset(r.value)
                  content {
                    region      = destination.value
                    registry_id = "${r.key}-${destination.key}"
                  }
                }
              }
            }
          }
        }
    '''})
    configuration = instance(root, "aws_ecr_replication_configuration.r").blocks("replication_configuration")[0]
    rules = configuration.blocks("rule")
    assert [r.evidence("description").value for r in rules] == ["first", "second"]
    assert block_values(rules[0], "destination", "registry_id") == ["first-eu-west-1", "first-us-east-1"]
    assert block_values(rules[1], "destination", "region") == ["ap-south-1"]


def test_dynamic_for_each_over_a_partly_known_list_keeps_the_known_blocks(tmp_path):
    root = root_module(tmp_path, {"main.tf": '''
        variable "extra" {
          type = string
        }
        resource "aws_secretsmanager_secret" "s" {
          name = "s"
          dynamic "replica" {
            for_each = ["us-west-2", var.extra, "eu-central-1"]
            content {
              region = replica.value
            }
          }
        }
    '''})
    replicas = instance(root, "aws_secretsmanager_secret.s").blocks("replica")
    certain = [b for b in replicas if not getattr(b, "uncertain", False)]
    uncertain = [b for b in replicas if getattr(b, "uncertain", False)]
    assert [b.evidence("region").value for b in certain] == ["us-west-2", "eu-central-1"]
    assert len(uncertain) == 1 and isinstance(uncertain[0].evidence("region").value, Unknown)


def test_dynamic_for_each_that_is_wholly_unknown_is_one_uncertain_block(tmp_path):
    root = root_module(tmp_path, {"main.tf": '''
        variable "regions" {
          type = list(string)
        }
        resource "aws_secretsmanager_secret" "s" {
          name = "s"
          dynamic "replica" {
            for_each = var.regions
            content {
              region = replica.value
            }
          }
        }
    '''})
    [replica] = instance(root, "aws_secretsmanager_secret.s").blocks("replica")
    assert getattr(replica, "uncertain", False) and "no default" in replica.evidence("region").value.reason


@pytest.mark.parametrize("workflow_file, job", [("dr-gate.yml", "static-audit"), ("dr-nightly.yml", "full-audit")])
def test_each_workflow_installs_modules_before_the_audit(workflow_file, job):
    import yaml

    workflow = yaml.safe_load((Path(__file__).resolve().parent.parent / ".github/workflows" / workflow_file).read_text())
    steps = [step.get("run", "") + step.get("uses", "") for step in workflow["jobs"][job]["steps"]]
    init = next(n for n, text in enumerate(steps) if "init -backend=false" in text)
    audit = next(n for n, text in enumerate(steps) if "pytest audits/" in text)
    assert any("setup-terraform" in text for text in steps[:init]) and init < audit
    assert "dr_audit.terraform_roots" in steps[init]


def test_the_roots_command_prints_each_root_of_the_policy_once(tmp_path, capsys):
    from dr_audit.terraform_roots import main

    policy = tmp_path / "policy.yaml"
    policy.write_text(textwrap.dedent("""\
        policy: {name: two-roles, version: 1}
        roles:
          primary: {region: eu-west-1, terraform_root: live}
          dr: {region: eu-central-1, terraform_root: live}
          edge: {region: us-east-1, terraform_root: edge}
        terraform: {root: infra}
        rows:
          - {id: ANY-ALIAS, clause: "1", title: t, kind: kms_alias, role: primary, op: exists,
             managed_by: terraform, severity: low}
        """))
    assert main([str(policy)]) == 0
    assert capsys.readouterr().out.split() == [str((tmp_path / "infra" / "edge").resolve()),
                                               str((tmp_path / "infra" / "live").resolve())]
    assert main([str(policy), "--terraform-root", str(tmp_path / "other")]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "other" / "edge"), str(tmp_path / "other" / "live")]
    policy.write_text("rows: [\n")
    assert main([str(policy)]) == 4
    assert "policy.yaml" in capsys.readouterr().err


def test_rows_found_elsewhere_stay_definite_and_rows_the_gap_could_hide_are_unknown(tmp_path):
    from dr_audit.evaluate import evaluate_static
    from dr_audit.policy import load_policy

    rows = "".join(f'''
  - id: {row_id}
    clause: "1"
    title: {row_id.lower()}
    kind: kms_alias
    role: primary
    select: {{name: {name}}}
    attribute: name
    op: eq
    value: {name}
    managed_by: terraform
    severity: high
''' for row_id, name in (("IN-ROOT", "alias/in-root"), ("MAYBE-REMOTE", "alias/elsewhere")))
    write_tree(tmp_path, {"policy.yaml": "policy: {name: gaps, title: Gaps, version: 1}\nroles:\n  primary: "
                                         "{region: eu-west-1, terraform_root: root}\nterraform: {root: tf}\nrows:\n" + rows})
    write_tree(tmp_path / "tf" / "root", UNINITIALISED)
    policy = load_policy(tmp_path / "policy.yaml")
    inventory = collect_terraform(tmp_path / "tf", {"primary": "root"})
    found = {row.id: evaluate_static(row, policy, inventory) for row in policy.rows}
    assert found["IN-ROOT"].status.value == "PASS"
    assert found["MAYBE-REMOTE"].status.value == "UNKNOWN"
    assert "module.remote" in found["MAYBE-REMOTE"].message and "terraform init" in found["MAYBE-REMOTE"].message


def test_null_in_tfvars_is_accepted_and_follows_nullable(tmp_path):
    inventory = collect(tmp_path, {
        "main.tf": PROVIDER + '''
            variable "alias" {
              type     = string
              default  = "alias/default"
              nullable = false
            }
            variable "description" {
              type    = string
              default = "unused"
            }
            resource "aws_kms_alias" "a" {
              name = var.alias
            }
            output "description" {
              value = var.description
            }
        ''',
        "terraform.tfvars": "alias       = null\ndescription = null\n",
    })
    assert inventory.errors == []
    assert one(inventory, "kms_alias").value("name") == "alias/default"


def test_tuple_types_apply_optional_defaults_element_by_element(tmp_path):
    root = root_module(tmp_path, {"main.tf": '''
        variable "pair" {
          type    = tuple([object({ days = optional(number, 30) }), string])
          default = [{}, "label"]
        }
        output "pair" {
          value = var.pair
        }
    '''})
    assert root.output("pair") == [{"days": 30}, "label"]


def test_a_manifest_that_describes_another_source_is_a_gap(tmp_path):
    inventory = collect(tmp_path, {
        "main.tf": PROVIDER + '''
            module "vpc" {
              source = "terraform-aws-modules/vpc/aws"
            }
            module "pinned" {
              source = "git::https://example.com/net.git?ref=v2.0.0"
            }
            module "same" {
              source = "acme/alias/aws"
            }
        ''',
        ".terraform/modules/modules.json": manifest(
            ("vpc", "registry.terraform.io/terraform-aws-modules/eks/aws", ".terraform/modules/vpc"),
            ("pinned", "git::https://example.com/net.git?ref=v1.0.0", ".terraform/modules/pinned"),
            ("same", "acme/alias/aws", ".terraform/modules/same")),
        ".terraform/modules/vpc/main.tf": 'resource "aws_kms_alias" "stale" {\n  name = "alias/stale"\n}\n',
        ".terraform/modules/pinned/main.tf": 'resource "aws_kms_alias" "old" {\n  name = "alias/old"\n}\n',
        ".terraform/modules/same/main.tf": 'resource "aws_kms_alias" "a" {\n  name = "alias/same"\n}\n',
    })
    assert sorted(gap.module for gap in inventory.gaps) == ["module.pinned", "module.vpc"]
    assert all("source changed since init" in gap.reason for gap in inventory.gaps)
    assert [r.value("name") for r in inventory.resources if r.kind == "kms_alias"] == ["alias/same"]
