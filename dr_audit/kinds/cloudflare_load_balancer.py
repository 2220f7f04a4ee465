"""The ``cloudflare_load_balancer`` kind. A Cloudflare load balancer.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import BOOL, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def cloudflare_load_balancer(r: Reader) -> dict:
    pool_name = lambda p: p.arg("name")
    return {"name": r.arg("name"), "default_pools": r.linked_names("default_pool_ids", pool_name),
            "fallback_pool": r.linked("fallback_pool_id", pool_name),
            "steering_policy": r.arg("steering_policy", "off"), "proxied": r.arg("proxied", False)}


KIND = declare_kind(
    "cloudflare_load_balancer", "global", "A Cloudflare load balancer.",
    provider="cloudflare",
    attributes={
        "name": (STR, "hostname it serves"),
        "default_pools": (STR_LIST, "names of its default pools, in the order written"),
        "fallback_pool": (STR, "name of the pool used when every other pool is unhealthy"),
        "steering_policy": (STR, "off, geo, random, dynamic_latency, ..."),
        "proxied": (BOOL, "traffic is proxied through Cloudflare"),
    },
    terraform={"cloudflare_load_balancer": cloudflare_load_balancer},
)
