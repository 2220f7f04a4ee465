"""Secrets never reach an output: a run seeded with known secrets, through every
path a value can take into a report (a tag built from a secret, a tfvars value
of the wrong type, a sensitive map, a password argument), and every file and
stream the run writes is searched for them."""

from __future__ import annotations

import pytest

from dr_audit.secrets import MASK, Redactor, looks_secret, named_secrets
from tests.conftest import AUDIT_CONFIG, install_audit_suite, write_tree

SECRETS = {
    "sensitive variable used in a tag": "Hidden-Note-7788",
    "password from tfvars": "S3cr3t-Pa55word-XYZ",
    "token default": "tok-ABCDEF123456",
    "tfvars value of the wrong type": "Wrong-Type-Secret-11",
    "secret key inside a map": "map-held-private-9911",
}

POLICY = """\
policy: {name: secrets, version: 1}
roles:
  main: {region: eu-west-1, terraform_root: main}
terraform: {root: .}
rows:
  - id: VPC-NAME
    clause: "1"
    title: the VPC is named plainly
    kind: vpc
    role: main
    select: {cidr_block: 10.0.0.0/16}
    attribute: name
    op: eq
    value: main-vpc
    managed_by: terraform
    severity: high
  - id: RDS-MULTIAZ
    clause: "1"
    title: the database is Multi-AZ
    kind: rds_instance
    role: main
    select: {identifier: db}
    attribute: multi_az
    op: eq
    value: true
    managed_by: terraform
    severity: high
"""

TERRAFORM = {
    "main/main.tf": """\
        provider "aws" {
          region = "eu-west-1"
        }
        variable "notes" {
          type      = string
          sensitive = true
          default   = "Hidden-Note-7788"
        }
        variable "db_password" {
          type = string
        }
        variable "api_token" {
          default = "tok-ABCDEF123456"
        }
        variable "port_secret" {
          type = number
        }
        variable "app_env" {
          type = map(string)
        }
        resource "aws_vpc" "main" {
          cidr_block = "10.0.0.0/16"
          tags = {
            Name = "vpc-${var.notes}-${var.api_token}"
            Env  = var.app_env["PRIVATE_KEY"]
          }
        }
        resource "aws_db_instance" "db" {
          identifier = "db"
          password   = var.db_password
        }
    """,
    "main/terraform.tfvars": """\
        db_password = "S3cr3t-Pa55word-XYZ"
        port_secret = "Wrong-Type-Secret-11"
        app_env = {
          PRIVATE_KEY = "map-held-private-9911"
          REGION      = "eu-west-1"
        }
    """,
}


def test_names_that_hold_secrets():
    assert all(looks_secret(n) for n in ("db_password", "API_TOKEN", "vpn_tunnel1_preshared_key", "client_secret",
                                         "aws_access_key", "PRIVATE_KEY", "passphrase", "master_passwd"))
    assert not any(looks_secret(n) for n in ("kms_key_id", "name", "identifier", "region", "key_name", "bypass"))
    assert named_secrets({"A": {"DB_PASSWORD": "p4ssw0rd!", "HOST": "h"}, "B": ["x"]}) == ["p4ssw0rd!"]


def test_the_redactor_masks_longest_first_and_leaves_short_values():
    redact = Redactor(["abcdef", "abcdefgh", "tiny", ""])
    assert redact.text("x abcdefgh y abcdef z tiny") == f"x {MASK} y {MASK} z tiny"
    assert redact.data({"k": ["abcdef", 3], "abcdef": None}) == {"k": [MASK, 3], MASK: None}


def test_no_secret_appears_in_any_output_of_a_run(pytester):
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    write_tree(pytester.path, {"policy.yaml": POLICY, **TERRAFORM})
    result = pytester.runpytest_subprocess(
        "audits", "--dr-policy", "policy.yaml", "--dr-mode", "static", "-p", "no:cacheprovider", "-rA", "-vv",
        "--junitxml", "reports/junit.xml", "--html", "reports/pytest.html", "--self-contained-html")
    assert result.ret == 10  # incomplete: the tfvars file has an unusable value
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for path in (pytester.path / "reports").rglob("*"):
        if path.is_file():
            outputs[str(path.relative_to(pytester.path))] = path.read_text(encoding="utf-8")
    assert {"reports/dr-audit.json", "reports/dr-audit.html", "reports/dr-audit.sarif", "reports/junit.xml",
            "reports/pytest.html"} <= set(outputs)
    leaks = [(where, name) for where, text in outputs.items() for name, secret in SECRETS.items() if secret in text]
    assert not leaks, leaks
    # the leak paths were really taken: the masked value is there instead
    json_text = outputs["reports/dr-audit.json"]
    assert f"vpc-{MASK}-{MASK}" in json_text  # the tag built from two secrets
    assert f"declared number but given str {MASK}" in json_text  # the tfvars type error
    assert f"vpc-{MASK}-{MASK}" in outputs["stdout"] and f"vpc-{MASK}-{MASK}" in outputs["reports/junit.xml"]


@pytest.mark.parametrize("text", ["plain text", ""])
def test_nothing_is_masked_without_secrets(text):
    assert Redactor().text(text) == text
