"""The ``cloudflare_load_balancer`` kind. A Cloudflare load balancer.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.inventory import AttributeValue
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader

#: how long a session sticks when session_affinity_ttl is unset, by affinity (Cloudflare's documented defaults)
_DEFAULT_AFFINITY_TTL = {"cookie": 82800, "ip_cookie": 82800, "header": 1800}


# ----- Terraform ---------------------------------------------------------------

def cloudflare_load_balancer(r: Reader) -> dict:
    pool_name = lambda p: p.arg("name")
    return {"name": r.arg("name"), "default_pools": r.linked_names("default_pool_ids", pool_name),
            "fallback_pool": r.linked("fallback_pool_id", pool_name),
            "steering_policy": r.arg("steering_policy", "off"), "proxied": r.arg("proxied", False),
            **_session_affinity(r)}


def _session_affinity(r: Reader) -> dict:
    """``session_affinity`` ("" and unset mean none, the provider's default) and its TTL: written,
    else the default for the affinity; no TTL applies without affinity."""
    affinity = r.arg("session_affinity", "none")
    if affinity.value == "":
        affinity = AttributeValue("none", affinity.file, affinity.line, affinity.expression, "\"\" means none")
    if r.given("session_affinity_ttl") is not None:
        return {"session_affinity": affinity, "session_affinity_ttl": r.arg("session_affinity_ttl")}
    if not affinity.known:
        return {"session_affinity": affinity, "session_affinity_ttl": affinity}
    default = _DEFAULT_AFFINITY_TTL.get(str(affinity.value))
    ttl = (r.at_block(default, f"session_affinity_ttl not set: Cloudflare's default for {affinity.value}")
           if default is not None else r.at_block(None, f"no session affinity ({affinity.value}): no TTL applies"))
    return {"session_affinity": affinity, "session_affinity_ttl": ttl}


KIND = declare_kind(
    "cloudflare_load_balancer", "global", "A Cloudflare load balancer.",
    provider="cloudflare",
    attributes={
        "name": (STR, "hostname it serves"),
        "default_pools": (STR_LIST, "names of its default pools, in the order written"),
        "fallback_pool": (STR, "name of the pool used when every other pool is unhealthy"),
        "steering_policy": (STR, "off, geo, random, dynamic_latency, ..."),
        "proxied": (BOOL, "traffic is proxied through Cloudflare"),
        "session_affinity": (STR, "none, cookie, ip_cookie or header: what keeps a client on one origin"),
        "session_affinity_ttl": (INT, "seconds a session sticks (unset: 23 h for cookie affinity; none without)"),
    },
    terraform={"cloudflare_load_balancer": cloudflare_load_balancer},
)
