"""The evidence bundle: every report of a run, each row's raw evidence, and a manifest of hashes.

An auditor archives the directory; the manifest lets anyone check later that nothing in it changed.
Everything written is masked: the document arrives redacted, and the Terraform lines read
here go through the same redactor before they are written.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable

from dr_audit.report.atomic import write_atomically

#: lines of Terraform shown before and after the line a value came from
CONTEXT_BEFORE, CONTEXT_AFTER = 3, 6
MANIFEST = "manifest.json"


def _safe_name(row_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", row_id) or "_"


def hcl_lines(root: Path | None, file: str | None, line: int | None) -> list[dict[str, Any]]:
    """The lines of ``root/file`` around ``line`` as ``[{line, text}]``; empty when the file is
    unknown, outside ``root`` or unreadable."""
    if root is None or not file or not line:
        return []
    path = (Path(root) / file).resolve()
    if not path.is_relative_to(Path(root).resolve()) or not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first = max(int(line) - CONTEXT_BEFORE, 1)
    last = min(int(line) + CONTEXT_AFTER, len(lines))
    return [{"line": n, "text": lines[n - 1]} for n in range(first, last + 1)]


def row_evidence(row: dict[str, Any], root: Path | None, redact: Callable[[str], str],
                 lines_note: str | None = None) -> dict[str, Any]:
    """One row's raw evidence: what each source held, where, and the Terraform lines it came from
    (``lines_note`` says why no line is quoted, when that is so)."""
    code, live = row["terraform"], row["live"]
    sources = [{"address": code.get("address"), "file": code.get("file"), "line": code.get("line"),
                "value": code.get("value")}] if code.get("file") else []
    sources += [{"address": r.get("address"), "file": r.get("file"), "line": r.get("line"), "value": r.get("value")}
                for r in row.get("resources", []) if r.get("source") == "terraform" and r.get("file")]
    for source in sources:
        source["lines"] = [{"line": entry["line"], "text": redact(entry["text"])}
                           for entry in hcl_lines(root, source["file"], source["line"])]
    accounts = [{"id": live.get("id"), "region": live.get("region"), "account": live.get("account"),
                 "value": live.get("value")}] if live.get("status") != "not_consulted" else []
    accounts += [{"id": r.get("id"), "region": r.get("region"), "account": r.get("account"), "value": r.get("value")}
                 for r in row.get("resources", []) if r.get("source") != "terraform"]
    code_evidence = {"status": code["status"], "sources": sources}
    if lines_note and sources:
        code_evidence["lines_not_quoted"] = lines_note
    return {"id": row["id"], "clause": row["clause"], "status": row["status"], "message": row["message"],
            "expected": row["expected"], "code": code_evidence,
            "account": {"status": live["status"], "error": live.get("error"), "sources": accounts}}


def write_bundle(directory: Path, document: dict[str, Any], reports: dict[str, str], terraform_root: Path | None,
                 redact: Callable[[str], str], lines_note: str | None = None) -> dict[str, dict[str, Any]]:
    """Write ``reports`` (file name -> text, already masked), ``evidence/<row>.json`` per row and
    ``manifest.json`` (path -> sha256 and size) into ``directory``; returns the manifest.
    ``lines_note``: why the Terraform lines are not quoted (``terraform_root`` is None then)."""
    directory = Path(directory)
    files = dict(reports)
    for row in document["rows"]:
        evidence = row_evidence(row, terraform_root, redact, lines_note)
        files[f"evidence/{_safe_name(row['id'])}.json"] = json.dumps(evidence, indent=2, ensure_ascii=False) + "\n"
    manifest = {}
    for name, text in sorted(files.items()):
        data = text.encode("utf-8")
        write_atomically(directory / name, text)
        manifest[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    write_atomically(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest
