"""The ``lb_target_group`` kind. A load balancer target group and its health check.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import INT, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def lb_target_group(r: Reader) -> dict:
    protocol = r.arg("protocol", unset_reason="not set: depends on the target type")
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "protocol": protocol, "port": r.arg("port", unset_reason="not set: depends on the target type"),
            "health_check_path": r.nested("health_check.path", "/"),
            "health_check_interval": r.nested("health_check.interval", 30),
            "healthy_threshold": r.nested("health_check.healthy_threshold", 3),
            "unhealthy_threshold": r.nested("health_check.unhealthy_threshold", 3),
            "health_check_matcher": r.nested("health_check.matcher", "200")}


# ----- the account -------------------------------------------------------------

def lb_target_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("lb_target_group", region, group["TargetGroupArn"], name=group["TargetGroupName"],
                          protocol=group.get("Protocol"), port=group.get("Port"),
                          health_check_path=group.get("HealthCheckPath"),
                          health_check_interval=group.get("HealthCheckIntervalSeconds"),
                          healthy_threshold=group.get("HealthyThresholdCount"),
                          unhealthy_threshold=group.get("UnhealthyThresholdCount"),
                          health_check_matcher=(group.get("Matcher") or {}).get("HttpCode"))
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
    },
    terraform={"aws_lb_target_group": lb_target_group, "aws_alb_target_group": lb_target_group},
    service="elbv2", collect=lb_target_groups,
    reads={"elbv2": {"DescribeTargetGroups": "elasticloadbalancing:DescribeTargetGroups"}},
)
