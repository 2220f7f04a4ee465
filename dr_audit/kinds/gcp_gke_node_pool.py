"""The ``gcp_gke_node_pool`` kind. A GKE node pool declared as its own resource.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.gcp_network import referenced_name
from dr_audit.kinds.spec import INT, MAP, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_gke_node_pool(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "cluster": referenced_name(r, "cluster"),
            "machine_type": r.nested("node_config.machine_type", "e2-medium"),
            "disk_size_gb": r.nested("node_config.disk_size_gb", 100),
            "labels": r.nested("node_config.labels", {}),
            "initial_count": r.arg("initial_node_count", unset_reason="not set: GKE starts the pool at its own size"),
            **_autoscaling(r)}


def _autoscaling(r: Reader) -> dict:
    """Bounds per zone from the ``autoscaling`` block; none without it (the pool does not scale)."""
    if not r.blocks("autoscaling"):
        none = r.at_block(None, "no autoscaling block: the pool does not scale")
        return {"min_count": none, "max_count": none}
    return {"min_count": r.nested("autoscaling.min_node_count", unset_reason="not set: a total bound may apply"),
            "max_count": r.nested("autoscaling.max_node_count", unset_reason="not set: a total bound may apply")}


KIND = declare_kind(
    "gcp_gke_node_pool", "regional", "A GKE node pool declared as its own resource.",
    provider="google",
    attributes={
        "name": (STR, "node pool name"),
        "cluster": (STR, "name of its cluster"),
        "machine_type": (STR, "node machine type (e2-medium when unset, the provider's default)"),
        "disk_size_gb": (INT, "node boot disk size in GB (100 when unset)"),
        "labels": (MAP, "Kubernetes labels of its nodes (node_config.labels)"),
        "initial_count": (INT, "nodes created per zone at first"),
        "min_count": (INT, "autoscaling lower bound per zone (none without autoscaling)"),
        "max_count": (INT, "autoscaling upper bound per zone (none without autoscaling)"),
    },
    terraform={"google_container_node_pool": gcp_gke_node_pool},
)
