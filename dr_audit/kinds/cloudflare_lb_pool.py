"""The ``cloudflare_lb_pool`` kind. A Cloudflare load balancer origin pool.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from typing import Any, Callable

from dr_audit.inventory import AttributeValue
from dr_audit.kinds.spec import BOOL, INT, MAP, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, given, has_uncertain_block, is_set, plain
from dr_audit.terraform.values import Unknown

#: what the Cloudflare provider documents for an origin that leaves them out
_ORIGIN_DEFAULTS = {"enabled": True, "weight": 1}


# ----- Terraform ---------------------------------------------------------------

def cloudflare_lb_pool(r: Reader) -> dict:
    origins = r.blocks("origins")
    names = [plain(o.get_attribute("name"), "origins.name") for o in origins]
    return {"name": r.arg("name"),
            "origins": AttributeValue(names, r.instance.file, origins[0].line if origins else r.instance.line,
                                      None, None if origins else "no origins blocks"),
            "origin_addresses": _per_origin(r, origins, lambda o: _origin_argument(o, "address")),
            "origin_weights": _per_origin(r, origins, lambda o: _origin_argument(o, "weight")),
            "enabled_origins": _enabled_origins(r, origins),
            "has_monitor": is_set(r, "monitor"),
            "minimum_origins": r.arg("minimum_origins", 1),
            "notification_email": _notification_email(r)}


def _origin_argument(origin: Any, name: str) -> Any:
    """An origin's argument as written, else the provider's default (None when it has none)."""
    evidence = given(origin, name)
    return plain(evidence.value, evidence.expression) if evidence is not None else _ORIGIN_DEFAULTS.get(name)


def _per_origin(r: Reader, origins: list, read: Callable[[Any], Any]) -> AttributeValue:
    """``{origin name: read(origin)}``; Unknown when a dynamic origins block could not be expanded
    or a name is unresolved (a map keyed by an unknown name says nothing)."""
    where = (r.instance.file, origins[0].line if origins else r.instance.line)
    if has_uncertain_block(origins):
        return AttributeValue(Unknown("origins", "a dynamic origins block could not be expanded"), *where)
    found: dict = {}
    for origin in origins:
        name = plain(origin.get_attribute("name"), "origins.name")
        if not isinstance(name, str):
            return AttributeValue(Unknown("origins.name", "an origin's name is unresolved"), *where)
        found[name] = read(origin)
    return AttributeValue(found, *where, None, None if origins else "no origins blocks")


def _enabled_origins(r: Reader, origins: list) -> AttributeValue:
    """Names of the origins that take traffic: ``enabled`` unset is true (the provider's default)."""
    states = _per_origin(r, origins, lambda o: _origin_argument(o, "enabled"))
    if not states.known:
        return states
    unresolved = [name for name, enabled in states.value.items() if not isinstance(enabled, bool)]
    if unresolved:
        return AttributeValue(Unknown("origins.enabled", f"enabled is unresolved for {', '.join(unresolved)}"),
                              states.file, states.line)
    return AttributeValue([name for name, enabled in states.value.items() if enabled], states.file, states.line)


def _notification_email(r: Reader) -> AttributeValue:
    """The empty string the provider defaults to means no one is notified: not set."""
    value = r.arg("notification_email", None)
    if value.value == "":
        return AttributeValue(None, value.file, value.line, value.expression, "an empty address notifies no one")
    return value


KIND = declare_kind(
    "cloudflare_lb_pool", "global", "A Cloudflare load balancer origin pool.",
    provider="cloudflare",
    attributes={
        "name": (STR, "pool name"),
        "origins": (STR_LIST, "origin names"),
        "origin_addresses": (MAP, "origin name -> its address (host name or IP)"),
        "origin_weights": (MAP, "origin name -> its weight (1 when not set, the provider's default)"),
        "enabled_origins": (STR_LIST, "names of the origins that take traffic (enabled is true unless set false)"),
        "has_monitor": (BOOL, "a health monitor is attached"),
        "minimum_origins": (INT, "healthy origins needed for the pool to be healthy"),
        "notification_email": (STR, "address told when the pool's health changes (none when empty or unset)"),
    },
    terraform={"cloudflare_load_balancer_pool": cloudflare_lb_pool},
)
