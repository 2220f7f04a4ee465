"""The ``ecs_service`` kind. An ECS service.

Its attributes, how Terraform declares it and how the account is read.
Only an ACTIVE service keeps its tasks running (state rule): a DRAINING or
INACTIVE (deleted) one meets no row.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import detail, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.ecs_cluster import cluster_name, describe_failure
from dr_audit.kinds.spec import INT, STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Ref

#: DescribeServices takes at most 10 services a call (ECS API reference)
DESCRIBE_BATCH = 10


# ----- Terraform ---------------------------------------------------------------

def ecs_service(r: Reader) -> dict:
    """``aws_ecs_service``: desired_count defaults to 0; launch_type to EC2 unless a
    capacity_provider_strategy block chooses the capacity instead (then none)."""
    return {"name": r.arg("name"), "cluster": _cluster(r), "desired_count": r.arg("desired_count", 0),
            "launch_type": _launch_type(r)}


def _cluster(r: Reader) -> AttributeValue:
    """The cluster's name: a declared aws_ecs_cluster's, or the name in an ARN or name written."""
    evidence = r.given("cluster")
    if evidence is None:
        return r.at_block("default", "cluster not set: ECS uses the default cluster")
    if isinstance(evidence.value, Ref):
        return r.linked("cluster", lambda cluster: cluster.arg("name"))
    if isinstance(evidence.value, str):
        return AttributeValue(cluster_name(evidence.value), evidence.file, evidence.line, evidence.expression)
    return AttributeValue(evidence.value, evidence.file, evidence.line, evidence.expression)


def _launch_type(r: Reader) -> AttributeValue:
    if r.given("launch_type") is not None or not r.blocks("capacity_provider_strategy"):
        return r.arg("launch_type", "EC2")
    return r.at_block(None, "a capacity_provider_strategy chooses the capacity: no launch type")


# ----- the account -------------------------------------------------------------

def ecs_services(reader: AwsReader, region: str) -> list[Resource]:
    """Every service of every cluster: ListServices (every page) per cluster, then
    DescribeServices 10 at a time."""
    found = []
    for cluster in reader.paginate("ecs", region, "list_clusters", "clusterArns"):
        arns = reader.paginate("ecs", region, "list_services", "serviceArns", cluster=cluster)
        for start in range(0, len(arns), DESCRIBE_BATCH):
            found += _described(reader, region, cluster, arns[start:start + DESCRIBE_BATCH])
    return found


def _described(reader: AwsReader, region: str, cluster: str, batch: list[str]) -> list[Resource]:
    described = detail(lambda: reader.call("ecs", region, "describe_services", cluster=cluster, services=batch))
    by_arn = {} if isinstance(described, Unreadable) else {s["serviceArn"]: s for s in described.get("services") or []}
    found = []
    for arn in batch:
        service = by_arn.get(arn)
        if service is None:  # the batch could not be read, or ECS reported this one as a failure
            why: Any = described if isinstance(described, Unreadable) else Unreadable(
                "ecs:DescribeServices", describe_failure(described, arn))
            found.append(live_resource("ecs_service", region, arn, name=arn.rsplit("/", 1)[-1],
                                       cluster=cluster_name(cluster), desired_count=why, launch_type=why))
            continue
        found.append(live_resource("ecs_service", region, arn,
                                   not_serving=out_of_service("ecs_service", service.get("status")),
                                   name=service.get("serviceName"), cluster=cluster_name(service.get("clusterArn") or cluster),
                                   desired_count=service.get("desiredCount"), launch_type=service.get("launchType")))
    return found


KIND = declare_kind(
    "ecs_service", "regional", "An ECS service.",
    attributes={
        "name": (STR, "service name"),
        "cluster": (STR, "name of its cluster"),
        "desired_count": (INT, "tasks the service keeps running"),
        "launch_type": (STR, "EC2, FARGATE or EXTERNAL; none when a capacity provider strategy chooses"),
    },
    terraform={"aws_ecs_service": ecs_service},
    service="ecs", collect=ecs_services,
    reads={"ecs": {"ListClusters": "ecs:ListClusters", "ListServices": "ecs:ListServices",
                   "DescribeServices": "ecs:DescribeServices"}},
    states={
        # ECS's service states: ACTIVE runs tasks; DRAINING is being deleted, INACTIVE was deleted
        "ecs_service": StateRule("status", frozenset({"ACTIVE"}), "only an ACTIVE service keeps its tasks running"),
    },
)
