"""The ``cloudfront_distribution`` kind. A CloudFront distribution.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

import re
from typing import Any

from dr_audit import arns
from dr_audit.aws.collecting import GLOBAL, detail, live_resource, name_without_dot, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.spec import BOOL, INT, INT_LIST, MAP, STR, STR_LIST, StateRule, declare_kind
from dr_audit.terraform.module import BlockInstance
from dr_audit.terraform.reading import Reader, derived_from, given, plain, value_of
from dr_audit.terraform.values import Ref, Unknown, is_known

#: a region name inside an AWS endpoint: ``x-1.<region>.elb.amazonaws.com`` (application and
#: classic load balancers), ``x.elb.<region>.amazonaws.com`` (network), ``b.s3.<region>.amazonaws.com``
_ENDPOINT_REGION = re.compile(
    r"(?:\.(?P<lb>[a-z]{2}(?:-[a-z]+)+-\d+)\.elb\.amazonaws\.com"
    r"|[.-](?P<service>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com)(?:\.cn)?$")

#: CloudFront's TTLs when a legacy (forwarded_values) behaviour sets none: the API reference's
#: defaults, which the AWS provider also documents (min 0, default one day, max one year)
_DEFAULT_TTLS = {"min_ttl": 0, "default_ttl": 86_400, "max_ttl": 31_536_000}


def endpoint_region(domain: Any) -> str | None:
    """The region of an AWS regional endpoint name, None for any other name.

    >>> endpoint_region("web-1.eu-west-1.elb.amazonaws.com")
    'eu-west-1'
    >>> endpoint_region("www.example.com") is None
    True
    """
    found = _ENDPOINT_REGION.search(domain.rstrip(".").lower()) if isinstance(domain, str) else None
    return (found.group("lb") or found.group("service")) if found else None


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
    required = "not set in code (the provider requires it)"
    return {"id": r.at_block(Unknown(f"{r.instance.address}.id", "assigned by AWS at apply time"), "computed"),
            "comment": r.arg("comment", ""),
            "enabled": r.arg("enabled", unset_reason=required),
            "aliases": r.arg("aliases", []),
            "has_origin_failover": failover,
            "origin_failover_status_codes": codes,
            "origin_group_id": derived_from(target.value if target.value in group_ids else None, target),
            "viewer_protocol_policy": r.nested("default_cache_behavior.viewer_protocol_policy"),
            **_origins(r),
            "allowed_methods": _sorted(r.nested("default_cache_behavior.allowed_methods", unset_reason=required)),
            "cached_methods": _sorted(r.nested("default_cache_behavior.cached_methods", unset_reason=required)),
            **_forwarding(r),
            "geo_restriction": r.nested("restrictions.geo_restriction.restriction_type", unset_reason=required),
            "certificate_domain": _certificate_domain(r),
            "ssl_support_method": r.nested("viewer_certificate.ssl_support_method", None)}


def _sorted(value: AttributeValue) -> AttributeValue:
    if value.known and isinstance(value.value, list):
        return AttributeValue(sorted(value.value, key=str), value.file, value.line, value.expression, value.note)
    return value


def _origins(r: Reader) -> dict[str, AttributeValue]:
    """What the origins declare: their domains and regions, and their custom origin settings
    (each a sorted list of the distinct values over the custom origins)."""
    origins = r.blocks("origin")
    where = (r.instance.file, origins[0].line if origins else r.instance.line)
    domains, regions = [], {}
    for origin in origins:
        domain, origin_id = given(origin, "domain_name"), given(origin, "origin_id")
        if domain is None or origin_id is None or not is_known(origin_id.value):
            unknown = Unknown(f"{r.instance.address}.origin", "an origin without a known id or domain_name")
            return dict.fromkeys(_ORIGIN_ATTRIBUTES, AttributeValue(unknown, origin.file, origin.line))
        domains.append(plain(domain.value, domain.expression))
        regions[origin_id.value] = _origin_region(r, domain)
    attributes = {
        "origin_domains": AttributeValue(sorted(d.rstrip(".").lower() for d in domains) if is_known(domains)
                                         else next(d for d in domains if not is_known(d)), *where),
        "origin_regions": AttributeValue(regions if is_known(regions)
                                         else next(v for v in regions.values() if not is_known(v)), *where)}
    custom = [c for origin in origins for c in origin.blocks("custom_origin_config")]
    for attribute, argument in (("origin_protocol_policies", "origin_protocol_policy"),
                                ("origin_ssl_protocols", "origin_ssl_protocols"),
                                ("origin_http_ports", "http_port"), ("origin_https_ports", "https_port")):
        attributes[attribute] = _distinct(r, custom, argument)
    return attributes


_ORIGIN_ATTRIBUTES = ("origin_domains", "origin_regions", "origin_protocol_policies", "origin_ssl_protocols",
                      "origin_http_ports", "origin_https_ports")


def _origin_region(r: Reader, domain: Any) -> Any:
    """A declared resource's provider region when the domain refers to one, else the endpoint's region."""
    if isinstance(domain.value, Ref):
        if domain.value.address in r.by_address:
            return r.by_address[domain.value.address].region
        return Unknown(domain.expression or "domain_name", "refers to something not declared in this code")
    if isinstance(domain.value, str):
        return endpoint_region(domain.value)
    return plain(domain.value, domain.expression)


def _distinct(r: Reader, blocks: list[BlockInstance], argument: str) -> AttributeValue:
    """The distinct values of ``argument`` over ``blocks`` (a list argument's items merged), sorted."""
    values: set = set()
    first = None
    for block in blocks:
        evidence = given(block, argument)
        if evidence is None:
            return AttributeValue(Unknown(f"{r.instance.address}.{argument}", "not set in code (the provider requires it)"),
                                  block.file, block.line)
        if not is_known(evidence.value):
            return value_of(evidence)
        values.update(evidence.value if isinstance(evidence.value, list) else [evidence.value])
        first = first or evidence
    if first is None:
        return r.at_block([], "no custom origin")
    return AttributeValue(sorted(values, key=str), first.file, first.line, first.expression)


def _forwarding(r: Reader) -> dict[str, AttributeValue]:
    """The default behaviour's legacy forwarding and TTLs; with a cache policy instead, the policy decides."""
    legacy = bool(r.blocks("default_cache_behavior") and r.blocks("default_cache_behavior")[0].blocks("forwarded_values"))
    found = {"forward_query_string": r.nested("default_cache_behavior.forwarded_values.query_string",
                                              unset_reason="not set in code (the provider requires it)"),
             "forward_cookies": r.nested("default_cache_behavior.forwarded_values.cookies.forward",
                                         unset_reason="not set in code (the provider requires it)")}
    if not legacy:
        found = {name: r.at_block(None, "no forwarded_values: a cache policy decides") for name in found}
    for name, default in _DEFAULT_TTLS.items():
        if legacy or r.blocks("default_cache_behavior") and given(r.blocks("default_cache_behavior")[0], name):
            found[name] = r.nested(f"default_cache_behavior.{name}", default)
        else:
            found[name] = r.at_block(Unknown(f"{r.instance.address}.{name}", "the cache policy's TTL applies"),
                                     f"{name} not set")
    return found


def _certificate_domain(r: Reader) -> AttributeValue:
    """The ACM certificate's domain: followed to a declared ``aws_acm_certificate``; None with
    CloudFront's default certificate."""
    certificates = r.blocks("viewer_certificate")
    evidence = given(certificates[0], "acm_certificate_arn") if certificates else None
    if evidence is None:
        return r.at_block(None, "no ACM certificate")
    value = evidence.value
    if isinstance(value, Ref) and value.address in r.by_address and r.by_address[value.address].type == "aws_acm_certificate":
        domain = given(r.by_address[value.address], "domain_name")
        if domain is not None:
            return AttributeValue(plain(domain.value, domain.expression), evidence.file, evidence.line,
                                  evidence.expression, f"via {value.address}")
    reason = ("a certificate ARN: its domain is ACM's to tell" if is_known(value) and not isinstance(value, Ref)
              else getattr(value, "reason", "refers to something not declared in this code"))
    return AttributeValue(Unknown(evidence.expression or "acm_certificate_arn", reason), evidence.file, evidence.line,
                          evidence.expression)


# ----- the account -------------------------------------------------------------

def _items(container: Any) -> list:
    """``{"Quantity": n, "Items": [...]}`` -> the items ([] when absent)."""
    return list((container or {}).get("Items") or [])


def _live_origins(summary: dict) -> dict[str, Any]:
    origins = _items(summary.get("Origins"))
    custom = [o["CustomOriginConfig"] for o in origins if o.get("CustomOriginConfig")]
    return {"origin_domains": sorted(name_without_dot(o.get("DomainName")) for o in origins),
            "origin_regions": {o["Id"]: endpoint_region(o.get("DomainName")) for o in origins},
            "origin_protocol_policies": sorted({c.get("OriginProtocolPolicy") for c in custom}, key=str),
            "origin_ssl_protocols": sorted({p for c in custom for p in _items(c.get("OriginSslProtocols"))}),
            "origin_http_ports": sorted({c.get("HTTPPort") for c in custom}, key=str),
            "origin_https_ports": sorted({c.get("HTTPSPort") for c in custom}, key=str)}


def _live_behaviour(behaviour: dict) -> dict[str, Any]:
    methods = behaviour.get("AllowedMethods") or {}
    forwarded = behaviour.get("ForwardedValues")
    return {"allowed_methods": sorted(_items(methods)), "cached_methods": sorted(_items(methods.get("CachedMethods"))),
            "forward_query_string": forwarded.get("QueryString") if forwarded else None,
            "forward_cookies": (forwarded.get("Cookies") or {}).get("Forward") if forwarded else None,
            "min_ttl": behaviour.get("MinTTL"), "default_ttl": behaviour.get("DefaultTTL"),
            "max_ttl": behaviour.get("MaxTTL")}


def _live_certificate(reader: AwsReader, certificate: dict) -> dict[str, Any]:
    """The ACM certificate's domain (DescribeCertificate in the certificate's region) and the SSL
    support method; both None with CloudFront's default certificate."""
    arn = certificate.get("ACMCertificateArn")
    if arn:
        described = detail(lambda: reader.call("acm", arns.region(arn) or reader.global_region, "describe_certificate",
                                                CertificateArn=arn)["Certificate"])
        domain = described if isinstance(described, Unreadable) else described.get("DomainName")
    elif certificate.get("IAMCertificateId"):
        domain = Unknown("ViewerCertificate.IAMCertificateId", "an IAM server certificate: its domain is not read")
    else:
        domain = None
    custom = bool(arn or certificate.get("IAMCertificateId"))
    return {"certificate_domain": domain, "ssl_support_method": certificate.get("SSLSupportMethod") if custom else None}


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
                                   enabled=summary.get("Enabled"),
                                   aliases=list((summary.get("Aliases") or {}).get("Items") or []),
                                   has_origin_failover=failover,
                                   origin_failover_status_codes=sorted(int(c) for c in codes or []),
                                   origin_group_id=behaviour.get("TargetOriginId") if group else None,
                                   viewer_protocol_policy=behaviour.get("ViewerProtocolPolicy"),
                                   **_live_origins(summary), **_live_behaviour(behaviour),
                                   geo_restriction=((summary.get("Restrictions") or {}).get("GeoRestriction") or {})
                                   .get("RestrictionType"),
                                   **_live_certificate(reader, summary.get("ViewerCertificate") or {})))
    return found


KIND = declare_kind(
    "cloudfront_distribution", "global", "A CloudFront distribution.",
    attributes={
        "id": (STR, "distribution id"),
        "comment": (STR, "the distribution's comment"),
        "enabled": (BOOL, "accepts viewer requests (a disabled distribution serves none and meets no row)"),
        "aliases": (STR_LIST, "alternate domain names"),
        "has_origin_failover": (BOOL, "an origin group with failover serves the default behaviour"),
        "origin_failover_status_codes": (INT_LIST, "HTTP status codes that fail the default behaviour's "
                                                  "origin group over to its second origin ([] without one)"),
        "origin_group_id": (STR, "id of the origin group the default behaviour targets (none: a single origin)"),
        "viewer_protocol_policy": (STR, "default behaviour's viewer protocol policy"),
        "origin_domains": (STR_LIST, "domain names of its origins, sorted"),
        "origin_regions": (MAP, "origin id -> region of its AWS endpoint (Terraform: the region of the resource "
                                "its domain_name refers to); none for a name outside AWS"),
        "origin_protocol_policies": (STR_LIST, "distinct protocol policies of its custom origins"),
        "origin_ssl_protocols": (STR_LIST, "every SSL/TLS protocol any custom origin allows"),
        "origin_http_ports": (INT_LIST, "distinct HTTP ports of its custom origins"),
        "origin_https_ports": (INT_LIST, "distinct HTTPS ports of its custom origins"),
        "allowed_methods": (STR_LIST, "HTTP methods the default behaviour accepts, sorted"),
        "cached_methods": (STR_LIST, "HTTP methods whose responses the default behaviour caches, sorted"),
        "forward_query_string": (BOOL, "the default behaviour forwards query strings (none under a cache policy)"),
        "forward_cookies": (STR, "cookies the default behaviour forwards: none, whitelist or all "
                                 "(none under a cache policy)"),
        "min_ttl": (INT, "default behaviour's minimum TTL, seconds (unset: 0)"),
        "default_ttl": (INT, "default behaviour's default TTL, seconds (unset: 86400)"),
        "max_ttl": (INT, "default behaviour's maximum TTL, seconds (unset: 31536000)"),
        "geo_restriction": (STR, "geo restriction type: none, whitelist or blacklist"),
        "certificate_domain": (STR, "domain name of its ACM viewer certificate (none: CloudFront's default)"),
        "ssl_support_method": (STR, "sni-only, vip or static-ip with a custom certificate, else none"),
    },
    terraform={"aws_cloudfront_distribution": cloudfront_distribution},
    service="cloudfront", collect=cloudfront_distributions,
    reads={"cloudfront": {"ListDistributions": "cloudfront:ListDistributions"},
           "acm": {"DescribeCertificate": "acm:DescribeCertificate"}},
    states={
        "cloudfront_distribution": StateRule("Enabled", frozenset({True}), "a disabled distribution serves no requests"),
    },
)
