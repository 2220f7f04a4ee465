"""The ``kms_key`` and ``efs_file_system`` kinds: Terraform (multi-Region primary
and replica keys, aliases, rotation; EFS replication destinations), the collectors
against AWS's response shapes (Stubber: every page, AWS managed and disabled keys,
a replica not yet enabled, a paused EFS destination) and the sandbox shims."""

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

PRIMARY, DR, THIRD = "ap-northeast-2", "ap-northeast-1", "us-west-2"
TEST_ESTATES = REPO / "tests" / "estates"
ACCOUNT = "123456789012"

KMS_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
    resource "aws_kms_key" "orders" {{
      description         = "orders data"
      multi_region        = true
      enable_key_rotation = true
    }}
    resource "aws_kms_alias" "orders" {{
      name          = "alias/orders"
      target_key_id = aws_kms_key.orders.key_id
    }}
    resource "aws_kms_replica_key" "orders" {{
      provider        = aws.dr
      description     = "orders data"
      primary_key_arn = aws_kms_key.orders.arn
    }}
    resource "aws_kms_replica_key" "elsewhere" {{
      provider        = aws.dr
      primary_key_arn = "arn:aws:kms:{THIRD}:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
      enabled         = false
    }}
    resource "aws_kms_key" "plain" {{
      description = "single-Region"
      is_enabled  = null
    }}
'''}


def _values(resource, *names):
    return [resource.value(name) for name in names]


# ----- Terraform: kms_key ---------------------------------------------------------

def test_a_multi_region_primary_lists_its_declared_replicas_and_aliases(tree):
    inventory = tree(KMS_TF)
    primary = one(inventory, "kms_key", multi_region_role="primary")
    assert _values(primary, "description", "aliases", "enabled", "multi_region", "primary_region",
                   "replica_regions", "rotation_enabled") == [
        "orders data", ["alias/orders"], True, True, PRIMARY, [DR], True]
    assert primary.region == PRIMARY


def test_a_replica_key_is_in_its_providers_region_and_rotates_as_its_primary(tree):
    replica = one(tree(KMS_TF), "kms_key", description="orders data", multi_region_role="replica")
    assert replica.region == DR
    assert _values(replica, "multi_region", "primary_region", "replica_regions", "rotation_enabled", "aliases") == [
        True, PRIMARY, [], True, []]


def test_a_replica_of_an_undeclared_primary_has_unknown_rotation(tree):
    replica = one(tree(KMS_TF), "kms_key", description="", multi_region_role="replica")
    assert _values(replica, "primary_region", "enabled") == [THIRD, False]
    assert isinstance(replica.value("rotation_enabled"), Unknown)


def test_a_single_region_key_has_the_providers_defaults(tree):
    key = one(tree(KMS_TF), "kms_key", description="single-Region")
    # is_enabled = null is not set: enabled; rotation and multi-Region default to off
    assert _values(key, "enabled", "multi_region", "multi_region_role", "primary_region", "replica_regions",
                   "rotation_enabled", "aliases") == [True, False, None, None, [], False, []]


def test_an_alias_that_may_name_the_key_makes_its_aliases_unknown(tree):
    files = {"main.tf": KMS_TF["main.tf"] + 'variable "k" {\n  type = string\n}\n'
             'resource "aws_kms_alias" "maybe" {\n  name          = "alias/maybe"\n  target_key_id = var.k\n}\n'}
    key = one(tree(files), "kms_key", description="single-Region")
    assert isinstance(key.value("aliases"), Unknown) and "aws_kms_alias.maybe" in key.value("aliases").reason


# ----- Terraform: efs_file_system ---------------------------------------------------

EFS_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    resource "aws_efs_file_system" "files" {{
      creation_token = "orders-files"
      encrypted      = true
      tags = {{
        Name = "orders-files"
      }}
    }}
    resource "aws_efs_replication_configuration" "files" {{
      source_file_system_id = aws_efs_file_system.files.id
      destination {{
        region = "{DR}"
      }}
    }}
    resource "aws_efs_file_system" "scratch" {{
      creation_token = "scratch"
    }}
'''}


def test_a_file_system_replicates_to_its_replication_configurations_destination(tree):
    inventory = tree(EFS_TF)
    files = one(inventory, "efs_file_system", name="orders-files")
    assert _values(files, "creation_token", "encrypted", "replication_regions") == ["orders-files", True, [DR]]
    scratch = one(inventory, "efs_file_system", creation_token="scratch")
    assert _values(scratch, "name", "encrypted", "replication_regions") == [None, False, []]


def test_a_destination_without_a_region_is_unknown(tree):
    files = {"main.tf": EFS_TF["main.tf"].replace(f'region = "{DR}"', 'availability_zone_name = "x"')}
    replicated = one(tree(files), "efs_file_system", name="orders-files")
    assert isinstance(replicated.value("replication_regions"), Unknown)


# ----- the account: AWS's response shapes -------------------------------------------

def stubbed(service: str, *regions: str):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, [Stubber(reader.client(service, region)) for region in regions]


def _key_arn(region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def _metadata(region: str, key_id: str, **more) -> dict:
    return {"KeyMetadata": {"KeyId": key_id, "Arn": _key_arn(region, key_id), "KeyManager": "CUSTOMER",
                            "KeyState": "Enabled", "Description": "", "KeySpec": "SYMMETRIC_DEFAULT",
                            "Origin": "AWS_KMS", "MultiRegion": False, **more}}


MRK = "mrk-0123456789abcdef0123456789abcdef"


def test_keys_are_read_from_every_page_and_only_enabled_customer_keys_count():
    reader, (stub, dr_stub) = stubbed("kms", PRIMARY, DR)
    third = Stubber(reader.client("kms", THIRD))
    stub.add_response("list_aliases", {"Aliases": [
        {"AliasName": "alias/orders", "TargetKeyId": MRK}, {"AliasName": "alias/aws/rds", "TargetKeyId": "aws-1"}]})
    stub.add_response("list_keys", {"Keys": [{"KeyId": MRK, "KeyArn": _key_arn(PRIMARY, MRK)},
                                             {"KeyId": "aws-1", "KeyArn": _key_arn(PRIMARY, "aws-1")}],
                                    "Truncated": True, "NextMarker": "page-2"})
    stub.add_response("list_keys", {"Keys": [{"KeyId": "gone", "KeyArn": _key_arn(PRIMARY, "gone")},
                                             {"KeyId": "rsa", "KeyArn": _key_arn(PRIMARY, "rsa")},
                                             {"KeyId": "denied", "KeyArn": _key_arn(PRIMARY, "denied")}],
                                    "Truncated": False}, {"Marker": "page-2"})
    configuration = {"MultiRegionKeyType": "PRIMARY",
                     "PrimaryKey": {"Arn": _key_arn(PRIMARY, MRK), "Region": PRIMARY},
                     "ReplicaKeys": [{"Arn": _key_arn(DR, MRK), "Region": DR},
                                     {"Arn": _key_arn(THIRD, MRK), "Region": THIRD}]}
    stub.add_response("describe_key", _metadata(PRIMARY, MRK, Description="orders data", MultiRegion=True,
                                                MultiRegionConfiguration=configuration),
                      {"KeyId": _key_arn(PRIMARY, MRK)})
    dr_stub.add_response("describe_key", _metadata(DR, MRK, MultiRegion=True), {"KeyId": _key_arn(DR, MRK)})
    third.add_response("describe_key", _metadata(THIRD, MRK, MultiRegion=True, KeyState="Creating"),
                       {"KeyId": _key_arn(THIRD, MRK)})
    stub.add_response("get_key_rotation_status", {"KeyRotationEnabled": True}, {"KeyId": _key_arn(PRIMARY, MRK)})
    # an AWS managed key: no rotation read (AWS rotates it), and it does not count
    stub.add_response("describe_key", _metadata(PRIMARY, "aws-1", KeyManager="AWS"),
                      {"KeyId": _key_arn(PRIMARY, "aws-1")})
    stub.add_response("describe_key", _metadata(PRIMARY, "gone", KeyState="PendingDeletion"),
                      {"KeyId": _key_arn(PRIMARY, "gone")})
    stub.add_response("get_key_rotation_status", {"KeyRotationEnabled": False}, {"KeyId": _key_arn(PRIMARY, "gone")})
    stub.add_response("describe_key", _metadata(PRIMARY, "rsa", KeySpec="RSA_2048"), {"KeyId": _key_arn(PRIMARY, "rsa")})
    stub.add_client_error("describe_key", "AccessDeniedException", "key policy", 400,
                          expected_params={"KeyId": _key_arn(PRIMARY, "denied")})
    with stub, dr_stub, third:
        keys = {k.address.rsplit("/", 1)[-1]: k for k in KINDS["kms_key"].collect(reader, PRIMARY)}
    for each in (stub, dr_stub, third):
        each.assert_no_pending_responses()
    primary = keys[MRK]
    assert primary.out_of_service is None
    assert _values(primary, "description", "aliases", "multi_region_role", "primary_region", "rotation_enabled") == [
        "orders data", ["alias/orders"], "primary", PRIMARY, True]
    # a replica still being created is no replica yet: left out, and the evidence says so
    assert primary.value("replica_regions") == [DR]
    assert THIRD in primary.attributes["replica_regions"].note
    assert keys["aws-1"].out_of_service.startswith("KeyManager AWS")
    assert keys["aws-1"].value("rotation_enabled") is True
    assert keys["gone"].out_of_service.startswith("KeyState PendingDeletion")
    assert keys["rsa"].value("rotation_enabled") is False  # asymmetric keys cannot rotate: no read
    assert isinstance(keys["denied"].value("multi_region"), Unreadable)


def test_file_systems_are_read_from_every_page_with_only_enabled_destinations():
    reader, (stub,) = stubbed("efs", PRIMARY)

    def system(system_id: str, state: str = "available", **more) -> dict:
        return {"OwnerId": ACCOUNT, "CreationToken": system_id, "FileSystemId": system_id,
                "FileSystemArn": f"arn:aws:elasticfilesystem:{PRIMARY}:{ACCOUNT}:file-system/{system_id}",
                "CreationTime": "2026-01-01T00:00:00Z", "LifeCycleState": state, "NumberOfMountTargets": 0,
                "SizeInBytes": {"Value": 6144}, "PerformanceMode": "generalPurpose", "Tags": [], **more}

    def replication(source: str, region: str, *destinations: tuple[str, str]) -> dict:
        arn = f"arn:aws:elasticfilesystem:{region}:{ACCOUNT}:file-system/{source}"
        return {"SourceFileSystemId": source, "SourceFileSystemRegion": region, "SourceFileSystemArn": arn,
                "OriginalSourceFileSystemArn": arn, "CreationTime": "2026-01-01T00:00:00Z",
                "Destinations": [{"Status": status, "FileSystemId": "fs-dest", "Region": where}
                                 for where, status in destinations]}

    stub.add_response("describe_replication_configurations", {"Replications": [
        replication("fs-11111111", PRIMARY, (DR, "ENABLED"))], "NextToken": "page-2"}, {})
    stub.add_response("describe_replication_configurations", {"Replications": [
        replication("fs-22222222", PRIMARY, (DR, "PAUSED")),
        replication("fs-33333333", THIRD, (PRIMARY, "ENABLED"))]}, {"NextToken": "page-2"})
    stub.add_response("describe_file_systems", {"FileSystems": [
        system("fs-11111111", Name="orders-files", Encrypted=True)], "NextMarker": "page-2"}, {})
    stub.add_response("describe_file_systems", {"FileSystems": [
        system("fs-22222222"), system("fs-44444444", "creating")]}, {"Marker": "page-2"})
    with stub:
        systems = {s.value("creation_token"): s for s in KINDS["efs_file_system"].collect(reader, PRIMARY)}
    stub.assert_no_pending_responses()
    assert _values(systems["fs-11111111"], "name", "encrypted", "replication_regions") == ["orders-files", True, [DR]]
    # a paused destination holds no current copy
    assert systems["fs-22222222"].value("replication_regions") == []
    assert "PAUSED" in systems["fs-22222222"].attributes["replication_regions"].note
    assert systems["fs-44444444"].out_of_service.startswith("LifeCycleState creating")


def test_a_failed_replication_listing_makes_only_that_attribute_unreadable():
    reader, (stub,) = stubbed("efs", PRIMARY)
    stub.add_client_error("describe_replication_configurations", "AccessDeniedException", "no", 403)
    stub.add_response("describe_file_systems", {"FileSystems": [{
        "OwnerId": ACCOUNT, "CreationToken": "t", "FileSystemId": "fs-11111111", "CreationTime": "2026-01-01T00:00:00Z",
        "LifeCycleState": "available", "NumberOfMountTargets": 0, "SizeInBytes": {"Value": 1},
        "PerformanceMode": "generalPurpose", "Tags": []}]}, {})
    with stub:
        [files] = KINDS["efs_file_system"].collect(reader, PRIMARY)
    assert isinstance(files.value("replication_regions"), Unreadable) and files.value("creation_token") == "t"


# ----- the sandbox (moto with the KMS and EFS shims) ----------------------------------

def test_a_multi_region_key_and_its_replica_are_collected_from_the_sandbox(sandbox, reader_for):
    seed(sandbox, load_estate(TEST_ESTATES, "backup-kms-efs"))
    inventory = collect_aws(reader_for(), {"kms_key": {PRIMARY, DR}})
    assert inventory.errors == []
    primary = one(inventory, "kms_key", multi_region_role="primary")
    replica = one(inventory, "kms_key", multi_region_role="replica")
    # moto alone would describe the primary as a replica once its replica was described, and give
    # the replica the primary's alias: the shim keeps each key's own configuration and aliases
    assert (primary.region, replica.region) == (PRIMARY, DR)
    assert _values(primary, "aliases", "replica_regions", "rotation_enabled") == [["alias/orders"], [DR], True]
    assert _values(replica, "aliases", "primary_region", "replica_regions") == [[], PRIMARY, []]


def test_a_disabled_key_is_collected_but_does_not_count(sandbox, reader_for):
    kms = sandbox.session().client("kms", region_name=PRIMARY, endpoint_url=sandbox.url)
    key = kms.create_key(Description="retired")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key)
    inventory = collect_aws(reader_for(), {"kms_key": {PRIMARY}})
    [retired] = [r for r in inventory.resources if r.kind == "kms_key"]
    assert retired.value("enabled") is False and retired.out_of_service.startswith("KeyState Disabled")
    assert inventory.select("kms_key", PRIMARY, {"description": "retired"}).matched == []


def test_a_replicated_file_system_is_collected_from_the_sandbox(sandbox, reader_for):
    seed(sandbox, load_estate(TEST_ESTATES, "backup-kms-efs"))
    inventory = collect_aws(reader_for(), {"efs_file_system": {PRIMARY, DR}})
    assert inventory.errors == []
    files = one(inventory, "efs_file_system", name="orders-files")
    assert (files.region, files.value("encrypted"), files.value("replication_regions")) == (PRIMARY, True, [DR])
    # the destination AWS creates is in the DR region, and replicates nowhere itself
    [copy] = [r for r in inventory.resources if r.kind == "efs_file_system" and r.region == DR]
    assert copy.value("replication_regions") == []


def test_code_and_sandbox_agree_on_a_file_system(sandbox, reader_for, tree):
    seed(sandbox, load_estate(TEST_ESTATES, "backup-kms-efs"))
    live = one(collect_aws(reader_for(), {"efs_file_system": {PRIMARY}}), "efs_file_system", name="orders-files")
    code = one(tree(EFS_TF), "efs_file_system", name="orders-files")
    for attribute in ("name", "creation_token", "encrypted", "replication_regions"):
        assert code.value(attribute) == live.value(attribute), attribute
