"""Measured rows: what the account achieved, read from CloudWatch, against a number.

A measured row names a metric of its kind, a statistic and a window instead
of an attribute::

    - id: RDS-REPLICA-LAG-MEASURED
      kind: rds_instance
      role: dr
      select: {is_read_replica: true}
      measure: {metric: ReplicaLag, statistic: max, window: 24h}
      op: lte
      value: {fact: objectives.rpo_seconds}

Each selected resource gives one series per :data:`CATALOGUE` entry (a
DynamoDB table one per replica region, an S3 bucket one per destination).
The statistic over the whole window is compared with ``op``/``value``; a
series without a datapoint in the window is unresolved, never a pass.

This module is pure: it validates the ``measure`` block, says which series a
resource needs (:func:`series_for`) and turns read results into verdicts
(:func:`measurement_verdicts`). Reading is ``dr_audit.measurements``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable

from dr_audit.comparators import Verdict
from dr_audit.findings import ResourceCheck, SourceState, plain
from dr_audit.inventory import Resource, unreadable
from dr_audit.operators import OPERATORS

#: the row's statistic -> CloudWatch's name for it (p99 is an extended statistic)
STATISTICS = {"max": "Maximum", "min": "Minimum", "average": "Average", "p99": "p99"}
#: operators a measured number can be compared with
MEASURE_OPERATORS = ("lte", "lt", "gte", "gt")
MEASURE_KEYS = {"metric", "statistic", "window", "period", "rule_id"}
DEFAULT_WINDOW = "24h"
_WINDOW = re.compile(r"^(?P<count>[1-9]\d*)(?P<unit>[mhd])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
#: CloudWatch keeps one-minute datapoints for 15 days: a longer window would read coarser data
MAX_WINDOW_SECONDS = 15 * 86400
MIN_WINDOW_SECONDS = 5 * 60
#: datapoints a series keeps for the report's picture (its period follows from the window)
SERIES_POINTS = 288
#: the resource's own id in the account (its address), as a dimension source
RESOURCE_ID = "@id"


@dataclass(frozen=True)
class MetricSpec:
    """One metric a kind publishes: where it lives and how its dimensions are filled.

    ``dimensions`` pairs each CloudWatch dimension with the attribute that
    gives its value (``@id``: the resource's id). ``per`` names a list
    attribute whose every item is one series (``ReceivingRegion`` per replica
    region). ``scale`` turns the published unit into ``unit`` (milliseconds
    into seconds). ``rule_dimension`` is a dimension the row itself supplies
    (``measure.rule_id``). ``global_metric``: published only in the
    partition's global region (Route 53). ``inactive_below``: a value under it
    means the replication is not running (RDS ReplicaLag -1), so the series'
    minimum is read too and such a value violates the row whatever the statistic.
    """

    kind: str
    metric: str
    namespace: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    doc: str
    per: tuple[str, str] | None = None
    scale: float = 1.0
    rule_dimension: str | None = None
    global_metric: bool = False
    inactive_below: float | None = None


CATALOGUE: dict[tuple[str, str], MetricSpec] = {(m.kind, m.metric): m for m in [
    MetricSpec("rds_instance", "ReplicaLag", "AWS/RDS", (("DBInstanceIdentifier", "identifier"),), "seconds",
               "how far a read replica is behind its source (-1: replication not active)", inactive_below=0),
    MetricSpec("dynamodb_table", "ReplicationLatency", "AWS/DynamoDB", (("TableName", "name"),), "seconds",
               "time for a write to reach the replica in ReceivingRegion (published in milliseconds)",
               per=("ReceivingRegion", "replica_regions"), scale=0.001),
    MetricSpec("s3_bucket", "ReplicationLatency", "AWS/S3", (("SourceBucket", "name"),), "seconds",
               "how far the destination bucket is behind (replication metrics must be on for the rule)",
               per=("DestinationBucket", "replication_destination_buckets"), rule_dimension="RuleId"),
    MetricSpec("s3_bucket", "OperationsPendingReplication", "AWS/S3", (("SourceBucket", "name"),), "operations",
               "operations waiting to replicate (replication metrics must be on for the rule)",
               per=("DestinationBucket", "replication_destination_buckets"), rule_dimension="RuleId"),
    MetricSpec("route53_health_check", "HealthCheckStatus", "AWS/Route53", (("HealthCheckId", RESOURCE_ID),),
               "1 healthy, 0 unhealthy", "the health checkers' verdict (statistic min: was it ever unhealthy)",
               global_metric=True),
]}


@dataclass(frozen=True)
class Measure:
    """A row's validated ``measure`` block."""

    metric: str
    statistic: str
    window: str
    window_seconds: int
    period_seconds: int
    rule_id: str | None = None

    @property
    def stat(self) -> str:
        """CloudWatch's statistic name: ``max`` -> ``Maximum``."""
        return STATISTICS[self.statistic]

    def to_dict(self) -> dict:
        return {"metric": self.metric, "statistic": self.statistic, "window": self.window,
                "window_seconds": self.window_seconds, "period_seconds": self.period_seconds,
                "rule_id": self.rule_id}


def window_seconds(text: Any) -> int | None:
    """``"24h"`` -> 86400, ``"30m"`` -> 1800, ``"7d"`` -> 604800; None when not of that form."""
    found = _WINDOW.match(text) if isinstance(text, str) else None
    return int(found["count"]) * _UNIT_SECONDS[found["unit"]] if found else None


def series_period(window: int) -> int:
    """The picture's period for a window: whole minutes, at most :data:`SERIES_POINTS` points."""
    return max(60, math.ceil(window / SERIES_POINTS / 60) * 60)


def parse_measure(raw: Any, kind: str, errors: Callable[[str], None]) -> Measure | None:
    """The row's ``measure`` mapping, checked against :data:`CATALOGUE`; ``errors`` gets each problem.

    In: ``{metric, statistic, window?, period?, rule_id?}`` as written. Out: a Measure, or None.
    """
    if not isinstance(raw, dict):
        errors("measure must be a mapping {metric, statistic, window}")
        return None
    before = _Count(errors)
    for key in sorted(set(raw) - MEASURE_KEYS):
        before(f"measure: unknown key {key!r} (known: {', '.join(sorted(MEASURE_KEYS))})")
    metric = raw.get("metric")
    known = sorted(m for k, m in CATALOGUE if k == kind)
    spec = CATALOGUE.get((kind, metric)) if isinstance(metric, str) else None
    if spec is None:
        before(f"measure: {kind} has no measured metric {metric!r} (known: {', '.join(known) or 'none'})")
    statistic = raw.get("statistic")
    if statistic not in STATISTICS:
        before(f"measure: statistic must be one of {', '.join(STATISTICS)} (got {plain(statistic)})")
    window_text = raw.get("window", DEFAULT_WINDOW)
    window = window_seconds(window_text)
    if window is None or not MIN_WINDOW_SECONDS <= window <= MAX_WINDOW_SECONDS:
        before(f"measure: window must be minutes, hours or days between 5m and 15d, e.g. 24h "
               f"(got {plain(window_text)})")
    period = raw.get("period", series_period(window) if window else 60)
    if not isinstance(period, int) or isinstance(period, bool) or period < 60 or period % 60 or (
            window and period > window):
        before(f"measure: period must be whole minutes in seconds (60, 300, ...), at most the window "
               f"(got {plain(period)})")
    rule_id = raw.get("rule_id")
    if spec is not None and spec.rule_dimension and not (isinstance(rule_id, str) and rule_id):
        before(f"measure: {kind} {metric} is published per replication rule: give rule_id (the rule's ID)")
    elif spec is not None and not spec.rule_dimension and rule_id is not None:
        before(f"measure: rule_id does not go with {kind} {metric}")
    if before.count:
        return None
    return Measure(metric, statistic, str(window_text), window, period, rule_id)


class _Count:
    """Passes messages on and counts them."""

    def __init__(self, sink: Callable[[str], None]):
        self.sink, self.count = sink, 0

    def __call__(self, message: str) -> None:
        self.count += 1
        self.sink(message)


# ----- which series a resource needs -------------------------------------------------

@dataclass(frozen=True)
class SeriesKey:
    """One CloudWatch series at one statistic over one window: read once however many rows use it."""

    account: str | None
    region: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int
    window: int

    def describe(self) -> str:
        """``AWS/RDS ReplicaLag (DBInstanceIdentifier=db)``."""
        dims = ", ".join(f"{name}={value}" for name, value in self.dimensions)
        return f"{self.namespace} {self.metric} ({dims})"


@dataclass(frozen=True)
class PlannedSeries:
    """A series a resource needs, or why it cannot be named (an unresolved dimension)."""

    label: str
    key: SeriesKey | None = None
    problem: str | None = None
    #: the series' minimum over the window, read when a low value means "not replicating"
    guard: SeriesKey | None = None
    #: the problem is a failed read (the row is ERROR), not an unresolved value
    unreadable: bool = False

    def keys(self) -> list[SeriesKey]:
        """Every series this entry reads (itself and its guard, once)."""
        return list(dict.fromkeys(k for k in (self.key, self.guard) if k is not None))


def _dimension_value(resource: Resource, source: str) -> tuple[Any, str | None]:
    """A dimension's value from the resource, or the reason it has none."""
    if source == RESOURCE_ID:
        return resource.address, None
    found = resource.attributes.get(source)
    if found is not None and unreadable(found.value):
        return None, (f"{resource.address}.{source} could not be read ({found.value.reason}), "
                      f"so its series cannot be named")
    if found is None or not found.known:
        return None, f"{resource.address}.{source} is not known, so its series cannot be named"
    if found.value in (None, "", []):
        return None, f"{resource.address}.{source} is not set, so there is no series to read"
    return found.value, None


def _unnamed(resource: Resource, source: str, problem: str) -> PlannedSeries:
    """A series that cannot be named: unreadable when the attribute's read failed."""
    found = resource.attributes.get(source)
    return PlannedSeries(resource.address, problem=problem,
                         unreadable=found is not None and unreadable(found.value))


def series_for(measure: Measure, kind: str, resource: Resource, region: str) -> list[PlannedSeries]:
    """The series ``resource`` gives for ``measure`` in ``region`` (one per ``per`` item)."""
    spec = CATALOGUE[(kind, measure.metric)]
    fixed = []
    for name, source in spec.dimensions:
        value, problem = _dimension_value(resource, source)
        if problem:
            return [_unnamed(resource, source, problem)]
        fixed.append((name, str(value)))
    if spec.rule_dimension:
        fixed.append((spec.rule_dimension, measure.rule_id))
    variants: list[tuple[str, tuple]] = [(resource.address, ())]
    if spec.per is not None:
        name, source = spec.per
        found = resource.attributes.get(source)
        if found is not None and found.known and not found.value:
            return []  # nothing replicates: no series (measurement_verdicts says so, never a pass)
        values, problem = _dimension_value(resource, source)
        if problem:
            return [_unnamed(resource, source, problem)]
        variants = [(f"{resource.address} ({name}={v})", ((name, str(v)),)) for v in values]
    planned = []
    for label, extra in variants:
        key = SeriesKey(resource.account, region, spec.namespace, spec.metric, tuple(sorted(fixed + list(extra))),
                        measure.stat, measure.period_seconds, measure.window_seconds)
        guard = replace(key, stat=STATISTICS["min"]) if spec.inactive_below is not None else None
        planned.append(PlannedSeries(label, key, guard=guard))
    return planned


# ----- what was read, and the verdict -------------------------------------------------

@dataclass
class SeriesResult:
    """What CloudWatch answered for one series.

    ``window_values``: the statistic over the whole window (normally one value);
    ``timestamps``/``values``: the series at its period, for the picture.
    ``error``: why it could not be read (the row is ERROR); ``status`` is
    CloudWatch's StatusCode after every page.
    """

    window_values: list[float] = field(default_factory=list)
    timestamps: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    status: str = "Complete"
    error: str | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class MeasurementSet:
    """Every measured row's series, read once for the run.

    ``planned[(row id, resource address)]`` lists the series each resource
    needs; ``results[key]`` what was read; ``end`` is the end of every window.
    """

    end: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    planned: dict[tuple[str, str], list[PlannedSeries]] = field(default_factory=dict)
    results: dict[SeriesKey, SeriesResult] = field(default_factory=dict)


def window_statistic(result: SeriesResult, statistic: str) -> float | None:
    """The statistic over the window; when CloudWatch splits the window in two buckets, the
    extreme of them (max, p99) or the lowest (min), and their mean for an average."""
    values = result.window_values or []
    if not values:
        return None
    if statistic == "min":
        return min(values)
    if statistic == "average":
        return sum(values) / len(values)
    return max(values)


def _extreme_at(result: SeriesResult, statistic: str) -> datetime | None:
    """When the series reached its highest (max, p99) or lowest (min) point; None for an average."""
    if statistic == "average" or not result.values:
        return None
    pick = min if statistic == "min" else max
    index = pick(range(len(result.values)), key=lambda i: result.values[i])
    return result.timestamps[index] if index < len(result.timestamps) else None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:.3g}"


def picture(result: SeriesResult, spec: MetricSpec, threshold: Any, op: str, end: datetime,
            measure: Measure) -> dict:
    """The datapoints a verdict used, for the JSON and the HTML picture (values in ``unit``)."""
    return {"namespace": spec.namespace, "metric": spec.metric, "statistic": measure.statistic,
            "window": measure.window, "period_seconds": measure.period_seconds, "unit": spec.unit,
            "start": _iso(end.timestamp() - measure.window_seconds), "end": _iso(end.timestamp()),
            "threshold": threshold, "op": op,
            "points": [[_iso(t.timestamp()), round(v * spec.scale, 6)] for t, v in zip(result.timestamps,
                                                                                      result.values)]}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def _inactive(spec: MetricSpec, guard: SeriesResult | None) -> str | None:
    """Why the series shows replication not running (a value under ``inactive_below``), else None."""
    if spec.inactive_below is None or guard is None or not guard.window_values:
        return None
    lowest = min(guard.window_values)
    if lowest >= spec.inactive_below:
        return None
    when = next((t for t, v in zip(guard.timestamps, guard.values) if v < spec.inactive_below), None)
    at = f" (first at {_stamp(when)})" if when is not None else ""
    return (f"{spec.metric} was {_fmt(lowest)} in the window{at}: replication was not active, so the lag "
            f"does not meet the row whatever its {spec.metric} statistic")


def series_verdict(op: str, threshold: Any, measure: Measure, spec: MetricSpec, planned: PlannedSeries,
                   result: SeriesResult | None, resource: Resource, end: datetime,
                   guard: SeriesResult | None = None) -> Verdict:
    """One series against the row: meets, violates, unresolved (no datapoints) or error."""
    subject = f"{planned.key.describe()} {measure.statistic} over {measure.window}"

    def ends(state: SourceState, detail: str, value: Any = None, series: dict | None = None) -> Verdict:
        check = ResourceCheck(resource.source, planned.label, state.value, detail, value,
                              region=planned.key.region, account=resource.account, series=series)
        return Verdict(state, value, f"{subject}: {detail}" if not detail.startswith(subject) else detail,
                       [(resource, None)], [check])

    if result is None or result.error:
        return ends(SourceState.ERROR, f"could not be read: {result.error if result else 'not read'}")
    if result.status in ("Forbidden", "InternalError"):
        said = f"CloudWatch answered {result.status}: {'; '.join(result.messages)}".rstrip(": ")
        return ends(SourceState.ERROR, said)
    drawn = picture(result, spec, threshold, op, end, measure)
    inactive = _inactive(spec, guard)
    if inactive:
        return ends(SourceState.VIOLATES, inactive, None, drawn)
    measured = window_statistic(result, measure.statistic)
    if measured is None:
        start = datetime.fromtimestamp(end.timestamp() - measure.window_seconds, timezone.utc)
        why = (f"no datapoints between {_stamp(start)} and {_stamp(end)}: the metric is not published (no such "
               f"resource or replication, or its replication metrics are off) or the window is too short; "
               f"no data is not a pass")
        return ends(SourceState.UNRESOLVED, why, None, drawn)
    value = round(measured * spec.scale, 6)
    operator = OPERATORS[op]
    at = _extreme_at(result, measure.statistic)
    when = f" at {_stamp(at)}" if at is not None else ""
    ok = operator.test(value, threshold)
    state = SourceState.MEETS if ok else SourceState.VIOLATES
    detail = f"{subject} = {_fmt(value)} {spec.unit}{when} (expected {operator.symbol} {plain(threshold)})"
    return ends(state, detail, value, drawn)


def measurement_verdicts(row: Any, resource: Resource, measurements: MeasurementSet | None) -> list[Verdict]:
    """Each series of ``resource`` for the measured ``row``, as a verdict with its resource check."""
    measure: Measure = row.measure
    spec = CATALOGUE[(row.kind, measure.metric)]
    if measurements is None:
        return [_unread(resource, "the account's CloudWatch series were not read in this run")]
    planned = measurements.planned.get((row.id, resource.address))
    if planned is None:
        return [_unread(resource, "its series were not planned (no reader for the row's account)")]
    if not planned:
        per = spec.per[1] if spec.per else "series"
        return [_unresolved(resource, f"{resource.address} has no {per}: nothing is replicated, so there is "
                                      f"no {spec.metric} to measure")]
    verdicts = []
    for series in planned:
        if series.problem:
            verdicts.append((_unread if series.unreadable else _unresolved)(resource, series.problem))
            continue
        guard = measurements.results.get(series.guard) if series.guard is not None else None
        verdicts.append(series_verdict(row.op, row.value, measure, spec, series,
                                       measurements.results.get(series.key), resource, measurements.end, guard))
    return verdicts


def _unresolved(resource: Resource, why: str) -> Verdict:
    check = ResourceCheck(resource.source, resource.address, SourceState.UNRESOLVED.value, why,
                          region=resource.region if isinstance(resource.region, str) else None,
                          account=resource.account)
    return Verdict(SourceState.UNRESOLVED, None, why, [(resource, None)], [check])


def _unread(resource: Resource, why: str) -> Verdict:
    check = ResourceCheck(resource.source, resource.address, SourceState.ERROR.value, why,
                          region=resource.region if isinstance(resource.region, str) else None,
                          account=resource.account)
    return Verdict(SourceState.ERROR, None, f"{resource.address}: {why}", [(resource, None)], [check])


# ----- beside a coherence row -----------------------------------------------------------

def _fact_paths_in(args: Any) -> set[str]:
    """Every string (a fact path) in a comparator's ``args``, nested lists included."""
    if isinstance(args, str):
        return {args}
    if isinstance(args, dict):
        return {p for v in args.values() for p in _fact_paths_in(v)}
    if isinstance(args, list):
        return {p for v in args for p in _fact_paths_in(v)}
    return set()


def measured_beside(row: Any, rows: Any, findings: dict) -> list[dict]:
    """What the account achieved, for a policy-coherence row: each measured row compared with a
    fact the coherence row also reads (the lag alarm vs RPO row gets the measured lag against
    that RPO). In: the coherence row, every row, every finding by row id. Out: plain data."""
    if row.kind != "policy" or not row.comparator:
        return []
    paths = _fact_paths_in(row.args)
    beside = []
    for other in rows:
        if other.measure is None or other.value_fact not in paths or other.id not in findings:
            continue
        finding = findings[other.id]
        spec = CATALOGUE[(other.kind, other.measure.metric)]
        beside.append({"row": other.id, "metric": other.measure.metric, "statistic": other.measure.statistic,
                       "window": other.measure.window, "value": finding.live.value, "unit": spec.unit,
                       "op": other.op, "threshold": other.value, "fact": other.value_fact,
                       "status": finding.status.value})
    return beside
