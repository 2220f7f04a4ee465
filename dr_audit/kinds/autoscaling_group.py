"""The ``autoscaling_group`` kind. An EC2 Auto Scaling group.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, list_subnets, live_resource, tag_map
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import INT, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Ref, Unknown, is_known

#: the version an ASG launches when its launch_template block names none (provider and API default)
DEFAULT_VERSION = "$Default"


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
                "name", unset_reason="a name is generated at apply time"))),
            "health_check_grace_period": r.arg("health_check_grace_period", 300),
            "subnets": _subnet_names(r), "launch_template_version": _launch_template_version(r)}


def _subnet_names(r: Reader) -> AttributeValue:
    """Name tags of the subnets ``vpc_zone_identifier`` refers to, sorted; a literal subnet id (or a
    subnet not declared here) is Unknown: its Name tag is only in the account."""
    evidence = r.given("vpc_zone_identifier")
    if evidence is None:
        return r.at_block(Unknown(f"{r.instance.address}.vpc_zone_identifier",
                                  "not set: the subnets come from availability_zones (default VPC)"),
                          "vpc_zone_identifier not set")
    where = (evidence.file, evidence.line, evidence.expression)
    items = evidence.value if isinstance(evidence.value, list) else [evidence.value]
    names = []
    for item in items:
        if not (isinstance(item, Ref) and item.address in r.by_address):
            reason = getattr(item, "reason", None) or "a subnet not declared in this code: its Name tag is unknown"
            return AttributeValue(Unknown(evidence.expression or "vpc_zone_identifier", reason), *where)
        name = r.reader(r.by_address[item.address]).tag("Name")
        if not name.known:
            return AttributeValue(name.value, *where)
        if name.value is None:  # the account shows an untagged subnet by its id, known only after apply
            return AttributeValue(Unknown(item.address, "an untagged subnet: its id is only known after apply"),
                                  *where)
        names.append(name.value)
    return AttributeValue(sorted(names, key=str), *where)


def launch_template_block(r: Reader):
    """The launch_template block an ASG launches from: its own, or the mixed instances policy's
    specification; None when it uses a launch configuration."""
    own = r.blocks("launch_template")
    if own:
        return own[0]
    for policy in r.blocks("mixed_instances_policy"):
        for template in policy.blocks("launch_template"):
            for specification in template.blocks("launch_template_specification"):
                return specification
    return None


def _launch_template_version(r: Reader) -> AttributeValue:
    block = launch_template_block(r)
    if block is None:
        return r.at_block(None, "no launch template (a launch configuration)")
    evidence = given(block, "version")
    if evidence is None:
        return AttributeValue(DEFAULT_VERSION, block.file, block.line, None, "version not set: provider default")
    return AttributeValue(str(evidence.value) if is_known(evidence.value) and not isinstance(evidence.value, Ref)
                          else Unknown(evidence.expression or "version", getattr(evidence.value, "reason",
                                                                                 "only known after apply")),
                          evidence.file, evidence.line, evidence.expression)


def _sorted(value: AttributeValue) -> AttributeValue:
    if not isinstance(value.value, list):
        return value
    return AttributeValue(sorted(value.value, key=str), value.file, value.line, value.expression, value.note)


# ----- the account -------------------------------------------------------------

def _target_group_name(arn: str) -> str:
    """``arn:...:targetgroup/<name>/<id>`` -> ``<name>``."""
    parts = arn.split(":")[-1].split("/")
    return parts[1] if len(parts) >= 3 else arn


def launch_template_of(group: dict) -> dict | None:
    """The launch template specification an ASG (as DescribeAutoScalingGroups gives it) launches from:
    ``{LaunchTemplateId, LaunchTemplateName, Version}``, or None for a launch configuration."""
    own = group.get("LaunchTemplate")
    if own:
        return own
    mixed = ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {})
    return mixed.get("LaunchTemplateSpecification") or None


def _subnet_names_by_id(reader: AwsReader, region: str) -> Any:
    try:
        return {s["SubnetId"]: tag_map(s.get("Tags")).get("Name") for s in list_subnets(reader, region)}
    except AwsReadError as error:
        return FailedLookup(error)


def _live_subnets(group: dict, names: Any) -> Any:
    ids = [i.strip() for i in (group.get("VPCZoneIdentifier") or "").split(",") if i.strip()]
    found = [names.get(i) for i in ids]
    failed = next((n for n in found if not isinstance(n, (str, type(None)))), None)
    return failed if failed is not None else sorted(n if n is not None else i for n, i in zip(found, ids))


def autoscaling_groups(reader: AwsReader, region: str) -> list[Resource]:
    groups = reader.paginate("autoscaling", region, "describe_auto_scaling_groups", "AutoScalingGroups")
    names = _subnet_names_by_id(reader, region) if groups else {}
    found = []
    for group in groups:
        template = launch_template_of(group)
        found.append(live_resource(
            "autoscaling_group", region, group.get("AutoScalingGroupARN", group["AutoScalingGroupName"]),
            name=group["AutoScalingGroupName"], min_size=group.get("MinSize"), max_size=group.get("MaxSize"),
            desired_capacity=group.get("DesiredCapacity"), health_check_type=group.get("HealthCheckType"),
            target_groups=sorted(_target_group_name(a) for a in group.get("TargetGroupARNs") or []),
            health_check_grace_period=group.get("HealthCheckGracePeriod"), subnets=_live_subnets(group, names),
            launch_template_version=None if template is None else template.get("Version") or DEFAULT_VERSION))
    return found


KIND = declare_kind(
    "autoscaling_group", "regional", "An EC2 Auto Scaling group.",
    attributes={
        "name": (STR, "group name"),
        "min_size": (INT, "scaling minimum"),
        "max_size": (INT, "scaling maximum"),
        "desired_capacity": (INT, "desired instance count"),
        "health_check_type": (STR, "EC2 or ELB"),
        "target_groups": (STR_LIST, "names of the load balancer target groups it registers with"),
        "health_check_grace_period": (INT, "seconds before a new instance's health checks count (Terraform's default: 300)"),
        "subnets": (STR_LIST, "Name tags of the subnets it launches into (vpc_zone_identifier), sorted; "
                              "an untagged subnet by its id"),
        "launch_template_version": (STR, "the launch template version it launches: $Latest, $Default (the default "
                                         "when none is given) or a number; null with a launch configuration"),
    },
    terraform={"aws_autoscaling_group": autoscaling_group},
    service="autoscaling", collect=autoscaling_groups,
    reads={"autoscaling": {"DescribeAutoScalingGroups": "autoscaling:DescribeAutoScalingGroups"},
           "ec2": {"DescribeSubnets": "ec2:DescribeSubnets"}},
)
