"""Verdicts: the closed status set, per-source evidence, and a row's Finding."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any


class Status(str, Enum):
    """DESIGN.md's closed status set."""

    PASS = "PASS"
    FAIL = "FAIL"
    DRIFT = "DRIFT"
    UNDEPLOYED = "UNDEPLOYED"
    UNMANAGED = "UNMANAGED"
    UNKNOWN = "UNKNOWN"
    ERROR = "ERROR"
    WAIVED = "WAIVED"
    #: an all-of-a-kind row (``when_absent: not_applicable``) found no resource of its kind
    NOT_APPLICABLE = "NOT_APPLICABLE"


class SourceState(str, Enum):
    """What one source (terraform or live) said about a row."""

    MEETS = "meets"            # evidence found and it satisfies the policy
    VIOLATES = "violates"      # evidence found and it contradicts the policy
    MISSING = "missing"        # nothing the row selects exists in this source
    UNRESOLVED = "unresolved"  # evidence exists but a value could not be resolved
    ERROR = "error"            # the source could not be read
    NOT_CONSULTED = "not_consulted"  # by design (manual rows in code, static mode)


def plain(value: Any) -> str:
    """A value as people read it in a verdict: no Python spellings.

    ``None`` -> ``not set``, ``True`` -> ``true``, strings in double quotes,
    lists as ``["a", "b"]``, an unresolved value as its expression.
    """
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(_item(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_item(v)}" for k, v in value.items()) + "}"
    expression = getattr(value, "expression", None)
    if isinstance(expression, str):
        return expression
    return str(value)


def _item(value: Any) -> str:
    """An item inside a list or mapping: a null there is written ``null``, as Terraform does."""
    return "null" if value is None else plain(value)


@dataclass
class ResourceCheck:
    """One resource a row matched, and its own verdict (``meets``, ``violates``,
    ``unresolved`` or ``error``, with a short reason)."""

    source: str                  # "terraform" or "aws"
    address: str
    verdict: str
    reason: str = ""
    value: Any = None
    file: str | None = None
    line: int | None = None
    region: str | None = None
    account: str | None = None
    #: a measured row's datapoints and threshold (dr_audit.measured.picture); None for other rows
    series: dict | None = None

    def to_dict(self) -> dict:
        data = {"source": self.source, "verdict": self.verdict, "reason": self.reason, "value": self.value}
        if self.series is not None:
            data["series"] = self.series
        if self.source == "terraform":
            data.update(address=self.address, file=self.file, line=self.line)
        else:
            data.update(id=self.address, region=self.region)
        if self.account:
            data["account"] = self.account
        return data


@dataclass
class SourceEvidence:
    """One source's answer for one row, with where it came from."""

    state: SourceState
    value: Any = None
    detail: str = ""
    address: str | None = None
    file: str | None = None
    line: int | None = None
    region: str | None = None
    id: str | None = None
    error: str | None = None
    #: every resource the row matched in this source, each with its own verdict
    resources: list[ResourceCheck] = field(default_factory=list)

    def location(self) -> str:
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        return self.address or self.id or ""

    def to_dict(self) -> dict:
        """The evidence for the JSON report; its resources are listed once per row (``rows[].resources``)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("state", "resources")}
        data["status"] = self.state.value
        return data


@dataclass
class Finding:
    """A row's verdict: status, one-line reason, and the evidence behind it."""

    row_id: str
    status: Status
    message: str
    terraform: SourceEvidence
    live: SourceEvidence
    skip_reason: str | None = None  # set when the row is not checkable in this mode
    waived_status: Status | None = None  # the status a waiver covers
