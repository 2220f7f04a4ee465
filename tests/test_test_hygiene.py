"""The project's own tests write only under temporary directories: none names the
repository's ``reports/`` directory (the audit's default output) as a place to write."""

from __future__ import annotations

import re

from tests.conftest import REPO

#: ``REPO / "reports"`` (or the same with single quotes) anywhere in a test
REPO_REPORTS = re.compile(r"""REPO\s*/\s*["']reports["']""")


def test_no_test_writes_into_the_projects_reports_directory():
    offenders = [f"{path.name}:{number}" for path in sorted((REPO / "tests").glob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if REPO_REPORTS.search(line) and path.name != "test_test_hygiene.py"]
    assert offenders == [], f"tests writing into the project's reports/: {offenders}"
