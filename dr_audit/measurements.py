"""Read every measured row's CloudWatch series once, after the account's resources are known.

:func:`read_measurements` selects each measured row's resources in the live
inventory (as the row itself will), names the series they need
(``measured.series_for``) and reads them per (account, region) through that
account's :class:`AwsReader` (``aws.metrics.read_series``): a series used by
several rows is read once, and the calls are batched and paginated there.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable

from dr_audit.aws.metrics import read_series
from dr_audit.aws.reader import AwsReader
from dr_audit.evaluate import Lookup
from dr_audit.inventory import Inventory
from dr_audit.kinds import KINDS
from dr_audit.measured import CATALOGUE, MeasurementSet, SeriesKey, series_for
from dr_audit.model import Policy, Row

#: at most this many (account, region) rounds in flight at once
CONCURRENCY = 4


def window_end(now: datetime | None = None) -> datetime:
    """The end of every window of a run: now, to the whole minute (CloudWatch's finest period)."""
    moment = now or datetime.now(timezone.utc)
    return moment.replace(second=0, microsecond=0)


def reader_for_role(target: Any, role: str | None) -> AwsReader | None:
    """The reader whose account ``role``'s rows read (a LiveTarget's), or None when it could not be had."""
    reading = next((r for r in getattr(target, "readings", []) if role in r.roles), None)
    if reading is None:
        return getattr(target, "reader", None)
    if reading.failure is not None or role in reading.mismatches:
        return None
    return reading.reader


def plan(policy: Policy, live: Inventory, reader_for: Callable[[Row], AwsReader | None],
         end: datetime) -> tuple[MeasurementSet, dict[tuple[int, str], tuple[AwsReader, set[SeriesKey]]]]:
    """The measured rows' series per resource, and the reads they need per (reader, region)."""
    measurements = MeasurementSet(end=end)
    rounds: dict[tuple[int, str], tuple[AwsReader, set[SeriesKey]]] = {}
    lookup = Lookup(policy, live, "managed")
    for row in policy.rows:
        if row.measure is None:
            continue
        reader = reader_for(row)
        if reader is None:
            continue  # the row's account could not be opened: its selection says so (ERROR)
        spec = CATALOGUE[(row.kind, row.measure.metric)]
        for resource in lookup.select(row.kind, row.role, row.select).matched:
            region = reader.global_region if spec.global_metric or KINDS[row.kind].scope == "global" \
                else resource.region
            planned = series_for(row.measure, row.kind, resource, region)
            measurements.planned[(row.id, resource.address)] = planned
            for series in planned:
                rounds.setdefault((id(reader), region), (reader, set()))[1].update(series.keys())
    return measurements, rounds


def read_measurements(policy: Policy, live: Inventory, reader_for: Callable[[Row], AwsReader | None],
                      now: datetime | None = None, concurrency: int = CONCURRENCY) -> MeasurementSet | None:
    """Every measured row's series (None when the policy has no measured row)."""
    if not any(row.measure is not None for row in policy.rows):
        return None
    measurements, rounds = plan(policy, live, reader_for, window_end(now))
    work = sorted(rounds.items(), key=lambda item: item[0][1])
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="dr-audit-metrics") as pool:
        for results in pool.map(lambda item: read_series(item[1][0], item[0][1], item[1][1], measurements.end),
                                work):
            measurements.results.update(results)
    return measurements
