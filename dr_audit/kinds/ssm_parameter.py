"""The ``ssm_parameter`` kind. A Systems Manager parameter: its name and type, never its value.

Its attributes, how Terraform declares it and how the account is read.
DescribeParameters lists metadata only; the audit never calls GetParameter
and never maps the ``value`` argument, so no value reaches a report.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def ssm_parameter(r: Reader) -> dict:
    """``aws_ssm_parameter``: name and type (String, StringList or SecureString)."""
    return {"name": r.arg("name"), "type": r.arg("type")}


# ----- the account -------------------------------------------------------------

def ssm_parameters(reader: AwsReader, region: str) -> list[Resource]:
    """Every parameter DescribeParameters returns in ``region`` (every page)."""
    return [live_resource("ssm_parameter", region, parameter.get("ARN") or parameter["Name"],
                          name=parameter["Name"], type=parameter.get("Type"))
            for parameter in reader.paginate("ssm", region, "describe_parameters", "Parameters")]


KIND = declare_kind(
    "ssm_parameter", "regional", "A Systems Manager parameter (name and type; its value is never read).",
    attributes={
        "name": (STR, "parameter name, e.g. /shared/rds/dr/endpoint"),
        "type": (STR, "String, StringList or SecureString"),
    },
    terraform={"aws_ssm_parameter": ssm_parameter},
    service="ssm", collect=ssm_parameters,
    reads={"ssm": {"DescribeParameters": "ssm:DescribeParameters"}},
)
