"""Every output rendered from the JSON: SARIF located at file:line, the
history comparison and its retention, the changed-files view, pytest-html
extras and JUnit, on the small static project of test_static_audit."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

from tests.conftest import write_tree
from tests.test_static_audit import project, run  # noqa: F401 - the shared fixture

__all__ = ["project"]


def test_sarif_locates_code_findings_at_the_terraform_line(project):
    run(project)
    log = json.loads((project.path / "reports" / "dr-audit.sarif").read_text())
    assert log["version"] == "2.1.0" and log["runs"][0]["tool"]["driver"]["name"] == "dr-audit"
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert sorted(results) == ["DB-MULTIAZ", "DB-OTHER-EXISTS", "DB-VERSION"]  # code-side, not PASS, not policy rows
    located = results["DB-MULTIAZ"]["locations"][0]["physicalLocation"]
    assert (located["artifactLocation"]["uri"], located["region"]["startLine"]) == ("tf/primary/main.tf", 13)
    assert results["DB-MULTIAZ"]["level"] == "error" and results["DB-VERSION"]["level"] == "warning"
    missing = results["DB-OTHER-EXISTS"]["locations"][0]["physicalLocation"]
    assert missing["artifactLocation"]["uri"] == "policy.yaml" and missing["region"]["startLine"] > 1
    rules = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules == set(results)


def test_since_the_last_run_names_new_resolved_and_still_open_rows(project):
    run(project)
    main = project.path / "tf" / "primary" / "main.tf"
    main.write_text(main.read_text().replace("multi_az       = false", "multi_az       = true")
                    .replace('identifier     = "db-main"', 'identifier     = "db-main"\n  port = 5432'))
    result, report = run(project)
    since = report["since_last_run"]
    assert since["previous"]["mode"] == "static" and since["previous"]["file"].endswith("-static-dr-audit.json")
    assert [c["id"] for c in since["resolved"]] == ["DB-MULTIAZ"]
    assert [(c["id"], c["before"], c["now"]) for c in since["new"]] == [("DB-PORT", "PASS", "FAIL")]
    assert [c["id"] for c in since["still_open"]] == ["DB-OTHER-EXISTS", "DB-VERSION"]
    assert "1 new, 1 resolved, 2 still open" in result.stdout.str()
    html = (project.path / "reports" / "dr-audit.html").read_text()
    assert 'id="since"' in html and "DB-MULTIAZ" in html


def test_history_keeps_every_run_unless_a_retention_is_given(project):
    for _ in range(3):
        run(project)
    history = project.path / "reports" / "history"
    assert len(list(history.glob("*.json"))) == 3
    run(project, "--dr-history-keep", "2")
    kept = sorted(history.glob("*.json"))
    assert len(kept) == 2 and all(json.loads(p.read_text())["schema"] == "dr-audit/1" for p in kept)


def test_changed_files_mark_the_rows_they_touch_from_a_list_or_git(project):
    result, report = run(project, "--dr-changed-files", "tf/primary/main.tf,README.md")
    assert sorted(report["changed_rows"]) == ["DB-MULTIAZ", "DB-PORT", "DB-VERSION", "DB-VERSION-ALLOWED"]
    text = result.stdout.str()
    assert "this change touches the evidence of 4 row(s):" in text
    assert text.index("FAIL       DB-MULTIAZ (primary/main.tf:13)") < text.index("PASS       DB-PORT")

    git = ["git", "-C", str(project.path), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q", "-b", "main"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "base"], check=True)
    subprocess.run(git + ["checkout", "-qb", "change"], check=True)
    write_tree(project.path, {"tf/primary/extra.tf": 'resource "aws_db_instance" "other" {\n  identifier = "db-other"\n}\n'})
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "add db-other"], check=True)
    result, report = run(project, "--dr-changed-files", "git:main")
    assert report["changed_rows"] == ["DB-OTHER-EXISTS"]
    result, report = run(project, "--dr-changed-files", "git:no-such-ref")
    assert "git diff failed" in report["changed_files_error"] and "changed files not read" in result.stdout.str()


def test_pytest_html_shows_each_rows_evidence_and_junit_works(project):
    result, _ = run(project, "--html", "ph.html", "--junitxml", "junit.xml")
    page = (project.path / "ph.html").read_text()
    assert "dr-evidence" in page and "DB-MULTIAZ" in page and "primary/main.tf:13" in page
    cases = ET.parse(project.path / "junit.xml").getroot().iter("testcase")
    names = {c.get("name") for c in cases}
    assert "test_policy_row[DB-MULTIAZ]" in names and "test_policy_row[DB-PORT]" in names
