"""The ``backup_protected_resource`` kind. A resource AWS Backup has backed up, with the age of
its last completed backup job and of its last completed copy job to each region.

Account only: a backup or copy job is something AWS Backup ran, and no Terraform resource
declares one (``aws_backup_plan`` and ``aws_backup_selection`` declare what should run; the
``backup_plan`` kind reads those). A row of this kind compares the account alone and says so.

Reads, per region: ListProtectedResources gives the resources (ARN, type, name); then one
ListBackupJobs and one ListCopyJobs listing of the region's COMPLETED jobs, grouped by
resource ARN. Every page of each is read.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from dr_audit import arns
from dr_audit.aws.collecting import iso_utc, live_resource, unreadable
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import MAP, STR, declare_kind

#: AWS Backup lists the jobs of the last 30 days ("ListBackupJobs ... for the last 30 days"):
#: an older completed job cannot be seen, so "none" means none in this window
JOB_HISTORY_DAYS = 30
#: the one job state that means the backup or the copy exists (FAILED, ABORTED, EXPIRED,
#: PARTIAL and the running states leave no complete recovery point)
COMPLETED = "COMPLETED"
#: the largest page the job listings allow (MaxResults 1..1000 in the service model)
JOB_PAGE = 1000


def job_window_start(now: datetime | None = None) -> datetime:
    """The earliest completion the job listings ask for: :data:`JOB_HISTORY_DAYS` before ``now``,
    rounded down to the hour, so every listing of one run sends the same request (it is read once).

    >>> job_window_start(datetime(2026, 12, 2, 16, 45, tzinfo=timezone.utc)).isoformat()
    '2026-11-02T16:00:00+00:00'
    """
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.replace(minute=0, second=0, microsecond=0) - timedelta(days=JOB_HISTORY_DAYS)


def _completed_jobs(reader: AwsReader, region: str, operation: str, result_key: str) -> list[dict] | Any:
    """Every COMPLETED job of the region's listing since :func:`job_window_start`, or Unreadable.

    One listing per region, grouped by resource afterwards, rather than one ``ByResourceArn``
    listing per resource: the calls then grow with the pages of jobs (up to 1000 a page), not
    with the number of protected resources, and a region with hundreds of resources costs a
    few calls instead of hundreds.
    """
    try:
        return reader.paginate("backup", region, operation, result_key, ByState=COMPLETED,
                               ByCompleteAfter=job_window_start(), MaxResults=JOB_PAGE)
    except AwsReadError as error:
        return unreadable(error)


def _newest_by_resource(jobs: list[dict]) -> dict[str, datetime]:
    """Resource ARN -> the newest CompletionDate among ``jobs`` that report COMPLETED."""
    newest: dict[str, datetime] = {}
    for job in jobs:
        arn, done = job.get("ResourceArn"), job.get("CompletionDate")
        if job.get("State") != COMPLETED or not arn or not isinstance(done, datetime):
            continue  # the filter asked for COMPLETED; a job reported otherwise is not one
        if arn not in newest or done > newest[arn]:
            newest[arn] = done
    return newest


def _newest_copy_by_resource(jobs: list[dict]) -> dict[str, dict[str, datetime]]:
    """Resource ARN -> {destination region: the newest CompletionDate of a COMPLETED copy there}.

    The destination region is that of ``DestinationBackupVaultArn``.
    """
    newest: dict[str, dict[str, datetime]] = {}
    for job in jobs:
        arn, done = job.get("ResourceArn"), job.get("CompletionDate")
        region = arns.region(job.get("DestinationBackupVaultArn"))
        if job.get("State") != COMPLETED or not arn or not region or not isinstance(done, datetime):
            continue
        by_region = newest.setdefault(arn, {})
        if region not in by_region or done > by_region[region]:
            by_region[region] = done
    return newest


def _for_resource(grouped: dict | Any, arn: str, empty: Any) -> Any:
    """The resource's entry of a grouped listing; the listing's Unreadable when it failed."""
    if not isinstance(grouped, dict):
        return grouped
    return grouped.get(arn, empty)


def _stamped(by_region: dict | Any) -> dict | Any:
    """{region: datetime} as {region: ISO 8601 UTC}, sorted by region; an Unreadable stays as it is."""
    if not isinstance(by_region, dict):
        return by_region
    return {region: iso_utc(done) for region, done in sorted(by_region.items())}


def protected_resources(reader: AwsReader, region: str) -> list[Resource]:
    """Every resource ListProtectedResources returns in ``region`` (every page), each with its
    newest completed backup job and its newest completed copy job per destination region.

    Copy jobs are listed in the region of the recovery point they copy (StartCopyJob names its
    source vault by name, in the caller's region), which is the protected resource's region.
    A failed job listing leaves that attribute Unreadable on every resource of the region.
    """
    listed = reader.paginate("backup", region, "list_protected_resources", "Results")
    if not listed:
        return []  # no resource to date: the job listings could add nothing
    backups = _completed_jobs(reader, region, "list_backup_jobs", "BackupJobs")
    copies = _completed_jobs(reader, region, "list_copy_jobs", "CopyJobs")
    newest_backup = _newest_by_resource(backups) if isinstance(backups, list) else backups
    newest_copies = _newest_copy_by_resource(copies) if isinstance(copies, list) else copies
    found = []
    for item in listed:
        arn = item["ResourceArn"]
        backup = _for_resource(newest_backup, arn, None)
        copied = _for_resource(newest_copies, arn, {})
        found.append(live_resource(
            "backup_protected_resource", region, arn,
            resource_arn=arn, resource_type=item.get("ResourceType"), name=item.get("ResourceName"),
            last_backup_completed=iso_utc(backup),  # an Unreadable listing passes through
            last_copy_completed=_stamped(copied)))
    return found


KIND = declare_kind(
    "backup_protected_resource", "regional",
    "A resource AWS Backup has backed up (account only: jobs are what AWS Backup ran, which no Terraform "
    "resource declares).",
    attributes={
        "resource_arn": (STR, "the protected resource's ARN"),
        "resource_type": (STR, "AWS Backup's resource type, e.g. RDS, DynamoDB, EFS"),
        "name": (STR, "the resource's name, as AWS Backup reports it"),
        "last_backup_completed": (STR, f"when its newest COMPLETED backup job completed, ISO 8601 UTC; not set "
                                       f"when none completed in the last {JOB_HISTORY_DAYS} days (the job history "
                                       f"AWS Backup lists)"),
        "last_copy_completed": (MAP, f"destination region -> when its newest COMPLETED copy job there completed, "
                                     f"ISO 8601 UTC (the region of the destination vault); regions without a "
                                     f"completed copy in the last {JOB_HISTORY_DAYS} days are absent"),
    },
    service="backup", collect=protected_resources,
    reads={"backup": {"ListProtectedResources": "backup:ListProtectedResources",
                      "ListBackupJobs": "backup:ListBackupJobs", "ListCopyJobs": "backup:ListCopyJobs"}},
    tags=False,
)
