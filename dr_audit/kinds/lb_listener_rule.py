"""The ``lb_listener_rule`` kind. A rule of a load balancer listener (not its default action).

Its attributes, how Terraform declares it and how the account is read. A rule
is selected by its listener, written ``<load balancer name>:<port>``, and its
priority.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.lb_listener import (declared_action, first_action_type, forward_target_group,
                                        listener_load_balancer, listeners_by_balancer)
from dr_audit.kinds.spec import INT, STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, derived_from, given
from dr_audit.terraform.values import Unknown, is_known


def listener_key(balancer: Any, port: Any) -> str:
    """How a rule names its listener: ``<load balancer name>:<port>``, e.g. ``web-alb:80``."""
    return f"{balancer}:{port}"


# ----- Terraform ---------------------------------------------------------------

def lb_listener_rule(r: Reader) -> dict:
    action_type, target_group = declared_action(r, "action")
    return {"listener": _listener(r), "priority": r.arg("priority", unset_reason="not set: AWS gives the next free "
                                                                                 "priority at apply time"),
            "path_patterns": _path_patterns(r), "action_type": action_type, "target_group": target_group}


def _listener(r: Reader) -> AttributeValue:
    listener, where = r.follow("listener_arn")
    if listener is None:
        return AttributeValue(Unknown(where.expression or "listener_arn",
                                      "a listener not declared in this code"), where.file, where.line, where.expression)
    balancer, port = listener_load_balancer(listener), listener.arg("port")
    return derived_from(listener_key(balancer.value, port.value), balancer, port)


def _path_patterns(r: Reader) -> AttributeValue:
    """Every value of the rule's ``path_pattern`` conditions, sorted ([] without one)."""
    values, where = [], None
    for condition in r.blocks("condition"):
        for pattern in condition.blocks("path_pattern"):
            written = given(pattern, "values")
            if written is None:
                continue
            if not is_known(written.value):
                return AttributeValue(Unknown(written.expression or "values", getattr(written.value, "reason", "")),
                                      written.file, written.line, written.expression)
            values += written.value if isinstance(written.value, list) else [written.value]
            where = where or written
    if where is None:
        return r.at_block([], "no path_pattern condition")
    return AttributeValue(sorted(values), where.file, where.line, where.expression)


# ----- the account -------------------------------------------------------------

def _live_path_patterns(conditions: list[dict]) -> list[str]:
    values = []
    for condition in conditions:
        if condition.get("Field") != "path-pattern":
            continue
        values += (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values") or []
    return sorted(set(values))


def lb_listener_rules(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for lb, listeners in listeners_by_balancer(reader, region):
        for listener in listeners:
            key = listener_key(lb["LoadBalancerName"], listener.get("Port"))
            for rule in reader.paginate("elbv2", region, "describe_rules", "Rules", ListenerArn=listener["ListenerArn"]):
                if rule.get("IsDefault"):  # the listener's default action: lb_listener.default_target_group
                    continue
                actions = rule.get("Actions") or []
                found.append(live_resource("lb_listener_rule", region, rule["RuleArn"], listener=key,
                                           priority=int(rule["Priority"]), path_patterns=_live_path_patterns(
                                               rule.get("Conditions") or []), action_type=first_action_type(actions),
                                           target_group=forward_target_group(actions)))
    return found


KIND = declare_kind(
    "lb_listener_rule", "regional", "A rule of a load balancer listener (not its default action).",
    attributes={
        "listener": (STR, "its listener, as <load balancer name>:<port>"),
        "priority": (INT, "rule priority (lower is evaluated first)"),
        "path_patterns": (STR_LIST, "values of its path-pattern conditions, sorted ([]: none)"),
        "action_type": (STR, "type of its first action: forward, redirect, fixed-response, ..."),
        "target_group": (STR, "name of the target group its forward action sends to (several: sorted, "
                              "comma-separated; null: no forward action)"),
    },
    terraform={"aws_lb_listener_rule": lb_listener_rule, "aws_alb_listener_rule": lb_listener_rule},
    service="elbv2", collect=lb_listener_rules,
    reads={
        "elbv2": {"DescribeLoadBalancers": "elasticloadbalancing:DescribeLoadBalancers",
                  "DescribeListeners": "elasticloadbalancing:DescribeListeners",
                  "DescribeRules": "elasticloadbalancing:DescribeRules"},
    },
)
