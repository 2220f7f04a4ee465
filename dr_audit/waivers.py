"""Waivers: a named owner accepts a failing row, with a reason, a ticket and
an expiry date. A covered row is WAIVED (shown, never hidden) until the date
passes; then its real status returns. Unreadable evidence (ERROR) is never
waived: a waiver accepts a known gap, not an unknown one.

The file maps policy names to lists, so one file serves several policies::

    waivers:
      payments-dr:
        - {row: POLICY-RPO-S3, owner: ..., reason: ..., ticket: DR-12, expires: 2027-02-28}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from dr_audit.errors import PolicyError, PolicyErrors
from dr_audit.findings import Finding, Status
from dr_audit.model import Policy
from dr_audit.yaml_lines import load_yaml_with_lines

REQUIRED = ("row", "owner", "reason", "ticket", "expires")
#: statuses a waiver may cover: the row would fail on evidence that was read
WAIVABLE = (Status.FAIL, Status.DRIFT, Status.UNDEPLOYED, Status.UNMANAGED, Status.UNKNOWN)


@dataclass(frozen=True)
class Waiver:
    row: str
    owner: str
    reason: str
    ticket: str
    expires: dt.date
    file: str
    line: int

    def active(self, today: dt.date) -> bool:
        return today <= self.expires

    def to_dict(self, today: dt.date) -> dict:
        return {"row": self.row, "owner": self.owner, "reason": self.reason, "ticket": self.ticket,
                "expires": self.expires.isoformat(), "active": self.active(today),
                "location": f"{self.file}:{self.line}"}


def load_waivers(path: Path | None, policy: Policy) -> list[Waiver]:
    """The waivers for ``policy`` in ``path`` (none when the file is absent).

    Raises PolicyErrors naming file and line for a waiver of a row the policy
    does not have, a missing owner, reason, ticket or expiry, a bad date, or
    two waivers for one row.
    """
    if path is None or not Path(path).is_file():
        return []
    data = load_yaml_with_lines(Path(path))
    file = str(path)
    if not isinstance(data, dict) or not isinstance(data.get("waivers", {}), dict):
        raise PolicyErrors([PolicyError(file, "a waivers file is 'waivers:' mapping policy names to lists",
                                        getattr(data, "line", None))])
    entries = data.get("waivers", {}).get(policy.name) or []
    if not isinstance(entries, list):
        raise PolicyErrors([PolicyError(file, f"waivers.{policy.name} must be a list", data["waivers"].line_of(policy.name))])
    rows = {row.id for row in policy.rows}
    errors: list[PolicyError] = []
    waivers: list[Waiver] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        line = entries.item_lines[index]
        if not isinstance(entry, dict):
            errors.append(PolicyError(file, "a waiver is a mapping", line))
            continue
        missing = [key for key in REQUIRED if not str(entry.get(key) or "").strip()]
        unknown = sorted(set(entry) - set(REQUIRED))
        row_id = entry.get("row")
        if missing:
            errors.append(PolicyError(file, f"waiver without {', '.join(missing)}", line, None, row_id))
        if unknown:
            errors.append(PolicyError(file, f"unknown waiver keys: {', '.join(unknown)}", line, None, row_id))
        if row_id and row_id not in rows:
            errors.append(PolicyError(file, f"waiver for a row the policy {policy.name} does not have", line, None, row_id))
        if row_id in seen:
            errors.append(PolicyError(file, f"a second waiver for the row (first at line {seen[row_id]})", line, None, row_id))
        expires = entry.get("expires")
        if expires and not isinstance(expires, dt.date):
            try:
                expires = dt.date.fromisoformat(str(expires))
            except ValueError:
                errors.append(PolicyError(file, f"expires {expires!r} is not a date (YYYY-MM-DD)", line, None, row_id))
                continue
        if missing or unknown or row_id not in rows or row_id in seen:
            seen.setdefault(row_id, line)
            continue
        seen[row_id] = line
        waivers.append(Waiver(row_id, str(entry["owner"]), str(entry["reason"]), str(entry["ticket"]), expires,
                              file, line))
    if errors:
        raise PolicyErrors(errors)
    return waivers


def apply_waiver(finding: Finding, waiver: Waiver | None, today: dt.date) -> Finding:
    """The finding as the waiver leaves it: WAIVED while active and the row would fail."""
    if waiver is None or finding.status not in WAIVABLE:
        return finding
    if not waiver.active(today):
        return replace(finding, message=f"{finding.message} [waiver {waiver.ticket} by {waiver.owner} "
                                        f"expired on {waiver.expires.isoformat()}]")
    return replace(finding, status=Status.WAIVED, waived_status=finding.status, skip_reason=None,
                   message=(f"waived until {waiver.expires.isoformat()} by {waiver.owner} ({waiver.ticket}): "
                            f"{waiver.reason}; real status {finding.status.value}: {finding.message}"))
