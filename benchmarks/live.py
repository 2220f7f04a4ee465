"""The live audit at 1x, 10x and 100x the PortForge estate, and its concurrency.

The sandbox (a moto server in this process) is seeded with the as-found estate
plus, per extra multiple, seven ECR repositories and two DynamoDB tables in each
region, two Route 53 health checks and four record sets. The audit runs as its
own process (``benchmarks.live_probe``) so its memory and time are its own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.measure import growth_exponent, run_measured
from dr_audit.sandbox.estate import Estate, Step, load_estate, seed
from dr_audit.sandbox.fault_proxy import Fault, FaultProxy
from dr_audit.sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parent.parent
POLICY = REPO / "policies" / "portforge-dr.yaml"
REGIONS = ("ap-northeast-2", "ap-northeast-1")
REPOSITORIES = ("auth", "team", "support", "project", "ai", "slack-bot", "infra-bot")


def scaled_estate(scale: int) -> Estate:
    """The as-found estate with ``scale - 1`` extra copies of its many-of resources."""
    base = load_estate(REPO / "fixtures" / "estates", "portforge-as-found")
    steps = list(base.steps)

    def step(call: str, region: str, args: dict) -> None:
        steps.append(Step(__file__, 0, region, args, call))

    for copy in range(1, scale):
        for region in REGIONS:
            for name in REPOSITORIES:
                step("ecr.create_repository", region, {"repositoryName": f"bench{copy}-{name}"})
            for table in ("chats", "rooms"):
                step("dynamodb.create_table", region, {
                    "TableName": f"bench{copy}_{table}", "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]})
        for index in range(2):
            step("route53.create_health_check", "us-east-1", {
                "CallerReference": f"bench{copy}-{index}", "HealthCheckConfig": {
                    "Type": "HTTPS", "FullyQualifiedDomainName": f"api{copy}-{index}.portforge.org", "Port": 443,
                    "ResourcePath": "/health", "RequestInterval": 30, "FailureThreshold": 3}})
        step("route53.change_resource_record_sets", "us-east-1", {"HostedZoneId": "${zone}", "ChangeBatch": {
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": {
                "Name": f"svc{copy}-{index}.portforge.org", "Type": "CNAME", "TTL": 60,
                "ResourceRecords": [{"Value": f"target{copy}.portforge.org"}]}} for index in range(4)]}})
    return Estate(f"portforge-as-found x{scale}", base.description, steps, base.terraform_root)


def probe(endpoint: str, concurrency: int = 8, *flags: str) -> dict:
    result = run_measured([sys.executable, "-m", "benchmarks.live_probe", endpoint, str(POLICY), str(concurrency),
                           *flags], cwd=REPO)
    if result["exit"] != 0:
        raise RuntimeError(f"probe failed: {result['output'][-2000:]}")
    inside = json.loads(result["output"].strip().splitlines()[-1])
    inside["process_seconds"], inside["process_peak_rss_mib"] = result["seconds"], result["peak_rss_mib"]
    return inside


def scaling(scales: tuple[int, ...] = (1, 10, 100)) -> dict:
    server = SandboxServer()
    url = server.start()
    points = []
    try:
        for scale in scales:
            server.reset()
            seed(server, scaled_estate(scale))
            point = probe(url)
            point["scale"] = scale
            point["duplicate_calls"] = point["api_calls"] - point["distinct_calls"]
            # the audit's own time: neither a call in flight nor a wait for a service's rate limit
            point["overhead_share"] = round(1 - point["waiting_seconds"] / point["wall_seconds"], 3)
            point["overhead_share_counting_rate_limit_waits_as_overhead"] = round(
                1 - point["busy_seconds"] / point["wall_seconds"], 3)
            points.append(point)
    finally:
        server.stop()
    xs = [p["scale"] for p in points]
    last = points[-1]
    return {
        "points": points,
        "growth_exponent": {"wall_seconds": growth_exponent(xs, [p["wall_seconds"] for p in points]),
                            "api_calls": growth_exponent(xs, [p["api_calls"] for p in points]),
                            "peak_rss_mib": growth_exponent(xs, [p["peak_rss_mib"] for p in points])},
        "targets": {"growth no worse than linear": growth_exponent(xs, [p["wall_seconds"] for p in points]) <= 1.05,
                    "no duplicate calls": all(p["duplicate_calls"] == 0 for p in points),
                    "overhead under 20% at the largest scale": last["overhead_share"] < 0.20},
    }


def concurrency(scale: int = 10, rate_per_second: int = 10) -> dict:
    """Wall time over summed latencies, at the default concurrency and at 1, behind a proxy that
    throttles Route 53 above ``rate_per_second`` (its sustained rate per account)."""
    server = SandboxServer()
    url = server.start()
    runs = {}
    try:
        seed(server, scaled_estate(scale))
        for workers in (8, 1):
            with FaultProxy(url, [Fault("rate_limit", service="route53", per_second=rate_per_second,
                                        code="Throttling")]) as proxy:
                point = probe(proxy.url, workers)
                point["throttled_by_proxy"] = proxy.summary().get("rate_limit", 0)
            point["wall_over_sum_of_latencies"] = round(point["wall_seconds"] / point["sum_call_seconds"], 3)
            runs[f"concurrency {workers}"] = point
    finally:
        server.stop()
    default = runs["concurrency 8"]
    return {"scale": scale, "proxy": f"Route 53 throttled above {rate_per_second} requests/s", "runs": runs,
            "speedup_over_serial": round(runs["concurrency 1"]["wall_seconds"] / default["wall_seconds"], 2),
            "target": "wall <= 0.5 x sum of latencies at the default concurrency, no throttling",
            "met": default["wall_over_sum_of_latencies"] <= 0.5 and default["throttled_by_proxy"] == 0}
