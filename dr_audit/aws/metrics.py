"""CloudWatch ``GetMetricData`` for measured rows: batched, paginated, read once.

:func:`read_series` takes every series one reader needs in one region and
reads them in as few calls as CloudWatch allows: each series is two queries
(the statistic over the whole window, and the series at its period for the
picture), at most :data:`MAX_QUERIES` queries a call, every ``NextToken``
page followed. Series sharing a window share calls; another window is
another round (a call has one StartTime and EndTime).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from dr_audit.aws import readonly
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.measured import SeriesKey, SeriesResult

#: CloudWatch's limit of MetricDataQuery structures in one GetMetricData call
MAX_QUERIES = 500
#: queries each series takes (window statistic, picture series)
QUERIES_PER_SERIES = 2
#: what the read-only allowlist must grant for measured rows (service -> operation -> IAM action)
READS = {"cloudwatch": {"GetMetricData": "cloudwatch:GetMetricData"}}
readonly.register_reads("measured recovery", READS,
                        needed_by=lambda policy: any(row.measure is not None for row in policy.rows))


def _metric(key: SeriesKey) -> dict:
    return {"Namespace": key.namespace, "MetricName": key.metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in key.dimensions]}


def metric_queries(batch: list[SeriesKey]) -> list[dict]:
    """The MetricDataQuery list for ``batch``: ``w<i>`` the window statistic, ``s<i>`` the series."""
    queries = []
    for index, key in enumerate(batch):
        metric = _metric(key)
        queries.append({"Id": f"w{index}", "MetricStat": {"Metric": metric, "Period": key.window, "Stat": key.stat},
                        "ReturnData": True})
        queries.append({"Id": f"s{index}", "MetricStat": {"Metric": metric, "Period": key.period, "Stat": key.stat},
                        "ReturnData": True})
    return queries


def batches(keys: Iterable[SeriesKey]) -> list[list[SeriesKey]]:
    """``keys`` (each once, in a stable order) grouped by window, cut to fit :data:`MAX_QUERIES`."""
    per_call = MAX_QUERIES // QUERIES_PER_SERIES
    by_window: dict[int, list[SeriesKey]] = {}
    for key in sorted(set(keys), key=lambda k: (k.window, k.namespace, k.metric, k.dimensions, k.stat, k.period)):
        by_window.setdefault(key.window, []).append(key)
    return [group[start:start + per_call] for _, group in sorted(by_window.items())
            for start in range(0, len(group), per_call)]


def read_series(reader: AwsReader, region: str, keys: Iterable[SeriesKey],
                end: datetime) -> dict[SeriesKey, SeriesResult]:
    """Every series of ``keys`` in ``region``, over the window that ends at ``end``.

    Out: key -> :class:`SeriesResult`; a failed call makes each series of its
    batch a result with ``error`` (the rows on it are ERROR, never PASS).
    """
    results: dict[SeriesKey, SeriesResult] = {}
    for batch in batches(keys):
        results.update(_read_batch(reader, region, batch, end - timedelta(seconds=batch[0].window), end))
    return results


def _read_batch(reader: AwsReader, region: str, batch: list[SeriesKey], start: datetime,
                end: datetime) -> dict[SeriesKey, SeriesResult]:
    """One batch through every NextToken page, the pages' partial results joined by query id."""
    queries = metric_queries(batch)
    joined: dict[str, dict] = {}
    messages: list[str] = []
    token, seen = None, set()
    while True:
        arguments = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end,
                     "ScanBy": "TimestampAscending"}
        if token:
            arguments["NextToken"] = token
        try:
            page = reader.call("cloudwatch", region, "get_metric_data", **arguments)
        except AwsReadError as error:
            return {key: SeriesResult(error=str(error)) for key in batch}
        for result in page.get("MetricDataResults") or []:
            _join(joined.setdefault(result["Id"], {"Timestamps": [], "Values": []}), result)
        messages += [f"{m.get('Code', '')}: {m.get('Value', '')}" for m in page.get("Messages") or []]
        token = page.get("NextToken")
        if not token:
            break
        if token in seen:  # a listing is complete only when its pages end
            return {key: SeriesResult(error=f"cloudwatch GetMetricData in {region}: NextToken {token!r} "
                                            f"came back twice; the pages do not end") for key in batch}
        seen.add(token)
    return {key: _result(joined.get(f"w{i}"), joined.get(f"s{i}"), messages) for i, key in enumerate(batch)}


def _join(into: dict, page_result: dict) -> None:
    into["Timestamps"] += list(page_result.get("Timestamps") or [])
    into["Values"] += list(page_result.get("Values") or [])
    into["StatusCode"] = page_result.get("StatusCode", "Complete")


def _result(window: dict | None, series: dict | None, messages: list[str]) -> SeriesResult:
    """One series' result from its two joined queries (a query missing from every page: no data)."""
    window = window or {"Timestamps": [], "Values": [], "StatusCode": "Complete"}
    series = series or {"Timestamps": [], "Values": [], "StatusCode": "Complete"}
    points = sorted(zip(series["Timestamps"], series["Values"]), key=lambda point: point[0])
    # PartialData only means "more on the next page": every page has been read by now
    statuses = {window.get("StatusCode", "Complete"), series.get("StatusCode", "Complete")}
    status = next((s for s in ("Forbidden", "InternalError") if s in statuses), "Complete")
    return SeriesResult(window_values=[float(v) for v in window["Values"] if v is not None],
                        timestamps=[t for t, v in points if v is not None],
                        values=[float(v) for _, v in points if v is not None], status=status,
                        messages=list(messages))
