"""Everything a run writes beside its JSON: HTML, SARIF, CSV and (on request) the evidence bundle."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from dr_audit.report.atomic import write_atomically
from dr_audit.report.bundle import write_bundle
from dr_audit.report.csv_report import render_csv
from dr_audit.report.html_report import render_html
from dr_audit.report.json_report import dumps
from dr_audit.report.presentation import provenance, repository_link, run_verdict
from dr_audit.report.sarif import build_sarif
from dr_audit.report.trend import recent_runs, with_current


@dataclass
class OutputPaths:
    """Where a run's reports go; ``evidence`` is the bundle directory, or None for no bundle."""

    json: Path
    html: Path
    sarif: Path
    csv: Path
    history: Path | None
    evidence: Path | None = None


def describe_run(document: dict[str, Any], exit_status: int, environ: Mapping[str, str],
                 repo_url: str | None, repo_root: Path | None = None) -> None:
    """Add to ``document["run"]`` the run's outcome (``exit_status``, ``verdict``), its provenance
    (user, host, CI run, commit) and where its Terraform can be read online (``repository``)."""
    run = document["run"]
    run["exit_status"] = int(exit_status)
    run["verdict"] = run_verdict(document, int(exit_status))
    run["provenance"] = provenance(environ)
    terraform = run.get("terraform") or {}
    run["repository"] = repository_link(environ, repo_url, terraform.get("root"), terraform.get("commit"),
                                        str(repo_root) if repo_root else None)


def write_outputs(paths: OutputPaths, document: dict[str, Any], json_text: str, repo_root: Path,
                  evidence_sources: dict[str, Any] | None) -> None:
    """Write the HTML (with the trend of the history's runs and a link to the CSV), SARIF and CSV,
    and the evidence bundle when asked. ``document`` is masked already; ``evidence_sources`` is
    what the bundle quotes, masked where it was gathered (``bundle.gather_sources``; None: the
    bundle quotes no Terraform line or response, and says so)."""
    run = document["run"]
    trend = with_current(recent_runs(paths.history, run["policy"]["name"], run["mode"]), document)
    csv_href = Path(os.path.relpath(paths.csv, paths.html.parent)).as_posix()
    texts = {"dr-audit.json": json_text,
             "dr-audit.html": render_html(document, trend, csv_href),
             "dr-audit.sarif": dumps(build_sarif(document, repo_root)),
             "dr-audit.csv": render_csv(document)}
    write_atomically(paths.html, texts["dr-audit.html"])
    write_atomically(paths.sarif, texts["dr-audit.sarif"])
    write_atomically(paths.csv, texts["dr-audit.csv"])
    if paths.evidence is not None:
        texts["dr-audit.html"] = render_html(document, trend, "dr-audit.csv")  # the CSV beside it in the bundle
        write_bundle(paths.evidence, document, texts, evidence_sources if evidence_sources is not None else {
            "lines_not_quoted": "no process that read the evidence handed its quotes to the one writing the bundle"})
