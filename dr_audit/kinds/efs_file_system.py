"""The ``efs_file_system`` kind. An EFS file system and the regions it replicates to.

Its attributes, how Terraform declares it and how the account is read.
A replication destination counts only while its status is ENABLED: one
being enabled, paused, deleting or in error holds no current copy.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import counted_regions, detail, live_resource, out_of_service, tag_map
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import BOOL, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, given, plain
from dr_audit.terraform.values import Unknown, is_known


# ----- Terraform ---------------------------------------------------------------

def efs_file_system(r: Reader) -> dict:
    """``aws_efs_file_system`` (encrypted defaults to false) and the
    ``aws_efs_replication_configuration`` resources whose source is it."""
    return {"name": r.tag("Name"),
            "creation_token": r.arg("creation_token", unset_reason="not set: Terraform generates one at apply time"),
            "encrypted": r.arg("encrypted", False),
            "replication_regions": _replication_regions(r)}


def _replication_regions(r: Reader) -> AttributeValue:
    configurations = r.attached("aws_efs_replication_configuration", "source_file_system_id")
    doubtful = r.maybe_attached("aws_efs_replication_configuration", "source_file_system_id")
    if doubtful:
        return r.may_refer_here(doubtful[0], "source_file_system_id", "replicate this file system")
    if not configurations:
        return r.at_block([], "no aws_efs_replication_configuration replicates it")
    regions: list[Any] = []
    for configuration in configurations:
        for destination in configuration.blocks("destination"):
            region = given(destination, "region")
            regions.append(Unknown(f"{configuration.instance.address}.destination.region",
                                   "not set in code") if region is None else plain(region.value, region.expression))
    first = configurations[0].instance
    if not is_known(regions):
        unknown = next(region for region in regions if not is_known(region))
        return AttributeValue(unknown, first.file, first.line)
    return AttributeValue(sorted(set(regions)), first.file, first.line)


# ----- the account -------------------------------------------------------------

def efs_file_systems(reader: AwsReader, region: str) -> list[Resource]:
    """Every file system DescribeFileSystems returns in ``region`` (every page), with the
    destinations of the replication configurations whose source it is."""
    replications = detail(lambda: _replications_by_source(reader, region))
    found = []
    for system in reader.paginate("efs", region, "describe_file_systems", "FileSystems"):
        arn = system.get("FileSystemArn") or system["FileSystemId"]
        found.append(live_resource(
            "efs_file_system", region, arn,
            not_serving=out_of_service("efs_file_system", system.get("LifeCycleState")),
            name=system.get("Name") or tag_map(system.get("Tags")).get("Name"),
            creation_token=system.get("CreationToken"), encrypted=bool(system.get("Encrypted")),
            replication_regions=_destinations(replications, region, system["FileSystemId"])))
    return found


def _replications_by_source(reader: AwsReader, region: str) -> dict[str, list[dict]]:
    """(source region, source file system id) -> destinations, from every page of the region's listing."""
    by_source: dict[Any, list[dict]] = {}
    for replication in reader.paginate("efs", region, "describe_replication_configurations", "Replications"):
        key = (replication.get("SourceFileSystemRegion"), replication.get("SourceFileSystemId"))
        by_source.setdefault(key, []).extend(replication.get("Destinations") or [])
    return by_source


def _destinations(replications: Any, region: str, system_id: str) -> Any:
    """The regions this file system replicates to whose destination status counts."""
    if isinstance(replications, Unreadable):
        return replications
    destinations = replications.get((region, system_id), [])
    return counted_regions([(d["Region"], d.get("Status")) for d in destinations], "efs_file_system.destination")


KIND = declare_kind(
    "efs_file_system", "regional", "An EFS file system.",
    attributes={
        "name": (STR, "the Name tag"),
        "creation_token": (STR, "creation token (unique per account and region)"),
        "encrypted": (BOOL, "encrypted at rest"),
        "replication_regions": (STR_LIST, "regions of its ENABLED replication destinations"),
    },
    terraform={"aws_efs_file_system": efs_file_system},
    service="efs", collect=efs_file_systems,
    reads={"efs": {"DescribeFileSystems": "elasticfilesystem:DescribeFileSystems",
                   "DescribeReplicationConfigurations": "elasticfilesystem:DescribeReplicationConfigurations"}},
    states={
        # EFS LifeCycleState: only an available file system can be mounted; updating keeps serving
        "efs_file_system": StateRule("LifeCycleState", frozenset({"available", "updating"}),
                                     "a file system being created, deleted or in error serves nothing"),
        "efs_file_system.destination": StateRule("Status", frozenset({"ENABLED"}),
                                                 "a destination not ENABLED holds no current copy"),
    },
)
