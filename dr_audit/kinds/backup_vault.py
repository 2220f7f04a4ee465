"""The ``backup_vault`` kind. An AWS Backup vault and its Vault Lock.

Its attributes, how Terraform declares it and how the account is read.
A lock with a lock date (Terraform: ``changeable_for_days``) is in
compliance mode: once the date passes nobody can change or remove it; a
lock without one is in governance mode and can be removed.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import BOOL, INT, STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, derived_from


# ----- Terraform ---------------------------------------------------------------

def backup_vault(r: Reader) -> dict:
    """``aws_backup_vault`` with the ``aws_backup_vault_lock_configuration`` that names it."""
    locks = r.attached("aws_backup_vault_lock_configuration", "backup_vault_name")
    doubtful = r.maybe_attached("aws_backup_vault_lock_configuration", "backup_vault_name")
    name = r.arg("name")
    if not locks and doubtful:
        unknown = r.may_refer_here(doubtful[0], "backup_vault_name", "lock this vault")
        return {"name": name, "locked": unknown, "lock_mode": unknown, "min_retention_days": unknown,
                "max_retention_days": unknown}
    if not locks:
        none = r.at_block(None, "no aws_backup_vault_lock_configuration names this vault")
        return {"name": name, "locked": r.at_block(False, "no aws_backup_vault_lock_configuration names this vault"),
                "lock_mode": none, "min_retention_days": none, "max_retention_days": none}
    lock = locks[-1]
    changeable = lock.arg("changeable_for_days", None)
    return {"name": name,
            "locked": lock.at_block(True, f"locked by {lock.instance.address}"),
            "lock_mode": derived_from("governance" if changeable.value is None else "compliance", changeable,
                                      note="compliance when changeable_for_days is set"),
            "min_retention_days": lock.arg("min_retention_days", None),
            "max_retention_days": lock.arg("max_retention_days", None)}


# ----- the account -------------------------------------------------------------

def backup_vaults(reader: AwsReader, region: str) -> list[Resource]:
    """Every vault ListBackupVaults returns in ``region`` (every page); the lock is in the listing."""
    found = []
    for vault in reader.paginate("backup", region, "list_backup_vaults", "BackupVaultList"):
        locked = bool(vault.get("Locked"))
        state = vault.get("VaultState")
        # VaultState is optional in the model: a vault that reports none is judged by its listing alone
        not_serving = out_of_service("backup_vault", state) if state is not None else None
        found.append(live_resource(
            "backup_vault", region, vault.get("BackupVaultArn") or vault["BackupVaultName"], not_serving=not_serving,
            name=vault["BackupVaultName"], locked=locked,
            lock_mode=("compliance" if vault.get("LockDate") else "governance") if locked else None,
            min_retention_days=vault.get("MinRetentionDays") if locked else None,
            max_retention_days=vault.get("MaxRetentionDays") if locked else None))
    return found


KIND = declare_kind(
    "backup_vault", "regional", "An AWS Backup vault.",
    attributes={
        "name": (STR, "vault name"),
        "locked": (BOOL, "Backup Vault Lock applies to the vault"),
        "lock_mode": (STR, "compliance (a lock date is set) or governance; none when not locked"),
        "min_retention_days": (INT, "the lock's minimum retention, days; none when not set"),
        "max_retention_days": (INT, "the lock's maximum retention, days; none when not set"),
    },
    terraform={"aws_backup_vault": backup_vault},
    service="backup", collect=backup_vaults,
    reads={"backup": {"ListBackupVaults": "backup:ListBackupVaults"}},
    states={
        "backup_vault": StateRule("VaultState", frozenset({"AVAILABLE"}),
                                  "a vault being created or that failed holds no recovery point"),
    },
)
