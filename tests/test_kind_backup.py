"""The ``backup_plan`` and ``backup_vault`` kinds: Terraform (rules, defaults, copy
destinations, the split vault lock), the collectors against AWS's response shapes
(Stubber: every page, a failed detail read, a failed vault) and the sandbox."""

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
OTHER_ACCOUNT_VAULT = "arn:aws:backup:us-west-2:210987654321:backup-vault:vault-elsewhere"

PLAN_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
    resource "aws_backup_vault" "dr" {{
      provider = aws.dr
      name     = "orders-dr"
    }}
    resource "aws_backup_plan" "orders" {{
      name = "orders-daily"
      rule {{
        rule_name         = "daily"
        target_vault_name = "orders"
        schedule          = "cron(0 3 * * ? *)"
        lifecycle {{
          delete_after = 14
        }}
        copy_action {{
          destination_vault_arn = aws_backup_vault.dr.arn
          lifecycle {{
            delete_after = 30
          }}
        }}
      }}
      rule {{
        rule_name         = "weekly"
        target_vault_name = "orders"
        schedule          = null
        copy_action {{
          destination_vault_arn = "{OTHER_ACCOUNT_VAULT}"
        }}
      }}
    }}
'''}


# ----- Terraform ---------------------------------------------------------------

def test_a_declared_destination_vault_gives_its_providers_region(tree):
    plan = one(tree(PLAN_TF), "backup_plan", name="orders-daily")
    assert plan.value("copy_regions") == [DR, "us-west-2"]
    # the declared DR vault's account is that of its provider: known only at apply time
    rules = plan.value("rules")
    assert isinstance(rules, Unknown) and "aws_backup_vault.dr" in rules.reason


def test_rules_with_literal_destinations_are_known_with_aws_defaults(tree):
    files = {"main.tf": PLAN_TF["main.tf"].replace("aws_backup_vault.dr.arn",
                                                   f'"arn:aws:backup:{DR}:123456789012:backup-vault:orders-dr"')}
    plan = one(tree(files), "backup_plan", name="orders-daily")
    assert plan.value("rules") == [
        {"name": "daily", "schedule": "cron(0 3 * * ? *)", "retention_days": 14,
         "copy_to": [{"region": DR, "account": "123456789012", "retention_days": 30}]},
        # schedule = null is not set: AWS Backup's default; no lifecycle: kept until deleted,
        # and a copy without its own lifecycle keeps the source's
        {"name": "weekly", "schedule": "cron(0 5 ? * * *)", "retention_days": None,
         "copy_to": [{"region": "us-west-2", "account": "210987654321", "retention_days": None}]}]
    assert plan.value("copy_regions") == [DR, "us-west-2"]


def test_an_unresolved_destination_makes_copy_regions_unknown(tree):
    files = {"main.tf": PLAN_TF["main.tf"].replace("aws_backup_vault.dr.arn", "var.somewhere")
             + 'variable "somewhere" {\n  type = string\n}\n'}
    plan = one(tree(files), "backup_plan", name="orders-daily")
    assert isinstance(plan.value("copy_regions"), Unknown)
    assert isinstance(plan.value("rules"), Unknown)


VAULT_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{DR}"
    }}
    resource "aws_backup_vault" "locked" {{
      name = "orders-dr"
    }}
    resource "aws_backup_vault_lock_configuration" "locked" {{
      backup_vault_name   = aws_backup_vault.locked.name
      changeable_for_days = 3
      min_retention_days  = 7
      max_retention_days  = 35
    }}
    resource "aws_backup_vault" "governed" {{
      name = "governed"
    }}
    resource "aws_backup_vault_lock_configuration" "governed" {{
      backup_vault_name  = "governed"
      min_retention_days = 1
    }}
    resource "aws_backup_vault" "open" {{
      name = "open"
    }}
'''}


def test_a_vault_lock_is_read_from_its_split_resource(tree):
    inventory = tree(VAULT_TF)
    locked = one(inventory, "backup_vault", name="orders-dr")
    assert [locked.value(a) for a in ("locked", "lock_mode", "min_retention_days", "max_retention_days")] == [
        True, "compliance", 7, 35]
    governed = one(inventory, "backup_vault", name="governed")  # named by a literal name
    assert [governed.value(a) for a in ("locked", "lock_mode", "min_retention_days", "max_retention_days")] == [
        True, "governance", 1, None]
    open_vault = one(inventory, "backup_vault", name="open")
    assert (open_vault.value("locked"), open_vault.value("lock_mode")) == (False, None)


def test_a_lock_that_may_name_the_vault_makes_it_unknown(tree):
    files = {"main.tf": VAULT_TF["main.tf"].replace('backup_vault_name  = "governed"', "backup_vault_name  = var.v")
             + 'variable "v" {\n  type = string\n}\n'}
    open_vault = one(tree(files), "backup_vault", name="open")
    assert isinstance(open_vault.value("locked"), Unknown)


# ----- the account: AWS's response shapes ---------------------------------------

def stubbed(region: str = PRIMARY):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client("backup", region))


def _plan_arn(plan_id: str) -> str:
    return f"arn:aws:backup:{PRIMARY}:123456789012:backup-plan:{plan_id}"


def test_plans_are_read_from_every_page_and_a_failed_plan_read_is_unreadable():
    reader, stub = stubbed()
    stub.add_response("list_backup_plans", {"BackupPlansList": [
        {"BackupPlanId": "p1", "BackupPlanArn": _plan_arn("p1"), "BackupPlanName": "orders-daily"}],
        "NextToken": "page-2"}, {})
    stub.add_response("list_backup_plans", {"BackupPlansList": [
        {"BackupPlanId": "p2", "BackupPlanArn": _plan_arn("p2"), "BackupPlanName": "denied"}]}, {"NextToken": "page-2"})
    stub.add_response("get_backup_plan", {"BackupPlanId": "p1", "BackupPlan": {"BackupPlanName": "orders-daily", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": "orders", "ScheduleExpression": "cron(0 3 * * ? *)",
         "Lifecycle": {"DeleteAfterDays": 14},
         "CopyActions": [{"DestinationBackupVaultArn": f"arn:aws:backup:{DR}:123456789012:backup-vault:orders-dr"},
                         {"DestinationBackupVaultArn": OTHER_ACCOUNT_VAULT, "Lifecycle": {"DeleteAfterDays": 90}}]}]}},
        {"BackupPlanId": "p1"})
    stub.add_client_error("get_backup_plan", "AccessDeniedException", "denied", 403, expected_params={"BackupPlanId": "p2"})
    with stub:
        plans = {p.value("name"): p for p in KINDS["backup_plan"].collect(reader, PRIMARY)}
    stub.assert_no_pending_responses()
    assert plans["orders-daily"].value("rules") == [
        {"name": "daily", "schedule": "cron(0 3 * * ? *)", "retention_days": 14,
         "copy_to": [{"region": DR, "account": "123456789012", "retention_days": 14},  # keeps the source's lifecycle
                     {"region": "us-west-2", "account": "210987654321", "retention_days": 90}]}]
    assert plans["orders-daily"].value("copy_regions") == [DR, "us-west-2"]
    assert isinstance(plans["denied"].value("rules"), Unreadable)
    assert isinstance(plans["denied"].value("copy_regions"), Unreadable)


def test_vaults_are_read_from_every_page_and_a_failed_vault_does_not_count():
    reader, stub = stubbed(DR)
    vault = lambda name, **more: {"BackupVaultName": name,
                                  "BackupVaultArn": f"arn:aws:backup:{DR}:123456789012:backup-vault:{name}", **more}
    stub.add_response("list_backup_vaults", {"BackupVaultList": [
        vault("orders-dr", Locked=True, MinRetentionDays=7, MaxRetentionDays=35, LockDate="2026-12-05T00:00:00Z",
              VaultState="AVAILABLE")], "NextToken": "page-2"}, {})
    stub.add_response("list_backup_vaults", {"BackupVaultList": [
        vault("governed", Locked=True, MinRetentionDays=1), vault("broken", VaultState="FAILED", Locked=False)]},
        {"NextToken": "page-2"})
    with stub:
        vaults = {v.value("name"): v for v in KINDS["backup_vault"].collect(reader, DR)}
    stub.assert_no_pending_responses()
    assert [vaults["orders-dr"].value(a) for a in ("locked", "lock_mode", "min_retention_days", "max_retention_days")] \
        == [True, "compliance", 7, 35]
    assert [vaults["governed"].value(a) for a in ("locked", "lock_mode", "min_retention_days")] == [
        True, "governance", 1]
    assert vaults["orders-dr"].out_of_service is None and vaults["governed"].out_of_service is None
    assert vaults["broken"].out_of_service.startswith("VaultState FAILED")


# ----- the sandbox ---------------------------------------------------------------

def test_plans_and_vaults_are_collected_from_the_sandbox(sandbox, reader_for):
    seed(sandbox, load_estate(TEST_ESTATES, "backup-kms-efs"))
    inventory = collect_aws(reader_for(), {"backup_plan": {PRIMARY, DR}, "backup_vault": {PRIMARY, DR}})
    assert inventory.errors == []
    plan = one(inventory, "backup_plan", name="orders-daily")
    assert plan.region == PRIMARY and plan.value("copy_regions") == [DR]
    assert plan.value("rules")[0]["copy_to"] == [{"region": DR, "account": "123456789012", "retention_days": 30}]
    dr_vault = one(inventory, "backup_vault", name="orders-dr")
    assert (dr_vault.region, dr_vault.value("locked"), dr_vault.value("lock_mode"),
            dr_vault.value("min_retention_days")) == (DR, True, "compliance", 7)
    assert one(inventory, "backup_vault", name="orders").value("locked") is False


def test_code_and_sandbox_agree_on_a_plan(sandbox, reader_for, tree):
    seed(sandbox, load_estate(TEST_ESTATES, "backup-kms-efs"))
    live = one(collect_aws(reader_for(), {"backup_plan": {PRIMARY}}), "backup_plan", name="orders-daily")
    code = one(tree({"main.tf": f'''
        provider "aws" {{
          region = "{PRIMARY}"
        }}
        resource "aws_backup_plan" "orders" {{
          name = "orders-daily"
          rule {{
            rule_name         = "daily"
            target_vault_name = "orders"
            schedule          = "cron(0 3 * * ? *)"
            lifecycle {{
              delete_after = 14
            }}
            copy_action {{
              destination_vault_arn = "arn:aws:backup:{DR}:123456789012:backup-vault:orders-dr"
              lifecycle {{
                delete_after = 30
              }}
            }}
          }}
        }}
    '''}), "backup_plan", name="orders-daily")
    for attribute in ("name", "rules", "copy_regions"):
        assert code.value(attribute) == live.value(attribute), attribute
