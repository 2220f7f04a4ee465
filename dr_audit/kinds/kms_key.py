"""The ``kms_key`` kind. A KMS key: multi-Region role, replicas, rotation, aliases.

Its attributes, how Terraform declares it and how the account is read.
Only customer managed keys that are Enabled count (state rules): an AWS
managed key is AWS's, not the code's, and a disabled key or one pending
deletion encrypts nothing new. A primary key's replica regions count only
replicas whose own key state is Enabled.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import counted_regions, detail, first_reason, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import BOOL, INT, STR, STR_LIST, StateRule, declare_kind, terraform_only
from dr_audit.terraform.reading import Reader, derived_from
from dr_audit.terraform.values import Unknown, is_known


# ----- Terraform ---------------------------------------------------------------

def kms_key(r: Reader) -> dict:
    """``aws_kms_key``: multi_region, enable_key_rotation and is_enabled with the provider's defaults."""
    multi_region = r.arg("multi_region", False)
    return {"description": r.arg("description", ""),
            "aliases": _aliases(r),
            "enabled": r.arg("is_enabled", True),
            "multi_region": multi_region,
            "multi_region_role": derived_from("primary" if multi_region.value else None, multi_region),
            "primary_region": derived_from(r.instance.region if multi_region.value else None, multi_region),
            "replica_regions": _replica_regions(r, multi_region),
            "rotation_enabled": r.arg("enable_key_rotation", False),
            "deletion_window_days": r.arg("deletion_window_in_days", 30)}


def kms_replica_key(r: Reader) -> dict:
    """``aws_kms_replica_key``: a replica of ``primary_key_arn`` in the provider's region.

    Rotation is a shared property set on the primary key: read there when the
    primary is declared in this code, else unknown.
    """
    where = r.given("primary_key_arn")
    role = AttributeValue("replica", where.file, where.line, where.expression) if where else r.at_block(
        "replica", "a replica key")
    rotation = r.linked("primary_key_arn", lambda primary: primary.arg("enable_key_rotation", False))
    if not rotation.known:
        rotation = AttributeValue(Unknown(f"{r.instance.address}.rotation", "rotation is set on the primary key, "
                                          "which this code does not declare"), rotation.file, rotation.line,
                                  rotation.expression)
    return {"description": r.arg("description", ""),
            "aliases": _aliases(r),
            "enabled": r.arg("enabled", True),
            "multi_region": r.at_block(True, "a replica key is a multi-Region key"),
            "multi_region_role": role,
            "primary_region": r.region_of_reference("primary_key_arn"),
            "replica_regions": r.at_block([], "a replica key lists no replicas of its own"),
            "rotation_enabled": rotation,
            "deletion_window_days": r.arg("deletion_window_in_days", 30)}


def _aliases(r: Reader) -> AttributeValue:
    """Names of the ``aws_kms_alias`` resources whose ``target_key_id`` refers to this key."""
    aliases = r.attached("aws_kms_alias", "target_key_id")
    doubtful = r.maybe_attached("aws_kms_alias", "target_key_id")
    if doubtful:
        return r.may_refer_here(doubtful[0], "target_key_id", "name this key")
    if not aliases:
        return r.at_block([], "no aws_kms_alias names this key")
    names = [alias.arg("name") for alias in aliases]
    unknown = next((name for name in names if not name.known), None)
    if unknown is not None:
        return unknown
    return AttributeValue(sorted(name.value for name in names), names[0].file, names[0].line, names[0].expression)


def _replica_regions(r: Reader, multi_region: AttributeValue) -> AttributeValue:
    """Regions of the ``aws_kms_replica_key`` resources whose ``primary_key_arn`` refers to this key."""
    if not multi_region.known:
        return multi_region
    replicas = r.attached("aws_kms_replica_key", "primary_key_arn")
    doubtful = r.maybe_attached("aws_kms_replica_key", "primary_key_arn")
    if doubtful:
        return r.may_refer_here(doubtful[0], "primary_key_arn", "replicate this key")
    if not replicas:
        return r.at_block([], "no aws_kms_replica_key names this key")
    regions = [replica.instance.region for replica in replicas]
    first = replicas[0].instance
    if not is_known(regions):
        return AttributeValue(Unknown(f"{first.address}.region", "a replica's provider region is unresolved"),
                              first.file, first.line)
    return AttributeValue(sorted(set(regions)), first.file, first.line)


# ----- the account -------------------------------------------------------------

#: documented: automatic rotation exists only for symmetric keys whose material KMS made
_ROTATABLE_SPEC, _ROTATABLE_ORIGIN = "SYMMETRIC_DEFAULT", "AWS_KMS"


def kms_keys(reader: AwsReader, region: str) -> list[Resource]:
    """Every key ListKeys returns in ``region`` (every page), described one by one."""
    aliases = detail(lambda: _alias_names(reader, region))
    found = []
    for listed in reader.paginate("kms", region, "list_keys", "Keys"):
        arn = listed.get("KeyArn") or listed["KeyId"]
        described = detail(lambda: _describe(reader, region, arn))
        if isinstance(described, Unreadable):
            found.append(live_resource("kms_key", region, arn, **{name: described for name in ATTRIBUTES},
                                       deletion_window_days=_NOT_RETURNED))
            continue
        found.append(_key_resource(reader, region, described, aliases))
    return found


def _describe(reader: AwsReader, region: str, arn: str) -> dict:
    return reader.call("kms", region, "describe_key", KeyId=arn)["KeyMetadata"]


def _alias_names(reader: AwsReader, region: str) -> dict[str, list[str]]:
    """Key id -> the alias names that point to it (the same listing as the ``kms_alias`` kind's)."""
    names: dict[str, list[str]] = {}
    for alias in reader.paginate("kms", region, "list_aliases", "Aliases"):
        if alias.get("TargetKeyId"):
            names.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    return names


def _key_resource(reader: AwsReader, region: str, key: dict, aliases: Any) -> Resource:
    configuration = key.get("MultiRegionConfiguration") or {}
    role = (configuration.get("MultiRegionKeyType") or "").lower() or None
    not_serving = first_reason(out_of_service("kms_key.manager", key.get("KeyManager")),
                               out_of_service("kms_key", key.get("KeyState")))
    return live_resource(
        "kms_key", region, key.get("Arn") or key["KeyId"], not_serving=not_serving,
        description=key.get("Description", ""),
        aliases=aliases if isinstance(aliases, Unreadable) else sorted(aliases.get(key["KeyId"], [])),
        enabled=key.get("KeyState") == "Enabled",
        multi_region=bool(key.get("MultiRegion")), multi_region_role=role,
        primary_region=(configuration.get("PrimaryKey") or {}).get("Region"),
        replica_regions=_replica_states(reader, configuration) if role == "primary" else [],
        rotation_enabled=_rotation(reader, region, key), deletion_window_days=_NOT_RETURNED)


def _replica_states(reader: AwsReader, configuration: dict) -> Any:
    """The regions of a primary key's replicas whose own KeyState counts (DescribeKey in each)."""
    states = []
    for replica in configuration.get("ReplicaKeys") or []:
        described = detail(lambda: _describe(reader, replica["Region"], replica["Arn"]))
        if isinstance(described, Unreadable):
            return described
        states.append((replica["Region"], described.get("KeyState")))
    return counted_regions(states, "kms_key.replica")


def _rotation(reader: AwsReader, region: str, key: dict) -> Any:
    """Whether automatic rotation is on; keys that cannot rotate answer without a read."""
    if key.get("KeyManager") == "AWS":
        return AttributeValue(True, note="KMS rotates AWS managed keys every year")
    if key.get("KeySpec", _ROTATABLE_SPEC) != _ROTATABLE_SPEC or key.get("Origin", _ROTATABLE_ORIGIN) != _ROTATABLE_ORIGIN:
        return AttributeValue(False, note="automatic rotation exists only for symmetric keys with KMS key material")
    status = detail(lambda: reader.call("kms", region, "get_key_rotation_status", KeyId=key.get("Arn") or key["KeyId"]))
    return status if isinstance(status, Unreadable) else bool(status.get("KeyRotationEnabled"))


#: what DescribeKey (and the reads after it) give; a key it cannot describe has each of them unreadable
ATTRIBUTES = {
    "description": (STR, "key description, empty when none"),
    "aliases": (STR_LIST, "alias names that point to the key, alias/..."),
    "enabled": (BOOL, "the key is enabled (KeyState Enabled)"),
    "multi_region": (BOOL, "a multi-Region key (primary or replica)"),
    "multi_region_role": (STR, "primary or replica; none for a single-Region key"),
    "primary_region": (STR, "region of the multi-Region primary key; none for a single-Region key"),
    "replica_regions": (STR_LIST, "regions of a primary key's enabled replicas"),
    "rotation_enabled": (BOOL, "automatic rotation of the key material"),
}

#: the provider's deletion_window_in_days is sent only when the key is scheduled for deletion;
#: DescribeKey's PendingDeletionWindowInDays exists only for a primary key already PendingReplicaDeletion
_NOT_RETURNED = AttributeValue(Unknown("kms_key.deletion_window_days",
                                       "Terraform only: the AWS API does not return a key's deletion window"))

KIND = declare_kind(
    "kms_key", "regional", "A KMS key (customer managed keys count).",
    attributes={**ATTRIBUTES, "deletion_window_days": terraform_only(
        INT, "days a deleted key waits before KMS deletes it (deletion_window_in_days, default 30)")},
    terraform={"aws_kms_key": kms_key, "aws_kms_replica_key": kms_replica_key},
    service="kms", collect=kms_keys,
    reads={"kms": {"ListKeys": "kms:ListKeys", "DescribeKey": "kms:DescribeKey",
                   "GetKeyRotationStatus": "kms:GetKeyRotationStatus", "ListAliases": "kms:ListAliases"}},
    states={
        # KMS's "Key states of KMS keys": only an Enabled key encrypts and decrypts; Creating, Disabled,
        # PendingDeletion, PendingImport, PendingReplicaDeletion, Unavailable and Updating do not serve
        "kms_key": StateRule("KeyState", frozenset({"Enabled"}), "a key that is not enabled encrypts nothing"),
        "kms_key.manager": StateRule("KeyManager", frozenset({"CUSTOMER"}),
                                     "an AWS managed key is AWS's, not the code's"),
        "kms_key.replica": StateRule("KeyState", frozenset({"Enabled"}),
                                     "a replica key that is not enabled cannot serve its region"),
    },
)
