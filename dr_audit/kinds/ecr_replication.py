"""The ``ecr_replication`` kind. A registry's replication configuration (one per registry and region).

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import live_resource
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import ANY, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, given, plain
from dr_audit.terraform.values import Unknown, is_known


# ----- Terraform ---------------------------------------------------------------

def ecr_replication_configuration(r: Reader) -> dict:
    rules = []
    line = r.instance.line
    for configuration in r.blocks("replication_configuration"):
        for rule in configuration.blocks("rule"):
            line = rule.line
            regions = [given(d, "region") for d in rule.blocks("destination")]
            destinations = [plain(e.value, e.expression) for e in regions if e is not None]
            prefixes = [plain(f.get_attribute("filter"), "filter") for f in rule.blocks("repository_filter")]
            rules.append({"destinations": destinations, "prefixes": prefixes})
    regions = sorted({d for rule in rules for d in rule["destinations"] if isinstance(d, str)}) if is_known(rules) \
        else Unknown(f"{r.instance.address}.replication_configuration", "a rule is unresolved")
    return {"rules": AttributeValue(rules if is_known(rules) else regions, r.instance.file, line),
            "destination_regions": AttributeValue(regions, r.instance.file, line)}


# ----- the account -------------------------------------------------------------

def ecr_replication(reader: AwsReader, region: str) -> list[Resource]:
    registry = reader.call("ecr", region, "describe_registry")
    rules = [{"destinations": [d["region"] for d in rule.get("destinations") or []],
              "prefixes": [f["filter"] for f in rule.get("repositoryFilters") or []]}
             for rule in (registry.get("replicationConfiguration") or {}).get("rules") or []]
    regions = sorted({d for rule in rules for d in rule["destinations"]})
    return [live_resource("ecr_replication", region, f"ecr registry {registry.get('registryId')}",
                          rules=rules, destination_regions=regions)]


KIND = declare_kind(
    "ecr_replication", "regional", "A registry's replication configuration (one per registry and region).",
    tags=False,  # a registry's replication configuration cannot be tagged
    attributes={
        "destination_regions": (STR_LIST, "regions any rule replicates to"),
        "rules": (ANY, "list of {destinations: [regions], prefixes: [repository prefixes]}"),
    },
    terraform={"aws_ecr_replication_configuration": ecr_replication_configuration},
    service="ecr", collect=ecr_replication,
    reads={"ecr": {"DescribeRegistry": "ecr:DescribeRegistry"}},
)
