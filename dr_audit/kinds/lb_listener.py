"""The ``lb_listener`` kind. A listener of an Elastic Load Balancing v2 load balancer.

Its attributes, how Terraform declares it and how the account is read. A
listener is selected by its load balancer's name and its port.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import detail, live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import INT, STR, declare_kind
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Ref, Unknown, is_known

#: ``terraform`` types of a certificate, and the argument that leads to its domain
_CERTIFICATE_TYPES = ("aws_acm_certificate", "aws_acm_certificate_validation")


# ----- shared by listeners and rules --------------------------------------------

def name_in_arn(arn: Any) -> Any:
    """``arn:...:loadbalancer/app/<name>/<id>`` or ``...:targetgroup/<name>/<id>`` -> ``<name>``."""
    if not isinstance(arn, str):
        return arn
    parts = arn.split(":")[-1].split("/")
    return parts[-2] if len(parts) >= 3 else arn


def forward_target_group(actions: list[dict]) -> Any:
    """The target group name(s) a ``forward`` action among ``actions`` sends to: one name, or the
    sorted names joined by commas when it weighs several; None without a forward action."""
    for action in sorted(actions, key=lambda a: a.get("Order") or 0):
        if action.get("Type") != "forward":
            continue
        arns = [action["TargetGroupArn"]] if action.get("TargetGroupArn") else [
            t["TargetGroupArn"] for t in (action.get("ForwardConfig") or {}).get("TargetGroups") or []]
        return ",".join(sorted(name_in_arn(a) for a in arns)) or None
    return None


def first_action_type(actions: list[dict]) -> Any:
    ordered = sorted(actions, key=lambda a: a.get("Order") or 0)
    return ordered[0].get("Type") if ordered else None


def declared_action(r: Reader, block_type: str) -> tuple[AttributeValue, AttributeValue]:
    """(action type, forward target group name) of the first ``block_type`` block (``default_action``,
    ``action``); the target group by its ``name`` in code, several weighted ones joined by commas."""
    blocks = sorted(r.blocks(block_type), key=lambda b: _order(b))
    if not blocks:
        none = r.at_block(None, f"no {block_type} block")
        return none, none
    first = blocks[0]
    kind = given(first, "type")
    kind_value = (AttributeValue(kind.value, kind.file, kind.line, kind.expression) if kind is not None
                  else AttributeValue(None, first.file, first.line))
    for block in blocks:
        written = given(block, "type")
        if written is None or written.value != "forward":
            continue
        direct = given(block, "target_group_arn")
        evidence = [direct] if direct is not None else [
            given(group, "arn") for forward in block.blocks("forward") for group in forward.blocks("target_group")]
        return kind_value, _target_group_names(r, [e for e in evidence if e is not None], block)
    return kind_value, AttributeValue(None, first.file, first.line, None, "no forward action")


def _order(block: Any) -> int:
    written = given(block, "order")
    return written.value if written is not None and isinstance(written.value, int) else 0


def _target_group_names(r: Reader, evidence: list, block: Any) -> AttributeValue:
    names = []
    for item in evidence:
        value = item.value
        if isinstance(value, Ref) and value.address in r.by_address:
            name = r.reader(r.by_address[value.address]).arg("name", unset_reason="a name is generated at apply time")
            if not name.known:
                return AttributeValue(name.value, item.file, item.line, item.expression)
            names.append(name.value)
        elif isinstance(value, str) and not isinstance(value, Ref) and is_known(value):
            names.append(name_in_arn(value))
        else:
            reason = getattr(value, "reason", None) or "a target group not declared in this code"
            return AttributeValue(Unknown(item.expression or "target_group_arn", reason), item.file, item.line,
                                  item.expression)
    where = evidence[0] if evidence else block
    return AttributeValue(",".join(sorted(names)) or None, where.file, where.line, getattr(where, "expression", None))


def listener_load_balancer(r: Reader) -> AttributeValue:
    """The name of the load balancer a listener's ``load_balancer_arn`` names."""
    written = r.given("load_balancer_arn")
    if written is not None and isinstance(written.value, str) and not isinstance(written.value, Ref):
        return AttributeValue(name_in_arn(written.value), written.file, written.line, written.expression)
    return r.linked("load_balancer_arn", lambda lb: lb.arg("name", unset_reason="a name is generated at apply time"))


# ----- Terraform ---------------------------------------------------------------

def lb_listener(r: Reader) -> dict:
    action_type, target_group = declared_action(r, "default_action")
    return {"load_balancer": listener_load_balancer(r), "port": r.arg("port", unset_reason="not set"),
            "protocol": _protocol(r), "default_action_type": action_type,
            "default_target_group": target_group, "certificate_domain": _certificate_domain(r)}


def _protocol(r: Reader) -> AttributeValue:
    """Unset: HTTP on an application load balancer (the provider's default), else Unknown."""
    if r.given("protocol") is not None:
        return r.arg("protocol")
    balancer, _ = r.follow("load_balancer_arn")
    if balancer is not None:
        kind = balancer.arg("load_balancer_type", "application")
        if kind.known and kind.value == "application":
            return r.at_block("HTTP", "protocol not set: provider default for an application load balancer")
    return r.at_block(Unknown(f"{r.instance.address}.protocol", "not set: depends on the load balancer type"),
                      "protocol not set")


def _certificate_domain(r: Reader) -> AttributeValue:
    """The domain of the listener's default certificate: followed to the aws_acm_certificate it names."""
    written = r.given("certificate_arn")
    if written is None:
        return r.at_block(None, "no certificate_arn")
    certificate, where = r.follow("certificate_arn")
    if certificate is not None and certificate.instance.address.startswith("aws_acm_certificate_validation."):
        certificate, _ = certificate.follow("certificate_arn")
    if certificate is None or not certificate.instance.address.startswith(_CERTIFICATE_TYPES[0] + "."):
        return AttributeValue(Unknown(written.expression or "certificate_arn",
                                      "a certificate not declared in this code: its domain is only in the account"),
                              written.file, written.line, written.expression)
    domain = certificate.arg("domain_name")
    return AttributeValue(domain.value, where.file, where.line, where.expression,
                          f"via {certificate.instance.address}")


# ----- the account -------------------------------------------------------------

def listeners_by_balancer(reader: AwsReader, region: str) -> list[tuple[dict, list[dict]]]:
    """(load balancer, its listeners) for every load balancer in ``region``, every page of both."""
    balancers = reader.paginate("elbv2", region, "describe_load_balancers", "LoadBalancers")
    return [(lb, reader.paginate("elbv2", region, "describe_listeners", "Listeners",
                                 LoadBalancerArn=lb["LoadBalancerArn"])) for lb in balancers]


def _domain(reader: AwsReader, region: str, listener: dict) -> Any:
    certificates = listener.get("Certificates") or []
    default = next((c for c in certificates if c.get("IsDefault")), certificates[0] if certificates else None)
    if not default or not default.get("CertificateArn"):
        return None
    arn = default["CertificateArn"]
    if ":acm:" not in arn:  # an IAM server certificate: no ACM domain to read
        return Unknown(arn, "an IAM server certificate, not an ACM one")
    found = detail(lambda: reader.call("acm", arn.split(":")[3] or region, "describe_certificate",
                                       CertificateArn=arn)["Certificate"])
    return found if isinstance(found, Unreadable) else found.get("DomainName")


def lb_listeners(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("lb_listener", region, listener["ListenerArn"], load_balancer=lb["LoadBalancerName"],
                          port=listener.get("Port"), protocol=listener.get("Protocol"),
                          default_action_type=first_action_type(listener.get("DefaultActions") or []),
                          default_target_group=forward_target_group(listener.get("DefaultActions") or []),
                          certificate_domain=_domain(reader, region, listener))
            for lb, listeners in listeners_by_balancer(reader, region) for listener in listeners]


KIND = declare_kind(
    "lb_listener", "regional", "A listener of an Elastic Load Balancing v2 load balancer.",
    attributes={
        "load_balancer": (STR, "name of its load balancer"),
        "port": (INT, "port it listens on"),
        "protocol": (STR, "HTTP, HTTPS, TCP, TLS, ... (Terraform's default on an application load balancer: HTTP)"),
        "default_action_type": (STR, "type of its first default action: forward, redirect, fixed-response, ..."),
        "default_target_group": (STR, "name of the target group its default forward action sends to (several: "
                                      "sorted, comma-separated; null: no forward action)"),
        "certificate_domain": (STR, "domain name of its default ACM certificate (null: none)"),
    },
    terraform={"aws_lb_listener": lb_listener, "aws_alb_listener": lb_listener},
    service="elbv2", collect=lb_listeners,
    reads={
        "elbv2": {"DescribeLoadBalancers": "elasticloadbalancing:DescribeLoadBalancers",
                  "DescribeListeners": "elasticloadbalancing:DescribeListeners"},
        "acm": {"DescribeCertificate": "acm:DescribeCertificate"},
    },
)
