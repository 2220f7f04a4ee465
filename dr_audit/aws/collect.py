"""Run the AWS collectors a policy needs, concurrently, into one Inventory."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from dr_audit.aws.collectors import AWS_COLLECTORS, GLOBAL_REGION
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import Inventory
from dr_audit.kinds import KINDS

#: DESIGN.md: bounded concurrency across services and regions
DEFAULT_CONCURRENCY = 8


@dataclass
class KindReadError:
    """A kind could not be listed in a region: rows on it there are ERROR."""

    kind: str
    region: str
    error: AwsReadError

    def affects(self, kind: str, region: str | None) -> bool:
        return kind == self.kind and (region is None or KINDS[kind].scope == "global" or region == self.region)

    def __str__(self) -> str:
        return f"{self.kind} in {self.region}: {self.error}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, **self.error.to_dict()}


def read_plan(kinds_regions: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(kind, region) pairs to read, global kinds once, in a stable order."""
    plan = set()
    for kind, regions in kinds_regions.items():
        if kind not in AWS_COLLECTORS:
            continue
        if KINDS[kind].scope == "global":
            plan.add((kind, GLOBAL_REGION))
        else:
            plan.update((kind, region) for region in regions)
    return sorted(plan)


def collect_aws(reader: AwsReader, kinds_regions: dict[str, set[str]],
                concurrency: int = DEFAULT_CONCURRENCY) -> Inventory:
    """Read every (kind, region) of ``kinds_regions`` into an ``aws`` Inventory.

    In: a reader and kind -> regions (global kinds ignore their regions).
    Out: the resources found, and a :class:`KindReadError` per failed read.
    """
    inventory = Inventory("aws")
    plan = read_plan(kinds_regions)

    def read(pair: tuple[str, str]):
        kind, region = pair
        service, collector = AWS_COLLECTORS[kind]
        try:
            return pair, collector(reader, region), None
        except AwsReadError as error:
            return pair, [], KindReadError(kind, region, error)
        except Exception as error:  # noqa: BLE001 - a response shape no collector expected
            # never crash the run or pass silently: the kind's rows in that region become ERROR
            unexpected = AwsReadError(service, region, f"collect {kind}", type(error).__name__,
                                      f"unexpected response: {error}")
            return pair, [], KindReadError(kind, region, unexpected)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="dr-audit-aws") as pool:
        for (kind, region), resources, error in pool.map(read, plan):
            inventory.resources.extend(resources)
            if error is not None:
                inventory.errors.append(error)
    return inventory
