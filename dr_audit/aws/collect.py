"""Run the AWS collectors a policy needs, concurrently, into one Inventory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import Inventory
from dr_audit.kinds import KINDS
from dr_audit.kinds.registry import aws_collectors

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
    return resources, None


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
