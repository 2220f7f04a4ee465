"""The ``lb_target_group`` kind. A load balancer target group and its health check.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, INT, STR, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown

#: the health-check timeout AWS chooses when none is given, by target group protocol (CreateTargetGroup)
DEFAULT_TIMEOUT_BY_PROTOCOL = {"HTTP": 6, "HTTPS": 10, "TCP": 10, "TLS": 10, "GENEVE": 5}
LAMBDA_DEFAULT_TIMEOUT = 30


# ----- Terraform ---------------------------------------------------------------

def lb_target_group(r: Reader) -> dict:
    protocol = r.arg("protocol", unset_reason="not set: depends on the target type")
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "protocol": protocol, "port": r.arg("port", unset_reason="not set: depends on the target type"),
            "health_check_path": r.nested("health_check.path", "/"),
            "health_check_interval": r.nested("health_check.interval", 30),
            "healthy_threshold": r.nested("health_check.healthy_threshold", 3),
            "unhealthy_threshold": r.nested("health_check.unhealthy_threshold", 3),
            "health_check_matcher": r.nested("health_check.matcher", "200"),
            "health_check_enabled": r.nested("health_check.enabled", True),
            "health_check_timeout": _timeout(r, protocol)}


def _timeout(r: Reader, protocol: AttributeValue) -> AttributeValue:
    """The written timeout, or the one AWS chooses for the target type and protocol."""
    holders = r.blocks("health_check")
    written = holders[0].evidence("timeout") if holders else None
    if written is not None and written.value is not None:
        return r.nested("health_check.timeout")
    target_type = r.arg("target_type", "instance")
    if target_type.value == "lambda":
        return r.at_block(LAMBDA_DEFAULT_TIMEOUT, "health_check.timeout not set: AWS default for a lambda target")
    default = DEFAULT_TIMEOUT_BY_PROTOCOL.get(protocol.value) if protocol.known else None
    if default is None:
        return r.at_block(Unknown(f"{r.instance.address}.health_check.timeout",
                                  "not set: AWS chooses it by protocol at apply time"), "health_check.timeout not set")
    return r.at_block(default, f"health_check.timeout not set: AWS default for {protocol.value}")


# ----- the account -------------------------------------------------------------

def lb_target_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("lb_target_group", region, group["TargetGroupArn"], name=group["TargetGroupName"],
                          protocol=group.get("Protocol"), port=group.get("Port"),
                          health_check_path=group.get("HealthCheckPath"),
                          health_check_interval=group.get("HealthCheckIntervalSeconds"),
                          healthy_threshold=group.get("HealthyThresholdCount"),
                          unhealthy_threshold=group.get("UnhealthyThresholdCount"),
                          health_check_matcher=(group.get("Matcher") or {}).get("HttpCode"),
                          health_check_enabled=group.get("HealthCheckEnabled"),
                          health_check_timeout=group.get("HealthCheckTimeoutSeconds"))
            for group in reader.paginate("elbv2", region, "describe_target_groups", "TargetGroups")]


KIND = declare_kind(
    "lb_target_group", "regional", "A load balancer target group and its health check.",
    attributes={
        "name": (STR, "target group name"),
        "protocol": (STR, "HTTP, HTTPS, TCP, ..."),
        "port": (INT, "target port"),
        "health_check_path": (STR, "health check path"),
        "health_check_interval": (INT, "seconds between health checks"),
        "healthy_threshold": (INT, "consecutive successes before healthy"),
        "unhealthy_threshold": (INT, "consecutive failures before unhealthy"),
        "health_check_matcher": (STR, "HTTP codes counted as healthy, e.g. 200"),
        "health_check_enabled": (BOOL, "health checks are on (Terraform's default: true)"),
        "health_check_timeout": (INT, "seconds without a response that fail a check (unset: AWS's default for "
                                      "the protocol, e.g. 6 for HTTP, 30 for a lambda target)"),
    },
    terraform={"aws_lb_target_group": lb_target_group, "aws_alb_target_group": lb_target_group},
    service="elbv2", collect=lb_target_groups,
    reads={"elbv2": {"DescribeTargetGroups": "elasticloadbalancing:DescribeTargetGroups"}},
)
