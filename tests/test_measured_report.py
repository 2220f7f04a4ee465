"""The HTML report draws each measured series against its threshold (inline SVG, nothing
fetched): the line, the dashed threshold, and a marked point for each breach with its time."""

from __future__ import annotations

import re

from dr_audit.evaluate import evaluate_live
from dr_audit.policy import load_policy
from dr_audit.report.history import since_last_run
from dr_audit.report.html_report import render_html
from dr_audit.report.json_report import build_report
from dr_audit.report.outputs import describe_run
from dr_audit.report.series_chart import series_chart
from tests.conftest import REPO
from tests.test_measured_rows import POLICY_TEXT, measured, replica, spike

SERIES = {"namespace": "AWS/RDS", "metric": "ReplicaLag", "statistic": "max", "window": "24h", "period_seconds": 300,
          "unit": "seconds", "start": "2026-12-01T12:00:00+00:00", "end": "2026-12-02T12:00:00+00:00",
          "threshold": 5, "op": "lte",
          "points": [["2026-12-01T12:00:00+00:00", 1.0], ["2026-12-01T18:00:00+00:00", 14.0],
                     ["2026-12-02T00:00:00+00:00", 2.0], ["2026-12-02T11:55:00+00:00", 5.0]]}


def document(tmp_path, series: bool = True) -> dict:
    """A real report document for one measured row (a replica whose lag spiked to 14 s)."""
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_TEXT)
    policy = load_policy(path)
    live = measured(policy, [replica()], {"LAG-MAX": spike(14.0)} if series else {})
    findings = {row.id: evaluate_live(row, policy, live) for row in policy.rows}
    run = {"started": "2026-12-02T12:00:00+00:00", "finished": "2026-12-02T12:00:05+00:00", "mode": "live",
           "target": None, "aws": {"account_id": "123456789012", "regions": ["eu-central-1"]}, "accounts": [],
           "terraform": {"note": "live mode: Terraform is not read"}, "incomplete": []}
    doc = build_report(policy, findings, None, run, live)
    doc["since_last_run"] = since_last_run(None, doc)
    doc["changed_rows"] = []
    describe_run(doc, 1, {}, None, REPO)
    return doc


def test_the_chart_places_the_threshold_and_marks_only_the_breaching_point():
    chart = series_chart(SERIES)
    assert chart["breaks"] == 1 and chart["marks"][0]["value"] == "14"
    assert chart["marks"][0]["at"] == "2026-12-01 18:00 UTC"
    assert chart["top"] < chart["marks"][0]["y"] < chart["threshold_y"] < chart["bottom"]
    assert len(chart["line"].split()) == 4 and not chart["empty"]


def test_a_lower_bound_marks_the_points_below_it():
    chart = series_chart({**SERIES, "op": "gte", "threshold": 1.5})
    assert [m["value"] for m in chart["marks"]] == ["1"]


def test_an_empty_window_is_drawn_as_such():
    assert series_chart({**SERIES, "points": []})["empty"]


def test_the_report_draws_the_series_inline_without_fetching_anything(tmp_path):
    html = render_html(document(tmp_path))
    svg = html[html.index('<svg class="series"'):]
    svg = svg[:svg.index("</svg>")]
    assert "<polyline" in svg and 'class="threshold"' in svg and svg.count('class="breach"') == 1
    assert "14 at 2026-12-02 11:40 UTC" in svg and "threshold 5" in svg
    assert not re.search(r"(?:href|src)=\"https?:", svg)
    assert '<details class="resources" open>' in html  # the picture is shown, not folded away
    assert "ReplicaLag max over 24h lte 5 (objectives.rpo_seconds)" in html


def test_rows_without_a_series_draw_no_chart(tmp_path):
    html = render_html(document(tmp_path, series=False))
    assert "DDB-LATENCY" in html and '<svg class="series"' not in html


def test_the_coherence_row_shows_the_measured_lag_beside_its_numbers(tmp_path):
    html = render_html(document(tmp_path))
    row = html[html.index('id="row-POLICY-LAG-ALARM"'):]
    row = row[:row.index("</tr>")]
    assert 'measured: <a href="#row-LAG-MAX">LAG-MAX</a> ReplicaLag max over 24h = <code>14.0</code> seconds' in row
