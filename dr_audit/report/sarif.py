"""SARIF 2.1.0 for the code-side findings, located at the Terraform file and line.

GitHub code scanning annotates a pull request from it. A row whose code is
missing what the policy requires is located at the row in the policy file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dr_audit import __version__

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"violates": "error", "missing": "error", "unresolved": "warning", "error": "error"}
#: row statuses with nothing to annotate: met, or not applicable (no resource of the kind)
_SILENT = ("PASS", "NOT_APPLICABLE")


def _relative(path: str, base: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()


def _terraform_roots(document: dict[str, Any]) -> dict[str | None, Path | None]:
    """Each account's Terraform root by account name (a one-account document: under None)."""
    def root(run: dict[str, Any]) -> Path | None:
        return Path(run["terraform"]["root"]) if (run.get("terraform") or {}).get("root") else None

    if "accounts" not in document:
        return {None: root(document["run"])}
    return {entry["name"]: root(entry.get("run") or {}) for entry in document["accounts"]}


def _rule(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["id"].title().replace("-", ""),
            "shortDescription": {"text": row["title"]},
            "fullDescription": {"text": f"DR policy clause {row['clause']}: {row['title']}"},
            "properties": {"severity": row["severity"], "kind": row["kind"],
                           "tags": ["disaster-recovery", f"clause-{row['clause']}"]}}


def build_sarif(document: dict[str, Any], repo_root: Path) -> dict[str, Any]:
    """The SARIF log for ``document``: one rule per row id that has a code-side finding. In a
    merged document (rows of several accounts) each result names its account."""
    roots = _terraform_roots(document)
    policy_path = document["run"]["policy"]["path"]
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for row in document["rows"]:
        code = row["terraform"]
        level = _LEVELS.get(code["status"])
        if level is None or row["status"] in _SILENT or not row["checked"]:
            continue
        account = row.get("account")
        terraform_root = roots.get(account["name"] if account else None)
        if code.get("file") and terraform_root is not None:
            uri, line = _relative(str(terraform_root / code["file"]), repo_root), code.get("line") or 1
        else:
            uri, line = _relative(policy_path, repo_root), row.get("policy_line") or 1
        rules.setdefault(row["id"], _rule(row))
        said = f"{row['status']}: {row['message']}"
        result = {
            "ruleId": row["id"], "level": "note" if row["status"] == "WAIVED" else level,
            "message": {"text": f"account {account['name']} ({account['id']}): {said}" if account else said},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                                "region": {"startLine": int(line)}}}],
            "properties": {"status": row["status"], "problem": row["problem"]},
        }
        if account:
            result["properties"]["account"] = {"id": account["id"], "name": account["name"]}
        results.append(result)
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "dr-audit", "version": __version__, "rules": list(rules.values()),
                            "informationUri": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/"}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": repo_root.resolve().as_uri() + "/"}},
        "results": results,
    }]}
