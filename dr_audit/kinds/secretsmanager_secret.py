"""The ``secretsmanager_secret`` kind. A Secrets Manager secret.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import counted_regions, detail, live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given, plain


# ----- Terraform ---------------------------------------------------------------

def secretsmanager_secret(r: Reader) -> dict:
    # the AWS provider has no separate secret replica resource: replica blocks are the only place
    replicas = r.blocks("replica")
    regions = [e for e in (given(b, "region") for b in replicas) if e is not None]
    return {"name": r.arg("name", unset_reason="not set: name_prefix or generated"),
            "replica_regions": AttributeValue([plain(e.value, e.expression) for e in regions],
                                              regions[0].file if regions else r.instance.file,
                                              regions[0].line if regions else r.instance.line,
                                              regions[0].expression if regions else None,
                                              None if regions else "no replica block with a region")}


# ----- the account -------------------------------------------------------------

def secrets(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for secret in reader.paginate("secretsmanager", region, "list_secrets", "SecretList"):
        if secret.get("PrimaryRegion") not in (None, region):
            continue  # a replica: it belongs to its primary region's inventory
        described = detail(lambda: reader.call("secretsmanager", region, "describe_secret", SecretId=secret["ARN"]))
        replicas = described if isinstance(described, Unreadable) else counted_regions(
            [(r["Region"], r.get("Status")) for r in described.get("ReplicationStatus") or []],
            "secretsmanager_secret.replica")
        found.append(live_resource("secretsmanager_secret", region, secret["ARN"], name=secret["Name"],
                                   replica_regions=replicas))
    return found


KIND = declare_kind(
    "secretsmanager_secret", "regional", "A Secrets Manager secret.",
    attributes={
        "name": (STR, "secret name"),
        "replica_regions": (STR_LIST, "regions the secret is replicated to"),
    },
    terraform={"aws_secretsmanager_secret": secretsmanager_secret},
    service="secretsmanager", collect=secrets,
    reads={
        "secretsmanager": {"ListSecrets": "secretsmanager:ListSecrets",
                           "DescribeSecret": "secretsmanager:DescribeSecret"},
    },
    states={
        "secretsmanager_secret.replica": StateRule("ReplicationStatus.Status", frozenset({"InSync"})),
    },
)
