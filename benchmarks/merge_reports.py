"""Merging the shard reports of a 50-account run into one report (issue 19).

Two real single-account reports (the as-found and the remediated estate, audited in the sandbox)
become 50 shard reports, one account each (as ``--dr-shard K/50`` jobs leave them), written to
files; ``python -m dr_audit.report merge`` then reads them and writes the merged JSON, HTML,
SARIF and CSV. Reported: the command's wall seconds and peak memory, and the in-process merge
alone. Nothing is asserted: benchmarks measure, tests check.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.measure import own_peak_rss_mib, run_measured
from dr_audit.report.merge import merge_documents

REPO = Path(__file__).resolve().parent.parent
POLICY = REPO / "policies" / "portforge-dr.yaml"
ESTATES = ("portforge-as-found", "portforge-remediated")
SHARDS = 50
RUN_ID = "bench-merge-1"


def estate_report(estate: str, work: Path) -> dict:
    """A full sandbox audit's JSON report of ``estate``, written under ``work``."""
    out = work / estate
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "audits/", "--dr-policy", str(POLICY), "--dr-estate", estate,
         "--dr-checkov", "off", "-q", "-p", "no:cacheprovider", "--dr-json", str(out / "dr-audit.json"),
         "--dr-html", str(out / "dr-audit.html"), "--dr-sarif", str(out / "dr-audit.sarif"),
         "--dr-history", str(out / "history"), "--dr-parse-cache", str(work / "parse-cache")],
        cwd=REPO, capture_output=True, text=True, timeout=1800)
    if not (out / "dr-audit.json").is_file():
        raise RuntimeError(f"the audit of {estate} wrote no report: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return json.loads((out / "dr-audit.json").read_text(encoding="utf-8"))


def shard_documents(reports: list[dict], count: int, run_id: str = RUN_ID) -> list[dict]:
    """``count`` shard reports of one run, one account each (account K is ``account-K`` with id K,
    taking ``reports`` in turn), each as a shard job writes it: merged, ``shard`` K of ``count``."""
    shards = []
    for index in range(1, count + 1):
        document = copy.deepcopy(reports[index % len(reports)])
        document["run"].update(account={"id": f"{index:012d}", "name": f"account-{index:02d}"}, run_id=run_id,
                               shard={"index": index, "count": count})
        shards.append(merge_documents([document]))
    return shards


def merging(work: Path, count: int = SHARDS) -> dict:
    """Measure merging ``count`` shard reports: the command end to end, and the merge alone."""
    reports = [estate_report(estate, work) for estate in ESTATES]
    paths = []
    for index, document in enumerate(shard_documents(reports, count), 1):
        path = work / "shards" / f"dr-audit-shard-{index}" / "dr-audit.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document), encoding="utf-8")
        paths.append(path)
    out = work / "merged"
    outputs = {kind: out / f"dr-audit.{kind}" for kind in ("json", "html", "sarif", "csv")}
    command = [sys.executable, "-m", "dr_audit.report", "merge", *map(str, paths)]
    for kind, path in outputs.items():
        command += [f"--{kind}", str(path)]
    measured = run_measured(command, cwd=REPO)
    if measured["exit"] != 0:
        raise RuntimeError(f"the merge command failed: {measured['output'][-2000:]}")
    loaded = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    started = time.perf_counter()
    merged = merge_documents(loaded, [str(p) for p in paths], every_shard=True)
    merge_seconds = time.perf_counter() - started
    mib = lambda path: round(path.stat().st_size / 2**20, 2)  # noqa: E731 - a local helper
    return {
        "shards": count, "accounts": merged["summary"]["accounts"], "rows": merged["summary"]["rows"],
        "verdict": merged["run"]["verdict"], "input_mib": round(sum(mib(p) for p in paths), 2),
        "command": {"seconds": measured["seconds"], "peak_rss_mib": measured["peak_rss_mib"]},
        "merge_only": {"seconds": round(merge_seconds, 3), "process_peak_rss_mib": own_peak_rss_mib()},
        "outputs_mib": {kind: mib(path) for kind, path in outputs.items()},
    }
