"""ARNs both collectors read (and the AWS collectors build) the same way, in any partition."""

from __future__ import annotations

import re

_RDS_INSTANCE = re.compile(r"^arn:aws[a-z-]*:rds:(?P<region>[a-z0-9-]+):\d*:db:(?P<id>.+)$")


def rds_instance(arn: str) -> tuple[str, str] | None:
    """(identifier, region) of an RDS DB instance ARN, or None for anything else.

    >>> rds_instance("arn:aws:rds:eu-west-1:111122223333:db:main-db")
    ('main-db', 'eu-west-1')
    """
    match = _RDS_INSTANCE.match(arn)
    return (match["id"], match["region"]) if match else None


def region(arn: object) -> str | None:
    """The region field of any ARN, or None when ``arn`` is not one (or names no region).

    >>> region("arn:aws:kms:eu-west-1:111122223333:key/1234")
    'eu-west-1'
    """
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[3] or None if len(parts) > 4 and parts[0] == "arn" else None


def s3_bucket(partition: str, name: str) -> str:
    """The ARN of bucket ``name`` in ``partition`` (aws, aws-cn, aws-us-gov).

    >>> s3_bucket("aws-cn", "logs")
    'arn:aws-cn:s3:::logs'
    """
    return f"arn:{partition}:s3:::{name}"


#: kinds whose live address is an id, not an ARN: (ARN service, resource part, global) to build one
_ID_ADDRESSED = {
    "vpc": ("ec2", "vpc/{id}", False),
    "subnet": ("ec2", "subnet/{id}", False),
    "nat_gateway": ("ec2", "natgateway/{id}", False),
    "internet_gateway": ("ec2", "internet-gateway/{id}", False),
    "route_table": ("ec2", "route-table/{id}", False),
    "security_group": ("ec2", "security-group/{id}", False),
    "launch_template": ("ec2", "launch-template/{id}", False),
    "ec2_key_pair": ("ec2", "key-pair/{id}", False),
    "cognito_user_pool": ("cognito-idp", "userpool/{id}", False),
    "route53_zone": ("route53", "hostedzone/{id}", True),
    "route53_health_check": ("route53", "healthcheck/{id}", True),
}

#: ARN services (or ``service:resource type``) whose resources no Tagging API listing is known to
#: hold, and why: AWS documents the first two; a global database is in no one region's listing
NOT_LISTED_BY_TAGGING_API = {
    "iam": "the Resource Groups Tagging API does not list IAM roles and users (GetResources leaves them out)",
    "autoscaling": "the Resource Groups Tagging API returns nothing for Auto Scaling groups",
    "rds:global-cluster": "an Aurora global database belongs to no region, and the Tagging API lists one "
                          "region's resources",
}


def tagging_api_gap(arn: str) -> str | None:
    """Why the Tagging API's listing cannot tell ``arn``'s tags, or None when it can.

    >>> tagging_api_gap("arn:aws:iam::111122223333:role/app").split(" (")[0]
    'the Resource Groups Tagging API does not list IAM roles and users'
    >>> tagging_api_gap("arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-1") is None
    True
    """
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    resource_type = parts[5].split("/")[0]
    return NOT_LISTED_BY_TAGGING_API.get(parts[2]) or NOT_LISTED_BY_TAGGING_API.get(f"{parts[2]}:{resource_type}")


def of_resource(kind: str, address: str, partition: str, account: str | None, region: str | None) -> str | None:
    """The ARN of a live resource of ``kind`` at ``address``: the address itself when it is an ARN,
    else one built from the id (regional ones need ``account`` and ``region``); None when neither.

    >>> of_resource("vpc", "vpc-1", "aws", "111122223333", "eu-west-1")
    'arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-1'
    >>> of_resource("route53_zone", "/hostedzone/Z1", "aws", None, None)
    'arn:aws:route53:::hostedzone/Z1'
    """
    if address.startswith("arn:"):
        return address
    if kind not in _ID_ADDRESSED:
        return None
    service, resource, is_global = _ID_ADDRESSED[kind]
    identifier = address.rstrip("/").split("/")[-1]
    if is_global:
        return f"arn:{partition}:{service}:::{resource.format(id=identifier)}"
    if not account or not region:
        return None
    return f"arn:{partition}:{service}:{region}:{account}:{resource.format(id=identifier)}"


def service(arn: object) -> str | None:
    """The service field of an ARN (``ec2``, ``iam``), or None when ``arn`` is not one.

    >>> service("arn:aws:iam::111122223333:role/app")
    'iam'
    """
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[2] or None if len(parts) > 4 and parts[0] == "arn" else None
