"""The resource kinds a policy can name: one module per kind, and the registry of them.

``KINDS`` maps each registered kind's name to its :class:`Kind`; the modules
beside this one are the built-in kinds, and plugins add theirs (see
:mod:`dr_audit.kinds.registry`). Rows, comparators and reports only ever see
a kind's normalized attributes.
"""

from dr_audit.kinds.spec import (ANY, BOOL, CIDR, INT, INT_LIST, LIVE_PROVIDER, NUMBER, POLICY_KIND, STR,
                                 STR_LIST, AttributeSpec, Kind, KindError, StateRule, declare_kind)
from dr_audit.kinds.registry import KINDS, register, register_from


def attribute_spec(kind: str, attribute: str) -> AttributeSpec | None:
    """The spec of ``kind.attribute``, or None when either is unknown."""
    spec = KINDS.get(kind)
    return spec.attributes.get(attribute) if spec else None


__all__ = ["ANY", "BOOL", "CIDR", "INT", "INT_LIST", "LIVE_PROVIDER", "NUMBER", "POLICY_KIND", "STR", "STR_LIST",
           "AttributeSpec", "Kind", "KindError", "StateRule", "declare_kind", "KINDS", "register", "register_from",
           "attribute_spec"]
