"""The ``s3_bucket`` kind. An S3 bucket.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

import threading
from typing import Any

from dr_audit import arns
from dr_audit.aws.collecting import detail, live_resource, unreadable
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, declare_kind
from dr_audit.terraform.module import BlockInstance
from dr_audit.terraform.reading import Reader, derived_from, given, plain, value_of
from dr_audit.terraform.values import Ref, Unknown, is_known


# ----- Terraform ---------------------------------------------------------------

def s3_bucket(r: Reader) -> dict:
    rules = _replication_rules(r)
    if isinstance(rules, AttributeValue):  # unresolved: every replication attribute is
        replication = {"replication_destination_buckets": rules, "replication_time_minutes": rules,
                       "delete_marker_replication": rules}
    else:
        replication = {"replication_destination_buckets": _destination_buckets(r, rules),
                       "replication_time_minutes": _replication_time(r, rules),
                       "delete_marker_replication": _delete_markers(r, rules)}
    return {"name": r.arg("bucket", unset_reason="not set: a name is generated at apply time"),
            "versioning": _versioning(r), **replication}


def _versioning(r: Reader) -> AttributeValue:
    """The inline ``versioning`` block (AWS provider v3), else ``aws_s3_bucket_versioning``."""
    if r.blocks("versioning"):
        enabled = r.nested("versioning.enabled", False)
        return derived_from("Enabled" if enabled.value else "Suspended", enabled)
    attached = r.attached("aws_s3_bucket_versioning", "bucket")
    if attached:
        return attached[-1].nested("versioning_configuration.status")
    doubtful = r.maybe_attached("aws_s3_bucket_versioning", "bucket")
    if doubtful:
        return r.may_refer_here(doubtful[0], "bucket", "configure it")
    return r.at_block("Disabled", "no versioning configuration in code")


def _replication_rules(r: Reader) -> "list[BlockInstance] | AttributeValue":
    """Enabled replication rules: ``aws_s3_bucket_replication_configuration`` ``rule`` blocks
    and the inline ``replication_configuration { rules {} }`` of AWS provider v3.

    An AttributeValue (Unknown) when whether a rule applies cannot be told.
    """
    candidates = [rule for configuration in r.blocks("replication_configuration")
                  for rule in configuration.blocks("rules")]
    candidates += [rule for attached in r.attached("aws_s3_bucket_replication_configuration", "bucket")
                   for rule in attached.blocks("rule")]
    if not candidates:
        doubtful = r.maybe_attached("aws_s3_bucket_replication_configuration", "bucket")
        if doubtful:
            return r.may_refer_here(doubtful[0], "bucket", "configure it")
    rules = []
    for rule in candidates:
        status = given(rule, "status")
        if status is not None and not is_known(status.value):
            return AttributeValue(plain(status.value, status.expression), status.file, status.line,
                                  status.expression)
        if status is not None and status.value == "Enabled":
            rules.append(rule)
    return rules


def _destination_buckets(r: Reader, rules: list) -> AttributeValue:
    destinations: list[Any] = []
    where = r.at_block([], "no replication configuration in code")
    for rule in rules:
        for destination in rule.blocks("destination"):
            evidence = given(destination, "bucket")
            if evidence is not None:
                value = plain(_bucket_named(r, evidence.value), evidence.expression)
                destinations.append(value.split(":::")[-1] if isinstance(value, str) else value)
                if where.value == []:
                    where = AttributeValue(None, evidence.file, evidence.line, evidence.expression)
    return AttributeValue(destinations, where.file, where.line, where.expression, where.note)


def _bucket_named(r: Reader, value: Any) -> Any:
    """A bucket's ARN or id is known at plan time when its name is: follow the reference."""
    if isinstance(value, Ref) and value.attribute in ("arn", "id", "bucket") and value.address in r.by_address:
        target = r.by_address[value.address]
        if target.type == "aws_s3_bucket":
            name = given(target, "bucket")
            if name is not None and isinstance(name.value, str):
                return name.value
    return value


def _replication_time(r: Reader, rules: list) -> AttributeValue:
    """The RTC threshold every enabled rule keeps (the largest), None when any rule has none."""
    if not rules:
        return r.at_block(None, "no replication rule in code")
    minutes = []
    for rule in rules:
        controls = [c for d in rule.blocks("destination") for c in d.blocks("replication_time")]
        status = given(controls[0], "status") if controls else None
        if status is None or status.value != "Enabled":
            return AttributeValue(None, rule.file, rule.line, None, "a rule has no replication_time")
        times = controls[0].blocks("time")  # the split resource nests minutes in time {}; v3 inline does not
        evidence = given(times[0], "minutes") if times else given(controls[0], "minutes")
        if evidence is None:
            return AttributeValue(None, controls[0].file, controls[0].line, None, "replication_time has no minutes")
        if not is_known(evidence.value):
            return value_of(evidence)
        minutes.append((evidence.value, evidence))
    value, evidence = max(minutes, key=lambda m: m[0])
    return AttributeValue(value, evidence.file, evidence.line, evidence.expression)


def _delete_markers(r: Reader, rules: list) -> AttributeValue:
    if not rules:
        return r.at_block(False, "no replication rule in code")
    for rule in rules:
        blocks = rule.blocks("delete_marker_replication")
        # the split resource has a delete_marker_replication {} block; v3 inline rules an argument
        evidence = given(blocks[0], "status") if blocks else given(rule, "delete_marker_replication_status")
        if evidence is None:
            return AttributeValue(False, rule.file, rule.line, None, "a rule does not replicate delete markers")
        if evidence.value != "Enabled":
            return AttributeValue(plain(evidence.value, evidence.expression) == "Enabled" if is_known(evidence.value)
                                  else plain(evidence.value, evidence.expression),
                                  evidence.file, evidence.line, evidence.expression)
    return AttributeValue(True, evidence.file, evidence.line, evidence.expression)


# ----- the account -------------------------------------------------------------

#: ListBuckets page size: sent on every page, because only a paginated ListBuckets
#: returns ``BucketRegion`` and lists past 10,000 buckets (the model's maximum)
BUCKETS_PER_PAGE = 10_000


#: GetBucketLocation's legacy answers (S3 API reference): "EU" is eu-west-1, and no
#: constraint is us-east-1, documented for the aws partition only
_LEGACY_LOCATIONS = {"EU": "eu-west-1"}


_NO_CONSTRAINT = {"aws": "us-east-1"}


def _buckets(reader: AwsReader) -> list[dict]:
    """Every bucket of the account, read once however many regions ask, every page."""
    return reader.paginate("s3", reader.global_region, "list_buckets", "Buckets", MaxBuckets=BUCKETS_PER_PAGE)


def _bucket_region(reader: AwsReader, bucket: dict) -> Any:
    """The bucket's region: ``BucketRegion`` when listed, else GetBucketLocation's answer.

    Out: a region name, :class:`Unreadable` when the location read failed, or
    :class:`Unknown` for an empty constraint outside the aws partition.
    """
    if bucket.get("BucketRegion"):
        return bucket["BucketRegion"]
    location = detail(lambda: reader.call("s3", reader.global_region, "get_bucket_location", Bucket=bucket["Name"]))
    if isinstance(location, Unreadable):
        return location
    constraint = location.get("LocationConstraint")
    if constraint:
        return _LEGACY_LOCATIONS.get(constraint, constraint)
    return _NO_CONSTRAINT.get(reader.partition) or Unknown(
        f"s3 bucket {bucket['Name']} location", f"no location constraint, undocumented in partition {reader.partition}")


_claims_lock = threading.Lock()


def _first_claim(reader: AwsReader, key: tuple) -> bool:
    """True for the first collector on this reader to claim ``key``: what every region
    sees but must enter the inventory once (a bucket whose region is unknown)."""
    with _claims_lock:
        claimed = reader.__dict__.setdefault("_collector_claims", set())
        if key in claimed:
            return False
        claimed.add(key)
        return True


_NO_REPLICATION = "ReplicationConfigurationNotFoundError"


def _replication(reader: AwsReader, region: str, name: str) -> dict[str, Any]:
    """The bucket's replication attributes: destinations, RTC minutes, delete markers."""
    try:
        config = reader.call("s3", region, "get_bucket_replication", answers=(_NO_REPLICATION,),
                             Bucket=name)["ReplicationConfiguration"]
    except AwsReadError as error:
        if error.code == _NO_REPLICATION:
            return {"replication_destination_buckets": [], "replication_time_minutes": None,
                    "delete_marker_replication": False}
        unread = unreadable(error)
        return dict.fromkeys(("replication_destination_buckets", "replication_time_minutes",
                              "delete_marker_replication"), unread)
    rules = [r for r in config.get("Rules") or [] if r.get("Status", "Enabled") == "Enabled"]
    controls = [(r.get("Destination") or {}).get("ReplicationTime") or {} for r in rules]
    minutes = None
    if rules and all(c.get("Status") == "Enabled" for c in controls):
        minutes = max((c.get("Time") or {}).get("Minutes") or 0 for c in controls) or None
    return {"replication_destination_buckets": sorted({r["Destination"]["Bucket"].split(":::")[-1] for r in rules
                                                       if r.get("Destination", {}).get("Bucket")}),
            "replication_time_minutes": minutes,
            "delete_marker_replication": bool(rules) and all(
                (r.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled" for r in rules)}


def s3_buckets(reader: AwsReader, region: str) -> list[Resource]:
    """The buckets located in ``region``; a bucket whose region cannot be told is added
    once per run (by whichever region's collector comes first), its every attribute unknown."""
    found = []
    for bucket in _buckets(reader):
        where = _bucket_region(reader, bucket)
        name = bucket["Name"]
        arn = arns.s3_bucket(reader.partition, name)
        if isinstance(where, Unknown):
            if _first_claim(reader, ("s3_bucket", name)):
                found.append(live_resource("s3_bucket", where, arn, name=name, versioning=where,
                                           replication_destination_buckets=where, replication_time_minutes=where,
                                           delete_marker_replication=where))
            continue
        if where != region:
            continue
        versioning = detail(lambda: reader.call("s3", region, "get_bucket_versioning", Bucket=name)
                            .get("Status") or "Disabled")
        found.append(live_resource("s3_bucket", region, arn, name=name, versioning=versioning,
                                   **_replication(reader, region, name)))
    return found


KIND = declare_kind(
    "s3_bucket", "regional", "An S3 bucket.",
    attributes={
        "name": (STR, "bucket name"),
        "versioning": (STR, "Enabled, Suspended or Disabled"),
        "replication_destination_buckets": (STR_LIST, "names of replication destination buckets"),
        "replication_time_minutes": (INT, "S3 Replication Time Control threshold of its enabled rules, "
                                         "minutes (none when a rule has no RTC)"),
        "delete_marker_replication": (BOOL, "every enabled replication rule replicates delete markers"),
    },
    terraform={"aws_s3_bucket": s3_bucket},
    service="s3", collect=s3_buckets,
    reads={
        "s3": {"GetBucketReplication": "s3:GetReplicationConfiguration",
               "GetBucketLocation": "s3:GetBucketLocation", "GetBucketVersioning": "s3:GetBucketVersioning",
               "ListBuckets": "s3:ListAllMyBuckets"},
    },
)
