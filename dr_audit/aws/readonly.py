"""The read-only allowlist, enforced on every client before a request is built.

``READ_OPERATIONS`` maps each (service, operation) the collectors may call to
the IAM action it needs; anything else is refused by :func:`guard` with
:class:`ReadOnlyViolation` before botocore serializes or sends it. The same
table is what ``policies/iam/`` must grant, so a test can compare the two.
"""

from __future__ import annotations

from typing import Any

#: service -> {botocore operation name: IAM action}
READ_OPERATIONS: dict[str, dict[str, str]] = {
    "sts": {"GetCallerIdentity": "sts:GetCallerIdentity"},
    "ec2": {"DescribeVpcs": "ec2:DescribeVpcs", "DescribeVpcAttribute": "ec2:DescribeVpcAttribute",
            "DescribeSubnets": "ec2:DescribeSubnets", "DescribeNatGateways": "ec2:DescribeNatGateways",
            "DescribeInternetGateways": "ec2:DescribeInternetGateways",
            "DescribeRouteTables": "ec2:DescribeRouteTables"},
    "eks": {"ListClusters": "eks:ListClusters", "DescribeCluster": "eks:DescribeCluster",
            "ListNodegroups": "eks:ListNodegroups", "DescribeNodegroup": "eks:DescribeNodegroup"},
    "rds": {"DescribeDBInstances": "rds:DescribeDBInstances"},
    "dynamodb": {"ListTables": "dynamodb:ListTables", "DescribeTable": "dynamodb:DescribeTable",
                 "DescribeContinuousBackups": "dynamodb:DescribeContinuousBackups",
                 "ListGlobalTables": "dynamodb:ListGlobalTables",
                 "DescribeGlobalTable": "dynamodb:DescribeGlobalTable"},
    "s3": {"ListBuckets": "s3:ListAllMyBuckets", "GetBucketLocation": "s3:GetBucketLocation",
           "GetBucketVersioning": "s3:GetBucketVersioning",
           "GetBucketReplication": "s3:GetReplicationConfiguration"},
    "ecr": {"DescribeRepositories": "ecr:DescribeRepositories", "DescribeRegistry": "ecr:DescribeRegistry"},
    "secretsmanager": {"ListSecrets": "secretsmanager:ListSecrets",
                       "DescribeSecret": "secretsmanager:DescribeSecret"},
    "cloudfront": {"ListDistributions": "cloudfront:ListDistributions"},
    "route53": {"ListHostedZones": "route53:ListHostedZones",
                "ListResourceRecordSets": "route53:ListResourceRecordSets",
                "ListHealthChecks": "route53:ListHealthChecks",
                "ListTagsForResources": "route53:ListTagsForResources"},
    "acm": {"ListCertificates": "acm:ListCertificates"},
    "kms": {"ListAliases": "kms:ListAliases"},
    "cognito-idp": {"ListUserPools": "cognito-idp:ListUserPools"},
    "iam": {"ListRoles": "iam:ListRoles", "ListRolePolicies": "iam:ListRolePolicies",
            "GetRolePolicy": "iam:GetRolePolicy"},
    "autoscaling": {"DescribeAutoScalingGroups": "autoscaling:DescribeAutoScalingGroups"},
    "elasticache": {"DescribeReplicationGroups": "elasticache:DescribeReplicationGroups"},
    "cloudwatch": {"DescribeAlarms": "cloudwatch:DescribeAlarms"},
    "elbv2": {"DescribeLoadBalancers": "elasticloadbalancing:DescribeLoadBalancers",
              "DescribeTargetGroups": "elasticloadbalancing:DescribeTargetGroups"},
}

#: operations only the credential set-up may call (never a collector)
CREDENTIAL_OPERATIONS: dict[str, dict[str, str]] = {"sts": {"AssumeRole": "sts:AssumeRole"}}


class ReadOnlyViolation(RuntimeError):
    """A client was asked for an operation outside the read-only allowlist."""


def is_allowed(service: str, operation: str, allowlist: dict[str, dict[str, str]] = READ_OPERATIONS) -> bool:
    return operation in allowlist.get(service, {})


def iam_action(service: str, operation: str) -> str:
    """The IAM action an allowed operation needs: ('s3', 'ListBuckets') -> 's3:ListAllMyBuckets'."""
    for table in (READ_OPERATIONS, CREDENTIAL_OPERATIONS):
        if operation in table.get(service, {}):
            return table[service][operation]
    raise KeyError(f"{service}:{operation} is not an allowed operation")


def guard(client: Any, allowlist: dict[str, dict[str, str]] = READ_OPERATIONS) -> Any:
    """Make ``client`` refuse every operation outside ``allowlist``; returns the client.

    The check runs on botocore's ``before-parameter-build`` event, the first
    thing a call does, so a refused call is never serialized, signed or sent.
    """
    service = client.meta.service_model.service_name

    def refuse_writes(model, **_):
        if not is_allowed(service, model.name, allowlist):
            raise ReadOnlyViolation(f"{service}:{model.name} is not a read-only operation: refused before sending")

    client.meta.events.register("before-parameter-build", refuse_writes, unique_id="dr-audit-read-only")
    return client
