"""The ``gcp_sql_instance`` kind. A Google Cloud SQL instance.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import BOOL, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_sql_instance(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "database_version": r.arg("database_version"),
            "availability_type": r.nested("settings.availability_type", "ZONAL"),
            "backup_enabled": r.nested("settings.backup_configuration.enabled", False),
            "point_in_time_recovery": r.nested("settings.backup_configuration.point_in_time_recovery_enabled", False),
            "deletion_protection": r.arg("deletion_protection", True)}


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
    },
    terraform={"google_sql_database_instance": gcp_sql_instance},
)
