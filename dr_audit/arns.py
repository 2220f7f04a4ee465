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
