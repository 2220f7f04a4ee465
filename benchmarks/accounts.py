"""PortForge over 1, 10 and 50 sandbox accounts (``python -m benchmarks accounts``).

Each scale is a generated accounts file (``dr_audit.sandbox.organization``) cycling through the
PortForge as-found, remediated and drift estates, audited in full mode as ``pytest audits/
--dr-accounts FILE`` serially and with ``-n 2 --dist loadgroup``, side by side in one run. Reported:
API calls (the report's per-account ``api_calls``; they should grow linearly with the accounts),
wall seconds of both runs and their ratio, and the peak memory of the largest process (each xdist
worker holds only its own accounts' evidence, so it should stay flat as accounts grow). Writes
``benchmarks/results/accounts.json``. Timings are reported, never asserted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.measure import growth_exponent, run_measured, write_result
from dr_audit.sandbox.organization import generate_accounts_file

REPO = Path(__file__).resolve().parent.parent
SCALES = (1, 10, 50)
ESTATES = ("portforge-as-found", "portforge-remediated", "portforge-drift")


def _audit(work: Path, name: str, accounts: Path, extra: list[str]) -> dict[str, Any]:
    out = work / name
    command = [sys.executable, "-m", "pytest", "audits", "--dr-policy", str(REPO / "policies" / "portforge-dr.yaml"),
               "--dr-accounts", str(accounts), "--dr-checkov", "off", "--dr-parse-cache", "off", "-q",
               "-p", "no:cacheprovider", "--dr-json", str(out / "a.json"), "--dr-html", str(out / "a.html"),
               "--dr-sarif", str(out / "a.sarif"), "--dr-history", str(out / "history"), *extra]
    measured = run_measured(command, cwd=REPO, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    document = json.loads((out / "a.json").read_text()) if (out / "a.json").exists() else None
    if document is None:
        raise RuntimeError(f"the audit of {accounts} wrote no report: {measured['output'][-2000:]}")
    return {"seconds": measured["seconds"], "peak_rss_mib": measured["peak_rss_mib"], "exit": measured["exit"],
            "rows": document["summary"]["rows"], "by_status": document["summary"]["by_status"],
            "api_calls": sum(account["api_calls"] for account in document["accounts"])}


def scaling(work: Path, scales: tuple[int, ...] = SCALES) -> dict[str, Any]:
    """Serial and ``-n 2`` runs at each number of accounts, and how calls and time grow."""
    results = []
    for count in scales:
        accounts = generate_accounts_file(work / f"accounts-{count}.yaml", count, ESTATES)
        serial = _audit(work, f"serial-{count}", accounts, [])
        parallel = _audit(work, f"parallel-{count}", accounts, ["-n", "2", "--dist", "loadgroup"])
        results.append({"accounts": count, "serial": serial, "parallel": parallel,
                        "parallel_over_serial": round(parallel["seconds"] / serial["seconds"], 3),
                        "same_statuses": serial["by_status"] == parallel["by_status"],
                        "api_calls_per_account": round(serial["api_calls"] / count, 1)})
    return {"scales": results,
            "api_calls_growth_exponent": round(growth_exponent(
                [r["accounts"] for r in results], [r["serial"]["api_calls"] for r in results]), 3),
            "note": "wall time on this machine, both modes side by side; 2 cores, so -n 2 is the most it can "
                    "gain (the issue's target: parallel at most 0.6 of serial)"}


def main() -> int:
    import tempfile

    scales = tuple(int(a) for a in sys.argv[1:]) or SCALES
    with tempfile.TemporaryDirectory(prefix="dr-bench-accounts-") as scratch:
        result = scaling(Path(scratch), scales)
    path = write_result("accounts", result)
    print(json.dumps(result, indent=2))
    print(f"== accounts -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
