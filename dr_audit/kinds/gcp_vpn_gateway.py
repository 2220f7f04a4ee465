"""The ``gcp_vpn_gateway`` kind. A Google Cloud VPN gateway (HA or classic).

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.gcp_network import referenced_name
from dr_audit.kinds.spec import BOOL, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_ha_vpn_gateway(r: Reader) -> dict:
    return {"name": r.arg("name"), "network": referenced_name(r, "network"),
            "high_availability": r.at_block(True, "google_compute_ha_vpn_gateway: two interfaces")}


def gcp_classic_vpn_gateway(r: Reader) -> dict:
    return {"name": r.arg("name"), "network": referenced_name(r, "network"),
            "high_availability": r.at_block(False, "google_compute_vpn_gateway: classic VPN, one interface")}


KIND = declare_kind(
    "gcp_vpn_gateway", "regional", "A Google Cloud VPN gateway (HA or classic).",
    provider="google",
    attributes={
        "name": (STR, "gateway name"),
        "network": (STR, "name of its VPC network"),
        "high_availability": (BOOL, "an HA VPN gateway (two interfaces) rather than classic VPN"),
    },
    terraform={"google_compute_ha_vpn_gateway": gcp_ha_vpn_gateway,
               "google_compute_vpn_gateway": gcp_classic_vpn_gateway},
)
