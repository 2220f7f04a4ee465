"""The ``gcp_redis_instance`` kind. A Google Memorystore for Redis instance.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import BOOL, INT, MAP, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_redis_instance(r: Reader) -> dict:
    return {"name": r.arg("name"), "tier": r.arg("tier", "BASIC"),
            "replica_count": r.arg("replica_count", unset_reason="not set: chosen by the service for the tier"),
            "redis_version": r.arg("redis_version", unset_reason="not set: the service's current default"),
            "display_name": r.arg("display_name", None),
            "memory_size_gb": r.arg("memory_size_gb"),
            "auth_enabled": r.arg("auth_enabled", False),
            "transit_encryption_mode": r.arg("transit_encryption_mode", "DISABLED"),
            "labels": r.arg("labels", {}),
            **_persistence(r)}


def _persistence(r: Reader) -> dict:
    """``persistence_config``: the mode written, else the service keeps what it has (Unknown); an RDB
    snapshot period means something only in RDB mode."""
    mode = r.nested("persistence_config.persistence_mode",
                    unset_reason="not set: the service keeps its current persistence mode")
    period = r.nested("persistence_config.rdb_snapshot_period",
                      unset_reason="not set: the service's default period applies")
    if mode.known and mode.value == "DISABLED":
        period = r.at_block(None, "persistence DISABLED: no RDB snapshots")
    return {"persistence_mode": mode, "rdb_snapshot_period": period}


KIND = declare_kind(
    "gcp_redis_instance", "regional", "A Google Memorystore for Redis instance.",
    provider="google",
    attributes={
        "name": (STR, "instance id"),
        "tier": (STR, "BASIC or STANDARD_HA"),
        "replica_count": (INT, "read replicas"),
        "redis_version": (STR, "e.g. REDIS_7_0"),
        "display_name": (STR, "display name (none when unset)"),
        "memory_size_gb": (INT, "memory in GiB"),
        "auth_enabled": (BOOL, "Redis AUTH required (false unless set)"),
        "transit_encryption_mode": (STR, "SERVER_AUTHENTICATION or DISABLED (the provider's default)"),
        "persistence_mode": (STR, "DISABLED or RDB"),
        "labels": (MAP, "labels as written (the provider's default_labels are not read)"),
        "rdb_snapshot_period": (STR, "ONE_HOUR, SIX_HOURS, TWELVE_HOURS or TWENTY_FOUR_HOURS (RDB mode only)"),
    },
    terraform={"google_redis_instance": gcp_redis_instance},
)
