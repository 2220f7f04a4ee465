"""The ``gcp_gke_cluster`` kind. A Google Kubernetes Engine cluster.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.gcp_network import referenced_name
from dr_audit.kinds.spec import BOOL, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_gke_cluster(r: Reader) -> dict:
    return {"name": r.arg("name"),
            "release_channel": r.nested("release_channel.channel",
                                        unset_reason="not set: GKE enrols the cluster in its default channel"),
            "private_nodes": r.nested("private_cluster_config.enable_private_nodes", False),
            "network": referenced_name(r, "network"), "subnetwork": referenced_name(r, "subnetwork")}


KIND = declare_kind(
    "gcp_gke_cluster", "regional", "A Google Kubernetes Engine cluster.",
    provider="google",
    attributes={
        "name": (STR, "cluster name"),
        "release_channel": (STR, "RAPID, REGULAR, STABLE, EXTENDED or UNSPECIFIED"),
        "private_nodes": (BOOL, "nodes have internal IP addresses only (false unless set)"),
        "network": (STR, "name of its VPC network"),
        "subnetwork": (STR, "name of its subnetwork"),
    },
    terraform={"google_container_cluster": gcp_gke_cluster},
)
