"""The ``gcp_network`` kind. A Google Cloud VPC network.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
Also :func:`referenced_name`, which the other Google kinds use to name what an
argument refers to (a network, an instance, a cluster, a gateway).
"""

from __future__ import annotations

from dr_audit.inventory import AttributeValue
from dr_audit.kinds.spec import BOOL, STR, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Ref, Unknown


def referenced_name(r: Reader, argument: str) -> AttributeValue:
    """The name of what ``argument`` refers to: a declared resource's ``name``, or the last segment
    of a literal name or self link (``projects/p/global/networks/crm-dr`` -> ``crm-dr``).

    None when the argument is not set; Unknown when it cannot be resolved.
    """
    evidence = r.given(argument)
    if evidence is None:
        return r.at_block(None, f"{argument} not set")
    where = (evidence.file, evidence.line, evidence.expression)
    value = evidence.value
    if isinstance(value, Ref) and value.address in r.by_address:
        found = r.reader(r.by_address[value.address]).arg("name")
        return AttributeValue(found.value, *where, f"via {value.address} ({found.file}:{found.line})")
    if isinstance(value, str) and value:
        return AttributeValue(value.rstrip("/").rsplit("/", 1)[-1], *where)
    reason = ("refers to something not declared in this code" if isinstance(value, Ref)
              else getattr(value, "reason", f"not a name: {value!r}"))
    return AttributeValue(Unknown(evidence.expression or argument, reason), *where)


# ----- Terraform ---------------------------------------------------------------

def gcp_network(r: Reader) -> dict:
    return {"name": r.arg("name"), "auto_create_subnetworks": r.arg("auto_create_subnetworks", True),
            "routing_mode": r.arg("routing_mode", "REGIONAL")}


KIND = declare_kind(
    "gcp_network", "global", "A Google Cloud VPC network.",
    provider="google",
    attributes={
        "name": (STR, "network name"),
        "auto_create_subnetworks": (BOOL, "Google creates a subnetwork per region (true unless set false)"),
        "routing_mode": (STR, "REGIONAL (the provider's default) or GLOBAL dynamic routing"),
    },
    terraform={"google_compute_network": gcp_network},
)
