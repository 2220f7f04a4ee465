"""The ``gcp_vpn_tunnel`` kind. A Google Cloud VPN tunnel (its shared secret is never read).

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.gcp_network import referenced_name
from dr_audit.kinds.spec import INT, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_vpn_tunnel(r: Reader) -> dict:
    return {"name": r.arg("name"), "vpn_gateway": referenced_name(r, "vpn_gateway"),
            "peer_ip": r.arg("peer_ip", None), "ike_version": r.arg("ike_version", 2),
            "router": referenced_name(r, "router")}


KIND = declare_kind(
    "gcp_vpn_tunnel", "regional", "A Google Cloud VPN tunnel (its shared secret is never read).",
    provider="google",
    attributes={
        "name": (STR, "tunnel name"),
        "vpn_gateway": (STR, "name of its Google-side gateway"),
        "peer_ip": (STR, "peer gateway's address (none when an external gateway resource names it)"),
        "ike_version": (INT, "IKE version (2 unless set)"),
        "router": (STR, "name of the Cloud Router that runs its BGP session"),
    },
    terraform={"google_compute_vpn_tunnel": gcp_vpn_tunnel},
)
