"""Run the AWS collectors a policy needs, concurrently, into one Inventory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dr_audit import arns
from dr_audit.aws.collecting import GLOBAL, tag_map, unreadable
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Inventory, Resource
from dr_audit.kinds import KINDS
from dr_audit.kinds.registry import aws_collectors
from dr_audit.kinds.spec import TAGS
from dr_audit.terraform.values import Unknown

#: DESIGN.md: bounded concurrency across services and regions
DEFAULT_CONCURRENCY = 8


@dataclass
class KindReadError:
    """A kind could not be listed in a region (of an account): rows on it there are ERROR."""

    kind: str
    region: str
    error: AwsReadError
    #: the account the read was for (None: the run's only account, or one STS could not name)
    account: str | None = None

    def affects(self, kind: str, region: str | None) -> bool:
        return kind == self.kind and (region is None or KINDS[kind].scope == "global" or region == self.region)

    def __str__(self) -> str:
        return f"{self.kind} in {self.region}" + (f" of account {self.account}" if self.account else "") + \
            f": {self.error}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, **self.error.to_dict(), "account": self.account}


def read_plan(kinds_regions: dict[str, set[str]], global_region: str) -> list[tuple[str, str]]:
    """(kind, region) pairs to read, global kinds once (in ``global_region``), in a stable order."""
    plan = set()
    for kind, regions in kinds_regions.items():
        if kind not in aws_collectors():
            continue
        if KINDS[kind].scope == "global":
            plan.add((kind, global_region))
        else:
            plan.update((kind, region) for region in regions)
    return sorted(plan)


def _read(reader: AwsReader, kind: str, region: str):
    """One collector's resources, tagged with the reader's account, or the error that stopped it."""
    service, collector = aws_collectors()[kind]
    try:
        resources = collector(reader, region)
    except AwsReadError as error:
        return [], KindReadError(kind, region, error, reader.account_id)
    except Exception as error:  # noqa: BLE001 - a response shape no collector expected
        # never crash the run or pass silently: the kind's rows in that region become ERROR
        unexpected = AwsReadError(service, region, f"collect {kind}", type(error).__name__,
                                  f"unexpected response: {error}")
        return [], KindReadError(kind, region, unexpected, reader.account_id)
    for resource in resources:
        resource.account = reader.account_id
    if KINDS[kind].tags:
        add_tags(reader, kind, resources)
    return resources, None


def add_tags(reader: AwsReader, kind: str, resources: list[Resource]) -> None:
    """Give each resource of ``kind`` its ``tags`` from the Tagging API listing of its region.

    The listing is read once per region (the reader keeps it) and joined by
    ARN. A resource the listing leaves out has no tags (``{}``): GetResources
    lists every resource ever tagged of the services it covers. Tags the
    collector read itself are kept; where no listing can say, tags are
    Unknown (or Unreadable when the listing failed), never ``{}``.
    """
    listings: dict[str, dict | AwsReadError] = {}
    for resource in resources:
        if TAGS not in resource.attributes:
            resource.attributes[TAGS] = AttributeValue(_tags_of(reader, kind, resource, listings))


def _tags_of(reader: AwsReader, kind: str, resource: Resource, listings: dict) -> object:
    subject = f"{resource.address}.{TAGS}"
    if resource.region != GLOBAL and not isinstance(resource.region, str):
        return resource.region if isinstance(resource.region, Unknown) else Unknown(subject, "its region is not known")
    region = reader.global_region if resource.region == GLOBAL else resource.region
    # before STS has named the account, an id's ARN is built without it and matched on every other field
    arn = arns.of_resource(kind, resource.address, reader.partition, reader.account_id or "*", region)
    if arn is None:
        return Unknown(subject, "no ARN to look its tags up by in the Tagging API")
    gap = arns.tagging_api_gap(arn)
    if gap is not None:
        return Unknown(subject, gap)
    if region not in listings:
        listings[region] = _tag_listing(reader, region)
    listing = listings[region]
    if isinstance(listing, AwsReadError):
        return unreadable(listing)
    return dict(listing.get(arn) or _any_account(listing, arn) or {})


def _any_account(listing: dict, arn: str) -> dict | None:
    """The tags of the listed ARN that is ``arn`` but for its account field (``*``), else None."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[4] != "*":
        return None
    return next((tags for listed, tags in listing.items()
                 if listed.split(":")[:4] == parts[:4] and listed.split(":")[5:] == parts[5:]), None)


def _tag_listing(reader: AwsReader, region: str) -> dict | AwsReadError:
    """ARN -> tags of every resource the Tagging API lists in ``region`` (every page), or the error."""
    try:
        mappings = reader.paginate("resourcegroupstaggingapi", region, "get_resources", "ResourceTagMappingList")
    except AwsReadError as error:
        return error
    return {item["ResourceARN"]: tag_map(item.get("Tags")) for item in mappings if "ResourceARN" in item}


def collect_accounts(work: list[tuple[AwsReader, dict[str, set[str]]]],
                     concurrency: int = DEFAULT_CONCURRENCY) -> Inventory:
    """Read every (kind, region) of each reader's plan into one ``aws`` Inventory.

    In: (reader, kind -> regions) per account (global kinds are read once per
    account, in the reader's global region). Out: the resources found, each
    with its account, and a :class:`KindReadError` per failed read.
    """
    inventory = Inventory("aws")
    tasks = [(reader, kind, region) for reader, kinds_regions in work
             for kind, region in read_plan(kinds_regions, reader.global_region)]
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="dr-audit-aws") as pool:
        for resources, error in pool.map(lambda task: _read(*task), tasks):
            inventory.resources.extend(resources)
            if error is not None:
                inventory.errors.append(error)
    return inventory


def collect_aws(reader: AwsReader, kinds_regions: dict[str, set[str]],
                concurrency: int = DEFAULT_CONCURRENCY) -> Inventory:
    """Read every (kind, region) of ``kinds_regions`` through one reader (one account)."""
    return collect_accounts([(reader, kinds_regions)], concurrency)
