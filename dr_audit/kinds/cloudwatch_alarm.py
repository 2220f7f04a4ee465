"""The ``cloudwatch_alarm`` kind. A CloudWatch metric alarm.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, INT, MAP, NUMBER, STR, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def cloudwatch_alarm(r: Reader) -> dict:
    actions = r.arg("alarm_actions", [])
    return {"name": r.arg("alarm_name"), "namespace": r.arg("namespace", None),
            "metric_name": r.arg("metric_name", None),
            "comparison_operator": r.arg("comparison_operator"), "threshold": r.arg("threshold", None),
            "period": r.arg("period", None), "evaluation_periods": r.arg("evaluation_periods"),
            "has_actions": (AttributeValue(bool(actions.value), actions.file, actions.line, actions.expression,
                                           actions.note) if isinstance(actions.value, list)
                            else actions),
            "dimensions": _dimensions(r)}


def _dimensions(r: Reader) -> AttributeValue:
    """The alarm's metric dimensions, name -> value as text; {} when none are written
    (a metric-math alarm's dimensions live in its queries, not here). A null value is not set."""
    written = r.arg("dimensions", {})
    value = written.value
    if not written.known:
        return written
    if not isinstance(value, dict):
        return AttributeValue(Unknown(written.expression or "dimensions", f"dimensions are a {type(value).__name__}, "
                                      "not a map"), written.file, written.line, written.expression)
    text = {name: str(v).lower() if isinstance(v, bool) else str(v) for name, v in value.items() if v is not None}
    return AttributeValue(text, written.file, written.line, written.expression, written.note)


# ----- the account -------------------------------------------------------------

def cloudwatch_alarms(reader: AwsReader, region: str) -> list[Resource]:
    return [live_resource("cloudwatch_alarm", region, alarm.get("AlarmArn", alarm["AlarmName"]), name=alarm["AlarmName"],
                          namespace=alarm.get("Namespace"), metric_name=alarm.get("MetricName"),
                          comparison_operator=alarm.get("ComparisonOperator"), threshold=alarm.get("Threshold"),
                          period=alarm.get("Period"), evaluation_periods=alarm.get("EvaluationPeriods"),
                          has_actions=bool(alarm.get("AlarmActions")),
                          dimensions={d["Name"]: d.get("Value") for d in alarm.get("Dimensions") or [] if "Name" in d})
            for alarm in reader.paginate("cloudwatch", region, "describe_alarms", "MetricAlarms",
                                         AlarmTypes=["MetricAlarm"])]


KIND = declare_kind(
    "cloudwatch_alarm", "regional", "A CloudWatch metric alarm.",
    attributes={
        "name": (STR, "alarm name"),
        "namespace": (STR, "metric namespace"),
        "metric_name": (STR, "metric name"),
        "comparison_operator": (STR, "e.g. GreaterThanThreshold"),
        "threshold": (NUMBER, "threshold"),
        "period": (INT, "seconds per evaluation period"),
        "evaluation_periods": (INT, "periods evaluated"),
        "has_actions": (BOOL, "at least one alarm action"),
        "dimensions": (MAP, "the metric's dimensions, name -> value (DBInstanceIdentifier -> the database); "
                            "{} for a metric-math alarm"),
    },
    terraform={"aws_cloudwatch_metric_alarm": cloudwatch_alarm},
    service="cloudwatch", collect=cloudwatch_alarms,
    reads={"cloudwatch": {"DescribeAlarms": "cloudwatch:DescribeAlarms"}},
)
