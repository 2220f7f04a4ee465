"""The ``cloudflare_lb_pool`` kind. A Cloudflare load balancer origin pool.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.inventory import AttributeValue
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, is_set, plain


# ----- Terraform ---------------------------------------------------------------

def cloudflare_lb_pool(r: Reader) -> dict:
    origins = r.blocks("origins")
    names = [plain(o.get_attribute("name"), "origins.name") for o in origins]
    return {"name": r.arg("name"),
            "origins": AttributeValue(names, r.instance.file, origins[0].line if origins else r.instance.line,
                                      None, None if origins else "no origins blocks"),
            "has_monitor": is_set(r, "monitor"),
            "minimum_origins": r.arg("minimum_origins", 1)}


KIND = declare_kind(
    "cloudflare_lb_pool", "global", "A Cloudflare load balancer origin pool.",
    provider="cloudflare",
    attributes={
        "name": (STR, "pool name"),
        "origins": (STR_LIST, "origin names"),
        "has_monitor": (BOOL, "a health monitor is attached"),
        "minimum_origins": (INT, "healthy origins needed for the pool to be healthy"),
    },
    terraform={"cloudflare_load_balancer_pool": cloudflare_lb_pool},
)
