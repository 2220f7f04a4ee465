"""What every live collector shares: building a Resource, detail reads, state rules, lookups.

A collector (one per kind, in its kind module) lists the kind in one region
through the shared :class:`AwsReader` and returns :class:`Resource` objects
with the same attribute names and types the Terraform mappings produce. A
detail read that fails makes only that attribute :class:`Unreadable`
(:func:`detail`); a failed list read raises, and the orchestrator marks the
whole (kind, region) unreadable. A resource in a state that does not serve
(failed, transitional, disabled: its kind's ``states``) is kept, with
``out_of_service`` saying why, and selection never counts it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable

#: the read plan's region for global kinds when no reader is at hand; collectors
#: send global reads to ``reader.global_region`` (the partition's, set from STS)
GLOBAL_REGION = "us-east-1"
#: the region of a global kind's resources
GLOBAL = "global"


def out_of_service(thing: str, state: Any) -> str | None:
    """Why ``thing`` in ``state`` does not count (per its kind's state rules), or None when it does.

    >>> out_of_service("eks_node_group", "CREATE_FAILED")
    'status CREATE_FAILED'
    >>> out_of_service("eks_node_group", "ACTIVE") is None
    True
    """
    from dr_audit.kinds.registry import state_rules  # the registry imports every kind, which imports this

    rule = state_rules()[thing]
    if state in rule.counts:
        return None
    shown = str(state).lower() if isinstance(state, bool) else state if state is not None else "not reported"
    return f"{rule.field} {shown}" + (f": {rule.why}" if rule.why else "")


def first_reason(*reasons: str | None) -> str | None:
    return next((r for r in reasons if r), None)


def counted_regions(states: list[tuple[str, Any]], thing: str) -> AttributeValue:
    """The regions whose replica state counts, with a note naming every replica left out.

    In: (region, state) pairs. ``[("b", "ACTIVE"), ("c", "CREATING")]`` -> ``["b"]``,
    noted "replicas not counted: c (ReplicaStatus CREATING)".
    """
    counted = sorted(region for region, state in states if out_of_service(thing, state) is None)
    left_out = sorted(f"{region} ({out_of_service(thing, state)})" for region, state in states
                      if out_of_service(thing, state) is not None)
    return AttributeValue(counted, note=f"replicas not counted: {', '.join(left_out)}" if left_out else None)


def tag_map(items: list | None, key: str = "Key", value: str = "Value") -> dict:
    return {t[key]: t[value] for t in items or [] if key in t}


def iso_utc(moment: Any) -> str | None:
    """A botocore timestamp as ISO 8601 UTC text (``2027-01-31T00:00:00Z``); None stays None.

    Timestamp attributes are compared as this text, whatever time zone botocore parsed them in.
    """
    if not isinstance(moment, datetime):
        return moment
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def live_resource(kind: str, region: Any, address: str, not_serving: str | None = None,
                  **attributes: Any) -> Resource:
    """A live resource; ``not_serving`` (from :func:`out_of_service`) keeps it from meeting rows."""
    return Resource(kind, "aws", address, region,
                    {name: v if isinstance(v, AttributeValue) else AttributeValue(v) for name, v in attributes.items()},
                    out_of_service=not_serving)


def unreadable(error: AwsReadError) -> Unreadable:
    return Unreadable(f"{error.service}:{error.operation}", str(error))


def detail(read: Callable[[], Any]) -> Any:
    """A per-resource detail read; a failure becomes an Unreadable value."""
    try:
        return read()
    except AwsReadError as error:
        return unreadable(error)


def name_without_dot(name: str | None) -> str | None:
    return name.rstrip(".").lower() if isinstance(name, str) else name


def vpc_names(reader: AwsReader, region: str) -> dict[str, Any]:
    """VPC id -> Name tag in ``region`` (Unreadable when the VPC list fails)."""
    try:
        vpcs = reader.paginate("ec2", region, "describe_vpcs", "Vpcs")
    except AwsReadError as error:
        return FailedLookup(error)
    return {v["VpcId"]: tag_map(v.get("Tags")).get("Name") for v in vpcs}


class FailedLookup(dict):
    """A lookup table whose source read failed: every lookup is Unreadable."""

    def __init__(self, error: AwsReadError):
        super().__init__()
        self.error = error

    def get(self, key, default=None):
        return unreadable(self.error)


def list_subnets(reader: AwsReader, region: str) -> list[dict]:
    return reader.paginate("ec2", region, "describe_subnets", "Subnets")


def hosted_zones(reader: AwsReader) -> list[dict]:
    return reader.paginate("route53", reader.global_region, "list_hosted_zones", "HostedZones")
