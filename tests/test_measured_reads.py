"""GetMetricData for measured rows: requests botocore's model accepts, batches of at most 500
queries, every NextToken page joined, each series read once, one round per region; and the
sandbox's relative-time series and percentile shims."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
from botocore.stub import Stubber

from dr_audit.aws import readonly
from dr_audit.aws.metrics import MAX_QUERIES, READS, batches, metric_queries, read_series
from dr_audit.aws.reader import AwsReader, ReaderSettings
from dr_audit.inventory import AttributeValue, Inventory, Resource
from dr_audit.measured import SeriesKey
from dr_audit.measurements import read_measurements
from dr_audit.policy import load_policy
from dr_audit.sandbox import moto_shims
from dr_audit.sandbox.server import SANDBOX_ACCOUNT

END = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
REGION = "eu-west-1"


def key(identifier: str, stat: str = "Maximum", window: int = 86400, region: str = REGION) -> SeriesKey:
    return SeriesKey(None, region, "AWS/RDS", "ReplicaLag", (("DBInstanceIdentifier", identifier),), stat, 300,
                     window)


def stubbed_reader() -> tuple[AwsReader, Stubber]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    reader = AwsReader(session, ReaderSettings())
    stubber = Stubber(reader.client("cloudwatch", REGION))
    stubber.activate()
    return reader, stubber


def answer(batch: list[SeriesKey], values: dict[str, list[float]], token: str | None = None) -> dict:
    """A GetMetricData response: ``values`` by query id (missing ids answer no datapoint)."""
    results = []
    for index in range(len(batch)):
        for prefix in ("w", "s"):
            found = values.get(f"{prefix}{index}", [])
            results.append({"Id": f"{prefix}{index}", "Label": "ReplicaLag", "StatusCode": "PartialData" if token
                            else "Complete", "Values": found,
                            "Timestamps": [END - timedelta(minutes=5 * (len(found) - i)) for i in range(len(found))]})
    response = {"MetricDataResults": results, "Messages": []}
    if token:
        response["NextToken"] = token
    return response


def request(batch: list[SeriesKey], token: str | None = None, window: int = 86400) -> dict:
    params = {"MetricDataQueries": metric_queries(batch), "StartTime": END - timedelta(seconds=window),
              "EndTime": END, "ScanBy": "TimestampAscending"}
    if token:
        params["NextToken"] = token
    return params


def test_each_series_is_a_window_query_and_a_picture_query_that_botocore_accepts():
    reader, stubber = stubbed_reader()
    batch = [key("db-a"), key("db-b", "p99")]
    stubber.add_response("get_metric_data", answer(batch, {"w0": [7.0], "s0": [1.0, 7.0, 2.0], "w1": [3.0]}),
                         request(batch))
    results = read_series(reader, REGION, batch, END)
    stubber.assert_no_pending_responses()
    queries = metric_queries(batch)
    assert [q["Id"] for q in queries] == ["w0", "s0", "w1", "s1"]
    assert queries[0]["MetricStat"]["Period"] == 86400 and queries[1]["MetricStat"]["Period"] == 300
    assert queries[2]["MetricStat"]["Stat"] == "p99"
    assert queries[0]["MetricStat"]["Metric"] == {"Namespace": "AWS/RDS", "MetricName": "ReplicaLag", "Dimensions": [
        {"Name": "DBInstanceIdentifier", "Value": "db-a"}]}
    assert results[batch[0]].window_values == [7.0] and results[batch[0]].values == [1.0, 7.0, 2.0]
    assert results[batch[1]].window_values == [3.0] and results[batch[1]].values == []


def test_600_series_take_three_calls_of_at_most_500_queries():
    keys = [key(f"db-{n:03}") for n in range(600)]
    groups = batches(keys)
    assert [len(g) for g in groups] == [250, 250, 100]
    assert all(len(metric_queries(g)) <= MAX_QUERIES for g in groups)
    reader, stubber = stubbed_reader()
    for group in groups:
        stubber.add_response("get_metric_data", answer(group, {"w0": [1.0]}), request(group))
    results = read_series(reader, REGION, keys, END)
    stubber.assert_no_pending_responses()
    assert len(reader.calls()) == 3 and len(results) == 600


def test_pages_are_followed_and_their_partial_results_joined():
    reader, stubber = stubbed_reader()
    batch = [key("db-a")]
    stubber.add_response("get_metric_data", answer(batch, {"s0": [1.0, 2.0]}, token="page-2"), request(batch))
    stubber.add_response("get_metric_data", answer(batch, {"w0": [9.0], "s0": [9.0]}), request(batch, "page-2"))
    result = read_series(reader, REGION, batch, END)[batch[0]]
    stubber.assert_no_pending_responses()
    assert result.window_values == [9.0] and sorted(result.values) == [1.0, 2.0, 9.0]
    assert result.status == "Complete" and result.error is None


def test_a_token_that_comes_back_is_an_error_not_an_endless_read():
    reader, stubber = stubbed_reader()
    batch = [key("db-a")]
    stubber.add_response("get_metric_data", answer(batch, {}, token="again"), request(batch))
    stubber.add_response("get_metric_data", answer(batch, {}, token="again"), request(batch, "again"))
    result = read_series(reader, REGION, batch, END)[batch[0]]
    assert "came back twice" in result.error


def test_a_refused_read_is_an_error_on_every_series_of_its_batch():
    reader, stubber = stubbed_reader()
    batch = [key("db-a"), key("db-b")]
    stubber.add_client_error("get_metric_data", "AccessDenied", "not allowed", 403, expected_params=request(batch))
    results = read_series(reader, REGION, batch, END)
    assert all("AccessDenied" in r.error for r in results.values())


def test_a_forbidden_series_keeps_its_status():
    reader, stubber = stubbed_reader()
    batch = [key("db-a")]
    response = answer(batch, {})
    response["MetricDataResults"][0]["StatusCode"] = "Forbidden"
    stubber.add_response("get_metric_data", response, request(batch))
    assert read_series(reader, REGION, batch, END)[batch[0]].status == "Forbidden"


def test_windows_are_read_in_their_own_calls():
    day, hour = key("db-a"), key("db-a", window=3600)
    assert [[k.window for k in g] for g in batches([day, hour, day])] == [[3600], [86400]]


def test_the_read_is_registered_on_the_allowlist_and_refused_without_it(monkeypatch):
    assert readonly.read_operations()["cloudwatch"]["GetMetricData"] == "cloudwatch:GetMetricData"
    assert READS in readonly.extra_reads()
    monkeypatch.setattr(readonly, "_EXTRA_READS", [])
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    result = read_series(AwsReader(session, ReaderSettings()), REGION, [key("db-a")], END)[key("db-a")]
    assert "not a read-only operation" in result.error


# ----- against the sandbox ------------------------------------------------------------

POLICY_TEXT = """\
policy: {name: measured, version: 1}
roles:
  primary: {region: eu-west-1}
  dr: {region: eu-central-1}
facts:
  objectives: {rpo_seconds: 5}
rows:
  - {id: LAG-MAX, clause: "1", title: lag max, kind: rds_instance, role: dr, select: {is_read_replica: true},
     measure: {metric: ReplicaLag, statistic: max, window: 24h}, op: lte, value: {fact: objectives.rpo_seconds},
     severity: high}
  - {id: LAG-MAX-AGAIN, clause: "1", title: lag max again, kind: rds_instance, role: dr,
     select: {identifier: replica}, measure: {metric: ReplicaLag, statistic: max, window: 24h}, op: lt,
     value: 10, severity: high}
  - {id: LAG-P99, clause: "1", title: lag p99, kind: rds_instance, role: dr, select: {is_read_replica: true},
     measure: {metric: ReplicaLag, statistic: p99, window: 24h}, op: lte, value: 5, severity: high}
  - {id: DDB-LATENCY, clause: "1", title: ddb, kind: dynamodb_table, role: primary, select: {name: chats},
     measure: {metric: ReplicationLatency, statistic: max, window: 24h}, op: lte, value: 1, severity: high}
"""


def live_inventory() -> Inventory:
    replica = Resource("rds_instance", "aws", "arn:aws:rds:eu-central-1:123456789012:db:replica", "eu-central-1",
                       {"identifier": AttributeValue("replica"), "is_read_replica": AttributeValue(True)})
    table = Resource("dynamodb_table", "aws", "arn:aws:dynamodb:eu-west-1:123456789012:table/chats", "eu-west-1",
                     {"name": AttributeValue("chats"), "replica_regions": AttributeValue(["eu-central-1"])})
    return Inventory("aws", [replica, table])


def test_shared_series_are_read_once_in_one_round_per_region(sandbox, tmp_path):
    now = datetime.now(timezone.utc)
    moto_shims.put_metric_series(SANDBOX_ACCOUNT, "eu-central-1", "AWS/RDS", "ReplicaLag",
                                 {"DBInstanceIdentifier": "replica"}, hours=30, every_minutes=5, baseline=1.0,
                                 spikes=[{"hours_ago": 10, "minutes": 20, "value": 12}], now=now)
    moto_shims.put_metric_series(SANDBOX_ACCOUNT, "eu-west-1", "AWS/DynamoDB", "ReplicationLatency",
                                 {"TableName": "chats", "ReceivingRegion": "eu-central-1"}, hours=30,
                                 every_minutes=5, baseline=400, now=now)
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY_TEXT)
    policy = load_policy(path)
    reader = AwsReader(sandbox.session(), ReaderSettings(endpoint_url=sandbox.url))
    measurements = read_measurements(policy, live_inventory(), lambda row: reader, now=now)
    calls = reader.calls()
    # LAG-MAX and LAG-MAX-AGAIN share one series; LAG-P99 is another statistic; the lag's minimum
    # (replication not active below 0) is read once for both: one call per region
    assert sorted(c.region for c in calls) == ["eu-central-1", "eu-west-1"]
    assert sorted(k.stat for k in measurements.results) == ["Maximum", "Maximum", "Minimum", "p99"]
    lag = next(r for k, r in measurements.results.items() if k.stat == "Maximum" and k.namespace == "AWS/RDS")
    assert lag.window_values == [12.0] and len(lag.values) == 288
    p99 = next(r for k, r in measurements.results.items() if k.stat == "p99")
    assert p99.window_values == [12.0]
    latency = next(r for k, r in measurements.results.items() if k.namespace == "AWS/DynamoDB")
    assert latency.window_values == [400.0]
    assert measurements.planned[("DDB-LATENCY", "arn:aws:dynamodb:eu-west-1:123456789012:table/chats")][0].key \
        .dimensions == (("ReceivingRegion", "eu-central-1"), ("TableName", "chats"))


def test_a_replaced_series_keeps_only_the_new_points(sandbox):
    now = datetime.now(timezone.utc)
    args = dict(dimensions={"DBInstanceIdentifier": "replica"}, hours=2, every_minutes=10, now=now)
    moto_shims.put_metric_series(SANDBOX_ACCOUNT, REGION, "AWS/RDS", "ReplicaLag", baseline=30.0, **args)
    written = moto_shims.put_metric_series(SANDBOX_ACCOUNT, REGION, "AWS/RDS", "ReplicaLag", baseline=2.0,
                                           replace=True, **args)
    reader = AwsReader(sandbox.session(), ReaderSettings(endpoint_url=sandbox.url))
    result = read_series(reader, REGION, [key("replica", window=3 * 3600)], now.replace(second=0, microsecond=0)
                         + timedelta(minutes=1))[key("replica", window=3 * 3600)]
    assert written == 12 and result.window_values == [2.0]


def test_the_percentile_shim_uses_the_nearest_rank():
    assert moto_shims.percentile([float(v) for v in range(1, 101)], 99) == 99.0
    assert moto_shims.percentile([1.0, 50.0], 99) == 50.0
    assert moto_shims.percentile([], 99) is None


def test_the_iam_policy_grants_the_metric_read_only_to_policies_that_measure():
    import json
    import subprocess
    import sys

    from tests.conftest import REPO

    def actions(*policies: str) -> list[str]:
        out = subprocess.run([sys.executable, "-m", "dr_audit.iam", *policies], capture_output=True, text=True,
                             cwd=REPO, check=True)
        return json.loads(out.stdout)["Statement"][0]["Action"]

    assert "cloudwatch:GetMetricData" in actions()  # the shipped policy: every read
    assert "cloudwatch:GetMetricData" in actions("policies/portforge-dr.yaml")
    assert "cloudwatch:GetMetricData" not in actions("policies/crm-active-active.yaml")


def test_the_benchmark_policy_has_shared_and_extra_series():
    from benchmarks.measured_reads import policy_text

    text = policy_text(20)
    assert text.count("statistic: max") == 20 + 4 and text.count("statistic: p99") == 2
