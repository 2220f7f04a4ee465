"""The AWS kinds and attributes CRM (seed 003) needs: ``vpn_connection`` (new),
``elasticache_replication_group.engine_version`` / ``num_cache_clusters`` / ``auth_token_enabled`` and
``acm_certificate.validation_method``. Each from Terraform, from AWS's response shapes (Stubber
validates them against the service model: states that do not count, a second page, a failed detail
read) and from the sandbox."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
from botocore.stub import ANY, Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from dr_audit.kinds.elasticache_replication_group import engine_version
from dr_audit.sandbox.estate import load_estate, seed
from dr_audit.terraform.values import Unknown
from tests.conftest import REPO, one

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
TEST_ESTATES = REPO / "tests" / "estates"


def stubbed(service: str) -> tuple[AwsReader, Stubber]:
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client(service, REGION))


# ----- vpn_connection: Terraform ---------------------------------------------------

VPN_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{REGION}"
    }}
    variable "tunnel1_key" {{
      type    = string
      default = "SECRET-TUNNEL-KEY-1"
    }}
    resource "aws_customer_gateway" "gcp" {{
      bgp_asn    = 65000
      ip_address = "35.242.10.20"
      type       = "ipsec.1"
    }}
    resource "aws_vpn_connection" "static" {{
      customer_gateway_id   = aws_customer_gateway.gcp.id
      vpn_gateway_id        = "vgw-0123"
      type                  = "ipsec.1"
      static_routes_only    = true
      tunnel1_preshared_key = var.tunnel1_key
      tags                  = {{ Name = "crm-dr-vpn-tunnel-1" }}
    }}
    resource "aws_vpn_connection_route" "gcp" {{
      destination_cidr_block = "10.20.0.0/20"
      vpn_connection_id      = aws_vpn_connection.static.id
    }}
    resource "aws_vpn_connection" "bgp" {{
      customer_gateway_id = "cgw-elsewhere"
      vpn_gateway_id      = "vgw-0123"
      type                = "ipsec.1"
      static_routes_only  = null
      tags                = {{ Name = "crm-dr-vpn-tunnel-2" }}
    }}
'''}


def test_a_vpn_connection_in_code_has_two_tunnels_whose_status_only_the_account_knows(tree):
    inventory = tree(VPN_TF)
    static = one(inventory, "vpn_connection", name="crm-dr-vpn-tunnel-1")
    assert static.value("tunnel_count") == 2 and static.value("static_routes_only") is True
    assert static.value("static_routes") == ["10.20.0.0/20"]
    assert static.value("customer_gateway_ip") == "35.242.10.20"
    for computed in ("state", "tunnels_up"):
        assert isinstance(static.value(computed), Unknown) and "after apply" in static.value(computed).reason


def test_null_static_routes_only_is_bgp_and_an_undeclared_gateway_is_unknown(tree):
    bgp = one(tree(VPN_TF), "vpn_connection", name="crm-dr-vpn-tunnel-2")
    assert bgp.value("static_routes_only") is False and bgp.value("static_routes") == []
    assert isinstance(bgp.value("customer_gateway_ip"), Unknown)


def test_the_pre_shared_key_is_never_evidence(tree):
    for resource in tree(VPN_TF).resources:
        for value in resource.attributes.values():
            assert "SECRET-TUNNEL-KEY" not in f"{value.value!r} {value.expression} {value.note}"


# ----- vpn_connection: AWS's response shapes -----------------------------------------

def _connection(vpn_id: str, state: str = "available", tunnels=("UP", "UP"), name: str | None = None,
                routes=(), static: bool | None = None) -> dict:
    connection = {"VpnConnectionId": vpn_id, "State": state, "Type": "ipsec.1", "CustomerGatewayId": "cgw-1",
                  "VpnGatewayId": "vgw-1",
                  "VgwTelemetry": [{"OutsideIpAddress": f"203.0.113.{n}", "Status": status, "StatusMessage": "",
                                    "AcceptedRouteCount": 1, "LastStatusChange": datetime(2026, 12, 1, tzinfo=timezone.utc)}
                                   for n, status in enumerate(tunnels, 1)],
                  "Routes": [{"DestinationCidrBlock": cidr, "Source": "Static", "State": route_state}
                             for cidr, route_state in routes],
                  "Tags": [{"Key": "Name", "Value": name}] if name else []}
    return {**connection, "Options": {"StaticRoutesOnly": static}} if static is not None else connection


GATEWAYS = {"CustomerGateways": [{"CustomerGatewayId": "cgw-1", "IpAddress": "35.242.10.20", "State": "available",
                                  "Type": "ipsec.1", "BgpAsn": "65000"}]}


def test_only_an_available_connection_counts_and_only_up_tunnels_and_available_routes():
    reader, stub = stubbed("ec2")
    stub.add_response("describe_customer_gateways", GATEWAYS, {})
    # DescribeVpnConnections has no pagination: one call returns every connection
    stub.add_response("describe_vpn_connections", {"VpnConnections": [
        _connection("vpn-1", tunnels=("UP", "DOWN"), name="crm-dr-vpn-tunnel-1", static=True,
                    routes=[("10.20.0.0/20", "available"), ("10.99.0.0/16", "pending")]),
        _connection("vpn-2", state="pending"), _connection("vpn-3", state="deleted")]}, {})
    with stub:
        found = {c.address: c for c in KINDS["vpn_connection"].collect(reader, REGION)}
    stub.assert_no_pending_responses()
    assert set(found) == {"vpn-1", "vpn-2"}  # AWS lists a deleted connection for a while: it is gone
    one_down = found["vpn-1"]
    assert one_down.out_of_service is None and one_down.value("name") == "crm-dr-vpn-tunnel-1"
    assert (one_down.value("tunnel_count"), one_down.value("tunnels_up")) == (2, 1)
    assert one_down.value("static_routes") == ["10.20.0.0/20"] and one_down.value("static_routes_only") is True
    assert one_down.value("customer_gateway_ip") == "35.242.10.20"
    assert found["vpn-2"].out_of_service.startswith("State pending")
    assert found["vpn-2"].value("static_routes_only") is False


def test_a_customer_gateway_listing_denied_leaves_only_its_address_unreadable():
    reader, stub = stubbed("ec2")
    stub.add_client_error("describe_customer_gateways", "UnauthorizedOperation", http_status_code=403,
                          expected_params={})
    stub.add_response("describe_vpn_connections", {"VpnConnections": [_connection("vpn-1")]}, {})
    with stub:
        [connection] = KINDS["vpn_connection"].collect(reader, REGION)
    assert isinstance(connection.value("customer_gateway_ip"), Unreadable)
    assert connection.value("tunnels_up") == 2


def test_a_vpn_connection_with_static_routes_is_collected_from_the_sandbox(sandbox, reader_for):
    seed(sandbox, load_estate(TEST_ESTATES, "vpn-static"))
    inventory = collect_aws(reader_for(), {"vpn_connection": {REGION}})
    assert inventory.errors == []
    connection = one(inventory, "vpn_connection", name="static-vpn")
    assert connection.value("state") == "available" and connection.value("tunnels_up") == 2
    assert connection.value("static_routes") == ["10.20.0.0/20"] and connection.value("static_routes_only") is True
    assert connection.value("customer_gateway_ip") == "35.242.10.20"


def test_the_crm_vpn_is_collected_from_the_as_found_estate(reader_for):
    inventory = collect_aws(reader_for("crm-as-found"), {"vpn_connection": {REGION}})
    connection = one(inventory, "vpn_connection", name="crm-dr-vpn-tunnel-1")
    assert connection.value("static_routes_only") is False and connection.value("tunnels_up") == 2


# ----- elasticache_replication_group: version, nodes, AUTH ---------------------------------

REDIS_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{REGION}"
    }}
    variable "token" {{
      type      = string
      sensitive = true
      default   = "A-REAL-LOOKING-TOKEN-0123"
    }}
    resource "aws_elasticache_replication_group" "with_token" {{
      replication_group_id = "with-token"
      description          = "x"
      engine_version       = "7.0"
      num_cache_clusters   = 3
      auth_token           = "LITERAL-TOKEN-IN-CODE-0123"
    }}
    resource "aws_elasticache_replication_group" "null_token" {{
      replication_group_id = "null-token"
      description          = "x"
      auth_token           = false ? var.token : null
    }}
'''}


def test_auth_token_is_read_as_set_or_not_and_never_as_its_text(tree):
    inventory = tree(REDIS_TF)
    with_token = one(inventory, "elasticache_replication_group", id="with-token")
    assert with_token.value("auth_token_enabled") is True
    assert (with_token.value("engine_version"), with_token.value("num_cache_clusters")) == ("7.0", 3)
    evidence = with_token.attributes["auth_token_enabled"]
    assert "LITERAL-TOKEN" not in f"{evidence.expression} {evidence.note}"
    null_token = one(inventory, "elasticache_replication_group", id="null-token")
    assert null_token.value("auth_token_enabled") is False
    assert isinstance(null_token.value("engine_version"), Unknown)
    assert isinstance(null_token.value("num_cache_clusters"), Unknown)


def test_engine_versions_compare_as_major_minor_from_redis_6():
    assert [engine_version(v) for v in ("7.0.7", "7.1.0", "6.2.6", "5.0.6", None)] == ["7.0", "7.1", "6.2", "5.0.6", None]


def _group(name: str, members: int, token: bool = True) -> dict:
    return {"ReplicationGroupId": name, "Status": "available", "CacheNodeType": "cache.t3.medium",
            "ARN": f"arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:{name}", "AuthTokenEnabled": token,
            "MemberClusters": [f"{name}-{n:03}" for n in range(1, members + 1)]}


def _cluster(name: str, group: str, version: str) -> dict:
    return {"CacheClusterId": name, "ReplicationGroupId": group, "EngineVersion": version, "Engine": "redis",
            "CacheClusterStatus": "available"}


def test_version_nodes_and_auth_are_read_from_every_page_of_both_listings():
    reader, stub = stubbed("elasticache")
    stub.add_response("describe_replication_groups", {"ReplicationGroups": [_group("crm", 3)], "Marker": "g2"}, {})
    stub.add_response("describe_replication_groups", {"ReplicationGroups": [
        _group("upgrading", 2, token=False), _group("no-members", 1)]}, {"Marker": "g2"})
    stub.add_response("describe_cache_clusters", {"CacheClusters": [
        _cluster("crm-001", "crm", "7.0.7"), _cluster("crm-002", "crm", "7.0.7"), _cluster("upgrading-001", "upgrading", "7.0.7")],
        "Marker": "c2"}, {})
    stub.add_response("describe_cache_clusters", {"CacheClusters": [
        _cluster("crm-003", "crm", "7.0.7"), _cluster("upgrading-002", "upgrading", "7.1.0"),
        {"CacheClusterId": "standalone", "EngineVersion": "7.1.0", "CacheClusterStatus": "available"}]}, {"Marker": "c2"})
    with stub:
        groups = {g.value("id"): g for g in KINDS["elasticache_replication_group"].collect(reader, REGION)}
    stub.assert_no_pending_responses()
    crm = groups["crm"]
    assert (crm.value("engine_version"), crm.value("num_cache_clusters"), crm.value("auth_token_enabled")) == ("7.0", 3, True)
    upgrading = groups["upgrading"]
    assert upgrading.value("engine_version") is None and "7.0, 7.1" in upgrading.attributes["engine_version"].note
    assert upgrading.value("auth_token_enabled") is False
    assert groups["no-members"].value("engine_version") is None


def test_a_cache_cluster_listing_denied_leaves_only_the_version_unreadable():
    reader, stub = stubbed("elasticache")
    stub.add_response("describe_replication_groups", {"ReplicationGroups": [_group("crm", 3)]}, {})
    stub.add_client_error("describe_cache_clusters", "AccessDenied", http_status_code=403, expected_params={})
    with stub:
        [group] = KINDS["elasticache_replication_group"].collect(reader, REGION)
    assert isinstance(group.value("engine_version"), Unreadable)
    assert group.value("num_cache_clusters") == 3


def test_the_crm_redis_is_collected_with_its_three_nodes_and_version_from_the_sandbox(reader_for):
    inventory = collect_aws(reader_for("crm-as-found"), {"elasticache_replication_group": {REGION}})
    redis = one(inventory, "elasticache_replication_group", id="crm-dr-redis")
    assert (redis.value("engine_version"), redis.value("num_cache_clusters"), redis.value("auth_token_enabled")) == (
        "7.0", 3, True)


# ----- acm_certificate.validation_method -------------------------------------------------

def _summary(name: str) -> dict:
    return {"CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{name}", "DomainName": f"{name}.example.com",
            "Status": "ISSUED", "Type": "AMAZON_ISSUED"}


def test_the_validation_method_of_the_primary_domain_is_read_and_a_failed_describe_is_unreadable():
    reader, stub = stubbed("acm")
    stub.add_response("list_certificates", {"CertificateSummaryList": [_summary("crm"), _summary("denied")]},
                      {"Includes": ANY})
    stub.add_response("describe_certificate", {"Certificate": {
        "CertificateArn": _summary("crm")["CertificateArn"], "DomainName": "crm.example.com",
        "DomainValidationOptions": [{"DomainName": "www.crm.example.com", "ValidationMethod": "EMAIL"},
                                    {"DomainName": "crm.example.com", "ValidationMethod": "DNS"}]}},
        {"CertificateArn": _summary("crm")["CertificateArn"]})
    stub.add_client_error("describe_certificate", "AccessDeniedException", http_status_code=403,
                          expected_params={"CertificateArn": _summary("denied")["CertificateArn"]})
    with stub:
        found = {c.value("domain_name"): c for c in KINDS["acm_certificate"].collect(reader, REGION)}
    stub.assert_no_pending_responses()
    assert found["crm.example.com"].value("validation_method") == "DNS"
    assert isinstance(found["denied.example.com"].value("validation_method"), Unreadable)


def test_validation_method_in_code_is_as_written_and_none_when_unset(tree):
    inventory = tree({"main.tf": f'''
        provider "aws" {{
          region = "{REGION}"
        }}
        resource "aws_acm_certificate" "dns" {{
          domain_name       = "crm.example.com"
          validation_method = "DNS"
        }}
        resource "aws_acm_certificate" "private" {{
          domain_name = "internal.example.com"
        }}
    '''})
    assert one(inventory, "acm_certificate", domain_name="crm.example.com").value("validation_method") == "DNS"
    assert one(inventory, "acm_certificate", domain_name="internal.example.com").value("validation_method") is None
