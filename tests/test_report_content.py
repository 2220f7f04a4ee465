"""What the auditor's HTML says beyond the rows: the run's verdict and exit status, where and by whom
it ran, links to the console and the repository, readable words, numeric order, a findings list,
a print stylesheet and the trend of the kept runs."""

from __future__ import annotations

import json
import re

from dr_audit.report.html_report import render_html
from dr_audit.report.presentation import (console_url, file_url, natural_key, provenance, readable_text,
                                          repository_link, run_verdict, words)
from dr_audit.report.trend import chart, recent_runs, with_current
from tests.test_static_audit import project, run  # noqa: F401 - the shared fixture

__all__ = ["project"]

GITHUB = {"GITHUB_SERVER_URL": "https://github.example.org", "GITHUB_REPOSITORY": "acme/dr",
          "GITHUB_RUN_ID": "4242", "GITHUB_SHA": "0123abcd"}


def visible_text(html: str) -> str:
    """The page's text between <body> and its script, tags removed."""
    body = html[html.index("<body>"):html.index("<script>")]
    return re.sub(r"<[^>]+>", " ", body)


def test_sections_and_clauses_sort_by_their_numbers():
    clauses = ["10", "2.10", "2", "4", "2.3", "5", None]
    assert sorted(clauses, key=natural_key) == [None, "2", "2.3", "2.10", "4", "5", "10"]
    assert sorted(["item 10", "item 9"], key=natural_key) == ["item 9", "item 10"]


def test_arns_link_to_their_partitions_console():
    assert console_url("arn:aws:rds:eu-west-1:123456789012:db:main").startswith(
        "https://console.aws.amazon.com/go/view?arn=arn%3Aaws%3Ards%3Aeu-west-1")
    assert console_url("arn:aws-cn:s3:::bucket").startswith("https://console.amazonaws.cn/")
    assert console_url("arn:aws-us-gov:s3:::bucket").startswith("https://console.amazonaws-us-gov.com/")
    assert console_url("vpc-0abc") is None and console_url("arn:other:s3:::b") is None and console_url(None) is None


def test_file_links_need_a_repository_and_a_commit(tmp_path):
    assert repository_link({}, None, str(tmp_path), "feed") is None  # no URL
    assert repository_link({}, "https://git.example.org/acme/dr", str(tmp_path), None) is None  # no commit
    link = repository_link(GITHUB, None, str(tmp_path / "tf"), "ignored", str(tmp_path))
    assert link == {"url": "https://github.example.org/acme/dr", "commit": "0123abcd", "prefix": "tf/"}
    assert file_url(link, "primary/main.tf", 13) == "https://github.example.org/acme/dr/blob/0123abcd/tf/primary/main.tf#L13"
    assert file_url(link, "../outside.tf", 1) is None and file_url(None, "main.tf", 1) is None


def test_raw_values_read_as_words():
    assert [words(v) for v in (None, True, False, [], {}, ["a", None], 3)] == [
        "not set", "yes", "no", "none", "none", "a, not set", "3"]
    assert readable_text("stream_enabled = false (expected == true), kms null") == \
        "stream_enabled = no (expected == yes), kms not set"
    assert readable_text("bucket true-north and \"true\" and a/true stay") == "bucket true-north and \"true\" and a/true stay"


def test_provenance_names_the_ci_run_and_never_a_credential():
    environ = {**GITHUB, "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", "GITHUB_TOKEN": "ghp_x"}
    found = provenance(environ)
    assert found["ci_run_url"] == "https://github.example.org/acme/dr/actions/runs/4242"
    assert found["commit"] == "0123abcd" and "host" in found and "user" in found
    assert "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY" not in json.dumps(found) and "ghp_x" not in json.dumps(found)
    assert provenance({})["ci_run_url"] is None


def test_the_verdict_follows_the_rows_and_the_exit_status():
    rows = [{"status": "PASS", "checked": True}, {"status": "UNKNOWN", "checked": False}]
    assert run_verdict({"run": {}, "rows": rows}, 0) == "pass"
    assert run_verdict({"run": {}, "rows": rows + [{"status": "DRIFT", "checked": True}]}, 1) == "violations"
    assert run_verdict({"run": {"incomplete": ["1 row(s) ERROR"]}, "rows": rows}, 10) == "incomplete"


def history_document(policy: str, mode: str, started: str, fails: int, problem_status: str) -> dict:
    return {"run": {"policy": {"name": policy}, "mode": mode, "started": started},
            "summary": {"by_status": {"PASS": 5 - fails, "FAIL": fails}},
            "problems": [{"id": 1, "status": problem_status}]}


def test_the_trend_reads_only_runs_of_the_same_policy_and_mode(tmp_path):
    history = tmp_path / "history"
    history.mkdir()
    kept = [("a", "full", "2026-01-01T00:00:00", 3, "OPEN"), ("a", "full", "2026-01-02T00:00:00", 1, "RESOLVED"),
            ("a", "static", "2026-01-03T00:00:00", 0, "OPEN"), ("b", "full", "2026-01-04T00:00:00", 0, "OPEN")]
    for index, args in enumerate(kept):
        (history / f"{index}.json").write_text(json.dumps(history_document(*args)))
    (history / "broken.json").write_text("{not json")
    odd = history_document("a", "full", "2026-01-02T12:00:00", 0, "OPEN")
    odd["summary"]["by_status"]["FAIL"] = "many"
    (history / "odd.json").write_text(json.dumps(odd))
    runs = recent_runs(history, "a", "full")
    assert [r["started"] for r in runs] == ["2026-01-01T00:00:00", "2026-01-02T00:00:00"]
    now = history_document("a", "full", "2026-01-05T00:00:00", 2, "OPEN")
    drawn = chart(with_current(runs, now))
    assert drawn["problems"] == {"1": ["OPEN", "RESOLVED", "OPEN"]}
    fails = [b["count"] for b in drawn["bars"] if b["status"] == "FAIL"]
    assert fails == [3, 1, 2] and all(0 <= b["y"] <= drawn["height"] for b in drawn["bars"])
    assert chart([])["bars"] == [] and recent_runs(tmp_path / "absent", "a", "full") == []


def test_the_trend_keeps_each_accounts_problem_items_apart(tmp_path):
    """A multi-account report lists item 1 once per account: the chart draws a line for each."""
    history = tmp_path / "history"
    history.mkdir()
    earlier = history_document("a", "full", "2026-01-01T00:00:00", 1, "OPEN")
    earlier["problems"] = [{"id": 1, "status": "OPEN", "account": {"name": "shop-a"}},
                           {"id": 1, "status": "RESOLVED", "account": {"name": "shop-b"}}]
    (history / "0.json").write_text(json.dumps(earlier))
    now = history_document("a", "full", "2026-01-02T00:00:00", 1, "OPEN")
    now["problems"] = [{"id": 1, "status": "RESOLVED", "account": {"name": "shop-a"}},
                       {"id": 1, "status": "OPEN", "account": {"name": "shop-b"}}]
    drawn = chart(with_current(recent_runs(history, "a", "full"), now))
    assert drawn["problems"] == {"1 · shop-a": ["OPEN", "RESOLVED"], "1 · shop-b": ["RESOLVED", "OPEN"]}


def test_the_report_gives_verdict_provenance_links_and_findings(project, monkeypatch):
    for name, value in GITHUB.items():
        monkeypatch.setenv(name, value)
    policy = project.path / "policy.yaml"
    policy.write_text(policy.read_text().replace("policy: {name: mini, title: Mini policy, version: 1}",
                                                 'policy: {name: mini, title: Mini policy, version: "3.2"}'))
    run(project)
    result, document = run(project)  # a second run: the trend has two runs
    html = (project.path / "reports" / "dr-audit.html").read_text()
    assert document["run"]["exit_status"] == result.ret == 1 and document["run"]["verdict"] == "violations"
    assert 'id="verdict"' in html and 'data-exit-status="1"' in html and "Verdict: violations found" in html
    assert 'href="https://github.example.org/acme/dr/actions/runs/4242"' in html and "0123abcd" in html
    assert document["run"]["policy"]["version"] == "3.2" and "version 3.2" in html
    assert 'href="https://github.example.org/acme/dr/blob/0123abcd/tf/primary/main.tf#L13"' in html
    findings = re.findall(r'data-finding="([^"]+)"', html)
    assert sorted(findings) == ["DB-MULTIAZ", "DB-OTHER-EXISTS", "DB-VERSION"]  # failing and checked
    assert 'id="problem-1"' in html and 'href="#problem-1"' in html
    assert 'id="filter-severity"' in html and 'data-severity="high"' in html
    assert '<a id="csv-link" href="dr-audit.csv"' in html and (project.path / "reports" / "dr-audit.csv").is_file()
    assert "@media print" in html and "details::details-content" in html
    assert html.count('<rect class="bar"') >= 2 and 'data-problem-trend="1"' in html
    text = visible_text(html)
    for raw in ("null", "true", "false", "None", "not_consulted", "exists null", "missing: none"):
        assert not re.search(rf"(?<![\w-]){re.escape(raw)}(?![\w-])", text), raw


def test_rows_are_listed_in_numeric_clause_order(project):
    _, document = run(project)
    clauses = ["10", "2.10", "2", "4", "2.3", "5", "2.3.1"]
    for row, clause in zip(document["rows"], clauses):
        row["clause"] = clause
    html = render_html(document)
    order = re.findall(r'<tr id="row-([^"]+)"', html)
    by_id = {r["id"]: r["clause"] for r in document["rows"]}
    assert [by_id[i] for i in order] == ["2", "2.3", "2.3.1", "2.10", "4", "5", "10"]

