"""The "dr-audit/1" JSON document (DESIGN.md's contract) built from findings."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from dr_audit import __version__
from dr_audit.findings import Finding, SourceState, Status
from dr_audit.inventory import Inventory
from dr_audit.model import Policy, Row
from dr_audit.terraform.values import Unknown

SCHEMA = "dr-audit/1"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Unknown):
        return {"unknown": value.expression, "reason": value.reason}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def git_commit(directory: str | None) -> str | None:
    """The commit checked out where ``directory`` lives, if it is a git work tree."""
    if not directory:
        return None
    try:
        result = subprocess.run(["git", "-C", directory, "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def problem_status(rows: list[Finding]) -> tuple[str, str]:
    """A problem item's status and why, from its rows' findings (static view)."""
    code_states = {f.terraform.state for f in rows}
    if any(f.status is Status.FAIL for f in rows):
        return "OPEN", "a linked row fails"
    if SourceState.VIOLATES in code_states or SourceState.MISSING in code_states:
        return "OPEN", "the code does not fix it"
    if all(f.status is Status.PASS for f in rows):
        if all(f.live.state is SourceState.MEETS for f in rows):
            return "RESOLVED", "every linked row passes in code and account"
    return "UNKNOWN", "the account was not read (static mode) or a linked row is unresolved"


def build_report(policy: Policy, findings: dict[str, Finding], terraform: Inventory | None,
                 run: dict[str, Any]) -> dict[str, Any]:
    """The whole JSON document for one run."""
    rows = [_row(policy, row, findings[row.id]) for row in policy.rows]
    by_status = Counter(r["status"] for r in rows)
    problems = []
    for problem in policy.problems.values():
        linked = [findings[r] for r in problem.rows]
        status, why = problem_status(linked)
        problems.append({
            "id": problem.id, "title": problem.title, "severity": problem.severity,
            "remediation": problem.remediation, "status": status, "rows": list(problem.rows),
            "evidence": {"reason": why, "rows": {f.row_id: f.status.value for f in linked}},
        })
    return {
        "schema": SCHEMA,
        "run": {**run, "tool_version": __version__, "policy": {
            "name": policy.name, "title": policy.title, "path": policy.path, "sha256": policy.sha256},
            "regions": {name: role.region for name, role in policy.roles.items()}},
        "summary": {"rows": len(rows), "by_status": {s.value: by_status.get(s.value, 0) for s in Status}},
        "inputs": {"terraform_files": list(terraform.files) if terraform else [],
                   "terraform_errors": [e.to_dict() for e in terraform.errors] if terraform else []},
        "rows": rows,
        "problems": problems,
    }


def _row(policy: Policy, row: Row, finding: Finding) -> dict[str, Any]:
    region = policy.region_of(row.role)
    terraform = finding.terraform.to_dict()
    live = finding.live.to_dict()
    for side in (terraform, live):
        side["value"] = _jsonable(side["value"])
    return {
        "id": row.id, "clause": row.clause, "section": row.section, "title": row.title, "kind": row.kind,
        "role": row.role, "region": region, "resource": row.resource_label(), "attribute": row.attribute,
        "aggregate": row.aggregate,
        "expected": {"op": row.op or row.comparator, "value": _jsonable(row.value if row.op else row.args)},
        "managed_by": row.managed_by, "severity": row.severity, "problem": row.problem,
        "terraform": terraform, "live": live,
        "status": finding.status.value, "message": finding.message,
        "checked": finding.skip_reason is None, "skip_reason": finding.skip_reason,
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def default_history_name(document: dict[str, Any]) -> str:
    stamp = document["run"]["started"].replace(":", "").replace("-", "")
    return f"{stamp}-{document['run']['mode']}-dr-audit.json"


def load(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
