"""The last runs of a policy, drawn as data for an inline SVG chart (no script, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: the statuses the chart stacks, bottom to top
CHART_STATUSES = ("PASS", "FAIL", "DRIFT", "UNDEPLOYED", "UNMANAGED", "UNKNOWN", "ERROR", "WAIVED", "NOT_APPLICABLE")
#: chart geometry in SVG user units
WIDTH, HEIGHT, BAR_GAP, LEFT, BOTTOM = 640, 160, 4, 30, 20


#: between a problem item's id and its account's name in a multi-account run's key
ACCOUNT_MARK = " · "


def problem_key(problem: dict[str, Any]) -> str:
    """A problem item's key in the chart: its id, and in a multi-account run its account's name
    too (every account has its own item 1).

    >>> problem_key({"id": 1}), problem_key({"id": 1, "account": {"name": "shop-a"}})
    ('1', '1 · shop-a')
    """
    account = problem.get("account")
    name = account.get("name") if isinstance(account, dict) else None
    return f"{problem['id']}{ACCOUNT_MARK}{name}" if name else str(problem["id"])


def recent_runs(history: Path | None, policy_name: str, mode: str, limit: int = 20) -> list[dict[str, Any]]:
    """The ``limit`` latest kept runs of ``policy_name`` in ``mode``, oldest first, each as
    ``{started, by_status, problems: {id: status}}``. Unreadable or foreign files are skipped."""
    if history is None or not Path(history).is_dir():
        return []
    runs = []
    for path in Path(history).glob("*.json"):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            run = document["run"]
            if run["policy"]["name"] != policy_name or run["mode"] != mode:
                continue
            entry = {"started": str(run["started"]), "file": path.name,
                     "by_status": dict(document["summary"]["by_status"]),
                     "problems": {problem_key(p): str(p["status"]) for p in document.get("problems", [])}}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in entry["by_status"].values()):
            runs.append(entry)  # a file with odd counts is not a run this chart can draw
    runs.sort(key=lambda r: (r["started"], r["file"]))
    return runs[-limit:] if limit > 0 else []


def with_current(runs: list[dict[str, Any]], document: dict[str, Any], limit: int = 20) -> list[dict[str, Any]]:
    """``runs`` with this run's own document last (it is not in the history yet when the HTML is drawn)."""
    current = {"started": document["run"]["started"], "file": "this run",
               "by_status": dict(document["summary"]["by_status"]),
               "problems": {problem_key(p): p["status"] for p in document.get("problems", [])}}
    return (runs + [current])[-limit:]


def chart(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars for an SVG: per run a stack of ``{status, count, x, y, width, height}`` scaled to the
    largest run, plus the problems' status per run (``problems: {id: [status per run]}``)."""
    if not runs:
        return {"runs": [], "bars": [], "problems": {}, "width": WIDTH, "height": HEIGHT, "max": 0}
    most = max(sum(r["by_status"].get(s, 0) for s in CHART_STATUSES) for r in runs) or 1
    slot = (WIDTH - LEFT) / len(runs)
    scale = (HEIGHT - BOTTOM) / most
    bars = []
    for index, run in enumerate(runs):
        top = HEIGHT - BOTTOM
        for status in CHART_STATUSES:
            count = run["by_status"].get(status, 0)
            if not count:
                continue
            height = count * scale
            top -= height
            bars.append({"run": index, "status": status, "count": count, "started": run["started"],
                         "x": round(LEFT + index * slot + BAR_GAP / 2, 1), "y": round(top, 1),
                         "width": round(max(slot - BAR_GAP, 1), 1), "height": round(height, 1)})
    ids = sorted({p for r in runs for p in r["problems"]}, key=lambda p: (len(p.split(ACCOUNT_MARK)[0]), p))
    problems = {p: [r["problems"].get(p, "absent") for r in runs] for p in ids}
    return {"runs": [r["started"] for r in runs], "bars": bars, "problems": problems,
            "width": WIDTH, "height": HEIGHT, "max": most}
