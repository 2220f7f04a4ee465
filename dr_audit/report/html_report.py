"""The auditor's HTML report: one self-contained file rendered from the JSON document."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_ENV = Environment(loader=PackageLoader("dr_audit", "report/templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True))


def render_html(document: dict[str, Any]) -> str:
    """HTML for a "dr-audit/1" document; every value is escaped, nothing is fetched."""
    return _ENV.get_template("audit.html.j2").render(doc=document)
