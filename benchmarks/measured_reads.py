"""API calls per measured row at 1x, 10x and 100x rows (``python -m benchmarks.measured_reads``).

Each scale is a policy of measured rows, one replica each, spread over two regions, plus a
second statistic on every tenth replica and a duplicate row on every fifth (a series several
rows use must be read once). The series are seeded in the embedded sandbox and read through
one fresh :class:`AwsReader`, exactly as a run reads them; the reader's ledger counts the
GetMetricData calls. Batched, the calls grow with the number of 500-query batches per
region, not with the rows. Writes ``benchmarks/results/measured_reads.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.measure import write_result
from dr_audit.aws.metrics import MAX_QUERIES, QUERIES_PER_SERIES
from dr_audit.aws.reader import AwsReader, ReaderSettings
from dr_audit.inventory import AttributeValue, Inventory, Resource
from dr_audit.measurements import read_measurements
from dr_audit.policy import load_policy
from dr_audit.sandbox import moto_shims
from dr_audit.sandbox.server import SANDBOX_ACCOUNT, SandboxServer

#: the 1x policy's replicas; 10x and 100x multiply it
BASE_REPLICAS = 5
SCALES = (1, 10, 100)
REGIONS = ("eu-west-1", "eu-central-1")
HEADER = """\
policy: {name: measured-bench, version: 1}
roles:
  one: {region: eu-west-1}
  two: {region: eu-central-1}
facts:
  objectives: {rpo_seconds: 5}
rows:
"""


def _row(row_id: str, role: str, identifier: str, statistic: str) -> str:
    return (f"  - {{id: {row_id}, clause: '1', title: lag, kind: rds_instance, role: {role}, "
            f"select: {{identifier: {identifier}}}, measure: {{metric: ReplicaLag, statistic: {statistic}, "
            f"window: 1h, period: 3600}}, op: lte, value: {{fact: objectives.rpo_seconds}}, severity: high}}\n")


def policy_text(replicas: int) -> str:
    """Measured rows over ``replicas`` replicas (alternating regions), with shared and extra series."""
    rows = []
    for n in range(replicas):
        role, identifier = ("one", "two")[n % 2], f"db-{n:04}"
        rows.append(_row(f"LAG-{n:04}", role, identifier, "max"))
        if n % 5 == 0:
            rows.append(_row(f"LAG-{n:04}-AGAIN", role, identifier, "max"))  # same series: read once
        if n % 10 == 0:
            rows.append(_row(f"LAG-{n:04}-P99", role, identifier, "p99"))  # another statistic: another series
    return HEADER + "".join(rows)


def inventory(replicas: int) -> Inventory:
    def arn(n: int) -> str:
        return f"arn:aws:rds:{REGIONS[n % 2]}:{SANDBOX_ACCOUNT}:db:db-{n:04}"

    return Inventory("aws", [Resource("rds_instance", "aws", arn(n), REGIONS[n % 2],
                                      {"identifier": AttributeValue(f"db-{n:04}")}) for n in range(replicas)])


def one_scale(server: SandboxServer, work: Path, scale: int) -> dict:
    """Seed, read and count for ``BASE_REPLICAS * scale`` replicas."""
    server.reset()
    replicas = BASE_REPLICAS * scale
    now = datetime.now(timezone.utc)
    for n in range(replicas):
        moto_shims.put_metric_series(SANDBOX_ACCOUNT, REGIONS[n % 2], "AWS/RDS", "ReplicaLag",
                                     {"DBInstanceIdentifier": f"db-{n:04}"}, hours=0.5, every_minutes=30,
                                     baseline=1.0, now=now)
    path = work / f"policy-{scale}.yaml"
    path.write_text(policy_text(replicas))
    policy = load_policy(path)
    reader = AwsReader(server.session(), ReaderSettings(endpoint_url=server.url))
    began = time.perf_counter()
    measurements = read_measurements(policy, inventory(replicas), lambda row: reader, now=now)
    seconds = time.perf_counter() - began
    calls = [c for c in reader.calls() if c.operation == "GetMetricData"]
    rows = sum(1 for row in policy.rows if row.measure is not None)
    series = len(measurements.results)
    per_call = MAX_QUERIES // QUERIES_PER_SERIES
    return {"scale": scale, "rows": rows, "series": series, "regions": len(REGIONS),
            "api_calls": len(calls), "api_calls_per_row": round(len(calls) / rows, 4),
            "calls_expected": sum(-(-len([k for k in measurements.results if k.region == r]) // per_call)
                                  for r in REGIONS),
            "with_data": sum(1 for r in measurements.results.values() if r.window_values),
            "seconds": round(seconds, 2)}


def scaling() -> dict:
    """Every scale's counts (importing dr_audit.aws.metrics registered GetMetricData as a read)."""
    with tempfile.TemporaryDirectory(prefix="dr-bench-measured-") as scratch, SandboxServer() as server:
        server.start()
        results = [one_scale(server, Path(scratch), scale) for scale in SCALES]
    return {"benchmark": "measured_reads", "queries_per_call": MAX_QUERIES, "queries_per_series": QUERIES_PER_SERIES,
            "scales": results}


def main() -> int:
    result = scaling()
    path = write_result("measured_reads", result)
    print(f"== measured_reads -> {path}")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
