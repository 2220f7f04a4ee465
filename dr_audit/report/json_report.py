"""The "dr-audit/1" JSON document (DESIGN.md's contract) built from findings."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from dr_audit import __version__
from dr_audit.checkov.fold import builtin_results, row_column
from dr_audit.checkov.runner import CheckovRun
from dr_audit.findings import Finding, SourceState, Status
from dr_audit.inventory import Inventory
from dr_audit.kinds import KINDS
from dr_audit.measured import measured_beside
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
    """A problem item's status and why, from its linked rows' findings.

    OPEN: not fixed where the row is checked. RESOLVED: every linked row
    passes in code and account. FIXED_IN_CODE_NOT_APPLIED: the code fixes
    every row the account still fails. APPLIED_NOT_IN_CODE: the account is
    fixed, the code is not. UNKNOWN: a linked row could not be evaluated, or
    only one side was read and it does not settle the question. A
    NOT_APPLICABLE row (no resource of its kind) neither opens nor settles it.
    """
    applicable = [f for f in rows if f.status is not Status.NOT_APPLICABLE]
    if rows and not applicable:
        return "RESOLVED", "no linked row applies: the kinds they cover have no resource (NOT_APPLICABLE)"
    rows = applicable
    unsettled = [f for f in rows if f.status in (Status.ERROR, Status.UNKNOWN)]
    if unsettled:
        return "UNKNOWN", f"{unsettled[0].row_id} is {unsettled[0].status.value}: {unsettled[0].message}"
    code_read = any(f.terraform.state is not SourceState.NOT_CONSULTED for f in rows)
    live_read = any(f.live.state is not SourceState.NOT_CONSULTED for f in rows)
    live_failing = [f for f in rows if f.live.state not in (SourceState.MEETS, SourceState.NOT_CONSULTED)]
    code_failing = [f for f in rows if f.terraform.state not in (SourceState.MEETS, SourceState.NOT_CONSULTED)]
    failing = [f for f in rows if f.status is not Status.PASS]
    if not live_read:
        if code_failing or failing:
            return "OPEN", f"{(code_failing or failing)[0].row_id}: {(code_failing or failing)[0].message}"
        return "UNKNOWN", "the code fixes it; the account was not read (static mode)"
    if not failing and not live_failing and not code_failing:
        return "RESOLVED", "every linked row passes" + (" in code and account" if code_read else " in the account")
    if live_failing and not code_failing and code_read and all(
            f.terraform.state is SourceState.MEETS for f in live_failing):
        return "FIXED_IN_CODE_NOT_APPLIED", (f"the code fixes it, the account does not yet: "
                                             f"{', '.join(f.row_id for f in live_failing)}")
    if code_failing and not live_failing:
        return "APPLIED_NOT_IN_CODE", (f"the account is fixed, the code is not: "
                                       f"{', '.join(f.row_id for f in code_failing)}")
    first = failing[0] if failing else live_failing[0]
    return "OPEN", f"{first.row_id}: {first.message}"


def build_report(policy: Policy, findings: dict[str, Finding], terraform: Inventory | None,
                 run: dict[str, Any], live: Inventory | None = None, waivers: list | None = None,
                 today: Any = None, checkov: CheckovRun | None = None) -> dict[str, Any]:
    """The whole JSON document for one run."""
    rows = [_row(policy, row, findings[row.id]) for row in policy.rows]
    for row, data in zip(policy.rows, rows):
        data["checkov"] = row_column(policy, row, findings[row.id], checkov)
        data["live"]["account"] = _live_account(row, data["live"], run)
        beside = measured_beside(row, policy.rows, findings)
        if beside:  # a coherence row shows what the account measured against the same facts
            data["measured_beside"] = _jsonable(beside)
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
            "name": policy.name, "title": policy.title, "path": policy.path, "sha256": policy.sha256,
            "version": policy.version,
            "verbatim_clauses": list(policy.verbatim_clauses) if policy.verbatim_clauses is not None else None},
            "regions": {name: role.region for name, role in policy.roles.items()}},
        "summary": {"rows": len(rows), "by_status": {s.value: by_status.get(s.value, 0) for s in Status}},
        "inputs": {"terraform_files": list(terraform.files) if terraform else [],
                   "terraform_errors": [e.to_dict() for e in terraform.errors] if terraform else [],
                   "terraform_gaps": [str(g) for g in getattr(terraform, "gaps", None) or []],
                   "aws_errors": [e.to_dict() for e in live.errors] if live else []},
        "rows": rows,
        "problems": problems,
        "waivers": [w.to_dict(today) for w in waivers or []],
        "checkov": None if checkov is None else {
            "version": checkov.version, "seconds": round(checkov.seconds, 1), "errors": checkov.errors,
            "builtin": builtin_results(policy, findings, checkov),
            "agreement": _agreement(rows)},
    }


def _agreement(rows: list[dict[str, Any]]) -> dict[str, Any]:
    compared = [r for r in rows if r["checkov"].get("agrees") is not None]
    return {"compared": len(compared), "agree": sum(1 for r in compared if r["checkov"]["agrees"]),
            "disagree": sorted(r["id"] for r in compared if not r["checkov"]["agrees"])}


def _live_account(row: Row, live: dict[str, Any], run: dict[str, Any]) -> str | None:
    """The account(s) a row's account evidence came from: its role's, and its targets' roles'
    ("a, b" when they differ); None when the account was not consulted."""
    if live["status"] == "not_consulted" or not run.get("accounts"):
        return None
    by_role = {role: entry["id"] for entry in run["accounts"] for role in entry["roles"]}
    default = (run.get("aws") or {}).get("account_id")
    roles = [row.role] + [t.get("role") for t in row.args.get("targets", []) if isinstance(t, dict)]
    accounts = sorted({by_role.get(role, default) or "unknown" for role in roles})
    return ", ".join(accounts)


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
        "expected": {"op": row.op or row.comparator, "value": _jsonable(row.value if row.op else row.args),
                     **({"fact": row.value_fact} if row.value_fact else {})},
        "measure": row.measure.to_dict() if row.measure is not None else None,
        "managed_by": row.managed_by, "severity": row.severity, "problem": row.problem, "derived": row.derived,
        "terraform_only": row.kind in KINDS and KINDS[row.kind].code_only_reason(row.attribute) is not None,
        "terraform": terraform, "live": live,
        "resources": [_jsonable(check.to_dict()) for check in finding.terraform.resources + finding.live.resources],
        "status": finding.status.value, "message": finding.message,
        "waived_status": finding.waived_status.value if finding.waived_status else None,
        "checked": finding.skip_reason is None, "skip_reason": finding.skip_reason,
        "policy_line": row.line,
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def default_history_name(document: dict[str, Any]) -> str:
    stamp = document["run"]["started"].replace(":", "").replace("-", "")
    return f"{stamp}-{document['run']['mode']}-dr-audit.json"


def load(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
