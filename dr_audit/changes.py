"""Which rows a change touches: rows whose code evidence is in a changed file.

``--dr-changed-files`` takes a comma-separated list of paths (relative to
the repository root), ``@FILE`` (one path per line, as ``git diff
--name-only`` prints), or ``git:REF`` (the files changed since the merge base
with REF).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any


class ChangedFilesError(ValueError):
    """The changed-files option could not be read (bad file, bad git ref)."""


def changed_files(spec: str, repo_root: Path) -> set[str]:
    """Repository-relative POSIX paths named by ``spec``."""
    if spec.startswith("git:"):
        ref = spec[4:]
        try:
            result = subprocess.run(["git", "-C", str(repo_root), "diff", "--name-only", f"{ref}...HEAD"],
                                    capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError) as error:
            raise ChangedFilesError(f"--dr-changed-files {spec}: cannot run git: {error}") from None
        if result.returncode != 0:
            raise ChangedFilesError(f"--dr-changed-files {spec}: git diff failed: {result.stderr.strip()}")
        names = result.stdout.splitlines()
    elif spec.startswith("@"):
        try:
            names = Path(spec[1:]).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ChangedFilesError(f"--dr-changed-files {spec}: {error.strerror}") from None
    else:
        names = spec.split(",")
    return {Path(os.path.normpath(n.strip())).as_posix() for n in names if n.strip()}


def mark_changed_rows(document: dict[str, Any], changed: set[str], repo_root: Path) -> list[str]:
    """Set ``changed`` on each row of ``document``; returns the ids of the changed rows."""
    root = document["run"].get("terraform", {}).get("root")
    marked = []
    for row in document["rows"]:
        file = row["terraform"].get("file")
        path = None
        if file and root:
            path = Path(os.path.relpath(Path(root, file).resolve(), repo_root.resolve())).as_posix()
        row["changed"] = path in changed
        if row["changed"]:
            marked.append(row["id"])
    return marked
