"""Earlier runs: find the last comparable one, say what changed, prune on request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: statuses that leave a row open (a waived row is accepted, not fixed); PASS and
#: NOT_APPLICABLE (no resource of the kind) close it, like a row skipped with its reason
OPEN = ("FAIL", "DRIFT", "UNDEPLOYED", "UNMANAGED", "ERROR", "UNKNOWN", "WAIVED")


def _row_key(row: dict) -> str:
    """A row's identity across runs: its id, or ``<account>-<id>`` (``key``) in a multi-account report."""
    return row.get("key") or row["id"]


def _is_open(row: dict) -> bool:
    return row["status"] in OPEN and row.get("checked", True)


def baseline_key(run: dict) -> tuple:
    """What makes two runs comparable: the same policy, mode, target (kind, estate,
    endpoint, account) and Terraform root. In: a report's ``run`` block."""
    target = run.get("target") or {}
    terraform = run.get("terraform") or {}
    return (run["policy"]["name"], run["mode"], target.get("kind"), target.get("estate"), target.get("endpoint"),
            (run.get("aws") or {}).get("account_id"), terraform.get("root"))


def previous_run(history: Path, run: dict) -> tuple[Path, dict] | None:
    """The latest kept complete run comparable with ``run`` (see ``baseline_key``), or None.

    A run whose evidence was incomplete (``run.incomplete`` not empty) is
    skipped: its ERROR rows would show up as "resolved" or "new" against a
    complete run without anything having changed. Unreadable or foreign files
    in the history are skipped, never fatal.
    """
    if not Path(history).is_dir():
        return None
    wanted = baseline_key(run)
    best: tuple[tuple, Path, dict] | None = None
    for path in Path(history).glob("*.json"):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            earlier = document["run"]
            if baseline_key(earlier) != wanted or earlier.get("incomplete", []):
                continue
            key = (earlier["started"], path.name)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if best is None or key > best[0]:
            best = (key, path, document)
    return (best[1], best[2]) if best else None


def describe_previous(path: Path, before: dict) -> dict[str, Any]:
    """The ``since_last_run.previous`` block: which run the comparison is against."""
    run = before["run"]
    return {"file": Path(path).name, "started": run["started"], "mode": run["mode"],
            "target": (run.get("target") or {}).get("kind"), "estate": (run.get("target") or {}).get("estate"),
            "terraform_root": (run.get("terraform") or {}).get("root")}


def since_last_run(previous: tuple[Path, dict] | None, document: dict) -> dict[str, Any]:
    """New failures, resolved rows and rows still open, against ``previous``."""
    if previous is None:
        return {"previous": None, "new": [], "resolved": [], "still_open": []}
    path, before = previous
    earlier = {_row_key(r): r for r in before.get("rows", [])}
    new, resolved, still = [], [], []
    for row in document["rows"]:
        old = earlier.get(_row_key(row))
        was_open = old is not None and _is_open(old)
        change = {"id": _row_key(row), "before": old["status"] if old else "absent", "now": row["status"]}
        if _is_open(row):
            (still if was_open else new).append(change)
        elif was_open:
            resolved.append(change)
    return {"previous": describe_previous(path, before), "new": new, "resolved": resolved, "still_open": still}


def prune(history: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest kept runs (only when asked); returns what was deleted.

    ``keep`` below 1 is refused: it would delete every run (the plugin reports it as a usage error).
    """
    if keep < 1:
        raise ValueError(f"a history retention must keep at least 1 run, not {keep}")
    runs = sorted(Path(history).glob("*.json"), key=lambda p: p.name)
    doomed = runs[:-keep]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
