"""The ``load_balancer`` kind. An Elastic Load Balancing v2 load balancer.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader, derived_from


# ----- Terraform ---------------------------------------------------------------

def load_balancer(r: Reader) -> dict:
    internal = r.arg("internal", False)
    return {"name": r.arg("name", unset_reason="not set: a name is generated at apply time"),
            "type": r.arg("load_balancer_type", "application"),
            "scheme": derived_from("internal" if internal.value else "internet-facing", internal)}


# ----- the account -------------------------------------------------------------

def load_balancers(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("load_balancer", region, lb["LoadBalancerArn"], name=lb["LoadBalancerName"],
                          type=lb.get("Type"), scheme=lb.get("Scheme"))
            for lb in reader.paginate("elbv2", region, "describe_load_balancers", "LoadBalancers")]


KIND = declare_kind(
    "load_balancer", "regional", "An Elastic Load Balancing v2 load balancer.",
    attributes={
        "name": (STR, "load balancer name"),
        "type": (STR, "application, network or gateway"),
        "scheme": (STR, "internet-facing or internal"),
    },
    terraform={"aws_lb": load_balancer, "aws_alb": load_balancer},
    service="elbv2", collect=load_balancers,
    reads={"elbv2": {"DescribeLoadBalancers": "elasticloadbalancing:DescribeLoadBalancers"}},
)
