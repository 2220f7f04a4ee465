"""``pytest audits/ -n 2`` writes the same reports, history and exit status as a
serial run: each xdist worker reads the evidence and hands its report to the
controller, which writes it. Every run writes to its own fresh paths, so no test
can pass on a file an earlier run left behind."""

from __future__ import annotations

import json

import pytest

from dr_audit.plugin import EXIT_INCOMPLETE
from tests.conftest import write_tree
from tests.test_static_audit import project  # noqa: F401 - the shared fixture

__all__ = ["project"]


def audit_to(pytester, name, *args):
    """Run the static audit writing every output under ``out-<name>/``; returns (result, JSON, directory)."""
    out = pytester.path / f"out-{name}"
    result = pytester.runpytest_subprocess(
        "audits", "--dr-policy", "policy.yaml", "--dr-mode", "static", "-p", "no:cacheprovider",
        "--dr-json", str(out / "a.json"), "--dr-html", str(out / "a.html"), "--dr-sarif", str(out / "a.sarif"),
        "--dr-history", str(out / "history"), *args)
    document = json.loads((out / "a.json").read_text()) if (out / "a.json").exists() else None
    return result, document, out


def sarif_results(out):
    return json.loads((out / "a.sarif").read_text())["runs"][0]["results"]


def test_xdist_writes_every_output_equal_to_a_serial_run(project):
    serial_result, serial, serial_out = audit_to(project, "serial")
    result, parallel, out = audit_to(project, "parallel", "-n", "2")
    assert parallel is not None, result.stdout.str()[-2000:]
    assert result.ret == serial_result.ret == pytest.ExitCode.TESTS_FAILED
    for key in ("rows", "problems", "summary", "inputs", "waivers"):
        assert parallel[key] == serial[key], key
    assert parallel["run"]["incomplete"] == [] and parallel["run"]["policy"] == serial["run"]["policy"]
    assert "DB-MULTIAZ" in (out / "a.html").read_text()
    assert sarif_results(out) == sarif_results(serial_out)
    assert len(list((out / "history").glob("*.json"))) == 1


def test_xdist_prints_the_closing_summary_with_the_problem_items(project):
    result, _, _ = audit_to(project, "parallel", "-n", "2")
    result.stdout.fnmatch_lines(["*DR audit*", "policy mini version 1: 7 rows (FAIL 2, PASS 2, UNKNOWN 3)",
                                 "problem 1 OPEN: db not multi-az (DB-MULTIAZ FAIL)", "report: *a.json*"])


def test_an_incomplete_run_exits_10_under_xdist_as_serially(project):
    write_tree(project.path, {"tf/primary/broken.tf": 'resource "aws_db_instance" "other" {\n  identifier = \n}\n'})
    serial_result, serial, _ = audit_to(project, "serial")
    result, parallel, _ = audit_to(project, "parallel", "-n", "2")
    assert serial_result.ret == result.ret == EXIT_INCOMPLETE
    assert parallel["run"]["incomplete"] == serial["run"]["incomplete"] == ["1 row(s) ERROR",
                                                                           "1 unreadable Terraform input(s)"]
    assert parallel["rows"] == serial["rows"]
    result.stdout.fnmatch_lines(["*unreadable input: *primary/broken.tf:2:16*", "*AUDIT INCOMPLETE*exit status 10*"])


def sent(*statuses):
    rows = [{"id": f"ROW-{n}", "status": status} for n, status in enumerate(statuses)]
    return {"document": {"run": {"incomplete": []}, "rows": rows}, "summary_lines": []}


def test_the_first_workers_report_is_written_and_disagreeing_workers_make_it_incomplete():
    from dr_audit.plugin import merge_worker_reports

    document, _ = merge_worker_reports({"gw10": sent("FAIL", "PASS"), "gw2": sent("PASS", "PASS")})
    assert document["rows"][0]["status"] == "PASS"  # gw2's: worker ids in numeric order
    assert document["run"]["incomplete"] == ["1 row(s) read differently by the xdist workers: ROW-0"]
    agreeing, _ = merge_worker_reports({"gw0": sent("FAIL"), "gw1": sent("FAIL")})
    assert agreeing["run"]["incomplete"] == []
