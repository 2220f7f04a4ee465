"""The ``eks_cluster`` kind. An EKS cluster.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def eks_cluster(r: Reader) -> dict:
    configs = r.blocks("encryption_config")
    encrypted = any("secrets" in (c.get_attribute("resources") or []) for c in configs
                    if isinstance(c.get_attribute("resources"), list))
    return {"name": r.arg("name"),
            "version": r.arg("version", unset_reason="not set: AWS picks the default version at apply time"),
            "secrets_encrypted": AttributeValue(encrypted, r.instance.file,
                                                configs[0].line if configs else r.instance.line)}


# ----- the account -------------------------------------------------------------

def eks_clusters(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for name in reader.paginate("eks", region, "list_clusters", "clusters"):
        cluster = reader.call("eks", region, "describe_cluster", name=name)["cluster"]
        encrypted = any("secrets" in (c.get("resources") or []) for c in cluster.get("encryptionConfig") or [])
        found.append(live_resource("eks_cluster", region, cluster.get("arn", name), name=name,
                                   version=cluster.get("version"), secrets_encrypted=encrypted))
    return found


KIND = declare_kind(
    "eks_cluster", "regional", "An EKS cluster.",
    attributes={
        "name": (STR, "cluster name"),
        "version": (STR, "Kubernetes version, e.g. 1.33"),
        "secrets_encrypted": (BOOL, "envelope encryption of secrets with a KMS key"),
    },
    terraform={"aws_eks_cluster": eks_cluster},
    service="eks", collect=eks_clusters,
    reads={"eks": {"ListClusters": "eks:ListClusters", "DescribeCluster": "eks:DescribeCluster"}},
)
