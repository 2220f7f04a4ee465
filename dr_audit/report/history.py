"""Earlier runs: find the last comparable one, say what changed, prune on request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: statuses that leave a row open (a waived row is accepted, not fixed); PASS and
#: NOT_APPLICABLE (no resource of the kind) close it, like a row skipped with its reason
OPEN = ("FAIL", "DRIFT", "UNDEPLOYED", "UNMANAGED", "ERROR", "UNKNOWN", "WAIVED")


def _is_open(row: dict) -> bool:
    return row["status"] in OPEN and row.get("checked", True)


def previous_run(history: Path, policy_name: str, mode: str) -> tuple[Path, dict] | None:
    """The latest kept run of the same policy in the same mode, or None.

    Unreadable or foreign files in the history are skipped, never fatal.
    """
    if not Path(history).is_dir():
        return None
    best: tuple[str, Path, dict] | None = None
    for path in Path(history).glob("*.json"):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            run = document["run"]
            if run["policy"]["name"] != policy_name or run["mode"] != mode:
                continue
            key = (run["started"], path.name)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if best is None or key > best[0]:
            best = (key, path, document)
    return (best[1], best[2]) if best else None


def since_last_run(previous: tuple[Path, dict] | None, document: dict) -> dict[str, Any]:
    """New failures, resolved rows and rows still open, against ``previous``."""
    if previous is None:
        return {"previous": None, "new": [], "resolved": [], "still_open": []}
    path, before = previous
    earlier = {r["id"]: r for r in before.get("rows", [])}
    new, resolved, still = [], [], []
    for row in document["rows"]:
        old = earlier.get(row["id"])
        was_open = old is not None and _is_open(old)
        change = {"id": row["id"], "before": old["status"] if old else "absent", "now": row["status"]}
        if _is_open(row):
            (still if was_open else new).append(change)
        elif was_open:
            resolved.append(change)
    return {"previous": {"started": before["run"]["started"], "mode": before["run"]["mode"], "file": path.name},
            "new": new, "resolved": resolved, "still_open": still}


def prune(history: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest kept runs (only when asked); returns what was deleted."""
    runs = sorted(Path(history).glob("*.json"), key=lambda p: p.name)
    doomed = runs[:-keep] if keep > 0 else runs
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
