"""The ``cloudfront_distribution`` kind. A CloudFront distribution.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from dr_audit.aws.collecting import GLOBAL, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import BOOL, INT_LIST, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.reading import Reader, derived_from, given, plain
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def cloudfront_distribution(r: Reader) -> dict:
    groups = r.blocks("origin_group")
    group_ids = [g.get_attribute("origin_id") for g in groups]
    target = r.nested("default_cache_behavior.target_origin_id")
    failover = derived_from(bool(groups) and target.value in group_ids, target)
    codes = derived_from([], target, note="the default behaviour does not target an origin group")
    for group in groups:
        if target.known and group.get_attribute("origin_id") == target.value:
            criteria = group.blocks("failover_criteria")
            evidence = given(criteria[0], "status_codes") if criteria else None
            codes = (AttributeValue(plain(evidence.value, evidence.expression), evidence.file, evidence.line,
                                    evidence.expression) if evidence is not None
                     else AttributeValue([], r.instance.file, group.line, None, "origin group has no failover_criteria"))
    return {"id": r.at_block(Unknown(f"{r.instance.address}.id", "assigned by AWS at apply time"), "computed"),
            "comment": r.arg("comment", ""),
            "aliases": r.arg("aliases", []),
            "has_origin_failover": failover,
            "origin_failover_status_codes": codes,
            "viewer_protocol_policy": r.nested("default_cache_behavior.viewer_protocol_policy")}


# ----- the account -------------------------------------------------------------

def cloudfront_distributions(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    for summary in reader.paginate("cloudfront", reader.global_region, "list_distributions", "DistributionList.Items"):
        groups = {g["Id"]: g for g in (summary.get("OriginGroups") or {}).get("Items") or []}
        behaviour = summary.get("DefaultCacheBehavior") or {}
        group = groups.get(behaviour.get("TargetOriginId"))
        failover = bool(group) and len((group.get("Members") or {}).get("Items") or []) >= 2
        codes = ((group.get("FailoverCriteria") or {}).get("StatusCodes") or {}).get("Items") if group else None
        found.append(live_resource("cloudfront_distribution", GLOBAL, summary.get("ARN", summary["Id"]),
                                   not_serving=out_of_service("cloudfront_distribution", summary.get("Enabled")),
                                   id=summary["Id"],
                                   comment=summary.get("Comment", ""),
                                   aliases=list((summary.get("Aliases") or {}).get("Items") or []),
                                   has_origin_failover=failover,
                                   origin_failover_status_codes=sorted(int(c) for c in codes or []),
                                   viewer_protocol_policy=behaviour.get("ViewerProtocolPolicy")))
    return found


KIND = declare_kind(
    "cloudfront_distribution", "global", "A CloudFront distribution.",
    attributes={
        "id": (STR, "distribution id"),
        "comment": (STR, "the distribution's comment"),
        "aliases": (STR_LIST, "alternate domain names"),
        "has_origin_failover": (BOOL, "an origin group with failover serves the default behaviour"),
        "origin_failover_status_codes": (INT_LIST, "HTTP status codes that fail the default behaviour's "
                                                  "origin group over to its second origin ([] without one)"),
        "viewer_protocol_policy": (STR, "default behaviour's viewer protocol policy"),
    },
    terraform={"aws_cloudfront_distribution": cloudfront_distribution},
    service="cloudfront", collect=cloudfront_distributions,
    reads={"cloudfront": {"ListDistributions": "cloudfront:ListDistributions"}},
    states={
        "cloudfront_distribution": StateRule("Enabled", frozenset({True}), "a disabled distribution serves no requests"),
    },
)
