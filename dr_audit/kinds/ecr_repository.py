"""The ``ecr_repository`` kind. An ECR repository.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def ecr_repository(r: Reader) -> dict:
    return {"name": r.arg("name"), "image_tag_mutability": r.arg("image_tag_mutability", "MUTABLE")}


# ----- the account -------------------------------------------------------------

def ecr_repositories(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("ecr_repository", region, repo.get("repositoryArn", repo["repositoryName"]),
                          name=repo["repositoryName"], image_tag_mutability=repo.get("imageTagMutability"))
            for repo in reader.paginate("ecr", region, "describe_repositories", "repositories")]


KIND = declare_kind(
    "ecr_repository", "regional", "An ECR repository.",
    attributes={
        "name": (STR, "repository name"),
        "image_tag_mutability": (STR, "MUTABLE or IMMUTABLE"),
    },
    terraform={"aws_ecr_repository": ecr_repository},
    service="ecr", collect=ecr_repositories,
    reads={"ecr": {"DescribeRepositories": "ecr:DescribeRepositories"}},
)
