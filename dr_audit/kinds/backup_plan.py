"""The ``backup_plan`` kind. An AWS Backup plan: its rules, their schedule and
retention, and where each rule copies its recovery points.

Its attributes, how Terraform declares it and how the account is read.
A rule without a schedule runs on AWS Backup's default, ``cron(0 5 ? * * *)``;
a rule without ``delete_after`` keeps its recovery points until they are
deleted (retention null); a copy without its own lifecycle keeps the
source's. A copy's region and account are those of its destination vault.
"""

from __future__ import annotations

from typing import Any

from dr_audit import arns
from dr_audit.aws.collecting import detail, live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import ANY, STR, STR_LIST, declare_kind
from dr_audit.terraform.module import BlockInstance
from dr_audit.terraform.reading import Reader, given, has_uncertain_block, plain
from dr_audit.terraform.values import Ref, Unknown, first_unknown, is_known

#: AWS Backup's schedule for a rule that gives none (BackupRuleInput.ScheduleExpression)
DEFAULT_SCHEDULE = "cron(0 5 ? * * *)"


# ----- Terraform ---------------------------------------------------------------

def backup_plan(r: Reader) -> dict:
    """``aws_backup_plan``: its ``rule`` blocks, each with ``lifecycle`` and ``copy_action`` blocks."""
    blocks = r.blocks("rule")
    if has_uncertain_block(blocks):
        unknown = r.at_block(Unknown(f"{r.instance.address}.rule", "a dynamic rule block could not be expanded"),
                             "dynamic rule")
        return {"name": r.arg("name"), "rules": unknown, "copy_regions": unknown}
    rules = [_rule(r, block) for block in blocks]
    line = blocks[0].line if blocks else r.instance.line
    regions = [copy["region"] for rule in rules for copy in rule["copy_to"]]
    if is_known(regions):
        copy_regions: Any = sorted(set(regions))
    else:
        copy_regions = Unknown(f"{r.instance.address}.rule.copy_action", _reason(first_unknown(regions)))
    if not is_known(rules):
        rules_value: Any = Unknown(f"{r.instance.address}.rule", _reason(first_unknown(rules)))
    else:
        rules_value = rules
    return {"name": r.arg("name"),
            "rules": AttributeValue(rules_value, r.instance.file, line),
            "copy_regions": AttributeValue(copy_regions, r.instance.file, line)}


def _reason(part: Any) -> str:
    return getattr(part, "reason", None) or "unresolved"


def _rule(r: Reader, block: BlockInstance) -> dict:
    retention = _delete_after(block)
    return {"name": _plain(given(block, "rule_name")),
            "schedule": _plain(given(block, "schedule"), DEFAULT_SCHEDULE),
            "retention_days": retention,
            "copy_to": [_copy(r, action, retention) for action in block.blocks("copy_action")]}


def _plain(evidence: Any, default: Any = None) -> Any:
    return default if evidence is None else plain(evidence.value, evidence.expression)


def _delete_after(block: BlockInstance, inherited: Any = None) -> Any:
    """``lifecycle { delete_after }`` of ``block``; ``inherited`` when it has no lifecycle block."""
    lifecycles = block.blocks("lifecycle")
    if not lifecycles:
        return inherited
    return _plain(given(lifecycles[0], "delete_after"))


def _copy(r: Reader, action: BlockInstance, rule_retention: Any) -> dict:
    """One ``copy_action``: the destination vault's region and account, and the copy's retention."""
    evidence = given(action, "destination_vault_arn")
    region: Any
    account: Any
    if evidence is None:
        region = account = Unknown("copy_action.destination_vault_arn", "not set in code")
    elif isinstance(evidence.value, Ref) and evidence.value.address in r.by_address:
        vault = r.by_address[evidence.value.address]
        region = vault.region
        account = Unknown(evidence.expression or "destination_vault_arn",
                          f"the account of {vault.address}'s provider is known only at apply time")
    elif isinstance(evidence.value, str) and arns.region(evidence.value):
        region, account = arns.region(evidence.value), _account(evidence.value)
    elif isinstance(evidence.value, str):
        region = account = Unknown(evidence.expression or "destination_vault_arn",
                                   f"not a vault ARN: {evidence.value!r}")
    elif isinstance(evidence.value, Ref):
        region = account = Unknown(evidence.expression or "destination_vault_arn",
                                   "refers to something not declared in this code")
    else:
        region = account = plain(evidence.value, evidence.expression)
    return {"region": region, "account": account, "retention_days": _delete_after(action, rule_retention)}


def _account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] or None if len(parts) > 5 else None


# ----- the account -------------------------------------------------------------

def backup_plans(reader: AwsReader, region: str) -> list[Resource]:
    """Every plan ListBackupPlans returns in ``region`` (every page; deleted plans are not listed),
    each read with GetBackupPlan for its rules."""
    found = []
    for listed in reader.paginate("backup", region, "list_backup_plans", "BackupPlansList"):
        plan_id = listed["BackupPlanId"]
        plan = detail(lambda: reader.call("backup", region, "get_backup_plan", BackupPlanId=plan_id)["BackupPlan"])
        if isinstance(plan, Unreadable):
            rules: Any = plan
            copy_regions: Any = plan
        else:
            rules = [_live_rule(rule) for rule in plan.get("Rules") or []]
            copy_regions = sorted({copy["region"] for rule in rules for copy in rule["copy_to"] if copy["region"]})
        found.append(live_resource("backup_plan", region, listed.get("BackupPlanArn") or plan_id,
                                   name=listed.get("BackupPlanName"), rules=rules, copy_regions=copy_regions))
    return found


def _live_rule(rule: dict) -> dict:
    retention = (rule.get("Lifecycle") or {}).get("DeleteAfterDays")
    return {"name": rule.get("RuleName"), "schedule": rule.get("ScheduleExpression") or DEFAULT_SCHEDULE,
            "retention_days": retention,
            "copy_to": [{"region": arns.region(copy.get("DestinationBackupVaultArn")),
                         "account": _account(copy.get("DestinationBackupVaultArn") or ""),
                         "retention_days": (copy["Lifecycle"].get("DeleteAfterDays") if copy.get("Lifecycle")
                                            else retention)}
                        for copy in rule.get("CopyActions") or []]}


KIND = declare_kind(
    "backup_plan", "regional", "An AWS Backup plan.",
    attributes={
        "name": (STR, "plan name"),
        "rules": (ANY, "list of {name, schedule, retention_days, copy_to: [{region, account, retention_days}]}; "
                       "retention null: kept until deleted"),
        "copy_regions": (STR_LIST, "regions any rule copies recovery points to"),
    },
    terraform={"aws_backup_plan": backup_plan},
    service="backup", collect=backup_plans,
    reads={"backup": {"ListBackupPlans": "backup:ListBackupPlans", "GetBackupPlan": "backup:GetBackupPlan"}},
)
