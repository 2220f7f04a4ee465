"""``python -m dr_audit.coverage``: what of a Terraform tree the evaluator resolves."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import dr_audit.coverage
from dr_audit.coverage import find_roots, main, measure, reason_shape
from tests.conftest import REPO, write_tree

MODULE = """
    variable "name" {
      type = string
    }

    resource "aws_s3_bucket" "this" {
      bucket = var.name
    }
"""

APP = """
    provider "aws" {
      region = "us-east-1"
    }

    module "logs" {
      source = "../modules/bucket"
      name   = "app-logs"
    }

    resource "aws_db_instance" "db" {
      identifier     = "app-db"
      engine         = "mysql"
      instance_class = "db.t3.micro"
      backup_window  = var.window
    }

    resource "aws_db_instance" "copy" {
      identifier          = "app-db-copy"
      instance_class      = "db.t3.micro"
      replicate_source_db = aws_db_instance.db.identifier
    }

    variable "window" {
      type = string
    }
"""

REGISTRY = """
    provider "aws" {
      region = "us-west-2"
    }

    module "vpc" {
      source  = "acme/vpc/aws"
      version = "1.0.0"
    }
"""


def sample_tree(base):
    """Two roots (app, edge), a local module app calls, and a bad file in edge."""
    return write_tree(base, {
        "modules/bucket/main.tf": MODULE,
        "app/main.tf": APP,
        "edge/main.tf": REGISTRY,
        "edge/broken.tf": 'resource "aws_s3_bucket" "x" {\n',
        "app/.terraform/modules/ignored/main.tf": MODULE,
    })


def test_roots_are_directories_no_one_calls(tmp_path):
    assert find_roots(sample_tree(tmp_path / "tree")) == ["app", "edge"]


def test_a_tree_that_is_itself_a_root(tmp_path):
    tree = write_tree(tmp_path / "tree", {"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'})
    assert find_roots(tree) == ["."]


def test_counts_resources_values_and_unresolved_by_reason(tmp_path):
    coverage = measure(sample_tree(tmp_path / "tree"))
    assert coverage.roots == ["app", "edge"]
    assert dict(coverage.by_kind) == {"rds_instance": 2, "s3_bucket": 1}
    assert coverage.values == sum(len(dr_audit.coverage.KINDS[k].attributes) * n
                                  for k, n in coverage.by_kind.items())
    unresolved = {item.value: item for item in coverage.unresolved}
    window = unresolved["aws_db_instance.db.backup_window"]
    assert window.at == "app/main.tf:15"
    assert "no default" in window.reason
    # a replica's engine is inherited from its source at apply time
    assert "aws_db_instance.copy.engine" in unresolved
    assert coverage.resolved == coverage.values - len(coverage.unresolved)
    shapes = [shape for shape, _ in coverage.by_reason()]
    assert "variable … has no default and no value was given" in shapes


def test_reports_gaps_and_errors_without_failing(tmp_path, capsys):
    tree = sample_tree(tmp_path / "tree")
    assert main([str(tree)]) == 0
    text = capsys.readouterr().out
    assert "roots (2): app, edge" in text
    assert "rds_instance" in text and "app/main.tf:15  aws_db_instance.db.backup_window" in text
    assert "edge/broken.tf" in text  # the unreadable file is an error, named
    coverage = measure(tree)
    assert any("edge/broken.tf" in error for error in coverage.errors)
    # the registry module without terraform init hides what it declares: named either as a gap or an error
    assert any("acme/vpc/aws" in item for item in coverage.gaps + coverage.errors)


def test_json_output(tmp_path, capsys):
    tree = sample_tree(tmp_path / "tree")
    assert main([str(tree), "--root", "app", "--json", "--top", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["roots"] == ["app"]
    assert report["resources"]["by_kind"] == {"rds_instance": 2, "s3_bucket": 1}
    values = report["attribute_values"]
    assert values["resolved"] + values["unresolved"] == values["total"]
    assert values["unresolved_percent"] == round(100 * values["unresolved"] / values["total"], 1)
    assert all(len(group["examples"]) <= 1 for group in report["unresolved_by_reason"])
    assert sum(group["count"] for group in report["unresolved_by_reason"]) == values["unresolved"]


def test_secrets_never_reach_the_report(tmp_path, capsys):
    """A tfvars value of the wrong type is quoted in the error, masked when the name looks secret."""
    tree = write_tree(tmp_path / "tree", {
        "main.tf": """
            provider "aws" {
              region = "us-east-1"
            }

            variable "db_password" {
              type    = bool
            }

            resource "aws_db_instance" "db" {
              identifier     = "db"
              engine         = "mysql"
              instance_class = "db.t3.micro"
              password       = var.db_password
            }
        """,
        "terraform.tfvars": 'db_password = "hunter2-very-secret"\n',
    })
    main([str(tree), "--json"])
    assert "hunter2-very-secret" not in capsys.readouterr().out


def test_reason_shapes_group_names_out():
    assert reason_shape("module.a.aws_vpc.x[0].id is only known after apply") == "… is only known after apply"
    assert reason_shape('for_each over "x" is unresolved') == "for_each over … is unresolved"
    assert reason_shape("aws_route.a[0] (modules/vpc/main.tf:12) routes 0.0.0.0/0 here") == (
        "… (…) routes 0.0.0.0/0 here")  # a path with its line is a name; a CIDR is not
    assert doctest.testmod(dr_audit.coverage).failed == 0


def test_runs_as_a_module(tmp_path):
    tree = write_tree(tmp_path / "tree", {"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'})
    result = subprocess.run([sys.executable, "-m", "dr_audit.coverage", str(tree), "--json"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["resources"]["by_kind"] == {"s3_bucket": 1}


# ----- the public-roots benchmark harness, built on the coverage tool ---------------

from benchmarks import public_roots  # noqa: E402
from dr_audit.policy import load_policy  # noqa: E402

FETCHED = {
    "acme+terraform-aws-db/main.tf": """
        variable "identifier" {
          type = string
        }

        module "inner" {
          source     = "./modules/instance"
          identifier = var.identifier
        }
    """,
    "acme+terraform-aws-db/modules/instance/main.tf": """
        variable "identifier" {
          type = string
        }

        resource "aws_db_instance" "this" {
          identifier     = var.identifier
          engine         = "postgres"
          instance_class = "db.t3.micro"
          multi_az       = true
        }
    """,
    "acme+terraform-aws-db/examples/complete/main.tf": """
        provider "aws" {
          region = "eu-west-1"
        }

        module "db" {
          source     = "../../"
          identifier = "example-db"
        }

        module "bucket" {
          source = "acme/bucket/aws//modules/plain"
        }

        module "absent" {
          source  = "acme/absent/aws"
          version = "1.0.0"
        }
    """,
    "acme+terraform-aws-bucket/modules/plain/main.tf": """
        resource "aws_s3_bucket" "this" {
          bucket = "example-bucket"
        }
    """,
    "acme+terraform-aws-bucket/examples/basic/main.tf": """
        provider "aws" {
          region = "us-west-2"
        }

        module "plain" {
          source = "../../modules/plain"
        }

        module "db" {
          source     = "acme/db/aws"
          identifier = "bucket-example-db"
        }
    """,
}


def test_registry_addresses_name_the_fetched_repository():
    assert public_roots.registry_address("acme/db/aws") == ("acme+terraform-aws-db", "")
    assert public_roots.registry_address("registry.terraform.io/acme/iam/aws//modules/role") == (
        "acme+terraform-aws-iam", "modules/role")
    assert public_roots.registry_address("git::https://example.com/x.git") is None
    assert public_roots.registry_address("../../") is None


def test_the_manifest_is_what_terraform_init_would_write(tmp_path):
    fetched = write_tree(tmp_path / "fetched", FETCHED)
    root = fetched / "acme+terraform-aws-db" / "examples" / "complete"
    entries = {e["Key"]: e for e in public_roots.manifest(root, fetched)}
    assert entries[""] == {"Key": "", "Source": "", "Dir": "."}
    assert entries["db"]["Dir"] == "../.." and entries["db"]["Source"] == "../../"
    assert entries["db.inner"]["Dir"] == "../../modules/instance"
    assert entries["bucket"] == {"Key": "bucket", "Source": "registry.terraform.io/acme/bucket/aws//modules/plain",
                                 "Dir": "../../../acme+terraform-aws-bucket/modules/plain"}
    assert "absent" not in entries  # not fetched: left to the collector as a gap


def test_example_roots_and_the_prepared_tree(tmp_path):
    fetched = write_tree(tmp_path / "fetched", FETCHED)
    assert public_roots.example_roots(fetched / "acme+terraform-aws-db") == ["examples/complete"]
    work = tmp_path / "work"
    roots, commits = public_roots.prepare(fetched, work)
    assert roots == ["acme+terraform-aws-bucket/examples/basic", "acme+terraform-aws-db/examples/complete"]
    assert commits == {"acme+terraform-aws-bucket": None, "acme+terraform-aws-db": None}
    assert (work / roots[1] / ".terraform" / "modules" / "modules.json").is_file()
    assert not (fetched / "acme+terraform-aws-db" / "examples" / "complete" / ".terraform").exists()
    collected = public_roots.collect_each(work, roots)
    assert collected["crashes"] == []
    # each root audited alone: 13 generic rows per root, and only what the root holds decides them
    assert collected["rows"] == 2 * len(public_roots.yaml.safe_load(public_roots.ROWS.read_text()))
    by_root_rows = {r["root"]: r["rows"] for r in collected["per_root"]}
    # the bucket is not versioned, the instance is Multi-AZ; no other kind is there
    assert by_root_rows[roots[0]]["PASS"] == 1 and by_root_rows[roots[0]]["NOT_APPLICABLE"] == 8
    # the module not fetched is a gap: what it could hold is unknown, never PASS or NOT_APPLICABLE
    assert by_root_rows[roots[1]]["UNKNOWN"] >= 1 and not {"PASS", "NOT_APPLICABLE"} & set(by_root_rows[roots[1]])
    assert any("module.absent" in example for example in collected["not_definite_examples"]["UNKNOWN"])
    assert collected["regions"] == {roots[0]: ["us-west-2"], roots[1]: ["eu-west-1"]}
    by_root = {r["root"]: r for r in collected["per_root"]}
    assert by_root[roots[0]]["resources"] == 2 and by_root[roots[0]]["gaps"] == 0  # a repository copied later
    assert by_root[roots[1]]["resources"] == 2  # the instance two modules down and the fetched bucket
    policy = tmp_path / "work" / "policy.yaml"
    rows = public_roots.write_policy(policy, collected["regions"])
    assert rows == 2 * len(public_roots.yaml.safe_load(public_roots.ROWS.read_text()))
    loaded = load_policy(policy)
    assert {row.when_absent for row in loaded.rows} == {"not_applicable"}


def test_without_fetched_repositories_it_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("DR_PUBLIC_ROOTS", str(tmp_path / "none"))
    try:
        public_roots.from_environment()
    except SystemExit as stop:
        assert "git clone --depth 1 https://github.com/terraform-aws-modules/terraform-aws-rds.git" in str(stop)
    else:
        raise AssertionError("expected the instructions")
    assert public_roots.main([str(tmp_path / "none")]) == 2


def test_the_verdict_compares_with_the_targets():
    collected = {"totals": {"resources": 10, "values": 200, "unresolved": 5, "gaps": 0, "errors": 0},
                 "crashes": [], "per_root": [], "top_unresolved_reasons": [], "not_definite_examples": {},
                 "rows": 40, "by_status": {"PASS": 20, "FAIL": 10, "NOT_APPLICABLE": 8, "UNKNOWN": 2}}
    audited = {"exit": 1, "rows": 40, "by_status": {"FAIL": 30, "UNKNOWN": 10}}
    result = public_roots.verdict({}, ["a"], collected, audited)
    assert result["definite_percent"] == 95.0 and result["unresolved_percent"] == 2.5
    assert result["met"] == {"crashes": True, "error_rows": True, "definite_percent": True, "unresolved_percent": True}
    crashed = public_roots.verdict({}, ["a"], collected, {**audited, "exit": 3, "by_status": {"ERROR": 1}})
    assert crashed["crashes"] == 1 and crashed["error_rows"] == 1
    assert not crashed["met"]["crashes"] and not crashed["met"]["error_rows"]
