"""The ``cloudflare_lb_monitor`` kind. A Cloudflare load balancer health monitor.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import INT, STR, declare_kind
from dr_audit.inventory import AttributeValue
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown

#: the port Cloudflare checks when a monitor sets none (0), by monitor type
_DEFAULT_PORTS = {"http": 80, "https": 443}


# ----- Terraform ---------------------------------------------------------------

def cloudflare_lb_monitor(r: Reader) -> dict:
    return {"description": r.arg("description", None), "type": r.arg("type", "http"), "path": r.arg("path", "/"),
            "interval": r.arg("interval", 60), "retries": r.arg("retries", 2), "timeout": r.arg("timeout", 5),
            "expected_codes": r.arg("expected_codes", None), "port": _port(r)}


def _port(r: Reader) -> AttributeValue:
    """The port written (0 means unset), else Cloudflare's default for the type: 80 for http, 443 for
    https; other types (tcp) have no default and must set one."""
    written = r.given("port")
    if written is not None and written.value != 0:
        return r.arg("port")
    type_ = r.arg("type", "http")
    if not type_.known:
        return type_
    default = _DEFAULT_PORTS.get(str(type_.value).lower())
    if default is None:
        return r.at_block(Unknown(f"{r.instance.address}.port", f"not set: type {type_.value} has no default port"),
                          "port not set")
    return r.at_block(default, f"port not set: Cloudflare checks {default} for type {type_.value}")


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
        "port": (INT, "checked port (unset or 0: 80 for http, 443 for https)"),
    },
    terraform={"cloudflare_load_balancer_monitor": cloudflare_lb_monitor},
)
