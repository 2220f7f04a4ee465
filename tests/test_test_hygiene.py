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


def test_two_collections_a_moment_apart_collect_the_same_tests():
    """xdist refuses to run when its workers collect different ids, so no test id may depend on
    the clock (a timestamp parameter shown in an id differs between workers a second apart)."""
    import subprocess
    import sys
    import time

    def collected() -> list[str]:
        result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                 "tests"], cwd=REPO, capture_output=True, text=True, timeout=300)
        return [line for line in result.stdout.splitlines() if "::" in line]

    first = collected()
    time.sleep(1.1)
    second = collected()
    assert len(first) > 1000
    assert [i for i in first if i not in second] == [] and [i for i in second if i not in first] == []
