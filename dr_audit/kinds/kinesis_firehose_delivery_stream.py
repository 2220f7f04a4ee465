"""The ``kinesis_firehose_delivery_stream`` kind. An Amazon Data Firehose delivery stream.

Its attributes, how Terraform declares it and how the account is read. The
buffering interval is how long Firehose holds records before it delivers
them: the longest a record waits, so the stream's RPO for what it carries.
Only an ``ACTIVE`` stream delivers (state rule): one CREATING, DELETING or
in a ``*_FAILED`` state meets no row.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import detail, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import INT, STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown

#: Terraform ``destination`` -> (the block holding its buffering_interval, the provider's documented
#: default, the API's DestinationDescription member, the path to its BufferingHints inside that member)
DESTINATIONS: dict[str, tuple[str, int, str, tuple[str, ...]]] = {
    "extended_s3": ("extended_s3_configuration", 300, "ExtendedS3DestinationDescription", ("BufferingHints",)),
    # Redshift is loaded by COPY from an intermediate bucket: its buffering is that bucket's
    "redshift": ("redshift_configuration.s3_configuration", 300, "RedshiftDestinationDescription",
                 ("S3DestinationDescription", "BufferingHints")),
    "elasticsearch": ("elasticsearch_configuration", 300, "ElasticsearchDestinationDescription", ("BufferingHints",)),
    "opensearch": ("opensearch_configuration", 300, "AmazonopensearchserviceDestinationDescription",
                   ("BufferingHints",)),
    "opensearchserverless": ("opensearchserverless_configuration", 300,
                             "AmazonOpenSearchServerlessDestinationDescription", ("BufferingHints",)),
    "splunk": ("splunk_configuration", 60, "SplunkDestinationDescription", ("BufferingHints",)),
    "http_endpoint": ("http_endpoint_configuration", 300, "HttpEndpointDestinationDescription", ("BufferingHints",)),
    "snowflake": ("snowflake_configuration", 0, "SnowflakeDestinationDescription", ("BufferingHints",)),
    "iceberg": ("iceberg_configuration", 300, "IcebergDestinationDescription", ("BufferingHints",)),
}
#: the API's plain S3 destination (deprecated): an extended_s3 stream reports it beside its own
_PLAIN_S3 = ("s3", "S3DestinationDescription", ("BufferingHints",))


# ----- Terraform ---------------------------------------------------------------

def firehose_delivery_stream(r: Reader) -> dict:
    """``aws_kinesis_firehose_delivery_stream``: the provider waits for ACTIVE when it creates one."""
    destination = r.arg("destination")
    return {"name": r.arg("name"), "destination": destination,
            "status": r.at_block("ACTIVE", "the provider waits until a stream it creates is ACTIVE"),
            "buffering_interval": _buffering_interval(r, destination)}


def _buffering_interval(r: Reader, destination: AttributeValue) -> AttributeValue:
    """The ``buffering_interval`` of the destination's block, else the provider's documented default."""
    if not destination.known:
        return destination
    spec = DESTINATIONS.get(destination.value)
    if spec is None:
        return AttributeValue(Unknown(destination.expression or "destination",
                                      f"destination {destination.value!r} is not one this provider takes"),
                              destination.file, destination.line, destination.expression)
    block, default, _, _ = spec
    return r.nested(f"{block}.buffering_interval", default)


# ----- the account -------------------------------------------------------------

def stream_names(reader: AwsReader, region: str) -> list[str]:
    """Every delivery stream name in ``region``. ListDeliveryStreams has no botocore paginator:
    it pages by HasMoreDeliveryStreams and ExclusiveStartDeliveryStreamName, read to the last page."""
    names: list[str] = []
    arguments: dict[str, Any] = {}
    while True:
        page = reader.call("firehose", region, "list_delivery_streams", **arguments)
        listed = page.get("DeliveryStreamNames") or []
        names.extend(listed)
        if not page.get("HasMoreDeliveryStreams") or not listed:  # an empty page has no name to go on from
            return names
        arguments = {"ExclusiveStartDeliveryStreamName": names[-1]}


def describe_stream(reader: AwsReader, region: str, name: str) -> dict:
    """The stream's description with every destination (DescribeDeliveryStream pages its
    destinations by HasMoreDestinations and ExclusiveStartDestinationId)."""
    arguments: dict[str, Any] = {"DeliveryStreamName": name}
    description: dict = {}
    destinations: list[dict] = []
    while True:
        page = reader.call("firehose", region, "describe_delivery_stream", **arguments)["DeliveryStreamDescription"]
        description = description or page
        listed = page.get("Destinations") or []
        destinations.extend(listed)
        if not page.get("HasMoreDestinations") or not listed:
            return {**description, "Destinations": destinations}
        arguments = {"DeliveryStreamName": name, "ExclusiveStartDestinationId": destinations[-1]["DestinationId"]}


def destination_of(description: dict) -> tuple[Any, Any]:
    """(destination type as Terraform names it, buffering interval in seconds) of a description's
    first destination; (None, None) when it has none, an Unknown interval when none is reported."""
    destinations = description.get("Destinations") or []
    if not destinations:
        return None, None
    first = destinations[0]
    specs = [(name, member, path) for name, (_, _, member, path) in DESTINATIONS.items()] + [_PLAIN_S3]
    for name, member, path in specs:
        if member in first:
            hints: Any = first[member]
            for step in path:
                hints = (hints or {}).get(step)
            interval = (hints or {}).get("IntervalInSeconds")
            if interval is None:
                return name, Unknown(f"{member}.{'.'.join(path)}", "the description reports no buffering interval")
            return name, interval
    return Unknown(first.get("DestinationId", "destination"), "a destination type this audit does not know"), None


def firehose_delivery_streams(reader: AwsReader, region: str) -> list[Resource]:
    """Every delivery stream in ``region``: one DescribeDeliveryStream each (a failure leaves
    its status, destination and buffering Unreadable, never absent)."""
    found = []
    for name in stream_names(reader, region):
        description = detail(lambda: describe_stream(reader, region, name))
        if isinstance(description, Unreadable):
            found.append(live_resource("kinesis_firehose_delivery_stream", region, name, name=name,
                                       status=description, destination=description,
                                       buffering_interval=description))
            continue
        status = description.get("DeliveryStreamStatus")
        destination, interval = destination_of(description)
        found.append(live_resource("kinesis_firehose_delivery_stream", region,
                                   description.get("DeliveryStreamARN") or name,
                                   not_serving=out_of_service("kinesis_firehose_delivery_stream", status),
                                   name=name, status=status, destination=destination, buffering_interval=interval))
    return found


KIND = declare_kind(
    "kinesis_firehose_delivery_stream", "regional", "An Amazon Data Firehose (Kinesis Firehose) delivery stream.",
    attributes={
        "name": (STR, "delivery stream name"),
        "status": (STR, "DeliveryStreamStatus: ACTIVE, CREATING, CREATING_FAILED, DELETING, DELETING_FAILED"),
        "destination": (STR, "destination type as Terraform names it: extended_s3, redshift, opensearch, splunk, "
                             "http_endpoint, ..."),
        "buffering_interval": (INT, "seconds Firehose buffers records before delivering them (the destination's "
                                    "BufferingHints.IntervalInSeconds; Terraform: the destination block's "
                                    "buffering_interval, default 300, 60 for Splunk, 0 for Snowflake)"),
    },
    terraform={"aws_kinesis_firehose_delivery_stream": firehose_delivery_stream},
    service="firehose", collect=firehose_delivery_streams,
    reads={"firehose": {"ListDeliveryStreams": "firehose:ListDeliveryStreams",
                        "DescribeDeliveryStream": "firehose:DescribeDeliveryStream"}},
    states={
        # Firehose's DeliveryStreamStatus: only an ACTIVE stream takes and delivers records
        "kinesis_firehose_delivery_stream": StateRule(
            "DeliveryStreamStatus", frozenset({"ACTIVE"}),
            "a delivery stream that is not ACTIVE (creating, deleting or failed) delivers nothing"),
    },
)
