"""Aurora: the ``rds_cluster`` and ``rds_global_cluster`` kinds, and ``rds_instance.backup_replication_regions``.

Terraform (members, the writer, provider defaults, null as not set, split
resources), the collectors against AWS's response shapes (Stubber: every page,
a member pending resync, an instance that does not serve, a failed detail read)
and the sandbox (moto, plus the automated-backup replication shim)."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.sandbox.estate import load_estate, seed
from dr_audit.terraform.values import Unknown
from tests.conftest import REPO, one

PRIMARY, DR = "ap-northeast-2", "ap-northeast-1"
TEST_ESTATES = REPO / "tests" / "estates"
ACCOUNT = "123456789012"

PROVIDERS = f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
'''

GLOBAL_TF = {"main.tf": PROVIDERS + '''
    resource "aws_rds_global_cluster" "orders" {
      global_cluster_identifier = "orders-global"
      engine                    = "aurora-postgresql"
      engine_version            = "15.4"
      storage_encrypted         = true
    }
    resource "aws_rds_cluster" "primary" {
      cluster_identifier        = "orders-primary"
      engine                    = aws_rds_global_cluster.orders.engine
      engine_version            = "15.4"
      master_username           = "orders"
      manage_master_user_password = true
      global_cluster_identifier = aws_rds_global_cluster.orders.id
      backup_retention_period   = 7
      deletion_protection       = true
    }
    resource "aws_rds_cluster_instance" "primary" {
      count              = 2
      identifier         = "orders-primary-${count.index}"
      cluster_identifier = aws_rds_cluster.primary.id
      instance_class     = "db.r6g.large"
      engine             = "aurora-postgresql"
      availability_zone  = ["ap-northeast-2a", "ap-northeast-2c"][count.index]
    }
    resource "aws_rds_cluster" "secondary" {
      provider                  = aws.dr
      cluster_identifier        = "orders-secondary"
      engine                    = "aurora-postgresql"
      engine_version            = "15.4"
      global_cluster_identifier = aws_rds_global_cluster.orders.id
      depends_on                = [aws_rds_cluster_instance.primary]
    }
    resource "aws_rds_cluster_instance" "secondary" {
      provider           = aws.dr
      identifier         = "orders-secondary-0"
      cluster_identifier = "orders-secondary"
      instance_class     = "db.r6g.large"
      engine             = "aurora-postgresql"
    }
'''}


# ----- Terraform ---------------------------------------------------------------

def test_a_global_database_in_code_names_its_members_by_region_and_its_writer(tree):
    inventory = tree(GLOBAL_TF)
    global_ = one(inventory, "rds_global_cluster", identifier="orders-global")
    assert global_.value("member_regions") == [DR, PRIMARY]
    # the one member with master credentials: AWS refuses them on a secondary
    assert (global_.value("writer_cluster"), global_.value("writer_region")) == ("orders-primary", PRIMARY)
    assert (global_.value("storage_encrypted"), global_.value("deletion_protection")) == (True, False)
    primary = one(inventory, "rds_cluster", identifier="orders-primary")
    assert (primary.value("global_cluster"), primary.value("global_role")) == ("orders-global", "primary")
    assert primary.value("availability_zones") == ["ap-northeast-2a", "ap-northeast-2c"]
    assert (primary.value("backup_retention_period"), primary.value("deletion_protection")) == (7, True)
    secondary = one(inventory, "rds_cluster", identifier="orders-secondary")
    assert (secondary.value("global_cluster"), secondary.value("global_role")) == ("orders-global", "secondary")
    assert secondary.region == DR


def test_cluster_defaults_follow_the_provider_and_unplaced_instances_are_unknown(tree):
    secondary = one(tree(GLOBAL_TF), "rds_cluster", identifier="orders-secondary")
    # unset: the provider's 1 day and no deletion protection
    assert (secondary.value("backup_retention_period"), secondary.value("deletion_protection")) == (1, False)
    assert "provider default" in secondary.attributes["backup_retention_period"].note
    # unset on a member: the declared global cluster's encryption
    assert secondary.value("storage_encrypted") is True
    # its instance (named by a literal identifier) sets no AZ: AWS places it at apply time
    zones = secondary.value("availability_zones")
    assert isinstance(zones, Unknown) and "apply time" in zones.reason


def test_a_null_global_cluster_identifier_is_no_membership(tree):
    files = {"main.tf": PROVIDERS + '''
        variable "global_id" {
          default = null
        }
        resource "aws_rds_cluster" "alone" {
          cluster_identifier        = "alone"
          engine                    = "aurora-mysql"
          global_cluster_identifier = var.global_id
          storage_encrypted         = null
        }
    '''}
    alone = one(tree(files), "rds_cluster", identifier="alone")
    assert alone.value("global_cluster") is None and alone.value("global_role") is None
    assert alone.value("storage_encrypted") is False  # null is not set: the provider's default
    assert alone.value("availability_zones") == []


def test_the_source_cluster_of_a_global_cluster_is_its_primary_and_lends_it_its_engine(tree):
    files = {"main.tf": PROVIDERS + '''
        resource "aws_rds_cluster" "existing" {
          cluster_identifier = "existing"
          engine             = "aurora-mysql"
          storage_encrypted  = true
        }
        resource "aws_rds_global_cluster" "from_existing" {
          global_cluster_identifier    = "from-existing"
          source_db_cluster_identifier = aws_rds_cluster.existing.arn
        }
    '''}
    inventory = tree(files)
    global_ = one(inventory, "rds_global_cluster", identifier="from-existing")
    assert (global_.value("engine"), global_.value("storage_encrypted")) == ("aurora-mysql", True)
    assert (global_.value("writer_cluster"), global_.value("member_regions")) == ("existing", [PRIMARY])
    existing = one(inventory, "rds_cluster", identifier="existing")
    assert (existing.value("global_cluster"), existing.value("global_role")) == ("from-existing", "primary")


def test_a_source_cluster_named_by_arn_outside_this_code_is_the_writer(tree):
    files = {"main.tf": PROVIDERS + f'''
        resource "aws_rds_global_cluster" "adopted" {{
          global_cluster_identifier    = "adopted"
          source_db_cluster_identifier = "arn:aws:rds:{PRIMARY}:{ACCOUNT}:cluster:legacy"
        }}
        resource "aws_rds_cluster" "dr" {{
          provider                  = aws.dr
          cluster_identifier        = "adopted-dr"
          engine                    = "aurora-mysql"
          global_cluster_identifier = aws_rds_global_cluster.adopted.id
        }}
    '''}
    inventory = tree(files)
    adopted = one(inventory, "rds_global_cluster", identifier="adopted")
    assert (adopted.value("writer_cluster"), adopted.value("writer_region")) == ("legacy", PRIMARY)
    assert adopted.value("member_regions") == [DR, PRIMARY]
    engine = adopted.value("engine")  # inherited from a cluster this code does not declare
    assert isinstance(engine, Unknown) and "not declared" in engine.reason
    assert one(inventory, "rds_cluster", identifier="adopted-dr").value("global_role") == "secondary"


def test_two_members_with_credentials_leave_the_writer_unknown(tree):
    files = {"main.tf": GLOBAL_TF["main.tf"].replace(
        'global_cluster_identifier = aws_rds_global_cluster.orders.id\n      depends_on',
        'global_cluster_identifier = aws_rds_global_cluster.orders.id\n      master_username = "x"\n      depends_on')}
    inventory = tree(files)
    writer = one(inventory, "rds_global_cluster").value("writer_region")
    assert isinstance(writer, Unknown) and "2 members set master credentials" in writer.reason
    assert isinstance(one(inventory, "rds_cluster", identifier="orders-primary").value("global_role"), Unknown)


def test_automated_backup_replication_is_read_from_its_split_resource_in_the_destination_region(tree):
    files = {"main.tf": PROVIDERS + f'''
        resource "aws_db_instance" "ledger" {{
          identifier              = "ledger"
          engine                  = "postgres"
          instance_class          = "db.t3.micro"
          backup_retention_period = 7
        }}
        resource "aws_db_instance" "other" {{
          identifier     = "other"
          engine         = "postgres"
          instance_class = "db.t3.micro"
        }}
        resource "aws_db_instance_automated_backups_replication" "ledger" {{
          provider               = aws.dr
          source_db_instance_arn = aws_db_instance.ledger.arn
        }}
        resource "aws_db_instance_automated_backups_replication" "by_arn" {{
          provider               = aws.dr
          source_db_instance_arn = "arn:aws:rds:{PRIMARY}:{ACCOUNT}:db:ledger"
        }}
    '''}
    inventory = tree(files)
    assert one(inventory, "rds_instance", identifier="ledger").value("backup_replication_regions") == [DR]
    assert one(inventory, "rds_instance", identifier="other").value("backup_replication_regions") == []


# ----- the account: AWS's response shapes ---------------------------------------

def stubbed(region: str = PRIMARY):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("rds", region))


def _cluster_arn(region: str, name: str) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:cluster:{name}"


def _cluster(name: str, **more) -> dict:
    return {"DBClusterIdentifier": name, "DBClusterArn": _cluster_arn(PRIMARY, name), "Engine": "aurora-postgresql",
            "EngineVersion": "15.4", "Status": "available", "BackupRetentionPeriod": 7, "StorageEncrypted": True,
            "DeletionProtection": True, **more}


def _instance(name: str, cluster: str, zone: str, status: str = "available") -> dict:
    return {"DBInstanceIdentifier": name, "DBClusterIdentifier": cluster, "AvailabilityZone": zone,
            "DBInstanceStatus": status, "Engine": "aurora-postgresql"}


def _global(name: str, members: list[dict], status: str = "available") -> dict:
    return {"GlobalClusterIdentifier": name, "GlobalClusterArn": f"arn:aws:rds::{ACCOUNT}:global-cluster:{name}",
            "Status": status, "Engine": "aurora-postgresql", "EngineVersion": "15.4", "StorageEncrypted": True,
            "DeletionProtection": False, "GlobalClusterMembers": members}


def test_clusters_read_every_page_count_serving_instances_and_drop_a_member_pending_resync():
    reader, stub = stubbed()
    stub.add_response("describe_db_instances", {"DBInstances": [
        _instance("orders-1", "orders", f"{PRIMARY}a"), _instance("orders-2", "orders", f"{PRIMARY}c"),
        _instance("orders-3", "orders", f"{PRIMARY}b", status="failed")]}, {})
    stub.add_response("describe_global_clusters", {"GlobalClusters": [_global("orders-global", [
        {"DBClusterArn": _cluster_arn(PRIMARY, "orders"), "IsWriter": True, "SynchronizationStatus": "connected"},
        {"DBClusterArn": _cluster_arn(PRIMARY, "lagging"), "IsWriter": False,
         "SynchronizationStatus": "pending-resync"}])], "Marker": "page-2"}, {})
    stub.add_response("describe_global_clusters", {"GlobalClusters": [_global("other-global", [
        {"DBClusterArn": _cluster_arn(PRIMARY, "reader"), "IsWriter": False}])]}, {"Marker": "page-2"})
    stub.add_response("describe_db_clusters", {"DBClusters": [_cluster("orders"), _cluster("lagging")],
                                               "Marker": "page-2"}, {})
    stub.add_response("describe_db_clusters", {"DBClusters": [
        _cluster("reader", Status="inaccessible-encryption-credentials"),
        _cluster("graph", Engine="neptune")]}, {"Marker": "page-2"})
    with stub:
        clusters = {c.value("identifier"): c for c in KINDS["rds_cluster"].collect(reader, PRIMARY)}
    stub.assert_no_pending_responses()
    assert set(clusters) == {"orders", "lagging", "reader"}  # a Neptune cluster is not an RDS cluster
    orders = clusters["orders"]
    assert orders.value("availability_zones") == [f"{PRIMARY}a", f"{PRIMARY}c"]
    assert "orders-3 (DBInstanceStatus failed)" in orders.attributes["availability_zones"].note
    assert (orders.value("global_cluster"), orders.value("global_role")) == ("orders-global", "primary")
    lagging = clusters["lagging"]
    assert lagging.value("global_cluster") is None and lagging.value("global_role") is None
    assert "pending-resync" in lagging.attributes["global_role"].note
    assert lagging.value("availability_zones") == []
    # a member that reports no synchronization status is not said to lag
    assert clusters["reader"].value("global_role") == "secondary"
    assert clusters["reader"].out_of_service.startswith("Status inaccessible-encryption-credentials")
    assert orders.out_of_service is None


def test_a_denied_global_cluster_listing_makes_only_the_membership_unreadable():
    reader, stub = stubbed()
    stub.add_response("describe_db_instances", {"DBInstances": [_instance("orders-1", "orders", f"{PRIMARY}a")]}, {})
    stub.add_client_error("describe_global_clusters", "AccessDenied", "denied", 403)
    stub.add_response("describe_db_clusters", {"DBClusters": [_cluster("orders")]}, {})
    with stub:
        (orders,) = KINDS["rds_cluster"].collect(reader, PRIMARY)
    assert isinstance(orders.value("global_cluster"), Unreadable)
    assert isinstance(orders.value("global_role"), Unreadable)
    assert orders.value("availability_zones") == [f"{PRIMARY}a"]


def test_global_clusters_read_every_page_and_count_only_replicating_members():
    reader, stub = stubbed("us-east-1")
    stub.add_response("describe_global_clusters", {"GlobalClusters": [_global("orders-global", [
        {"DBClusterArn": _cluster_arn(PRIMARY, "orders"), "IsWriter": True, "SynchronizationStatus": "connected"},
        {"DBClusterArn": _cluster_arn(DR, "orders-dr"), "IsWriter": False, "SynchronizationStatus": "connected"},
        {"DBClusterArn": _cluster_arn("eu-west-1", "orders-eu"), "IsWriter": False,
         "SynchronizationStatus": "pending-resync"}])], "Marker": "page-2"}, {})
    stub.add_response("describe_global_clusters", {"GlobalClusters": [
        _global("moving", [{"DBClusterArn": _cluster_arn(DR, "moving-dr"), "IsWriter": True}], status="failing-over"),
        _global("headless", [])]}, {"Marker": "page-2"})
    with stub:
        found = {g.value("identifier"): g for g in KINDS["rds_global_cluster"].collect(reader, "us-east-1")}
    stub.assert_no_pending_responses()
    orders = found["orders-global"]
    assert orders.value("member_regions") == [DR, PRIMARY]
    assert "orders-eu" in orders.attributes["member_regions"].note
    assert (orders.value("writer_cluster"), orders.value("writer_region")) == ("orders", PRIMARY)
    assert orders.region == "global" and orders.out_of_service is None
    assert found["moving"].out_of_service.startswith("Status failing-over")
    assert found["headless"].value("member_regions") == [] and found["headless"].value("writer_region") is None


def test_an_instances_backup_replication_regions_come_from_the_replicated_backups_arns():
    reader, stub = stubbed()
    stub.add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": "ledger", "DBInstanceStatus": "available", "Engine": "postgres",
         "DBInstanceAutomatedBackupsReplications": [
             {"DBInstanceAutomatedBackupsArn": f"arn:aws:rds:{DR}:{ACCOUNT}:auto-backup:ab-1"},
             {"DBInstanceAutomatedBackupsArn": f"arn:aws:rds:us-west-2:{ACCOUNT}:auto-backup:ab-2"}]}],
        "Marker": "page-2"}, {})
    stub.add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": "plain", "DBInstanceStatus": "available", "Engine": "postgres"}]},
        {"Marker": "page-2"})
    with stub:
        found = {i.value("identifier"): i for i in KINDS["rds_instance"].collect(reader, PRIMARY)}
    assert found["ledger"].value("backup_replication_regions") == [DR, "us-west-2"]
    assert found["plain"].value("backup_replication_regions") == []


# ----- the sandbox ---------------------------------------------------------------

def test_aurora_and_backup_replication_are_collected_from_the_sandbox(sandbox, reader_for):
    seed(sandbox, load_estate(TEST_ESTATES, "aurora-global"))
    kinds = {"rds_cluster": {PRIMARY, DR}, "rds_global_cluster": {"us-east-1"}, "rds_instance": {PRIMARY}}
    reader = reader_for()
    inventory = collect_aws(reader, kinds)
    assert inventory.errors == []
    # rds_cluster reads its instances' AZs through the same DescribeDBInstances as rds_instance: once
    assert [c.region for c in reader.calls() if c.operation == "DescribeDBInstances"].count(PRIMARY) == 1
    primary = one(inventory, "rds_cluster", identifier="orders-primary")
    assert (primary.region, primary.value("global_role"), primary.value("availability_zones")) == (
        PRIMARY, "primary", [f"{PRIMARY}a", f"{PRIMARY}c"])
    secondary = one(inventory, "rds_cluster", identifier="orders-secondary")
    assert (secondary.region, secondary.value("global_cluster"), secondary.value("global_role")) == (
        DR, "orders-global", "secondary")
    global_ = one(inventory, "rds_global_cluster", identifier="orders-global")
    assert global_.value("member_regions") == [DR, PRIMARY]
    assert (global_.value("writer_cluster"), global_.value("writer_region")) == ("orders-primary", PRIMARY)
    assert one(inventory, "rds_instance", identifier="orders-ledger").value("backup_replication_regions") == [DR]


def test_code_and_sandbox_agree_on_the_global_database(sandbox, reader_for, tree):
    seed(sandbox, load_estate(TEST_ESTATES, "aurora-global"))
    live = collect_aws(reader_for(), {"rds_cluster": {PRIMARY, DR}, "rds_global_cluster": {"us-east-1"}})
    code = tree(GLOBAL_TF)
    for kind, key, name in (("rds_cluster", "identifier", "orders-primary"),
                            ("rds_cluster", "identifier", "orders-secondary"),
                            ("rds_global_cluster", "identifier", "orders-global")):
        declared, running = one(code, kind, **{key: name}), one(live, kind, **{key: name})
        for attribute in ("global_cluster", "global_role", "member_regions", "writer_cluster", "writer_region",
                          "engine", "engine_version"):
            if attribute in KINDS[kind].attributes:
                assert declared.value(attribute) == running.value(attribute), (name, attribute)
