"""``cloudfront_distribution``'s origins, default behaviour, restrictions and certificate:
Terraform (the provider's defaults, a cache policy instead of forwarded values, a
certificate by reference or by ARN), the collector against AWS's response shapes
(Stubber: a second page, a disabled distribution, a certificate ACM will not describe),
the sandbox, and the FileFlow rows failing on planted evidence."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.evaluate import evaluate_full
from dr_audit.findings import Status
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.kinds.cloudfront_distribution import endpoint_region
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.values import Unknown
from tests.conftest import REPO, one

PRIMARY, DR, EDGE = "ap-northeast-2", "ap-northeast-1", "us-east-1"
ACCOUNT = "123456789012"
FILEFLOW = REPO / "policies" / "fileflow-hybrid.yaml"
FILEFLOW_REMEDIATED = REPO / "fixtures" / "terraform" / "fileflow-remediated"
CERTIFICATE = f"arn:aws:acm:{EDGE}:{ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555"

BEHAVIOUR = ("allowed_methods", "cached_methods", "forward_query_string", "forward_cookies",
             "min_ttl", "default_ttl", "max_ttl")
ORIGINS = ("origin_domains", "origin_regions", "origin_protocol_policies", "origin_ssl_protocols",
           "origin_http_ports", "origin_https_ports")

TF = {"main.tf": f'''
    provider "aws" {{
      region = "{PRIMARY}"
    }}
    provider "aws" {{
      alias  = "dr"
      region = "{DR}"
    }}
    provider "aws" {{
      alias  = "edge"
      region = "{EDGE}"
    }}
    resource "aws_lb" "dr" {{
      provider = aws.dr
      name     = "web-dr"
    }}
    resource "aws_acm_certificate" "web" {{
      provider    = aws.edge
      domain_name = "www.example.com"
    }}
    resource "aws_cloudfront_distribution" "legacy" {{
      enabled = true
      comment = "legacy"
      origin {{
        origin_id   = "seoul"
        domain_name = "web-1.{PRIMARY}.elb.amazonaws.com"
        custom_origin_config {{
          http_port              = 80
          https_port             = 443
          origin_protocol_policy = "https-only"
          origin_ssl_protocols   = ["TLSv1.2"]
        }}
      }}
      origin {{
        origin_id   = "tokyo"
        domain_name = aws_lb.dr.dns_name
        custom_origin_config {{
          http_port              = 8080
          https_port             = 443
          origin_protocol_policy = "match-viewer"
          origin_ssl_protocols   = ["TLSv1.1", "TLSv1.2"]
        }}
      }}
      default_cache_behavior {{
        target_origin_id       = "seoul"
        viewer_protocol_policy = "allow-all"
        allowed_methods        = ["HEAD", "GET"]
        cached_methods         = ["HEAD", "GET"]
        forwarded_values {{
          query_string = false
          cookies {{
            forward = "none"
          }}
        }}
      }}
      restrictions {{
        geo_restriction {{
          restriction_type = "whitelist"
          locations        = ["KR"]
        }}
      }}
      viewer_certificate {{
        acm_certificate_arn = aws_acm_certificate.web.arn
        ssl_support_method  = "sni-only"
      }}
    }}
    resource "aws_cloudfront_distribution" "policy" {{
      enabled = false
      comment = "policy"
      origin {{
        origin_id   = "site"
        domain_name = "www.example.org"
      }}
      default_cache_behavior {{
        target_origin_id       = "site"
        viewer_protocol_policy = "https-only"
        allowed_methods        = ["GET", "HEAD"]
        cached_methods         = ["GET", "HEAD"]
        cache_policy_id        = "658327ea-f89d-4fab-a63d-7e88639e58f6"
      }}
      restrictions {{
        geo_restriction {{
          restriction_type = "none"
        }}
      }}
      viewer_certificate {{
        cloudfront_default_certificate = true
      }}
    }}
    resource "aws_cloudfront_distribution" "by_arn" {{
      enabled = true
      comment = "by-arn"
      origin {{
        origin_id   = "site"
        domain_name = "www.example.org"
      }}
      default_cache_behavior {{
        target_origin_id       = "site"
        viewer_protocol_policy = "https-only"
        allowed_methods        = ["GET", "HEAD"]
        cached_methods         = ["GET", "HEAD"]
        cache_policy_id        = "658327ea-f89d-4fab-a63d-7e88639e58f6"
        default_ttl            = 60
      }}
      restrictions {{
        geo_restriction {{
          restriction_type = "none"
        }}
      }}
      viewer_certificate {{
        acm_certificate_arn = "{CERTIFICATE}"
        ssl_support_method  = "vip"
      }}
    }}
'''}


def _values(resource, names):
    return [resource.value(name) for name in names]


def test_the_region_of_an_aws_endpoint_name():
    assert endpoint_region(f"dualstack.web-1.{PRIMARY}.elb.amazonaws.com.") == PRIMARY
    assert endpoint_region(f"net-0123abcd.elb.{DR}.amazonaws.com") == DR
    assert endpoint_region(f"logs.s3.{DR}.amazonaws.com") == DR
    assert endpoint_region(f"logs.s3-website-{DR}.amazonaws.com") == DR
    assert endpoint_region("d111111abcdef8.cloudfront.net") is None
    assert endpoint_region(None) is None


# ----- Terraform -------------------------------------------------------------------

def test_origins_and_a_legacy_behaviour_with_the_providers_default_ttls(tree):
    legacy = one(tree(TF), "cloudfront_distribution", comment="legacy")
    # a referenced load balancer's DNS name is known only after apply; its region is its provider's
    assert isinstance(legacy.value("origin_domains"), Unknown)
    assert _values(legacy, ORIGINS[1:]) == [{"seoul": PRIMARY, "tokyo": DR}, ["https-only", "match-viewer"],
                                            ["TLSv1.1", "TLSv1.2"], [80, 8080], [443]]
    assert _values(legacy, BEHAVIOUR) == [["GET", "HEAD"], ["GET", "HEAD"], False, "none", 0, 86_400, 31_536_000]
    assert "provider default" in legacy.attributes["default_ttl"].note
    assert _values(legacy, ("enabled", "origin_group_id", "geo_restriction", "certificate_domain",
                            "ssl_support_method")) == [True, None, "whitelist", "www.example.com", "sni-only"]


def test_a_cache_policy_behaviour_forwards_nothing_itself_and_its_ttls_are_the_policys(tree):
    policy = one(tree(TF), "cloudfront_distribution", comment="policy")
    assert _values(policy, BEHAVIOUR[2:4]) == [None, None]
    for name in ("min_ttl", "default_ttl", "max_ttl"):
        assert isinstance(policy.value(name), Unknown), name
    # a domain outside AWS has no region; an origin without custom_origin_config adds no settings
    assert _values(policy, ORIGINS) == [["www.example.org"], {"site": None}, [], [], [], []]
    assert _values(policy, ("enabled", "certificate_domain", "ssl_support_method")) == [False, None, None]


def test_a_certificate_by_arn_has_an_unknown_domain_and_a_written_ttl_counts(tree):
    by_arn = one(tree(TF), "cloudfront_distribution", comment="by-arn")
    assert isinstance(by_arn.value("certificate_domain"), Unknown)
    assert (by_arn.value("default_ttl"), by_arn.value("ssl_support_method")) == (60, "vip")


# ----- the account: AWS's response shapes ------------------------------------------

def _summary(distribution_id: str, enabled: bool = True, certificate: dict | None = None) -> dict:
    origin = lambda origin_id, domain, port: {
        "Id": origin_id, "DomainName": domain, "CustomOriginConfig": {
            "HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}}
    return {
        "Id": distribution_id, "ARN": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{distribution_id}",
        "Status": "Deployed", "LastModifiedTime": "2026-01-01T00:00:00Z", "DomainName": "d1.cloudfront.net",
        "Aliases": {"Quantity": 0}, "Comment": distribution_id, "PriceClass": "PriceClass_All", "Enabled": enabled,
        "Origins": {"Quantity": 2, "Items": [origin("seoul", f"web-1.{PRIMARY}.elb.amazonaws.com.", 80),
                                             origin("tokyo", f"Web-2.{DR}.elb.amazonaws.com", 8080)]},
        "OriginGroups": {"Quantity": 1, "Items": [{
            "Id": "both", "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [503]}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": "seoul"}, {"OriginId": "tokyo"}]}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "both", "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": {"Quantity": 3, "Items": ["OPTIONS", "GET", "HEAD"],
                               "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]}},
            "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "all"}},
            "MinTTL": 0, "DefaultTTL": 300, "MaxTTL": 3600},
        "CacheBehaviors": {"Quantity": 0}, "CustomErrorResponses": {"Quantity": 0},
        "ViewerCertificate": certificate or {"CloudFrontDefaultCertificate": True, "SSLSupportMethod": "vip"},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "", "HttpVersion": "http2", "IsIPV6Enabled": True, "Staging": False}


def test_the_collector_reads_every_page_and_describes_each_acm_certificate():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    cloudfront, acm = Stubber(reader.client("cloudfront", EDGE)), Stubber(reader.client("acm", EDGE))
    page = lambda items, **more: {"DistributionList": {"Marker": "", "MaxItems": 1, "IsTruncated": bool(more),
                                                       "Quantity": len(items), "Items": items, **more}}
    custom = {"ACMCertificateArn": CERTIFICATE, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
    cloudfront.add_response("list_distributions", page([_summary("EONE", certificate=custom)], NextMarker="m"), {})
    cloudfront.add_response("list_distributions", page([_summary("ETWO", enabled=False),
                                                        _summary("ETHREE", certificate=custom)]), {"Marker": "m"})
    acm.add_response("describe_certificate", {"Certificate": {"CertificateArn": CERTIFICATE,
                                                              "DomainName": "www.example.com"}},
                     {"CertificateArn": CERTIFICATE})
    with cloudfront, acm:
        found = {d.value("id"): d for d in KINDS["cloudfront_distribution"].collect(reader, PRIMARY)}
    cloudfront.assert_no_pending_responses()
    acm.assert_no_pending_responses()  # one read per certificate, however many distributions use it
    first = found["EONE"]
    assert _values(first, ORIGINS) == [[f"web-1.{PRIMARY}.elb.amazonaws.com", f"web-2.{DR}.elb.amazonaws.com"],
                                       {"seoul": PRIMARY, "tokyo": DR}, ["https-only"], ["TLSv1.2"], [80, 8080], [443]]
    assert _values(first, BEHAVIOUR) == [["GET", "HEAD", "OPTIONS"], ["GET", "HEAD"], True, "all", 0, 300, 3600]
    assert _values(first, ("enabled", "origin_group_id", "geo_restriction", "certificate_domain",
                           "ssl_support_method")) == [True, "both", "none", "www.example.com", "sni-only"]
    # a disabled distribution is read, but serves nothing; the default certificate is no custom one
    second = found["ETWO"]
    assert second.value("enabled") is False and second.out_of_service.startswith("Enabled false")
    assert _values(second, ("certificate_domain", "ssl_support_method")) == [None, None]


def test_a_certificate_acm_will_not_describe_is_unreadable_and_nothing_else_is():
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    cloudfront, acm = Stubber(reader.client("cloudfront", EDGE)), Stubber(reader.client("acm", EDGE))
    cloudfront.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 1, "IsTruncated": False, "Quantity": 1,
        "Items": [_summary("EONE", certificate={"ACMCertificateArn": CERTIFICATE, "SSLSupportMethod": "sni-only"})]}}, {})
    acm.add_client_error("describe_certificate", "AccessDeniedException", "no", 400,
                         expected_params={"CertificateArn": CERTIFICATE})
    with cloudfront, acm:
        [distribution] = KINDS["cloudfront_distribution"].collect(reader, PRIMARY)
    assert isinstance(distribution.value("certificate_domain"), Unreadable)
    assert distribution.value("ssl_support_method") == "sni-only" and distribution.value("default_ttl") == 300


# ----- the FileFlow rows: the sandbox and planted evidence -------------------------

def _fileflow_findings(sandbox, reader_for, change=None) -> dict:
    """Every FileFlow cloudfront_distribution row on the remediated code and estate, after
    ``change(config)`` (a DistributionConfig edited in place and written back) when given."""
    policy = load_policy(FILEFLOW)
    reader_for("fileflow-remediated")
    if change is not None:
        client = sandbox.session().client("cloudfront", region_name=EDGE, endpoint_url=sandbox.url)
        [summary] = client.list_distributions()["DistributionList"]["Items"]
        answer = client.get_distribution_config(Id=summary["Id"])
        config = answer["DistributionConfig"]
        change(config)
        client.update_distribution(Id=summary["Id"], IfMatch=answer["ETag"], DistributionConfig=config)
    live = collect_aws(reader_for(), {"cloudfront_distribution": {PRIMARY}})
    assert live.errors == []
    code = collect_terraform(FILEFLOW_REMEDIATED, {r.name: r.terraform_root for r in policy.roles.values()
                                                   if r.terraform_root})
    return {row.id: evaluate_full(row, policy, code, live) for row in policy.rows
            if row.kind == "cloudfront_distribution" and row.measure is None}


def test_the_fileflow_rows_pass_on_the_remediated_sandbox(sandbox, reader_for):
    findings = _fileflow_findings(sandbox, reader_for)
    assert {i: f.message for i, f in findings.items() if f.status is not Status.PASS} == {}


def test_the_fileflow_rows_drift_on_a_distribution_changed_by_hand(sandbox, reader_for):
    def change(config):
        for origin in config["Origins"]["Items"]:
            origin["CustomOriginConfig"].update(OriginProtocolPolicy="match-viewer", HTTPPort=8080,
                                                OriginSslProtocols={"Quantity": 2, "Items": ["TLSv1.1", "TLSv1.2"]})
        config["Origins"]["Items"][1]["DomainName"] = config["Origins"]["Items"][0]["DomainName"]
        behaviour = config["DefaultCacheBehavior"]
        behaviour["AllowedMethods"] = {"Quantity": 2, "Items": ["GET", "HEAD"],
                                       "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}
        behaviour["ForwardedValues"] = {"QueryString": False, "Cookies": {"Forward": "none"}}
        behaviour.update(MinTTL=5, DefaultTTL=86400, MaxTTL=31536000)
        config["Restrictions"] = {"GeoRestriction": {"RestrictionType": "whitelist", "Quantity": 1, "Items": ["KR"]}}
        config["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}

    findings = _fileflow_findings(sandbox, reader_for, change)
    drift = {"CF-ORIGIN-REGIONS", "CF-ORIGIN-HTTPS-ONLY", "CF-ORIGIN-TLS12", "CF-ORIGIN-HTTP-PORT", "CF-ALLOWED-METHODS",
             "CF-FORWARD-QUERY-STRING", "CF-FORWARD-COOKIES", "CF-MIN-TTL", "CF-DEFAULT-TTL", "CF-MAX-TTL",
             "CF-GEO-RESTRICTION", "CF-CERTIFICATE", "CF-SNI-ONLY"}
    assert {i for i, f in findings.items() if f.status is Status.DRIFT} == drift
    assert findings["CF-ORIGIN-REGIONS"].live.value == {"primary": PRIMARY, "dr": PRIMARY}
    assert findings["CF-ENABLED"].status is Status.PASS


def test_a_disabled_fileflow_distribution_meets_no_row(sandbox, reader_for):
    findings = _fileflow_findings(sandbox, reader_for, lambda config: config.update(Enabled=False))
    assert findings["CF-ENABLED"].status is not Status.PASS
    assert findings["CF-DEFAULT-TTL"].status is not Status.PASS
