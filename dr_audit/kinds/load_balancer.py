"""The ``load_balancer`` kind. An Elastic Load Balancing v2 load balancer.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, detail, list_subnets, live_resource, tag_map
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.security_group import declared_group_names, group_names_by_id, names_of_group_ids
from dr_audit.kinds.spec import BOOL, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, derived_from, given
from dr_audit.terraform.values import Ref, Unknown


# ----- Terraform ---------------------------------------------------------------

def load_balancer(r: Reader) -> dict:
    internal = r.arg("internal", False)
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "type": r.arg("load_balancer_type", "application"),
            "scheme": derived_from("internal" if internal.value else "internet-facing", internal),
            "subnets": _subnet_names(r), "security_groups": declared_group_names(r, "security_groups"),
            "deletion_protection": r.arg("enable_deletion_protection", False)}


def _subnet_names(r: Reader) -> AttributeValue:
    """Name tags of the subnets ``subnets`` (or the ``subnet_mapping`` blocks) refer to, sorted; a subnet
    id written as text, or a subnet not declared here, is Unknown: its Name tag is only in the account."""
    evidence = r.given("subnets")
    if evidence is not None:
        items, where = evidence.value if isinstance(evidence.value, list) else [evidence.value], evidence
    else:
        mappings = r.blocks("subnet_mapping")
        if not mappings:
            return r.at_block(Unknown(f"{r.instance.address}.subnets", "neither subnets nor subnet_mapping is set"),
                              "subnets not set")
        items, where = [], mappings[0]
        for mapping in mappings:
            written = given(mapping, "subnet_id")
            items.append(written.value if written is not None else Unknown("subnet_mapping", "subnet_id not set"))
    expression = getattr(where, "expression", None)
    names = []
    for item in items:
        if not (isinstance(item, Ref) and item.address in r.by_address):
            reason = getattr(item, "reason", None) or "a subnet not declared in this code: its Name tag is unknown"
            return AttributeValue(Unknown(expression or "subnets", reason), where.file, where.line, expression)
        name = r.reader(r.by_address[item.address]).tag("Name")
        if not name.known:
            return AttributeValue(name.value, where.file, where.line, expression)
        if name.value is None:  # the account shows an untagged subnet by its id, known only after apply
            return AttributeValue(Unknown(item.address, "an untagged subnet: its id is only known after apply"),
                                  where.file, where.line, expression)
        names.append(name.value)
    return AttributeValue(sorted(names, key=str), where.file, where.line, expression)


# ----- the account -------------------------------------------------------------

def _subnet_names_by_id(reader: AwsReader, region: str) -> Any:
    try:
        return {s["SubnetId"]: tag_map(s.get("Tags")).get("Name") for s in list_subnets(reader, region)}
    except AwsReadError as error:
        return FailedLookup(error)


def _live_subnets(lb: dict, names: Any) -> Any:
    ids = [zone["SubnetId"] for zone in lb.get("AvailabilityZones") or [] if zone.get("SubnetId")]
    if isinstance(names, FailedLookup):
        return names.get(None)
    return sorted(names.get(i) or i for i in ids)


def _deletion_protection(reader: AwsReader, region: str, arn: str) -> Any:
    attributes = detail(lambda: reader.call("elbv2", region, "describe_load_balancer_attributes",
                                            LoadBalancerArn=arn)["Attributes"])
    if isinstance(attributes, Unreadable):
        return attributes
    found = {a.get("Key"): a.get("Value") for a in attributes}
    value = found.get("deletion_protection.enabled")
    return None if value is None else value == "true"


def load_balancers(reader: AwsReader, region: str) -> list[Resource]:
    balancers = reader.paginate("elbv2", region, "describe_load_balancers", "LoadBalancers")
    subnets = _subnet_names_by_id(reader, region) if balancers else {}
    groups = group_names_by_id(reader, region) if balancers else {}
    return [live_resource("load_balancer", region, lb["LoadBalancerArn"], name=lb["LoadBalancerName"],
                          type=lb.get("Type"), scheme=lb.get("Scheme"), subnets=_live_subnets(lb, subnets),
                          security_groups=names_of_group_ids(lb.get("SecurityGroups") or [], groups),
                          deletion_protection=_deletion_protection(reader, region, lb["LoadBalancerArn"]))
            for lb in balancers]


KIND = declare_kind(
    "load_balancer", "regional", "An Elastic Load Balancing v2 load balancer.",
    attributes={
        "name": (STR, "load balancer name"),
        "type": (STR, "application, network or gateway"),
        "scheme": (STR, "internet-facing or internal"),
        "subnets": (STR_LIST, "Name tags of its subnets, sorted (an untagged subnet by its id)"),
        "security_groups": (STR_LIST, "names of its security groups, sorted"),
        "deletion_protection": (BOOL, "deletion protection is on (Terraform's default: false)"),
    },
    terraform={"aws_lb": load_balancer, "aws_alb": load_balancer},
    service="elbv2", collect=load_balancers,
    reads={"elbv2": {"DescribeLoadBalancers": "elasticloadbalancing:DescribeLoadBalancers",
                     "DescribeLoadBalancerAttributes": "elasticloadbalancing:DescribeLoadBalancerAttributes"},
           "ec2": {"DescribeSubnets": "ec2:DescribeSubnets", "DescribeSecurityGroups": "ec2:DescribeSecurityGroups"}},
)
