"""The ``gcp_redis_instance`` kind. A Google Memorystore for Redis instance.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import INT, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_redis_instance(r: Reader) -> dict:
    return {"name": r.arg("name"), "tier": r.arg("tier", "BASIC"),
            "replica_count": r.arg("replica_count", unset_reason="not set: chosen by the service for the tier"),
            "redis_version": r.arg("redis_version", unset_reason="not set: the service's current default")}


KIND = declare_kind(
    "gcp_redis_instance", "regional", "A Google Memorystore for Redis instance.",
    provider="google",
    attributes={
        "name": (STR, "instance id"),
        "tier": (STR, "BASIC or STANDARD_HA"),
        "replica_count": (INT, "read replicas"),
        "redis_version": (STR, "e.g. REDIS_7_0"),
    },
    terraform={"google_redis_instance": gcp_redis_instance},
)
