"""The ``ecs_cluster`` kind. An ECS cluster.

Its attributes, how Terraform declares it and how the account is read.
Only an ACTIVE cluster runs services (state rule): one PROVISIONING,
DEPROVISIONING, FAILED or INACTIVE (deleted) meets no row.
"""

from __future__ import annotations

from dr_audit.aws.collecting import detail, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource, Unreadable
from dr_audit.kinds.spec import STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader

#: DescribeClusters takes at most 100 clusters a call (ECS API reference)
DESCRIBE_BATCH = 100


# ----- Terraform ---------------------------------------------------------------

def ecs_cluster(r: Reader) -> dict:
    """``aws_ecs_cluster``: what the code declares is an ACTIVE cluster once applied."""
    return {"name": r.arg("name"), "status": r.at_block("ACTIVE", "a declared cluster is ACTIVE once applied")}


# ----- the account -------------------------------------------------------------

def cluster_name(arn: str) -> str:
    """``arn:aws:ecs:r:a:cluster/orders`` -> ``orders`` (a bare name stays)."""
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]


def ecs_clusters(reader: AwsReader, region: str) -> list[Resource]:
    """Every cluster ListClusters returns (every page), described 100 at a time."""
    arns = reader.paginate("ecs", region, "list_clusters", "clusterArns")
    found = []
    for start in range(0, len(arns), DESCRIBE_BATCH):
        batch = arns[start:start + DESCRIBE_BATCH]
        described = detail(lambda: reader.call("ecs", region, "describe_clusters", clusters=batch))
        by_arn = {} if isinstance(described, Unreadable) else {c["clusterArn"]: c for c in described.get("clusters") or []}
        for arn in batch:
            cluster = by_arn.get(arn)
            if cluster is None:  # the batch could not be read, or ECS reported this one as a failure
                why = described if isinstance(described, Unreadable) else Unreadable(
                    "ecs:DescribeClusters", describe_failure(described, arn))
                found.append(live_resource("ecs_cluster", region, arn, name=cluster_name(arn), status=why))
                continue
            found.append(live_resource("ecs_cluster", region, arn,
                                       not_serving=out_of_service("ecs_cluster", cluster.get("status")),
                                       name=cluster.get("clusterName"), status=cluster.get("status")))
    return found


def describe_failure(described: dict, arn: str) -> str:
    """Why an ECS Describe* response left ``arn`` out: its ``failures`` entry's reason, with the ARN."""
    reasons = [f.get("reason") for f in described.get("failures") or [] if f.get("arn") == arn]
    return f"{arn}: {reasons[0] if reasons else 'not described'}"


KIND = declare_kind(
    "ecs_cluster", "regional", "An ECS cluster.",
    attributes={
        "name": (STR, "cluster name"),
        "status": (STR, "ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE"),
    },
    terraform={"aws_ecs_cluster": ecs_cluster},
    service="ecs", collect=ecs_clusters,
    reads={"ecs": {"ListClusters": "ecs:ListClusters", "DescribeClusters": "ecs:DescribeClusters"}},
    states={
        # ECS's cluster states: only ACTIVE accepts tasks and services; INACTIVE is a deleted cluster
        "ecs_cluster": StateRule("status", frozenset({"ACTIVE"}), "only an ACTIVE cluster runs services"),
    },
)
