"""The ``ec2_image`` kind. An AMI the account owns.

Its attributes, how Terraform declares it and how the account is read. Only
an ``available`` image can launch instances: a pending, failed or
deregistered one is kept but meets no row.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def image(r: Reader) -> dict:
    return {"name": r.arg("name"), "description": r.arg("description", None)}


# ----- the account -------------------------------------------------------------

def images(reader: AwsReader, region: str) -> list[Resource]:
    # an AMI's ARN names its region but no account
    return [live_resource("ec2_image", region, f"arn:{reader.partition}:ec2:{region}::image/{found['ImageId']}",
                          not_serving=out_of_service("ec2_image", found.get("State")),
                          name=found.get("Name"), description=found.get("Description"))
            for found in reader.paginate("ec2", region, "describe_images", "Images", Owners=["self"])]


KIND = declare_kind(
    "ec2_image", "regional", "An AMI the account owns (Owners=self).",
    attributes={
        "name": (STR, "AMI name"),
        "description": (STR, "AMI description (null: none)"),
    },
    terraform={"aws_ami": image, "aws_ami_copy": image, "aws_ami_from_instance": image},
    service="ec2", collect=images,
    reads={"ec2": {"DescribeImages": "ec2:DescribeImages"}},
    states={"ec2_image": StateRule("State", frozenset({"available"}),
                                   "only an available image launches instances (pending, failed, deregistered ...)")},
)
