"""Values the evaluator produces besides plain Python data.

``Unknown`` is a value the static evaluator cannot resolve (it keeps the
source expression and why). ``Ref`` is a resource attribute only known after
apply (``aws_vpc.main.id``): it is kept so links between resources resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """An unresolved value: the expression as written and the reason.

    ``error`` is True when evaluating the expression fails outright (Terraform
    would reject the plan: an attribute of null, a missing key, a function
    error), as opposed to a value only known at apply time or one this static
    evaluator does not compute. ``try()`` and ``can()`` catch only errors.

    ``among`` is set when the value is certainly an attribute of one of these
    resource or instance addresses (``aws_route_table.public`` for any of its
    instances, ``aws_route_table.public[0]``) and only which one is unresolved:
    ``element(aws_route_table.public[*].id, var.i)``. None when it may be anything.
    """

    expression: str
    reason: str
    error: bool = field(default=False, compare=False)
    among: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

    def at(self, expression: str) -> "Unknown":
        """The same unknown, quoted as ``expression`` (what it may refer to is dropped:
        most expressions around a reference compute something else from it)."""
        return Unknown(expression, self.reason, self.error)

    def selected_at(self, expression: str) -> "Unknown":
        """The same unknown, quoted as ``expression`` that picks it as it is (a traversal,
        ``try``, ``element``): what it may refer to is kept."""
        return Unknown(expression, self.reason, self.error, self.among)

    def __str__(self) -> str:
        return f"unknown ({self.reason}): {self.expression}"


@dataclass(frozen=True)
class Ref:
    """A computed attribute of a resource or data source, known only after apply.

    ``address`` is the instance address (``aws_subnet.public[0]``), ``attribute``
    the attribute read (``id``).
    """

    address: str
    attribute: str

    def __str__(self) -> str:
        return f"{self.address}.{self.attribute}"


def _first_inside(value: Any, wanted) -> Any:
    """The first part of ``value`` (itself, or at any depth of its lists and maps) that ``wanted`` accepts."""
    if wanted(value):
        return value
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        found = _first_inside(item, wanted)
        if found is not None:
            return found
    return None


def first_unknown(value: Any) -> Unknown | Ref | None:
    """The first Unknown or Ref found anywhere inside ``value``, else None."""
    if isinstance(value, (Unknown, Ref)):
        return value
    if not isinstance(value, (dict, list, tuple)):  # the common case, kept cheap: is_known runs everywhere
        return None
    return _first_inside(value, lambda part: isinstance(part, (Unknown, Ref)))


def failure(expression: str, reason: str) -> Unknown:
    """An evaluation error: Terraform would fail on ``expression`` for ``reason``."""
    return Unknown(expression, reason, error=True)


def first_error(value: Any) -> Unknown | None:
    """The first evaluation error (an Unknown with ``error``) inside ``value``, else None."""
    return _first_inside(value, lambda part: isinstance(part, Unknown) and part.error)


def is_known(value: Any) -> bool:
    """True when ``value`` holds no Unknown and no Ref at any depth."""
    return first_unknown(value) is None


def as_unknown(value: Any, expression: str) -> Unknown:
    """Turn an unresolved part into an Unknown for ``expression``; an
    evaluation error anywhere inside wins, as it would fail the plan."""
    part = first_error(value) or first_unknown(value)
    if isinstance(part, Ref):
        return Unknown(expression, f"{part} is only known after apply")
    if isinstance(part, Unknown):
        return part.at(expression)
    return Unknown(expression, "unresolved")


def candidates(value: Any) -> tuple[str, ...] | None:
    """The addresses ``value`` is certainly a reference into: a Ref's instance (or the instance
    itself), an Unknown's ``among``, or all of those of a list's items (each must be one); None when ``value`` may
    be something else (a literal, a value computed from a reference, an unknown of any kind)."""
    if isinstance(value, Ref):
        return (value.address,)
    if isinstance(value, Unknown):
        return value.among
    if isinstance(getattr(value, "mode", None), str) and isinstance(getattr(value, "address", None), str):
        return (value.address,)  # a resource instance itself (``aws_x.y[var.i]`` before ``.id``); a module's
        # outputs are not: an output may be anything
    if isinstance(value, (list, tuple)) and value:
        found: list[str] = []
        for item in value:
            inner = candidates(item)
            if inner is None:
                return None
            found += [a for a in inner if a not in found]
        return tuple(found)
    return None


def one_of(expression: str, reason: str, addresses: tuple[str, ...] | None) -> Unknown:
    """An unresolved choice among references to ``addresses`` (None: among anything)."""
    return Unknown(expression, reason, among=addresses)


def may_name(value: Any, address: str) -> bool:
    """Whether an unresolved ``value`` may be a reference to the instance at ``address``:
    False only when its candidates are known and none is that instance or its resource
    (an instance whose count is unresolved, ``x[?]``, stands for every instance of ``x``)."""
    found = candidates(value)
    if found is None:
        return True
    resource = _INSTANCE_KEY.sub("", address) if address.endswith("[?]") else None
    return any(address == a or address.startswith(a + "[") or (resource is not None and a.startswith(resource + "["))
               for a in found)


#: the instance key closing an address: ``[0]``, ``["a"]``, ``[?]``
_INSTANCE_KEY = re.compile(r'\[(?:\d+|\?|"[^"]*")\]$')
