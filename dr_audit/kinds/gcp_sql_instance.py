"""The ``gcp_sql_instance`` kind. A Google Cloud SQL instance.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import BOOL, INT, MAP, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_sql_instance(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "database_version": r.arg("database_version"),
            "availability_type": r.nested("settings.availability_type", "ZONAL"),
            "backup_enabled": r.nested("settings.backup_configuration.enabled", False),
            "point_in_time_recovery": r.nested("settings.backup_configuration.point_in_time_recovery_enabled", False),
            "deletion_protection": r.arg("deletion_protection", True),
            "tier": r.nested("settings.tier"),
            "disk_type": r.nested("settings.disk_type", "PD_SSD"),
            "disk_size_gb": r.nested("settings.disk_size", unset_reason="not set: Cloud SQL sizes the disk itself"),
            "labels": r.nested("settings.user_labels", {})}


KIND = declare_kind(
    "gcp_sql_instance", "regional", "A Google Cloud SQL instance.",
    provider="google",
    attributes={
        "name": (STR, "instance name"),
        "database_version": (STR, "e.g. POSTGRES_15"),
        "availability_type": (STR, "ZONAL or REGIONAL (high availability)"),
        "backup_enabled": (BOOL, "automated backups enabled"),
        "point_in_time_recovery": (BOOL, "point-in-time recovery enabled"),
        "deletion_protection": (BOOL, "deletion protection"),
        "tier": (STR, "machine tier, e.g. db-custom-4-15360 (4 vCPU, 15 GB)"),
        "disk_type": (STR, "PD_SSD (the provider's default) or PD_HDD"),
        "disk_size_gb": (INT, "data disk size in GB"),
        "labels": (MAP, "settings.user_labels as written (the provider's default_labels are not read)"),
    },
    terraform={"google_sql_database_instance": gcp_sql_instance},
)
