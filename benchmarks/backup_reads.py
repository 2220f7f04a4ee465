"""AWS Backup job-age reads per region as protected resources grow 1x, 10x and 100x
(``python -m benchmarks.backup_reads``).

Each scale seeds, in one region of the embedded sandbox, ``BASE_RESOURCES * scale`` protected
resources, each with a month of daily completed backups and copies to another region (the 30
days AWS Backup lists), then reads them through one fresh :class:`AwsReader` with the
``backup_protected_resource`` collector, exactly as a run does. The reader's ledger counts the
calls. The collector lists the region's COMPLETED jobs once and groups them by resource, so the
calls grow with the pages of jobs (1000 a page), not with the resources; the result sets beside
it what one ByResourceArn listing of each job type per resource would have cost. Writes
``benchmarks/results/backup_reads.json``.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import datetime, timezone

from benchmarks.measure import write_result
from dr_audit.aws.reader import AwsReader, ReaderSettings
from dr_audit.kinds import KINDS
from dr_audit.kinds.backup_protected_resource import JOB_PAGE
from dr_audit.sandbox import moto_shims
from dr_audit.sandbox.server import SANDBOX_ACCOUNT, SandboxServer

#: the 1x estate's protected resources; 10x and 100x multiply it
BASE_RESOURCES = 5
SCALES = (1, 10, 100)
REGION, DR_REGION = "eu-west-1", "eu-central-1"
#: one completed backup and one completed copy a day over the listed history
DAYS = 30
#: the page the collector asks for (AWS Backup's largest)
PAGE = JOB_PAGE


def seed_resources(resources: int, now: datetime) -> None:
    """``resources`` RDS instances, each with DAYS daily completed backups and copies to DR_REGION."""
    vault = f"arn:aws:backup:{DR_REGION}:{SANDBOX_ACCOUNT}:backup-vault:dr"
    daily = [{"state": "COMPLETED", "hours_ago": 24 * day + 1} for day in range(DAYS)]
    for n in range(resources):
        moto_shims.put_backup_jobs(SANDBOX_ACCOUNT, REGION, f"arn:aws:rds:{REGION}:{SANDBOX_ACCOUNT}:db:db-{n:04}",
                                   "RDS", f"db-{n:04}", "primary", daily,
                                   [{**job, "destination_vault_arn": vault} for job in daily], now=now)


def one_scale(server: SandboxServer, scale: int) -> dict:
    """Seed, collect and count for ``BASE_RESOURCES * scale`` protected resources."""
    server.reset()
    resources = BASE_RESOURCES * scale
    seed_resources(resources, datetime.now(timezone.utc))
    reader = AwsReader(server.session(), ReaderSettings(endpoint_url=server.url))
    began = time.perf_counter()
    found = KINDS["backup_protected_resource"].collect(reader, REGION)
    seconds = time.perf_counter() - began
    calls = Counter(c.operation for c in reader.calls())
    jobs = resources * DAYS
    return {"scale": scale, "protected_resources": resources, "backup_jobs": jobs, "copy_jobs": jobs,
            "collected": len(found),
            "with_a_dr_copy": sum(1 for r in found if DR_REGION in (r.value("last_copy_completed") or {})),
            "api_calls": sum(calls.values()), "api_calls_by_operation": dict(sorted(calls.items())),
            "calls_expected": 1 + 2 * -(-jobs // PAGE),
            "calls_one_listing_per_resource": 1 + 2 * resources,
            "seconds": round(seconds, 2)}


def scaling() -> dict:
    """Every scale's counts, in one sandbox."""
    with SandboxServer() as server:
        server.start()
        results = [one_scale(server, scale) for scale in SCALES]
    return {"benchmark": "backup_reads", "region_reads": "ListProtectedResources, then ListBackupJobs and "
            "ListCopyJobs (ByState=COMPLETED, ByCompleteAfter=30 days ago), every page", "page_size": PAGE,
            "days_of_jobs": DAYS, "scales": results}


def main() -> int:
    result = scaling()
    path = write_result("backup_reads", result)
    print(f"== backup_reads -> {path}")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
