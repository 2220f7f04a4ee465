"""The ``route53_health_check`` kind. A Route 53 health check.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import GLOBAL, detail, first_reason, live_resource, name_without_dot, out_of_service, tag_map
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource, Unreadable
from dr_audit.kinds.spec import INT, STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, value_without_dot


# ----- Terraform ---------------------------------------------------------------

#: Route 53 health-check types that check an endpoint (the others watch checks, alarms or controls)
_ENDPOINT_CHECKS = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")


def route53_health_check(r: Reader) -> dict:
    """Defaults by type: AWS documents RequestInterval 30 and FailureThreshold 3 when
    unset, neither for RECOVERY_CONTROL; port and fqdn belong to endpoint checks only."""
    type_ = r.arg("type")
    attributes = {"name": r.tag("Name"), "type": type_,
                  "fqdn": value_without_dot(r.arg("fqdn", None)),
                  "port": r.arg("port", unset_reason="not set: the API reference documents no default port"),
                  "resource_path": r.arg("resource_path", None),
                  "request_interval": r.arg("request_interval", 30),
                  "failure_threshold": r.arg("failure_threshold", 3)}
    if not type_.known:
        for name in ("port", "request_interval", "failure_threshold"):
            if r.given(name) is None:
                attributes[name] = type_
        return attributes
    kind = str(type_.value).upper()
    if kind not in _ENDPOINT_CHECKS:
        for name in ("fqdn", "port", "resource_path"):
            attributes[name] = r.at_block(None, f"not applicable to type {kind}")
    if kind in ("CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL"):
        for name in ("request_interval", "failure_threshold"):
            attributes[name] = r.at_block(None, f"not applicable to type {kind}")
    return attributes


# ----- the account -------------------------------------------------------------

def route53_health_checks(reader: AwsReader, region: str) -> list[Resource]:
    checks = reader.paginate("route53", reader.global_region, "list_health_checks", "HealthChecks")
    names: dict[str, Any] = {}
    ids = [c["Id"] for c in checks]
    for start in range(0, len(ids), 10):  # ListTagsForResources takes at most 10 ids
        batch = ids[start:start + 10]
        tagged = detail(lambda: reader.call("route53", reader.global_region, "list_tags_for_resources",
                                             ResourceType="healthcheck", ResourceIds=batch)["ResourceTagSets"])
        for check_id in batch:
            names[check_id] = tagged
        if not isinstance(tagged, Unreadable):
            for tag_set in tagged:
                names[tag_set["ResourceId"]] = tag_map(tag_set.get("Tags")).get("Name")
    found = []
    for check in checks:
        config = check.get("HealthCheckConfig") or {}
        not_serving = first_reason(out_of_service("route53_health_check.disabled", bool(config.get("Disabled"))),
                                   out_of_service("route53_health_check.inverted", bool(config.get("Inverted"))))
        found.append(live_resource("route53_health_check", GLOBAL, check["Id"], not_serving=not_serving,
                                   name=names.get(check["Id"]),
                                   type=config.get("Type"), fqdn=name_without_dot(config.get("FullyQualifiedDomainName")),
                                   port=config.get("Port"), resource_path=config.get("ResourcePath"),
                                   request_interval=config.get("RequestInterval"),
                                   failure_threshold=config.get("FailureThreshold")))
    return found


KIND = declare_kind(
    "route53_health_check", "global", "A Route 53 health check.",
    attributes={
        "name": (STR, "the Name tag"),
        "type": (STR, "HTTP, HTTPS, TCP, ..."),
        "fqdn": (STR, "checked host name"),
        "port": (INT, "checked port"),
        "resource_path": (STR, "checked path"),
        "request_interval": (INT, "seconds between checks"),
        "failure_threshold": (INT, "consecutive failures before unhealthy"),
    },
    terraform={"aws_route53_health_check": route53_health_check},
    service="route53", collect=route53_health_checks,
    reads={
        "route53": {"ListHealthChecks": "route53:ListHealthChecks",
                    "ListTagsForResources": "route53:ListTagsForResources"},
    },
    states={
        "route53_health_check.disabled": StateRule(
            "Disabled", frozenset({False}), "Route 53 considers a disabled health check always healthy"),
        "route53_health_check.inverted": StateRule(
            "Inverted", frozenset({False}), "an inverted health check is healthy when its endpoint fails"),
    },
)
