"""Fold checkov's results into the report, beside our own verdicts.

Each exported row gets a ``checkov`` entry (its check's result on the
resource our evaluator chose, and whether the two agree); each built-in DR
check result is listed with the rows it bears on.
"""

from __future__ import annotations

from typing import Any

from dr_audit.checkov.export import check_id, exportable
from dr_audit.checkov.runner import BUILTIN_DR_CHECKS, CheckovResult, CheckovRun
from dr_audit.findings import Finding, SourceState
from dr_audit.model import Policy, Row


def _roots_for(policy: Policy, row: Row) -> list[str]:
    """Roles whose root may hold the row's evidence: its own role's first."""
    with_roots = [name for name, role in policy.roles.items() if role.terraform_root]
    return sorted(with_roots, key=lambda name: name != row.role)


def row_column(policy: Policy, row: Row, finding: Finding, run: CheckovRun | None) -> dict[str, Any]:
    """checkov's answer for one row, and whether it agrees with ours."""
    if not exportable(row):
        return {"status": "not_exported"}
    column: dict[str, Any] = {"check_id": check_id(row)}
    if run is None:
        return {**column, "status": "not_run"}
    roots = _roots_for(policy, row)
    address = finding.terraform.address
    result = run.find(check_id(row), address, roots) if address else None
    if result is None:
        errors = list(dict.fromkeys(run.errors[r] for r in roots if r in run.errors))  # shared roots: once
        if errors:
            return {**column, "status": "error", "error": "; ".join(errors)}
        return {**column, "status": "not_reported",
                "reason": "our evaluator found no single resource" if not address else f"no result for {address}"}
    ours = finding.terraform.state
    agrees = (ours is SourceState.MEETS) == result.passed if ours in (SourceState.MEETS, SourceState.VIOLATES) else None
    return {**column, "status": "passed" if result.passed else "failed", "file": result.file, "line": result.line,
            "agrees": agrees}


def builtin_results(policy: Policy, findings: dict[str, Finding], run: CheckovRun | None) -> list[dict[str, Any]]:
    """Every built-in DR check result, linked to the rows about the same resource and attribute."""
    if run is None:
        return []
    listed = []
    for result in run.results:
        if result.check_id not in BUILTIN_DR_CHECKS:
            continue
        kind, attribute = BUILTIN_DR_CHECKS[result.check_id]
        rows = [row.id for row in policy.rows if row.kind == kind and row.attribute == attribute
                and findings[row.id].terraform.address and _same_resource(run, result, findings[row.id])]
        listed.append({"check_id": result.check_id, "name": result.name, "address": result.address,
                       "file": result.file, "line": result.line, "result": "passed" if result.passed else "failed",
                       "rows": rows})
    return sorted(listed, key=lambda r: (r["check_id"], r["address"]))


def _same_resource(run: CheckovRun, result: CheckovResult, finding: Finding) -> bool:
    """True when ``result`` is the one checkov result paired with the finding's resource."""
    return run.find(result.check_id, finding.terraform.address, [result.root]) == result
