"""The ``s3_bucket`` kind. An S3 bucket.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

import threading
from typing import Any

from dr_audit import arns
from dr_audit.aws.collecting import detail, live_resource, out_of_service, tag_map, unreadable
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.module import BlockInstance
from dr_audit.terraform.reading import Reader, derived_from, given, plain, value_of
from dr_audit.terraform.values import Ref, Unknown, is_known


# ----- Terraform ---------------------------------------------------------------

#: the attributes read from a bucket's replication configuration
REPLICATION_ATTRIBUTES = (
    "replication_destination_buckets", "replication_time_minutes", "delete_marker_replication",
    "replication_role", "replication_rule_ids", "replication_prefixes", "replication_storage_class",
    "replica_kms_key_region", "replication_metrics", "replication_metrics_minutes")
#: the attributes read from a bucket's default encryption
ENCRYPTION_ATTRIBUTES = ("sse_algorithm", "sse_kms_key_region", "bucket_key_enabled")

#: S3's default encryption since January 2023: every bucket without a configuration of its own
DEFAULT_SSE = "AES256"


def s3_bucket(r: Reader) -> dict:
    rules = _replication_rules(r)
    if isinstance(rules, AttributeValue):  # unresolved: every replication attribute is
        replication = dict.fromkeys(REPLICATION_ATTRIBUTES, rules)
    else:
        replication = {"replication_destination_buckets": _destination_buckets(r, rules),
                       "replication_time_minutes": _replication_time(r, rules),
                       "delete_marker_replication": _delete_markers(r, rules),
                       "replication_role": _replication_role(r, rules),
                       "replication_rule_ids": _per_rule(r, rules, _rule_id),
                       "replication_prefixes": _per_rule(r, rules, _rule_scope),
                       "replication_storage_class": _one_of(_per_rule(r, rules, _storage_class)),
                       "replica_kms_key_region": _one_of(_per_rule(r, rules, _replica_key_region_of(r))),
                       "replication_metrics": _metrics(r, rules),
                       "replication_metrics_minutes": _metrics_minutes(r, rules)}
    return {"name": r.arg("bucket", unset_reason="not set: a name is generated at apply time"),
            "versioning": _versioning(r), **_encryption(r), **replication}


def _encryption(r: Reader) -> dict[str, AttributeValue]:
    """The default encryption: the inline ``server_side_encryption_configuration`` (AWS
    provider v3), else ``aws_s3_bucket_server_side_encryption_configuration``; without
    either, S3's own default (SSE-S3, no bucket key)."""
    rules = [rule for configuration in r.blocks("server_side_encryption_configuration")
             for rule in configuration.blocks("rule")]
    rules += [rule for attached in r.attached("aws_s3_bucket_server_side_encryption_configuration", "bucket")
              for rule in attached.blocks("rule")]
    if not rules:
        doubtful = r.maybe_attached("aws_s3_bucket_server_side_encryption_configuration", "bucket")
        if doubtful:
            return dict.fromkeys(ENCRYPTION_ATTRIBUTES, r.may_refer_here(doubtful[0], "bucket", "configure it"))
        note = "no encryption configuration in code: S3 encrypts every bucket with SSE-S3 by default"
        return {"sse_algorithm": r.at_block(DEFAULT_SSE, note), "sse_kms_key_region": r.at_block(None, note),
                "bucket_key_enabled": r.at_block(False, note)}
    rule = rules[-1]
    defaults = rule.blocks("apply_server_side_encryption_by_default")
    algorithm = given(defaults[0], "sse_algorithm") if defaults else None
    if algorithm is None:
        sse = AttributeValue(DEFAULT_SSE, rule.file, rule.line, None, "the rule sets no algorithm: S3's SSE-S3 default")
    else:
        sse = value_of(algorithm)
    bucket_key = given(rule, "bucket_key_enabled")
    return {"sse_algorithm": sse, "sse_kms_key_region": _sse_key_region(r, sse, defaults),
            "bucket_key_enabled": value_of(bucket_key) if bucket_key is not None
            else AttributeValue(False, rule.file, rule.line, None, "bucket_key_enabled not set: provider default")}


def _sse_key_region(r: Reader, sse: AttributeValue, defaults: list) -> AttributeValue:
    """The region of the KMS key of SSE-KMS; unset, the bucket's own region's aws/s3 key."""
    if not sse.known:
        return sse
    if not str(sse.value).startswith("aws:kms"):
        return AttributeValue(None, sse.file, sse.line, sse.expression, "not encrypted with a KMS key")
    key = given(defaults[0], "kms_master_key_id") if defaults else None
    if key is None:
        return AttributeValue(r.instance.region, sse.file, sse.line, sse.expression,
                              "kms_master_key_id not set: the region's aws/s3 key")
    return _region_of_key(r, key, r.instance.region)


def _region_of_key(r: Reader, key: Any, own_region: Any) -> AttributeValue:
    """A KMS key's region from its evidence: a declared key's provider region, an ARN's region,
    or ``own_region`` for a bare key id or alias (KMS resolves those in the caller's region)."""
    where = (key.file, key.line, key.expression)
    if isinstance(key.value, Ref) and key.value.address in r.by_address:
        other = r.by_address[key.value.address]
        return AttributeValue(other.region, *where, f"via {other.address} ({other.file}:{other.line})")
    if arns.region(key.value):
        return AttributeValue(arns.region(key.value), *where)
    if isinstance(key.value, str) and own_region is not None:
        return AttributeValue(own_region, *where, "a key id or alias names a key of the bucket's region")
    reason = "refers to something not declared in this code" if isinstance(key.value, Ref) else getattr(
        key.value, "reason", f"not a key: {key.value!r}")
    return AttributeValue(Unknown(key.expression or "kms key", reason), *where)


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


def _replication_role(r: Reader, rules: list) -> AttributeValue:
    """The name of the IAM role S3 assumes to replicate, None without an enabled rule."""
    if not rules:
        return r.at_block(None, "no replication rule in code")
    holders = [c for c in r.blocks("replication_configuration")]
    holders += [a.instance for a in r.attached("aws_s3_bucket_replication_configuration", "bucket")]
    evidence = next((given(h, "role") for h in holders if given(h, "role") is not None), None)
    if evidence is None:
        return r.at_block(Unknown(f"{r.instance.address}.replication role", "not set in code"), "role not set")
    value = evidence.value
    if isinstance(value, Ref) and value.address in r.by_address and r.by_address[value.address].type == "aws_iam_role":
        name = given(r.by_address[value.address], "name")
        if name is not None:
            return AttributeValue(plain(name.value, name.expression), evidence.file, evidence.line, evidence.expression,
                                  f"via {value.address}")
    if isinstance(value, str) and is_known(value):
        return AttributeValue(role_name(value), evidence.file, evidence.line, evidence.expression)
    return value_of(evidence)


def role_name(arn_or_name: str) -> str:
    """``arn:aws:iam::1:role/service/s3-replication`` -> ``s3-replication`` (a bare name stays)."""
    return arn_or_name.rsplit("/", 1)[-1]


def _per_rule(r: Reader, rules: list, read: Any) -> AttributeValue:
    """``read(rule)`` (an AttributeValue) of every enabled rule, as one list; the first
    unresolved one instead, when any is."""
    if not rules:
        return r.at_block([], "no replication rule in code")
    values = [read(rule) for rule in rules]
    for value in values:
        if not value.known:
            return value
    first = values[0]
    return AttributeValue([v.value for v in values], first.file, first.line, first.expression, first.note)


def _one_of(values: AttributeValue) -> AttributeValue:
    """One value every rule shares (None without a rule); differing values joined by ", "."""
    if not values.known:
        return values
    distinct = sorted({v for v in values.value}, key=str)
    if not distinct:
        return AttributeValue(None, values.file, values.line, values.expression, "no enabled replication rule")
    value = distinct[0] if len(distinct) == 1 else ", ".join(str(v) for v in distinct)
    return AttributeValue(value, values.file, values.line, values.expression, values.note)


def _rule_id(rule: BlockInstance) -> AttributeValue:
    evidence = given(rule, "id")
    if evidence is None:
        return AttributeValue(Unknown(f"{rule.address}.id", "not set: S3 assigns one at apply time"), rule.file, rule.line)
    return value_of(evidence)


def _rule_scope(rule: BlockInstance) -> AttributeValue:
    """The key prefix a rule replicates ("" is every object), tag filters shown after it."""
    filters = rule.blocks("filter")
    if not filters:  # the v1 rule schema: a prefix on the rule itself
        prefix = given(rule, "prefix")
        return value_of(prefix) if prefix is not None else AttributeValue("", rule.file, rule.line, None,
                                                                          "no filter: every object")
    holder = filters[0].blocks("and")[0] if filters[0].blocks("and") else filters[0]
    prefix = given(holder, "prefix")
    tags: dict = {}
    for tag in filters[0].blocks("tag"):
        key, value = given(tag, "key"), given(tag, "value")
        if key is None or not is_known(key.value) or (value is not None and not is_known(value.value)):
            return AttributeValue(Unknown(f"{rule.address}.filter.tag", "a tag filter is unresolved"), tag.file, tag.line)
        tags[key.value] = value.value if value is not None else ""
    anded = given(holder, "tags") if holder is not filters[0] else None
    if anded is not None:
        if not isinstance(anded.value, dict) or not is_known(anded.value):
            return value_of(anded)
        tags.update(anded.value)
    if prefix is not None and not is_known(prefix.value):
        return value_of(prefix)
    where = prefix or anded or given(filters[0], "prefix")
    text = scope_text(prefix.value if prefix is not None else "", tags)
    return (AttributeValue(text, where.file, where.line, where.expression) if where is not None
            else AttributeValue(text, filters[0].file, filters[0].line, None, "an empty filter: every object"))


def scope_text(prefix: str, tags: dict) -> str:
    """A rule's scope as text: ``logs/`` or, with tags, ``logs/[team=a,tier=b]``."""
    if not tags:
        return prefix
    return prefix + "[" + ",".join(f"{k}={v}" for k, v in sorted(tags.items())) + "]"


def _destination_argument(rule: BlockInstance, path: str) -> Any:
    """``destination.<block>...<argument>`` of a rule as Evidence, or None."""
    *blocks, name = path.split(".")
    holder = rule
    for block_type in ["destination", *blocks]:
        found = holder.blocks(block_type)
        if not found:
            return None
        holder = found[0]
    return given(holder, name)


def _storage_class(rule: BlockInstance) -> AttributeValue:
    evidence = _destination_argument(rule, "storage_class")
    if evidence is None:
        return AttributeValue(None, rule.file, rule.line, None, "storage_class not set: the source object's class")
    return value_of(evidence)


def _replica_key_region_of(r: Reader) -> Any:
    def read(rule: BlockInstance) -> AttributeValue:
        evidence = _destination_argument(rule, "encryption_configuration.replica_kms_key_id")
        if evidence is None:  # v3 inline rules: destination { replica_kms_key_id }
            evidence = _destination_argument(rule, "replica_kms_key_id")
        if evidence is None:
            return AttributeValue(None, rule.file, rule.line, None, "no replica KMS key")
        return _region_of_key(r, evidence, None)
    return read


def _metrics(r: Reader, rules: list) -> AttributeValue:
    """Whether every enabled rule emits replication metrics (status Enabled)."""
    if not rules:
        return r.at_block(False, "no replication rule in code")
    for rule in rules:
        status = _destination_argument(rule, "metrics.status")
        if status is None:
            return AttributeValue(False, rule.file, rule.line, None, "a rule has no metrics")
        if not is_known(status.value) or status.value != "Enabled":
            return AttributeValue(plain(status.value, status.expression) == "Enabled" if is_known(status.value)
                                  else plain(status.value, status.expression), status.file, status.line,
                                  status.expression)
    return AttributeValue(True, status.file, status.line, status.expression)


def _metrics_minutes(r: Reader, rules: list) -> AttributeValue:
    """The largest metrics event threshold of the enabled rules; None when any rule has none."""
    if not rules:
        return r.at_block(None, "no replication rule in code")
    minutes = []
    for rule in rules:
        status = _destination_argument(rule, "metrics.status")
        if status is None or status.value != "Enabled":
            return AttributeValue(None, rule.file, rule.line, None, "a rule has no enabled metrics")
        # the split resource nests minutes in event_threshold {}; v3 inline metrics do not
        evidence = (_destination_argument(rule, "metrics.event_threshold.minutes")
                    or _destination_argument(rule, "metrics.minutes"))
        if evidence is None:
            return AttributeValue(None, status.file, status.line, None, "metrics have no event threshold")
        if not is_known(evidence.value):
            return value_of(evidence)
        minutes.append(evidence)
    evidence = max(minutes, key=lambda m: m.value)
    return value_of(evidence)


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
#: GetBucketEncryption's answer for a bucket without a default encryption configuration
_NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"


def _replication(reader: AwsReader, region: str, name: str) -> dict[str, Any]:
    """The bucket's replication attributes, from the rules whose status counts (a disabled
    rule replicates nothing); a note on each names the rules left out."""
    try:
        config = reader.call("s3", region, "get_bucket_replication", answers=(_NO_REPLICATION,),
                             Bucket=name)["ReplicationConfiguration"]
    except AwsReadError as error:
        if error.code == _NO_REPLICATION:
            return _replication_of([], None)
        return dict.fromkeys(REPLICATION_ATTRIBUTES, unreadable(error))
    every = config.get("Rules") or []
    rules = [r for r in every if out_of_service("s3_bucket.replication_rule", r.get("Status")) is None]
    attributes = _replication_of(rules, config.get("Role"))
    left_out = [f"{r.get('ID', '?')} ({out_of_service('s3_bucket.replication_rule', r.get('Status'))})"
                for r in every if r not in rules]
    if left_out:
        note = "rules not counted: " + ", ".join(left_out)
        attributes = {k: AttributeValue(v, note=note) for k, v in attributes.items()}
    return attributes


def _replication_of(rules: list[dict], role: str | None) -> dict[str, Any]:
    """The replication attributes of the counted rules ``rules`` (GetBucketReplication's shape)."""
    destinations = [r.get("Destination") or {} for r in rules]
    controls = [d.get("ReplicationTime") or {} for d in destinations]
    metrics = [d.get("Metrics") or {} for d in destinations]
    minutes = None
    if rules and all(c.get("Status") == "Enabled" for c in controls):
        minutes = max((c.get("Time") or {}).get("Minutes") or 0 for c in controls) or None
    metrics_on = bool(rules) and all(m.get("Status") == "Enabled" for m in metrics)
    thresholds = [(m.get("EventThreshold") or {}).get("Minutes") for m in metrics]
    return {
        "replication_destination_buckets": sorted({d["Bucket"].split(":::")[-1] for d in destinations if d.get("Bucket")}),
        "replication_time_minutes": minutes,
        "delete_marker_replication": bool(rules) and all(
            (r.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled" for r in rules),
        "replication_role": role_name(role) if rules and role else None,
        "replication_rule_ids": [r.get("ID") for r in rules],
        "replication_prefixes": [_live_scope(r) for r in rules],
        "replication_storage_class": _shared([d.get("StorageClass") for d in destinations]),
        "replica_kms_key_region": _shared([arns.region((d.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"))
                                           for d in destinations]),
        "replication_metrics": metrics_on,
        "replication_metrics_minutes": max(thresholds) if metrics_on and all(thresholds) else None,
    }


def _live_scope(rule: dict) -> str:
    """A rule's scope as :func:`scope_text` writes it: its filter's prefix and tags, or the v1 ``Prefix``."""
    if "Filter" not in rule:
        return rule.get("Prefix") or ""
    found = rule.get("Filter") or {}
    both = found.get("And")
    if both is not None:
        return scope_text(both.get("Prefix") or "", tag_map(both.get("Tags")))
    return scope_text(found.get("Prefix") or "", tag_map([found["Tag"]] if found.get("Tag") else []))


def _shared(values: list) -> Any:
    """One value every rule shares (None without a rule); differing values joined by ", "."""
    distinct = sorted(set(values), key=str)
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else ", ".join(str(v) for v in distinct)


def _encryption_live(reader: AwsReader, region: str, name: str) -> dict[str, Any]:
    """The bucket's default encryption; "no configuration" is an answer (nothing set), not a failure."""
    try:
        config = reader.call("s3", region, "get_bucket_encryption", answers=(_NO_ENCRYPTION,),
                             Bucket=name)["ServerSideEncryptionConfiguration"]
    except AwsReadError as error:
        if error.code == _NO_ENCRYPTION:
            return {"sse_algorithm": None, "sse_kms_key_region": None, "bucket_key_enabled": False}
        return dict.fromkeys(ENCRYPTION_ATTRIBUTES, unreadable(error))
    rules = config.get("Rules") or [{}]
    rule = rules[0]
    defaults = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = defaults.get("SSEAlgorithm")
    key_region = None
    if isinstance(algorithm, str) and algorithm.startswith("aws:kms"):
        key = defaults.get("KMSMasterKeyID")
        key_region = arns.region(key) or region  # no key, a key id or an alias: the bucket's region
    return {"sse_algorithm": algorithm, "sse_kms_key_region": key_region,
            "bucket_key_enabled": bool(rule.get("BucketKeyEnabled"))}


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
                                           **dict.fromkeys(ENCRYPTION_ATTRIBUTES + REPLICATION_ATTRIBUTES, where)))
            continue
        if where != region:
            continue
        versioning = detail(lambda: reader.call("s3", region, "get_bucket_versioning", Bucket=name)
                            .get("Status") or "Disabled")
        found.append(live_resource("s3_bucket", region, arn, name=name, versioning=versioning,
                                   **_encryption_live(reader, region, name), **_replication(reader, region, name)))
    return found


KIND = declare_kind(
    "s3_bucket", "regional", "An S3 bucket.",
    attributes={
        "name": (STR, "bucket name"),
        "versioning": (STR, "Enabled, Suspended or Disabled"),
        "sse_algorithm": (STR, "default encryption: AES256, aws:kms or aws:kms:dsse (Terraform without a "
                               "configuration: S3's AES256 default; the account: none when it reports no configuration)"),
        "sse_kms_key_region": (STR, "region of the default encryption's KMS key (none unless KMS)"),
        "bucket_key_enabled": (BOOL, "the default encryption uses an S3 Bucket Key"),
        "replication_destination_buckets": (STR_LIST, "names of replication destination buckets"),
        "replication_time_minutes": (INT, "S3 Replication Time Control threshold of its enabled rules, "
                                         "minutes (none when a rule has no RTC)"),
        "delete_marker_replication": (BOOL, "every enabled replication rule replicates delete markers"),
        "replication_role": (STR, "name of the IAM role S3 assumes to replicate (none without an enabled rule)"),
        "replication_rule_ids": (STR_LIST, "ids of its enabled replication rules"),
        "replication_prefixes": (STR_LIST, "key prefix of each enabled rule ('' is every object); a rule that "
                                           "also filters by tags shows them after it: logs/[k=v]"),
        "replication_storage_class": (STR, "storage class of the replicas (none: the source object's); "
                                           "rules that differ are joined by ', '"),
        "replica_kms_key_region": (STR, "region of the KMS key that encrypts the replicas (none without one); "
                                        "rules that differ are joined by ', '"),
        "replication_metrics": (BOOL, "every enabled rule emits replication metrics"),
        "replication_metrics_minutes": (INT, "largest metrics event threshold of its enabled rules, minutes "
                                             "(none when a rule has none)"),
    },
    terraform={"aws_s3_bucket": s3_bucket},
    service="s3", collect=s3_buckets,
    reads={
        "s3": {"GetBucketReplication": "s3:GetReplicationConfiguration",
               "GetBucketEncryption": "s3:GetEncryptionConfiguration",
               "GetBucketLocation": "s3:GetBucketLocation", "GetBucketVersioning": "s3:GetBucketVersioning",
               "ListBuckets": "s3:ListAllMyBuckets"},
    },
    states={
        "s3_bucket.replication_rule": StateRule("Status", frozenset({"Enabled"}),
                                                "a disabled replication rule replicates nothing"),
    },
)
