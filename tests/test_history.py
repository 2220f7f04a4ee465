"""The history: "since the last run" compares only with the latest complete run of
the same policy, mode, target and Terraform root, and names it; retention below
one run is refused; report and history files get the ordinary file mode."""

from __future__ import annotations

import json
import os
import stat

import pytest

from dr_audit.report.atomic import keep_in_history, write_atomically
from dr_audit.report.history import previous_run, prune, since_last_run
from tests.test_static_audit import project, run  # noqa: F401 - the shared fixture

__all__ = ["project"]


def run_block(started="2026-01-01T00:00:00+00:00", mode="full", estate="as-found", root="tf/a", incomplete=()):
    return {"started": started, "mode": mode, "policy": {"name": "p"}, "incomplete": list(incomplete),
            "target": {"kind": "sandbox", "estate": estate, "endpoint": "embedded moto sandbox on loopback"},
            "aws": {"account_id": "123456789012"}, "terraform": {"root": root}}


def keep(history, name, run, rows=()):
    history.mkdir(exist_ok=True)
    (history / name).write_text(json.dumps({"run": run, "rows": list(rows)}))


def test_only_a_run_of_the_same_estate_and_terraform_root_is_a_baseline(tmp_path):
    history = tmp_path / "history"
    keep(history, "a.json", run_block("2026-01-01T00:00:00+00:00"))
    keep(history, "other-estate.json", run_block("2026-01-03T00:00:00+00:00", estate="drift"))
    keep(history, "other-root.json", run_block("2026-01-04T00:00:00+00:00", root="tf/b"))
    keep(history, "other-mode.json", run_block("2026-01-05T00:00:00+00:00", mode="live"))
    found = previous_run(history, run_block("2026-02-01T00:00:00+00:00"))
    assert found is not None and found[0].name == "a.json"
    assert previous_run(history, run_block(estate="remediated")) is None


def test_an_incomplete_run_is_no_baseline_the_latest_complete_one_is(tmp_path):
    history = tmp_path / "history"
    keep(history, "complete.json", run_block("2026-01-01T00:00:00+00:00"))
    keep(history, "broken.json", run_block("2026-01-02T00:00:00+00:00", incomplete=["1 row(s) ERROR"]))
    found = previous_run(history, run_block("2026-02-01T00:00:00+00:00"))
    assert found[0].name == "complete.json"


def test_since_last_run_names_the_run_it_compares_with(tmp_path):
    before = {"run": run_block("2026-01-01T00:00:00+00:00"), "rows": [{"id": "A", "status": "FAIL"}]}
    since = since_last_run((tmp_path / "h" / "first.json", before), {"rows": [{"id": "A", "status": "PASS"}]})
    assert since["previous"] == {"file": "first.json", "started": "2026-01-01T00:00:00+00:00", "mode": "full",
                                 "target": "sandbox", "estate": "as-found", "terraform_root": "tf/a"}
    assert [c["id"] for c in since["resolved"]] == ["A"]


def test_pruning_to_fewer_than_one_run_is_refused(tmp_path):
    keep(tmp_path, "a.json", run_block())
    with pytest.raises(ValueError, match="at least 1"):
        prune(tmp_path, 0)
    assert (tmp_path / "a.json").exists()


def test_history_keep_below_one_is_a_usage_error_that_deletes_nothing(project):
    run(project)
    result = project.runpytest("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static",
                               "-p", "no:cacheprovider", "--dr-history-keep", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dr-history-keep must be at least 1*"])
    assert len(list((project.path / "reports" / "history").glob("*.json"))) == 1


def test_the_terminal_names_the_run_it_compared_with_and_each_problem(project):
    _, first = run(project)
    result, report = run(project)
    previous = report["since_last_run"]["previous"]
    assert previous["started"] == first["run"]["started"] and previous["terraform_root"].endswith("tf")
    assert previous["file"].endswith("-static-dr-audit.json")
    text = result.stdout.str()
    against = f"{previous['file']}, root {previous['terraform_root']}"
    assert f"since the run of {previous['started']} ({against}): 0 new" in text
    assert "problem 1 OPEN: db not multi-az (DB-MULTIAZ FAIL)" in text


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def mode_of(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_reports_and_history_get_the_mode_the_umask_gives(tmp_path, umask_027):
    report = tmp_path / "out" / "dr-audit.json"
    write_atomically(report, "{}\n")
    kept = keep_in_history(tmp_path / "history", "run.json", "{}\n")
    assert mode_of(report) == mode_of(kept) == 0o640


def test_a_report_replacing_an_older_one_gets_the_umask_mode_too(tmp_path):
    report = tmp_path / "dr-audit.json"
    old = os.umask(0o022)
    try:
        write_atomically(report, "one\n")
        write_atomically(report, "two\n")
    finally:
        os.umask(old)
    assert mode_of(report) == 0o644 and report.read_text() == "two\n"
