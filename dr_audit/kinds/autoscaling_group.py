"""The ``autoscaling_group`` kind. An EC2 Auto Scaling group.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import INT, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def autoscaling_group(r: Reader) -> dict:
    minimum = r.arg("min_size")
    desired = r.arg("desired_capacity")
    if r.given("desired_capacity") is None:
        desired = AttributeValue(minimum.value, minimum.file, minimum.line, minimum.expression,
                                 "desired_capacity not set: AWS starts at min_size")
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "min_size": minimum, "max_size": r.arg("max_size"), "desired_capacity": desired,
            "health_check_type": r.arg("health_check_type", "EC2"),
            "target_groups": _sorted(r.linked_names("target_group_arns", lambda t: t.arg(
                "name", unset_reason="a name is generated at apply time")))}


def _sorted(value: AttributeValue) -> AttributeValue:
    if not isinstance(value.value, list):
        return value
    return AttributeValue(sorted(value.value, key=str), value.file, value.line, value.expression, value.note)


# ----- the account -------------------------------------------------------------

def _target_group_name(arn: str) -> str:
    """``arn:...:targetgroup/<name>/<id>`` -> ``<name>``."""
    parts = arn.split(":")[-1].split("/")
    return parts[1] if len(parts) >= 3 else arn


def autoscaling_groups(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("autoscaling_group", region, group.get("AutoScalingGroupARN", group["AutoScalingGroupName"]),
                          name=group["AutoScalingGroupName"], min_size=group.get("MinSize"),
                          max_size=group.get("MaxSize"), desired_capacity=group.get("DesiredCapacity"),
                          health_check_type=group.get("HealthCheckType"),
                          target_groups=sorted(_target_group_name(a) for a in group.get("TargetGroupARNs") or []))
            for group in reader.paginate("autoscaling", region, "describe_auto_scaling_groups", "AutoScalingGroups")]


KIND = declare_kind(
    "autoscaling_group", "regional", "An EC2 Auto Scaling group.",
    attributes={
        "name": (STR, "group name"),
        "min_size": (INT, "scaling minimum"),
        "max_size": (INT, "scaling maximum"),
        "desired_capacity": (INT, "desired instance count"),
        "health_check_type": (STR, "EC2 or ELB"),
        "target_groups": (STR_LIST, "names of the load balancer target groups it registers with"),
    },
    terraform={"aws_autoscaling_group": autoscaling_group},
    service="autoscaling", collect=autoscaling_groups,
    reads={"autoscaling": {"DescribeAutoScalingGroups": "autoscaling:DescribeAutoScalingGroups"}},
)
