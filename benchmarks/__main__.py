"""``python -m benchmarks [static] [cache] [live] [concurrency] [merge] [measured_reads] [backup_reads] [iam_reads] [accounts]``: run the benchmarks
(all of them by default), print each result and write ``benchmarks/results/<name>.json``."""

from __future__ import annotations

import json
import platform
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import (accounts, backup_reads, iam_reads, live, measured_reads, merge_reports, public_roots,
                        static_audit)
from benchmarks.measure import write_result

ALL = ("static", "cache", "live", "concurrency", "merge", "measured_reads", "backup_reads", "iam_reads", "accounts")
#: run only when named: it reads public repositories fetched beforehand ($DR_PUBLIC_ROOTS)
ON_REQUEST = ("public_roots",)


def main(argv: list[str]) -> int:
    wanted = [a for a in argv if a in ALL + ON_REQUEST] or list(ALL)
    unknown = [a for a in argv if a not in ALL + ON_REQUEST]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(ALL)})", file=sys.stderr)
        return 2
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": _cpus(),
               "measured": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix="dr-bench-") as scratch:
        work = Path(scratch)
        if {"static", "cache"} & set(wanted):
            static_audit.trees(work)  # generate once; both benchmarks read it
        for name in wanted:
            result = {"static": lambda: static_audit.static_vs_checkov(work),
                      "cache": lambda: static_audit.parse_cache(work),
                      "live": live.scaling, "concurrency": live.concurrency,
                      "merge": lambda: merge_reports.merging(work),
                      "measured_reads": measured_reads.scaling, "backup_reads": backup_reads.scaling,
                      "iam_reads": iam_reads.scaling,
                      "accounts": lambda: accounts.scaling(work),
                      "public_roots": public_roots.from_environment}[name]()
            path = write_result(name, {"machine": machine, **result})
            print(f"== {name} -> {path}")
            print(json.dumps(result, indent=2))
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
