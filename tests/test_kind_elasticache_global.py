"""ElastiCache Global Datastore membership on ``elasticache_replication_group``:
``global_datastore`` and ``global_datastore_role`` from Terraform (the group's
``global_replication_group_id``, the Global Datastore's
``primary_replication_group_id``), from AWS's response shapes (Stubber: every
page, a member that is not available) and from the sandbox."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.kinds import KINDS
from dr_audit.sandbox.estate import load_estate, seed
from dr_audit.terraform.values import Unknown
from tests.conftest import REPO, one

PRIMARY, DR = "ap-northeast-2", "ap-northeast-1"
TEST_ESTATES = REPO / "tests" / "estates"

DATASTORE_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
    resource "aws_elasticache_replication_group" "primary" {{
      replication_group_id = "orders-cache"
      description          = "orders cache"
      node_type            = "cache.r7g.large"
    }}
    resource "aws_elasticache_global_replication_group" "orders" {{
      global_replication_group_id_suffix = "orders-cache"
      primary_replication_group_id       = aws_elasticache_replication_group.primary.id
    }}
    resource "aws_elasticache_replication_group" "dr" {{
      provider                    = aws.dr
      replication_group_id        = "orders-cache-dr"
      description                 = "orders cache DR"
      global_replication_group_id = aws_elasticache_global_replication_group.orders.global_replication_group_id
    }}
    resource "aws_elasticache_replication_group" "joined_by_id" {{
      provider                    = aws.dr
      replication_group_id        = "joined-by-id"
      description                 = "joined by a literal id"
      global_replication_group_id = "ldgnf-orders-cache"
    }}
    resource "aws_elasticache_replication_group" "alone" {{
      replication_group_id        = "alone"
      description                 = "in no Global Datastore"
      global_replication_group_id = null
    }}
'''}


# ----- Terraform ---------------------------------------------------------------

def test_the_datastores_primary_and_its_secondaries_have_their_roles_in_code(tree):
    inventory = tree(DATASTORE_TF)
    primary = one(inventory, "elasticache_replication_group", id="orders-cache")
    assert primary.value("global_datastore_role") == "primary"
    dr = one(inventory, "elasticache_replication_group", id="orders-cache-dr")
    assert dr.value("global_datastore_role") == "secondary" and dr.region == DR
    # AWS names a Global Datastore: a generated prefix and the suffix, known after apply
    for group in (primary, dr):
        datastore = group.value("global_datastore")
        assert isinstance(datastore, Unknown) and "orders-cache" in datastore.reason
    by_id = one(inventory, "elasticache_replication_group", id="joined-by-id")
    assert (by_id.value("global_datastore"), by_id.value("global_datastore_role")) == ("ldgnf-orders-cache", "secondary")


def test_a_null_global_replication_group_id_is_no_membership(tree):
    alone = one(tree(DATASTORE_TF), "elasticache_replication_group", id="alone")
    assert alone.value("global_datastore") is None and alone.value("global_datastore_role") is None


# ----- the account: AWS's response shapes ---------------------------------------

def _group(name: str, status: str = "available", info: dict | None = None) -> dict:
    group = {"ReplicationGroupId": name, "Status": status, "CacheNodeType": "cache.r7g.large",
             "ARN": f"arn:aws:elasticache:{DR}:123456789012:replicationgroup:{name}"}
    return {**group, "GlobalReplicationGroupInfo": info} if info is not None else group


def test_membership_is_read_from_every_page_and_a_group_not_available_is_no_member():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    stub = Stubber(reader.client("elasticache", DR))
    joined = {"GlobalReplicationGroupId": "ldgnf-orders-cache", "GlobalReplicationGroupMemberRole": "secondary"}
    stub.add_response("describe_replication_groups", {"ReplicationGroups": [
        _group("orders-cache-dr", info=joined), _group("alone")], "Marker": "page-2"}, {})
    stub.add_response("describe_replication_groups", {"ReplicationGroups": [
        _group("still-creating", status="creating", info=joined),
        _group("was-primary", info={"GlobalReplicationGroupId": "ldgnf-other", "GlobalReplicationGroupMemberRole": "PRIMARY"})]},
        {"Marker": "page-2"})
    with stub:
        groups = {g.value("id"): g for g in KINDS["elasticache_replication_group"].collect(reader, DR)}
    stub.assert_no_pending_responses()
    assert [groups["orders-cache-dr"].value(a) for a in ("global_datastore", "global_datastore_role")] == [
        "ldgnf-orders-cache", "secondary"]
    assert groups["was-primary"].value("global_datastore_role") == "primary"
    assert groups["alone"].value("global_datastore") is None
    creating = groups["still-creating"]
    assert creating.value("global_datastore") is None and creating.value("global_datastore_role") is None
    assert "Status creating" in creating.attributes["global_datastore"].note


# ----- the sandbox ---------------------------------------------------------------

def test_a_global_datastore_secondary_is_collected_from_the_sandbox(sandbox, reader_for):
    seed(sandbox, load_estate(TEST_ESTATES, "aurora-global"))
    inventory = collect_aws(reader_for(), {"elasticache_replication_group": {DR}})
    assert inventory.errors == []
    dr = one(inventory, "elasticache_replication_group", id="orders-cache-dr")
    assert (dr.value("global_datastore"), dr.value("global_datastore_role")) == ("ldgnf-orders-cache", "secondary")
