"""New ``rds_instance`` attributes (public access, Performance Insights, log exports, storage,
database, master user; the final-snapshot arguments and ``kms_key.deletion_window_days`` that only
Terraform holds): the provider's defaults, a replica inheriting from its source, DescribeDBInstances'
real shape (Stubber), the sandbox's Performance Insights shim, and Terraform-only rows that never
consult the account."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.evaluate import evaluate_full
from dr_audit.findings import Status
from dr_audit.inventory import Inventory
from dr_audit.kinds import KINDS
from dr_audit.model import Row
from dr_audit.policy import load_policy
from dr_audit.terraform.values import Unknown
from tests.conftest import REPO, one

PRIMARY, DR = "ap-northeast-2", "ap-northeast-1"
ACCOUNT = "123456789012"

RDS_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
    resource "aws_db_instance" "shared" {{
      identifier        = "shared"
      engine            = "mysql"
      instance_class    = "db.t3.medium"
      allocated_storage = 100
      db_name           = "shared_db"
      username          = "admin"
      password          = "not-read"
      performance_insights_enabled    = true
      enabled_cloudwatch_logs_exports = ["slowquery", "error"]
    }}
    resource "aws_db_instance" "replica" {{
      provider                  = aws.dr
      identifier                = "shared-replica"
      replicate_source_db       = aws_db_instance.shared.arn
      instance_class            = "db.t3.medium"
      publicly_accessible       = true
      skip_final_snapshot       = true
      final_snapshot_identifier = null
    }}
    resource "aws_db_instance" "bare" {{
      identifier     = "bare"
      engine         = "postgres"
      instance_class = "db.t3.micro"
    }}
    resource "aws_kms_key" "short" {{
      description             = "short window"
      deletion_window_in_days = 7
    }}
    resource "aws_kms_key" "default" {{
      description = "default window"
    }}
'''}


# ----- Terraform ---------------------------------------------------------------------

def test_an_instance_reads_what_it_declares_and_sorts_its_log_exports(tree):
    shared = one(tree(RDS_TF), "rds_instance", identifier="shared")
    assert [shared.value(n) for n in ("allocated_storage", "db_name", "master_username", "performance_insights",
                                      "cloudwatch_logs_exports", "publicly_accessible")] == [
        100, "shared_db", "admin", True, ["error", "slowquery"], False]


def test_unset_arguments_take_the_providers_defaults(tree):
    bare = one(tree(RDS_TF), "rds_instance", identifier="bare")
    assert [bare.value(n) for n in ("publicly_accessible", "performance_insights", "cloudwatch_logs_exports",
                                    "skip_final_snapshot", "final_snapshot_identifier", "db_name")] == [
        False, False, [], False, None, None]
    assert "provider default" in bare.attributes["skip_final_snapshot"].note
    # allocated_storage is required on an instance that is no replica: unwritten, it is not guessed
    assert isinstance(bare.value("allocated_storage"), Unknown)


def test_a_replica_inherits_storage_database_and_user_from_its_source(tree):
    replica = one(tree(RDS_TF), "rds_instance", identifier="shared-replica")
    for name in ("allocated_storage", "db_name", "master_username"):
        assert "inherits" in replica.value(name).reason, name
    # null is "not set": the provider default, not a value
    assert [replica.value(n) for n in ("publicly_accessible", "skip_final_snapshot", "final_snapshot_identifier")] == [
        True, True, None]


def test_a_kms_keys_deletion_window_defaults_to_30_days(tree):
    inventory = tree(RDS_TF)
    assert one(inventory, "kms_key", description="short window").value("deletion_window_days") == 7
    assert one(inventory, "kms_key", description="default window").value("deletion_window_days") == 30


def test_final_snapshot_and_deletion_window_are_declared_terraform_only():
    rds, kms = KINDS["rds_instance"].attributes, KINDS["kms_key"].attributes
    assert rds["skip_final_snapshot"].terraform_only and rds["final_snapshot_identifier"].terraform_only
    assert kms["deletion_window_days"].terraform_only
    assert not rds["publicly_accessible"].terraform_only
    assert "Terraform only" in rds["skip_final_snapshot"].doc


# ----- the account: DescribeDBInstances' shape ---------------------------------------

def _instance(identifier: str, **more) -> dict:
    return {"DBInstanceIdentifier": identifier, "DBInstanceArn": f"arn:aws:rds:{DR}:{ACCOUNT}:db:{identifier}",
            "DBInstanceClass": "db.t3.medium", "Engine": "mysql", "DBInstanceStatus": "available", **more}


def test_the_collector_reads_the_new_fields_from_every_page_and_never_invents_the_terraform_only_ones():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    stub = Stubber(reader.client("rds", DR))
    stub.add_response("describe_db_instances", {"DBInstances": [_instance(
        "replica", PubliclyAccessible=False, PerformanceInsightsEnabled=True, AllocatedStorage=100, DBName="shared_db",
        MasterUsername="admin", EnabledCloudwatchLogsExports=["slowquery", "error", "general"])], "Marker": "p2"})
    stub.add_response("describe_db_instances", {"DBInstances": [_instance("plain", PubliclyAccessible=True)]},
                      {"Marker": "p2"})
    with stub:
        found = {r.value("identifier"): r for r in KINDS["rds_instance"].collect(reader, DR)}
    stub.assert_no_pending_responses()
    replica, plain = found["replica"], found["plain"]
    assert [replica.value(n) for n in ("publicly_accessible", "performance_insights", "cloudwatch_logs_exports",
                                       "allocated_storage", "db_name", "master_username")] == [
        False, True, ["error", "general", "slowquery"], 100, "shared_db", "admin"]
    assert [plain.value(n) for n in ("publicly_accessible", "performance_insights", "cloudwatch_logs_exports",
                                     "db_name")] == [True, False, [], None]
    for name in ("skip_final_snapshot", "final_snapshot_identifier"):
        assert not replica.attributes[name].known and "Terraform only" in replica.value(name).reason


def test_the_sandbox_reports_performance_insights_as_created(reader_for, sandbox):
    client = sandbox.session().client("rds", region_name=PRIMARY, endpoint_url=sandbox.url)
    client.create_db_instance(DBInstanceIdentifier="watched", Engine="mysql", DBInstanceClass="db.t3.micro",
                              AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="Sandbox-Only-1",
                              EnablePerformanceInsights=True)
    client.create_db_instance(DBInstanceIdentifier="unwatched", Engine="mysql", DBInstanceClass="db.t3.micro",
                              AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="Sandbox-Only-1")
    found = {r.value("identifier"): r for r in KINDS["rds_instance"].collect(reader_for(), PRIMARY)}
    assert found["watched"].value("performance_insights") is True
    assert found["unwatched"].value("performance_insights") is False


# ----- Terraform-only rows -------------------------------------------------------------

def _row(attribute: str, value) -> Row:
    return Row(id="X", clause="1", title="x", kind="rds_instance", severity="low", managed_by="terraform", line=1,
               role="database", select={"identifier": "shared-replica"}, attribute=attribute, op="eq", value=value)


def test_a_terraform_only_row_reads_the_code_and_never_the_account(tree):
    policy = load_policy(REPO / "policies" / "fileflow-hybrid.yaml")
    code = tree(RDS_TF)
    live = Inventory("aws")  # an empty account: were it consulted, the row would be UNDEPLOYED
    failing = evaluate_full(_row("skip_final_snapshot", False), policy, code, live)
    assert failing.status is Status.FAIL
    assert "Terraform only" in failing.message and failing.live.state.name == "NOT_CONSULTED"
    passing = evaluate_full(_row("skip_final_snapshot", True), policy, code, live)
    assert passing.status is Status.PASS
    # an attribute the account does return is still read from it
    assert evaluate_full(_row("publicly_accessible", True), policy, code, live).status is Status.UNDEPLOYED
