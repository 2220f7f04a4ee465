"""The ``gcp_subnetwork`` kind. A Google Cloud VPC subnetwork.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.inventory import AttributeValue
from dr_audit.kinds.gcp_network import referenced_name
from dr_audit.kinds.spec import CIDR, MAP, STR, declare_kind
from dr_audit.terraform.reading import Reader, given, has_uncertain_block, plain
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def gcp_subnetwork(r: Reader) -> dict:
    return {"name": r.arg("name"), "ip_cidr_range": r.arg("ip_cidr_range"),
            "network": referenced_name(r, "network"), "secondary_ranges": _secondary_ranges(r)}


def _secondary_ranges(r: Reader) -> AttributeValue:
    """``{range_name: ip_cidr_range}`` over the ``secondary_ip_range`` blocks (empty when none)."""
    blocks = r.blocks("secondary_ip_range")
    if not blocks:
        return r.at_block({}, "no secondary_ip_range blocks")
    where = (blocks[0].file, blocks[0].line)
    if has_uncertain_block(blocks):
        return AttributeValue(Unknown("secondary_ip_range", "a dynamic block could not be expanded"), *where)
    ranges = {}
    for block in blocks:
        name, cidr = given(block, "range_name"), given(block, "ip_cidr_range")
        if name is None or cidr is None or not isinstance(name.value, str):
            return AttributeValue(Unknown("secondary_ip_range", "a range's name or CIDR block is unresolved"), *where)
        ranges[name.value] = plain(cidr.value, cidr.expression)
    return AttributeValue(ranges, *where)


KIND = declare_kind(
    "gcp_subnetwork", "regional", "A Google Cloud VPC subnetwork.",
    provider="google",
    attributes={
        "name": (STR, "subnetwork name"),
        "ip_cidr_range": (CIDR, "primary range"),
        "network": (STR, "name of its network"),
        "secondary_ranges": (MAP, "secondary range name -> CIDR block (GKE pods and services)"),
    },
    terraform={"google_compute_subnetwork": gcp_subnetwork},
)
