"""The ``cloudflare_lb_monitor`` kind. A Cloudflare load balancer health monitor.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import INT, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def cloudflare_lb_monitor(r: Reader) -> dict:
    return {"description": r.arg("description", None), "type": r.arg("type", "http"), "path": r.arg("path", "/"),
            "interval": r.arg("interval", 60), "retries": r.arg("retries", 2), "timeout": r.arg("timeout", 5),
            "expected_codes": r.arg("expected_codes", None)}


KIND = declare_kind(
    "cloudflare_lb_monitor", "global", "A Cloudflare load balancer health monitor.",
    provider="cloudflare",
    attributes={
        "description": (STR, "monitor description"),
        "type": (STR, "http, https, tcp, ..."),
        "path": (STR, "checked path"),
        "interval": (INT, "seconds between checks"),
        "retries": (INT, "retries before an origin is marked unhealthy"),
        "timeout": (INT, "seconds before a check times out"),
        "expected_codes": (STR, "expected HTTP codes"),
    },
    terraform={"cloudflare_load_balancer_monitor": cloudflare_lb_monitor},
)
