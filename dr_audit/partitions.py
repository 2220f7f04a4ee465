"""AWS partitions (aws, aws-cn, aws-us-gov, ...) from botocore's endpoint data.

One reader of ``endpoints.json`` for the whole audit: which partition a region
or an ARN belongs to, every region name, and where a partition's global
services answer. Nothing here is a hand-made table.
"""

from __future__ import annotations

import functools
import re

import botocore.loaders


@functools.lru_cache(maxsize=1)
def partitions() -> tuple[dict, ...]:
    """botocore's partition records: ``partition``, ``dnsSuffix``, ``regionRegex``, ``regions``, ``services``."""
    return tuple(botocore.loaders.create_loader().load_data("endpoints")["partitions"])


def partition_record(region: str) -> dict | None:
    """The partition record of ``region``: one that lists it, else one whose region pattern matches it."""
    listed = next((p for p in partitions() if region in p.get("regions", {})), None)
    return listed or next((p for p in partitions() if re.match(p["regionRegex"], region)), None)


def partition_of_region(region: str) -> str | None:
    """The AWS partition ``region`` belongs to (``cn-north-1`` -> ``aws-cn``); None for no AWS region."""
    record = partition_record(region)
    return record["partition"] if record is not None else None


def partition_of_arn(arn: str) -> str:
    """The partition an ARN names: ``arn:aws-us-gov:iam::...`` -> ``aws-us-gov``."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[1]:
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[1]


@functools.lru_cache(maxsize=1)
def aws_regions() -> frozenset[str]:
    """Every region botocore's endpoint data names, in every partition."""
    return frozenset(region for p in partitions() for region in p.get("regions", {}))


@functools.lru_cache(maxsize=None)
def global_region_of(partition: str) -> str:
    """Where ``partition``'s global services answer: the signing region of its Route 53 endpoint
    (aws: us-east-1, aws-cn: cn-northwest-1, aws-us-gov: us-gov-west-1).

    Route 53 and CloudFront sign there in every partition. IAM differs in aws-cn
    (cn-north-1), but botocore sends IAM calls from any region of a partition to
    the partition's IAM endpoint, so one region serves every global collector.
    """
    for data in partitions():
        if data["partition"] != partition:
            continue
        route53 = data.get("services", {}).get("route53", {})
        global_endpoint = route53.get("endpoints", {}).get(route53.get("partitionEndpoint", ""), {})
        scope = global_endpoint.get("credentialScope", {}).get("region")
        return scope or sorted(data["regions"])[0]
    raise ValueError(f"unknown AWS partition {partition!r}")
