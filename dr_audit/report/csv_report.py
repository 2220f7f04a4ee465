"""One CSV line per policy row, for a spreadsheet: rendered from the (already masked) JSON document."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

HEADER = ("id", "clause", "severity", "status", "code_value", "code_location", "account_value",
          "account_location", "message", "waiver", "derived")


def _cell(value: Any) -> str:
    """A JSON value as one cell: text as is, null as empty, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _code_location(code: dict[str, Any]) -> str:
    where = f"{code['file']}:{code['line']}" if code.get("file") and code.get("line") else code.get("file") or ""
    return " ".join(part for part in (where, code.get("address") or "") if part)


def _account_location(live: dict[str, Any]) -> str:
    parts = [live.get("account") and f"account {live['account']}", live.get("region"), live.get("id")]
    return " ".join(str(p) for p in parts if p)


def _waiver_index(document: dict[str, Any]) -> dict[tuple[str | None, str], dict[str, Any]]:
    """Waivers by (account name, row id); the account is None in a one-account document. A merged
    document lists each waiver once with the ``accounts`` that applied it."""
    if "accounts" not in document:
        return {(None, w["row"]): w for w in document.get("waivers", [])}
    return {(name, w["row"]): w for w in document.get("waivers", []) for name in w.get("accounts") or []}


def _waiver(row: dict[str, Any], waivers: dict[tuple[str | None, str], dict[str, Any]]) -> str:
    waiver = waivers.get(((row.get("account") or {}).get("name"), row["id"]))
    if not waiver:
        return ""
    state = "active" if waiver.get("active") else "expired"
    return f"{state}: {waiver.get('owner')}, {waiver.get('ticket')}, until {waiver.get('expires')}: {waiver.get('reason')}"


def render_csv(document: dict[str, Any]) -> str:
    """The CSV text: a header line, then one line per row in the document's order. A merged
    document (one with ``accounts``) has an ``account`` column first: the row's account name."""
    waivers = _waiver_index(document)
    merged = "accounts" in document
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("account",) + HEADER if merged else HEADER)
    for row in document["rows"]:
        code, live = row["terraform"], row["live"]
        line = [row["id"], row["clause"], row["severity"], row["status"],
                "" if code["status"] == "not_consulted" else _cell(code.get("value")), _code_location(code),
                "" if live["status"] == "not_consulted" else _cell(live.get("value")), _account_location(live),
                row["message"], _waiver(row, waivers), row.get("derived") or ""]
        writer.writerow([row["account"]["name"]] + line if merged else line)
    return out.getvalue()
