"""The ``eks_node_group`` kind. An EKS managed node group.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import INT, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given, plain, value_of
from dr_audit.terraform.values import Ref, Unknown, is_known


# ----- Terraform ---------------------------------------------------------------

def eks_node_group(r: Reader) -> dict:
    return {"name": r.arg("node_group_name", unset_reason="not set: a name is generated at apply time"),
            "cluster": r.arg("cluster_name"),
            "instance_types": _node_instance_types(r),
            "min_size": r.nested("scaling_config.min_size"),
            "max_size": r.nested("scaling_config.max_size"),
            "desired_size": r.nested("scaling_config.desired_size")}


_EKS_DEFAULT_INSTANCE_TYPES = ["t3.medium"]


def _node_instance_types(r: Reader) -> AttributeValue:
    """``instance_types``, else the launch template's ``instance_type``, else EKS's default."""
    written = r.given("instance_types")
    if written is not None:
        return value_of(written)
    templates = r.blocks("launch_template")
    if not templates:
        return r.at_block(_EKS_DEFAULT_INSTANCE_TYPES, "instance_types not set: provider default")
    reference = given(templates[0], "id") or given(templates[0], "name")
    if reference is None:
        return AttributeValue(Unknown(f"{r.instance.address}.launch_template", "names no launch template"),
                              r.instance.file, templates[0].line)
    template = _launch_template(r, reference.value)
    where = (reference.file, reference.line, reference.expression)
    if template is None:
        reason = getattr(reference.value, "reason", "the launch template is not declared in this code")
        return AttributeValue(Unknown(reference.expression or "launch_template", reason), *where)
    instance_type = template.given("instance_type")
    note = f"via {template.instance.address} ({template.instance.file}:{template.instance.line})"
    if instance_type is None:
        return AttributeValue(_EKS_DEFAULT_INSTANCE_TYPES, *where,
                              f"{note}: the launch template sets no instance_type: provider default")
    value = plain(instance_type.value, instance_type.expression)
    return AttributeValue([value] if is_known(value) else value, *where, note)


def _launch_template(r: Reader, value: Any) -> "Reader | None":
    """The declared ``aws_launch_template`` a reference or a literal name names, else None."""
    if isinstance(value, Ref):
        target = r.by_address.get(value.address)
        return r.reader(target) if target is not None and target.type == "aws_launch_template" else None
    if isinstance(value, str):
        for template in r.by_type.get("aws_launch_template", []):
            name = given(template, "name")
            if name is not None and name.value == value:
                return r.reader(template)
    return None


# ----- the account -------------------------------------------------------------

def eks_node_groups(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for cluster in reader.paginate("eks", region, "list_clusters", "clusters"):
        for name in reader.paginate("eks", region, "list_nodegroups", "nodegroups", clusterName=cluster):
            group = reader.call("eks", region, "describe_nodegroup", clusterName=cluster,
                                nodegroupName=name)["nodegroup"]
            scaling = group.get("scalingConfig") or {}
            found.append(live_resource("eks_node_group", region, group.get("nodegroupArn", name),
                                       not_serving=out_of_service("eks_node_group", group.get("status")), name=name,
                                       cluster=cluster, instance_types=list(group.get("instanceTypes") or []),
                                       min_size=scaling.get("minSize"), max_size=scaling.get("maxSize"),
                                       desired_size=scaling.get("desiredSize")))
    return found


KIND = declare_kind(
    "eks_node_group", "regional", "An EKS managed node group.",
    attributes={
        "name": (STR, "node group name"),
        "cluster": (STR, "cluster name"),
        "instance_types": (STR_LIST, "instance types"),
        "min_size": (INT, "scaling minimum"),
        "max_size": (INT, "scaling maximum"),
        "desired_size": (INT, "desired node count"),
    },
    terraform={"aws_eks_node_group": eks_node_group},
    service="eks", collect=eks_node_groups,
    reads={
        "eks": {"ListClusters": "eks:ListClusters", "ListNodegroups": "eks:ListNodegroups",
                "DescribeNodegroup": "eks:DescribeNodegroup"},
    },
    states={
        "eks_node_group": StateRule("status", frozenset({"ACTIVE"})),
    },
)
