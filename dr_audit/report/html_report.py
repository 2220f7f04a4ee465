"""The auditor's HTML report: one self-contained file rendered from the JSON document."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from dr_audit.report.presentation import console_url, exit_words, file_url, natural_key, readable_text, words
from dr_audit.report.series_chart import series_chart
from dr_audit.report.trend import CHART_STATUSES, chart

#: chart fills per status, the same hues as the report's badges (darker, to read on white)
STATUS_COLORS = dict(zip(CHART_STATUSES, ("#5fae6e", "#d9534f", "#e8923a", "#c9772b", "#b5651d", "#d4b106",
                                          "#8e5cc4", "#5b8bd9", "#9aa3ab")))


def _natural_sort(items: Any, attribute: str | None = None) -> list:
    """``items`` ordered by the numbers in them (or in ``attribute`` of each): "2.3" before "2.10"."""
    if attribute is None:
        return sorted(items, key=natural_key)
    return sorted(items, key=lambda item: natural_key(item.get(attribute) if isinstance(item, dict) else None))


_ENV = Environment(loader=PackageLoader("dr_audit", "report/templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True))
_ENV.filters.update(words=words, readable=readable_text, console_url=console_url, exit_words=exit_words, natural_sort=_natural_sort,
                    file_url=lambda path, line, link: file_url(link, path, line), series_chart=series_chart)


def render_html(document: dict[str, Any], trend_runs: list[dict[str, Any]] | None = None,
                csv_href: str | None = None) -> str:
    """HTML for a "dr-audit/1" document; every value is escaped, nothing is fetched.

    ``trend_runs`` (from ``trend.recent_runs``, this run last) draws the trend chart; ``csv_href``
    is the CSV file's address relative to the HTML file, linked from the header.
    """
    return _ENV.get_template("audit.html.j2").render(
        doc=document, trend=chart(trend_runs or []), colors=STATUS_COLORS, csv_href=csv_href,
        repo=(document.get("run") or {}).get("repository"))
