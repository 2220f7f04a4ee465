"""The CRM policy (seed 003) against planted bad evidence: every row added for a value the guide
states fails when the code or the account says otherwise, the strict ``less_than`` comparator
surfaces "lag normally 1-5 s" against "RPO 5 s", a VPN connection gone from the account is
UNDEPLOYED, and the route to Google Cloud fails on a planted account (propagation off, nothing or
something else learned over BGP). The shipped as-found estate meets these values (the guide
names no defect in them), so bad evidence is planted here, in copies under tmp_path."""

from __future__ import annotations

import shutil
import textwrap
from types import SimpleNamespace

import pytest

from dr_audit.aws.collect import collect_aws
from dr_audit.comparators import COMPARATORS
from dr_audit.evaluate import evaluate_full, evaluate_static
from dr_audit.findings import SourceState, Status
from dr_audit.kinds.registry import aws_collectors
from dr_audit.policy import load_policy
from dr_audit.sandbox.estate import load_estate, seed
from dr_audit.terraform.collector import collect_terraform
from tests.conftest import ESTATES, REPO

POLICY = REPO / "policies" / "crm-active-active.yaml"
FIXTURE = REPO / "fixtures" / "terraform" / "crm"
AWS_TFVARS = "environments/aws/dr/terraform.tfvars"
AWS_MAIN = "environments/aws/dr/main.tf"
GCP_TFVARS = "environments/gcp/dr/terraform.tfvars"
EDGE_MAIN = "environments/global/cloudflare-lb/main.tf"
EDGE_TFVARS = "environments/global/cloudflare-lb/terraform.tfvars"

#: (file, text as shipped, planted text) -> the rows the planted text must make fail
PLANTED = {
    (AWS_TFVARS, 'elasticache_engine_version             = "7.0"', 'elasticache_engine_version             = "6.2"'):
        ["REDIS-VERSION-AWS"],
    (AWS_TFVARS, "elasticache_num_cache_clusters         = 3", "elasticache_num_cache_clusters         = 2"):
        ["REDIS-NODES-AWS"],
    (AWS_TFVARS, "elasticache_auth_token_enabled         = true", "elasticache_auth_token_enabled         = false"):
        ["REDIS-AUTH-AWS"],
    (AWS_TFVARS, "rds_allocated_storage       = 200", "rds_allocated_storage       = 100"): ["RDS-STORAGE-AWS"],
    (AWS_TFVARS, 'rds_database_name           = "crm"', 'rds_database_name           = "postgres"'):
        ["RDS-DB-NAME-AWS"],
    (AWS_TFVARS, 'rds_master_username         = "crmadmin"', 'rds_master_username         = "postgres"'):
        ["RDS-USER-AWS"],
    (AWS_TFVARS, "rds_skip_final_snapshot     = false", "rds_skip_final_snapshot     = true"):
        ["RDS-FINAL-SNAPSHOT-AWS"],
    (AWS_TFVARS, "alb_deletion_protection = true", "alb_deletion_protection = false"): ["ALB-DELETION-PROTECTION-AWS"],
    (AWS_TFVARS, "enable_vpn                = true", "enable_vpn                = false"):
        ["VPN-AVAILABLE-AWS", "VPN-NAME-AWS", "VPN-TUNNELS-UP-AWS", "VPN-BGP-AWS", "VPN-GW-PROPAGATION-AWS",
         "VPN-GCP-ROUTE-LEARNED-AWS"],
    # no propagation in code: no route table gets the Google Cloud CIDR from the gateway
    (AWS_MAIN, 'resource "aws_vpn_gateway_route_propagation" "private" {\n  count          = var.enable_vpn ? 1 : 0',
     'resource "aws_vpn_gateway_route_propagation" "private" {\n  count          = 0'):
        ["VPN-GW-PROPAGATION-AWS", "VPN-GCP-ROUTE-LEARNED-AWS"],
    (GCP_TFVARS, 'cluster_name = "crm-dr-gke"', 'cluster_name = "crm-gke"'):
        ["GKE-CLUSTER-GCP", "GKE-RELEASE-CHANNEL-GCP", "GKE-PRIVATE-NODES-GCP", "GKE-MACHINE-TYPE-GCP",
         "GKE-DISK-GCP", "GKE-MIN-GCP", "GKE-MAX-GCP", "GKE-INITIAL-GCP"],
    (GCP_TFVARS, 'network_name                   = "crm-dr"', 'network_name                   = "default"'):
        ["GCP-NETWORK", "GCP-SUBNET-CIDR", "GCP-SUBNET-PODS", "GCP-SUBNET-SERVICES", "GCP-VPN-GATEWAY"],
    (GCP_TFVARS, 'subnet_ip_cidr_range           = "10.20.0.0/20"', 'subnet_ip_cidr_range           = "10.20.0.0/24"'):
        ["GCP-SUBNET-CIDR"],
    (GCP_TFVARS, 'subnet_secondary_pods_cidr     = "10.21.0.0/16"', 'subnet_secondary_pods_cidr     = "10.21.0.0/20"'):
        ["GCP-SUBNET-PODS"],
    (GCP_TFVARS, 'ip_range_services_name         = "crm-dr-services"', 'ip_range_services_name         = "services"'):
        ["GCP-SUBNET-SERVICES"],
    (GCP_TFVARS, 'cluster_release_channel      = "REGULAR"', 'cluster_release_channel      = "RAPID"'):
        ["GKE-RELEASE-CHANNEL-GCP"],
    (GCP_TFVARS, "cluster_enable_private_nodes = true", "cluster_enable_private_nodes = false"):
        ["GKE-PRIVATE-NODES-GCP"],
    (GCP_TFVARS, 'node_pool_machine_type       = "n2-standard-16"', 'node_pool_machine_type       = "e2-standard-4"'):
        ["GKE-MACHINE-TYPE-GCP"],
    (GCP_TFVARS, "node_pool_disk_size_gb       = 200", "node_pool_disk_size_gb       = 100"): ["GKE-DISK-GCP"],
    (GCP_TFVARS, "node_pool_min_count          = 3", "node_pool_min_count          = 1"): ["GKE-MIN-GCP"],
    (GCP_TFVARS, "node_pool_max_count          = 10", "node_pool_max_count          = 5"): ["GKE-MAX-GCP"],
    (GCP_TFVARS, "node_pool_initial_count      = 5", "node_pool_initial_count      = 3"): ["GKE-INITIAL-GCP"],
    (GCP_TFVARS, 'secret_manager_secret_id = "crm-dr-application"', 'secret_manager_secret_id = "crm-app"'):
        ["GCP-SECRET", "GCP-SECRET-LABELS"],
    (GCP_TFVARS, 'cloud_sql_tier                           = "db-custom-4-15360"',
     'cloud_sql_tier                           = "db-custom-2-7680"'): ["CLOUDSQL-TIER-GCP"],
    (GCP_TFVARS, "cloud_sql_disk_size                      = 200", "cloud_sql_disk_size                      = 100"):
        ["CLOUDSQL-DISK-SIZE-GCP"],
    (GCP_TFVARS, 'cloud_sql_disk_type                      = "PD_SSD"',
     'cloud_sql_disk_type                      = "PD_HDD"'): ["CLOUDSQL-DISK-TYPE-GCP"],
    (GCP_TFVARS, 'cloud_sql_database_name                  = "crm"',
     'cloud_sql_database_name                  = "app"'): ["CLOUDSQL-DATABASE-GCP"],
    (GCP_TFVARS, 'cloud_sql_user_name                      = "crmadmin"',
     'cloud_sql_user_name                      = "admin"'): ["CLOUDSQL-USER-GCP"],
    (GCP_TFVARS, 'memorystore_display_name            = "CRM DR Redis"',
     'memorystore_display_name            = "redis"'): ["MEMORYSTORE-DISPLAY-NAME-GCP"],
    (GCP_TFVARS, "memorystore_memory_size_gb          = 10", "memorystore_memory_size_gb          = 5"):
        ["MEMORYSTORE-MEMORY-GCP"],
    (GCP_TFVARS, "memorystore_auth_enabled            = true", "memorystore_auth_enabled            = false"):
        ["MEMORYSTORE-AUTH-GCP"],
    (GCP_TFVARS, 'memorystore_transit_encryption_mode = "SERVER_AUTHENTICATION"',
     'memorystore_transit_encryption_mode = "DISABLED"'): ["MEMORYSTORE-TRANSIT-GCP"],
    # persistence off: no RDB mode, and so no snapshot period either
    (GCP_TFVARS, 'memorystore_persistence_mode        = "RDB"', 'memorystore_persistence_mode        = "DISABLED"'):
        ["MEMORYSTORE-PERSISTENCE-GCP", "MEMORYSTORE-RDB-PERIOD-GCP"],
    (GCP_TFVARS, 'memorystore_rdb_snapshot_period     = "SIX_HOURS"',
     'memorystore_rdb_snapshot_period     = "TWENTY_FOUR_HOURS"'): ["MEMORYSTORE-RDB-PERIOD-GCP"],
    (GCP_TFVARS, '  role        = "active"', '  role        = "standby"'):
        ["CLOUDSQL-LABELS-GCP", "MEMORYSTORE-LABELS-GCP", "GCP-SECRET-LABELS"],
    (EDGE_MAIN, "health_check_port           = 443", "health_check_port           = 8443"): ["CF-MONITOR-PORT"],
    (EDGE_MAIN, '      name    = "aws-primary"\n      address = var.aws_alb_dns_name\n      enabled = true\n      weight  = 1.0',
     '      name    = "aws-primary"\n      address = var.aws_alb_dns_name\n      enabled = false\n      weight  = 0.5'):
        ["CF-POOL-AWS-ENABLED", "CF-POOL-AWS-WEIGHT"],
    (EDGE_MAIN, '      name    = "gcp-secondary"\n      address = var.gcp_lb_ip\n      enabled = true\n      weight  = 1.0',
     '      name    = "gcp-secondary"\n      address = var.gcp_lb_ip\n      enabled = false\n      weight  = 0.5'):
        ["CF-POOL-GCP-ENABLED", "CF-POOL-GCP-WEIGHT"],
    (EDGE_MAIN, 'session_affinity_ttl = 3600', 'session_affinity_ttl = 1800'): ["CF-LB-AFFINITY-TTL"],
    (EDGE_MAIN, 'session_affinity     = "cookie"', 'session_affinity     = "ip_cookie"'): ["CF-LB-SESSION-AFFINITY"],
    (EDGE_TFVARS, 'aws_alb_dns_name      = "crm-dr-alb-xxx.ap-northeast-2.elb.amazonaws.com"',
     'aws_alb_dns_name      = "other-alb.ap-northeast-2.elb.amazonaws.com"'): ["CF-POOL-AWS-ADDRESS"],
    (EDGE_TFVARS, 'gcp_lb_ip             = "34.123.45.67"', 'gcp_lb_ip             = "34.1.1.1"'):
        ["CF-POOL-GCP-ADDRESS"],
    (EDGE_TFVARS, 'notification_email    = "ops@example.com"', 'notification_email    = ""'):
        ["CF-POOL-AWS-NOTIFY", "CF-POOL-GCP-NOTIFY"],
}


def planted_tree(tmp_path, path: str, shipped: str, planted: str):
    """A copy of the CRM Terraform (symlinks followed) with ``shipped`` replaced by ``planted`` in ``path``."""
    root = tmp_path / "crm"
    shutil.copytree(FIXTURE, root)
    target = root / path
    text = target.read_text()
    assert text.count(shipped) == 1, f"{path} no longer holds {shipped!r}"
    target.write_text(text.replace(shipped, planted))
    return root


def static_findings(root) -> dict:
    policy = load_policy(POLICY)
    code = collect_terraform(root, {r.name: r.terraform_root for r in policy.roles.values() if r.terraform_root})
    assert code.errors == []
    return {row.id: evaluate_static(row, policy, code) for row in policy.rows}


def test_the_shipped_code_meets_every_row_the_planted_code_breaks(tmp_path):
    findings = static_findings(FIXTURE)
    broken = sorted({row for rows in PLANTED.values() for row in rows})
    allowed = {Status.PASS, Status.UNKNOWN}  # UNKNOWN: rows whose value only the account knows
    assert {row: findings[row].status for row in broken if findings[row].status not in allowed} == {}


@pytest.mark.parametrize("planted", list(PLANTED), ids=[rows[0] for rows in PLANTED.values()])
def test_each_row_fails_on_planted_code(tmp_path, planted):
    findings = static_findings(planted_tree(tmp_path, *planted))
    assert {row: findings[row].status for row in PLANTED[planted]} == {row: Status.FAIL for row in PLANTED[planted]}


def test_the_auth_token_never_reaches_the_evidence(tmp_path):
    findings = static_findings(FIXTURE)
    assert findings["REDIS-AUTH-AWS"].status is Status.PASS
    assert "CHANGE_ME_STRONG_TOKEN" not in repr(findings["REDIS-AUTH-AWS"])


# ----- lag against RPO: equal is no margin -----------------------------------------

def _row(value: str, limit: str):
    return SimpleNamespace(args={"value": value, "limit": limit})


FACTS = {"replication": {"logical_lag_seconds": 5, "typical_lag_seconds": 1}, "objectives": {"rpo_seconds": 5}}


def test_less_than_fails_a_lag_that_reaches_the_rpo_where_at_most_passes_it():
    row = _row("replication.logical_lag_seconds", "objectives.rpo_seconds")
    strict = COMPARATORS["less_than"].evaluate(row, FACTS)
    assert strict.state is SourceState.VIOLATES and strict.detail == (
        "replication.logical_lag_seconds = 5 >= 5 (objectives.rpo_seconds)")
    assert COMPARATORS["at_most"].evaluate(row, FACTS).state is SourceState.MEETS


def test_less_than_passes_a_value_below_the_limit():
    verdict = COMPARATORS["less_than"].evaluate(_row("replication.typical_lag_seconds", "objectives.rpo_seconds"), FACTS)
    assert verdict.state is SourceState.MEETS and verdict.value == 1


def test_less_than_is_validated_like_the_other_fact_comparators():
    validate = COMPARATORS["less_than"].validate
    assert validate({"value": "replication.logical_lag_seconds", "limit": "objectives.rpo_seconds"}, FACTS) == []
    assert validate({"value": "replication.logical_lag_seconds"}, FACTS) == ["args.limit is required"]
    assert validate({"value": "nope.x", "limit": "objectives.rpo_seconds"}, FACTS) == [
        "args.value: fact 'nope.x' is not defined in facts"]


def test_the_policy_row_fails_on_its_own_numbers_and_passes_with_a_margin(tmp_path):
    policy = load_policy(POLICY)
    finding = evaluate_static(policy.row("POLICY-RPO-REPLICATION"), policy, None)
    assert finding.status is Status.FAIL and "5 >= 5" in finding.message
    text = POLICY.read_text()
    marked = 'logical_lag_seconds: 5     # test scenario 3'
    assert text.count(marked) == 1
    margin = tmp_path / "crm-active-active.yaml"
    margin.write_text(text.replace(marked, 'logical_lag_seconds: 4     # test scenario 3').replace(
        "root: ../fixtures/terraform/crm", f"root: {FIXTURE}"))
    policy = load_policy(margin)
    assert evaluate_static(policy.row("POLICY-RPO-REPLICATION"), policy, None).status is Status.PASS


def test_a_policy_row_with_less_than_loads(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent("""\
        policy: {name: t, version: "1", title: t, source: s}
        roles: {aws: {region: ap-northeast-2}}
        facts: {lag: 2, rpo: 5}
        rows:
          - id: POLICY-LAG
            clause: "1"
            title: lag below rpo
            kind: policy
            comparator: less_than
            args: {value: lag, limit: rpo}
            severity: high
        """))
    policy = load_policy(path)
    assert evaluate_static(policy.row("POLICY-LAG"), policy, None).status is Status.PASS


# ----- the account: a VPN connection deleted -----------------------------------------

DELETED_VPN = """\
    description: crm-as-found with its VPN connection deleted by hand
    extends: crm-as-found
    steps:
      - {call: ec2.delete_vpn_connection, region: ap-northeast-2, args: {VpnConnectionId: "${vpn}"}}
"""


def test_a_vpn_connection_deleted_in_the_account_is_undeployed(tmp_path, sandbox, reader_for):
    estates = tmp_path / "estates"
    (estates / "crm-vpn-deleted").mkdir(parents=True)
    (estates / "crm-as-found").symlink_to(ESTATES / "crm-as-found", target_is_directory=True)
    (estates / "crm-vpn-deleted" / "estate.yaml").write_text(textwrap.dedent(DELETED_VPN))
    estate = load_estate(estates, "crm-vpn-deleted")
    seed(sandbox, estate)
    policy = load_policy(POLICY)
    live = collect_aws(reader_for(), {kind: {"ap-northeast-2"} for kind in aws_collectors()})
    code = collect_terraform(FIXTURE, {r.name: r.terraform_root for r in policy.roles.values() if r.terraform_root})
    findings = {row_id: evaluate_full(policy.row(row_id), policy, code, live)
                for row_id in ("VPN-AVAILABLE-AWS", "VPN-NAME-AWS", "VPN-BGP-AWS")}
    assert findings["VPN-AVAILABLE-AWS"].status is Status.DRIFT  # code: 1 connection, account: none
    assert "count of vpn_connection" in findings["VPN-AVAILABLE-AWS"].message
    assert findings["VPN-NAME-AWS"].status is findings["VPN-BGP-AWS"].status is Status.UNDEPLOYED


def test_a_vpn_connection_still_pending_is_not_available(tmp_path, sandbox, reader_for):
    """A pending connection is listed but carries no traffic: the count of available ones is 0."""
    from dr_audit.inventory import AttributeValue, Resource

    policy = load_policy(POLICY)
    code = collect_terraform(FIXTURE, {r.name: r.terraform_root for r in policy.roles.values() if r.terraform_root})
    pending = Resource("vpn_connection", "aws", "vpn-1", "ap-northeast-2",
                       {"name": AttributeValue("crm-dr-vpn-tunnel-1"), "state": AttributeValue("pending")},
                       out_of_service="State pending: a connection still pending or being deleted carries no traffic")
    live = collect_aws(reader_for(), {})
    live.resources.append(pending)
    assert evaluate_full(policy.row("VPN-AVAILABLE-AWS"), policy, code, live).status is Status.DRIFT


# ----- the account: the route to Google Cloud ---------------------------------------------

#: a step an estate extending crm-as-found adds -> the status of (VPN-GW-PROPAGATION-AWS, VPN-GCP-ROUTE-LEARNED-AWS)
ROUTING_PLANTED = {
    # propagation switched off by hand: the code still enables it, and the learned route leaves the table
    "propagation-disabled": ('{call: ec2.disable_vgw_route_propagation, region: ap-northeast-2, '
                             'args: {GatewayId: "${vgw}", RouteTableId: "${main_rt}"}}', (Status.DRIFT, Status.FAIL)),
    # propagation on, but Google Cloud announces nothing over BGP
    "nothing-learned": ('{shim: learn_bgp_routes, args: {region: ap-northeast-2, vpn_connection_id: "${vpn}", '
                        'cidrs: [], replace: true}}', (Status.PASS, Status.FAIL)),
    # a route to another CIDR (the pods range) but not to the Google Cloud subnet
    "another-cidr": ('{shim: learn_bgp_routes, args: {region: ap-northeast-2, vpn_connection_id: "${vpn}", '
                     'cidrs: [10.21.0.0/16], replace: true}}', (Status.PASS, Status.FAIL)),
}


@pytest.mark.parametrize("case", list(ROUTING_PLANTED))
def test_the_route_to_google_cloud_fails_on_planted_account_evidence(tmp_path, sandbox, reader_for, case):
    step, expected = ROUTING_PLANTED[case]
    estates = tmp_path / "estates"
    (estates / case).mkdir(parents=True)
    (estates / "crm-as-found").symlink_to(ESTATES / "crm-as-found", target_is_directory=True)
    (estates / case / "estate.yaml").write_text(f"description: crm-as-found, {case}\nextends: crm-as-found\n"
                                                f"steps:\n  - {step}\n")
    seed(sandbox, load_estate(estates, case))
    policy = load_policy(POLICY)
    live = collect_aws(reader_for(), {kind: {"ap-northeast-2"} for kind in aws_collectors()})
    code = collect_terraform(FIXTURE, {r.name: r.terraform_root for r in policy.roles.values() if r.terraform_root})
    statuses = tuple(evaluate_full(policy.row(row_id), policy, code, live).status
                     for row_id in ("VPN-GW-PROPAGATION-AWS", "VPN-GCP-ROUTE-LEARNED-AWS"))
    assert statuses == expected
