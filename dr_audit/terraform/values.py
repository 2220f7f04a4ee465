"""Values the evaluator produces besides plain Python data.

``Unknown`` is a value the static evaluator cannot resolve (it keeps the
source expression and why). ``Ref`` is a resource attribute only known after
apply (``aws_vpc.main.id``): it is kept so links between resources resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """An unresolved value: the expression as written and the reason.

    ``error`` is True when evaluating the expression fails outright (Terraform
    would reject the plan: an attribute of null, a missing key, a function
    error), as opposed to a value only known at apply time or one this static
    evaluator does not compute. ``try()`` and ``can()`` catch only errors.
    """

    expression: str
    reason: str
    error: bool = field(default=False, compare=False)

    def at(self, expression: str) -> "Unknown":
        """The same unknown, quoted as ``expression``."""
        return Unknown(expression, self.reason, self.error)

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
