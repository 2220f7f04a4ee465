"""One live audit against an endpoint, measured from the inside (run as its own process).

``python -m benchmarks.live_probe URL POLICY [CONCURRENCY] [--no-rate-limit]`` reads the
account the way ``--dr-mode live`` does (every kind and region the policy needs,
then every row's verdict) and prints one JSON line: wall seconds, API calls and
pages, distinct calls, the sum of call latencies, the seconds any call was in
flight (and, counting the waits for a service's rate limit, waiting on AWS at
all), the resources read and the peak RSS.
"""

from __future__ import annotations

import json
import sys
import time

import boto3

from benchmarks.measure import busy_seconds, own_peak_rss_mib
from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader, ReaderSettings
from dr_audit.aws.target import read_plan_for
from dr_audit.evaluate import evaluate_live
from dr_audit.policy import load_policy


def main(argv: list[str]) -> int:
    endpoint, policy_path = argv[0], argv[1]
    concurrency = int(argv[2]) if len(argv) > 2 and argv[2].isdigit() else 8
    settings = ReaderSettings(endpoint_url=endpoint, max_rates={} if "--no-rate-limit" in argv else
                              ReaderSettings().max_rates)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    policy = load_policy(policy_path)
    started = time.perf_counter()
    reader = AwsReader(session, settings)
    inventory = collect_aws(reader, read_plan_for(policy), concurrency=concurrency)
    statuses: dict[str, int] = {}
    for row in policy.rows:
        status = evaluate_live(row, policy, inventory).status.value
        statuses[status] = statuses.get(status, 0) + 1
    wall = time.perf_counter() - started
    calls = reader.calls()
    distinct = {(c.region, c.service, c.operation, c.arguments, c.page) for c in calls}
    print(json.dumps({
        "wall_seconds": round(wall, 3),
        "api_calls": len(calls), "distinct_calls": len(distinct),
        "list_pages": sum(1 for c in calls if c.page > 1),
        "failed_calls": sum(1 for c in calls if c.error and not c.expected),
        "sum_call_seconds": round(sum(c.seconds for c in calls), 3),
        "busy_seconds": round(busy_seconds([(c.started, c.started + c.seconds) for c in calls]), 3),
        "waiting_seconds": round(busy_seconds([(c.started, c.started + c.seconds) for c in calls] + reader.paced), 3),
        "rate_limit_wait_seconds": round(sum(end - start for start, end in reader.paced), 3),
        "resources": len(inventory.resources), "statuses": statuses,
        "peak_rss_mib": own_peak_rss_mib()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
