"""Values the evaluator produces besides plain Python data.

``Unknown`` is a value the static evaluator cannot resolve (it keeps the
source expression and why). ``Ref`` is a resource attribute only known after
apply (``aws_vpc.main.id``): it is kept so links between resources resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """An unresolved value: the expression as written and the reason."""

    expression: str
    reason: str

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


def first_unknown(value: Any) -> Unknown | Ref | None:
    """The first Unknown or Ref found anywhere inside ``value``, else None."""
    if isinstance(value, (Unknown, Ref)):
        return value
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        found = first_unknown(item)
        if found is not None:
            return found
    return None


def is_known(value: Any) -> bool:
    """True when ``value`` holds no Unknown and no Ref at any depth."""
    return first_unknown(value) is None


def as_unknown(value: Any, expression: str) -> Unknown:
    """Turn an unresolved part into an Unknown for ``expression``."""
    part = first_unknown(value)
    if isinstance(part, Ref):
        return Unknown(expression, f"{part} is only known after apply")
    if isinstance(part, Unknown):
        return Unknown(expression, part.reason)
    return Unknown(expression, "unresolved")
