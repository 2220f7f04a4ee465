"""Verdicts: the closed status set, per-source evidence, and a row's Finding."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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


class SourceState(str, Enum):
    """What one source (terraform or live) said about a row."""

    MEETS = "meets"            # evidence found and it satisfies the policy
    VIOLATES = "violates"      # evidence found and it contradicts the policy
    MISSING = "missing"        # nothing the row selects exists in this source
    UNRESOLVED = "unresolved"  # evidence exists but a value could not be resolved
    ERROR = "error"            # the source could not be read
    NOT_CONSULTED = "not_consulted"  # by design (manual rows in code, static mode)


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

    def location(self) -> str:
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        return self.address or self.id or ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = self.state.value
        del data["state"]
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
