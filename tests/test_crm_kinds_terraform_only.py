"""The Terraform-only kinds and attributes CRM (seed 003) needs, Google Cloud and Cloudflare: each
mapping reads what is written, the provider's documented default when it is not (null included),
Unknown where the service decides, and never a password, a secret's data or a shared secret."""

from __future__ import annotations

from dr_audit.terraform.values import Unknown
from tests.conftest import one

GOOGLE = '''
    provider "google" {
      project = "p"
      region  = "asia-northeast3"
    }
'''

WRITTEN = {"main.tf": GOOGLE + '''
    variable "password" {
      type      = string
      sensitive = true
      default   = "NEVER-SHOWN-PASSWORD"
    }
    resource "google_compute_network" "crm" {
      name                    = "crm-dr"
      auto_create_subnetworks = false
    }
    resource "google_compute_subnetwork" "crm" {
      name          = "crm-dr-subnet"
      network       = google_compute_network.crm.id
      ip_cidr_range = "10.20.0.0/20"
      secondary_ip_range {
        range_name    = "crm-dr-pods"
        ip_cidr_range = "10.21.0.0/16"
      }
      secondary_ip_range {
        range_name    = "crm-dr-services"
        ip_cidr_range = "10.22.0.0/20"
      }
    }
    resource "google_container_cluster" "crm" {
      name    = "crm-dr-gke"
      network = "projects/p/global/networks/crm-dr"
      release_channel {
        channel = "REGULAR"
      }
      private_cluster_config {
        enable_private_nodes = true
      }
    }
    resource "google_container_node_pool" "crm" {
      name               = "crm-nodes"
      cluster            = google_container_cluster.crm.name
      initial_node_count = 5
      autoscaling {
        min_node_count = 3
        max_node_count = 10
      }
      node_config {
        machine_type = "n2-standard-16"
        disk_size_gb = 200
      }
    }
    resource "google_sql_database_instance" "crm" {
      name             = "crm-dr-postgres"
      database_version = "POSTGRES_15"
      settings {
        tier        = "db-custom-4-15360"
        disk_size   = 200
        disk_type   = "PD_HDD"
        user_labels = { project = "crm" }
      }
    }
    resource "google_sql_database" "crm" {
      name     = "crm"
      instance = google_sql_database_instance.crm.name
    }
    resource "google_sql_user" "crm" {
      name     = "crmadmin"
      instance = google_sql_database_instance.crm.name
      password = var.password
    }
    resource "google_redis_instance" "crm" {
      name                    = "crm-dr-redis"
      display_name            = "CRM DR Redis"
      memory_size_gb          = 10
      auth_enabled            = true
      transit_encryption_mode = "SERVER_AUTHENTICATION"
      persistence_config {
        persistence_mode    = "RDB"
        rdb_snapshot_period = "SIX_HOURS"
      }
    }
    resource "google_secret_manager_secret" "crm" {
      secret_id = "crm-dr-application"
      replication {
        auto {}
      }
    }
    resource "google_compute_ha_vpn_gateway" "crm" {
      name    = "crm-gw"
      network = google_compute_network.crm.id
    }
    resource "google_compute_vpn_gateway" "classic" {
      name    = "classic-gw"
      network = "crm-dr"
    }
    resource "google_compute_vpn_tunnel" "crm" {
      name          = "crm-tunnel-1"
      vpn_gateway   = google_compute_ha_vpn_gateway.crm.id
      shared_secret = var.password
      peer_ip       = "203.0.113.1"
    }
'''}

UNSET = {"main.tf": GOOGLE + '''
    resource "google_container_cluster" "bare" {
      name = "bare"
    }
    resource "google_container_node_pool" "bare" {
      name    = "bare-nodes"
      cluster = "projects/p/locations/asia-northeast3/clusters/bare"
    }
    resource "google_sql_database_instance" "bare" {
      name             = "bare-sql"
      database_version = "POSTGRES_15"
      settings {
        tier      = "db-f1-micro"
        disk_type = null
      }
    }
    resource "google_redis_instance" "bare" {
      name           = "bare-redis"
      memory_size_gb = 1
      auth_enabled   = null
    }
    resource "google_redis_instance" "off" {
      name           = "off-redis"
      memory_size_gb = 1
      persistence_config {
        persistence_mode    = "DISABLED"
        rdb_snapshot_period = "ONE_HOUR"
      }
    }
    resource "google_compute_network" "auto" {
      name = "auto"
    }
'''}


def test_google_kinds_read_what_is_written(tree):
    inventory = tree(WRITTEN)
    subnet = one(inventory, "gcp_subnetwork", name="crm-dr-subnet")
    assert (subnet.value("network"), subnet.value("ip_cidr_range")) == ("crm-dr", "10.20.0.0/20")
    assert subnet.value("secondary_ranges") == {"crm-dr-pods": "10.21.0.0/16", "crm-dr-services": "10.22.0.0/20"}
    cluster = one(inventory, "gcp_gke_cluster", name="crm-dr-gke")
    assert (cluster.value("release_channel"), cluster.value("private_nodes"), cluster.value("network")) == (
        "REGULAR", True, "crm-dr")
    pool = one(inventory, "gcp_gke_node_pool", name="crm-nodes")
    assert [pool.value(a) for a in ("cluster", "machine_type", "disk_size_gb", "initial_count", "min_count", "max_count")] == [
        "crm-dr-gke", "n2-standard-16", 200, 5, 3, 10]
    sql = one(inventory, "gcp_sql_instance", name="crm-dr-postgres")
    assert [sql.value(a) for a in ("tier", "disk_size_gb", "disk_type", "labels")] == [
        "db-custom-4-15360", 200, "PD_HDD", {"project": "crm"}]
    assert one(inventory, "gcp_sql_database", name="crm").value("instance") == "crm-dr-postgres"
    assert one(inventory, "gcp_sql_user", name="crmadmin").value("instance") == "crm-dr-postgres"
    redis = one(inventory, "gcp_redis_instance", name="crm-dr-redis")
    assert [redis.value(a) for a in ("display_name", "memory_size_gb", "auth_enabled", "transit_encryption_mode",
                                     "persistence_mode", "rdb_snapshot_period")] == [
        "CRM DR Redis", 10, True, "SERVER_AUTHENTICATION", "RDB", "SIX_HOURS"]
    assert one(inventory, "gcp_secret", name="crm-dr-application").value("replication") == "automatic"
    assert one(inventory, "gcp_vpn_gateway", name="crm-gw").value("high_availability") is True
    classic = one(inventory, "gcp_vpn_gateway", name="classic-gw")
    assert (classic.value("high_availability"), classic.value("network")) == (False, "crm-dr")
    tunnel = one(inventory, "gcp_vpn_tunnel", name="crm-tunnel-1")
    assert (tunnel.value("vpn_gateway"), tunnel.value("ike_version"), tunnel.value("peer_ip")) == ("crm-gw", 2, "203.0.113.1")


def test_passwords_and_shared_secrets_are_never_evidence(tree):
    for resource in tree(WRITTEN).resources:
        for value in resource.attributes.values():
            assert "NEVER-SHOWN-PASSWORD" not in f"{value.value!r} {value.expression} {value.note}", resource.address


def test_google_defaults_where_unset_or_null_and_unknown_where_the_service_decides(tree):
    inventory = tree(UNSET)
    cluster = one(inventory, "gcp_gke_cluster", name="bare")
    assert isinstance(cluster.value("release_channel"), Unknown) and cluster.value("private_nodes") is False
    pool = one(inventory, "gcp_gke_node_pool", name="bare-nodes")
    assert (pool.value("cluster"), pool.value("machine_type"), pool.value("disk_size_gb")) == ("bare", "e2-medium", 100)
    assert pool.value("min_count") is None and pool.value("max_count") is None  # no autoscaling block
    assert isinstance(pool.value("initial_count"), Unknown)
    sql = one(inventory, "gcp_sql_instance", name="bare-sql")
    assert sql.value("disk_type") == "PD_SSD" and isinstance(sql.value("disk_size_gb"), Unknown)
    redis = one(inventory, "gcp_redis_instance", name="bare-redis")
    assert (redis.value("auth_enabled"), redis.value("transit_encryption_mode"), redis.value("display_name")) == (
        False, "DISABLED", None)
    assert isinstance(redis.value("persistence_mode"), Unknown)
    off = one(inventory, "gcp_redis_instance", name="off-redis")
    assert off.value("persistence_mode") == "DISABLED" and off.value("rdb_snapshot_period") is None
    assert one(inventory, "gcp_network", name="auto").value("auto_create_subnetworks") is True


# ----- Cloudflare ------------------------------------------------------------------

CLOUDFLARE = {"main.tf": '''
    resource "cloudflare_load_balancer_monitor" "https" {
      account_id  = "a"
      description = "https check"
      type        = "https"
    }
    resource "cloudflare_load_balancer_monitor" "tcp" {
      account_id  = "a"
      description = "tcp check"
      type        = "tcp"
      port        = 0
    }
    resource "cloudflare_load_balancer_monitor" "written" {
      account_id  = "a"
      description = "written"
      type        = "https"
      port        = 8443
    }
    resource "cloudflare_load_balancer_pool" "aws" {
      account_id         = "a"
      name               = "aws-pool"
      notification_email = ""
      origins {
        name    = "one"
        address = "alb.example.com"
      }
      origins {
        name    = "two"
        address = "203.0.113.9"
        enabled = false
        weight  = 0.5
      }
    }
    resource "cloudflare_load_balancer" "cookie" {
      zone_id          = "z"
      name             = "cookie.example.com"
      default_pool_ids = [cloudflare_load_balancer_pool.aws.id]
      fallback_pool_id = cloudflare_load_balancer_pool.aws.id
      session_affinity = "cookie"
    }
    resource "cloudflare_load_balancer" "plain" {
      zone_id          = "z"
      name             = "plain.example.com"
      default_pool_ids = [cloudflare_load_balancer_pool.aws.id]
      fallback_pool_id = cloudflare_load_balancer_pool.aws.id
      session_affinity = ""
    }
'''}


def test_a_monitor_port_left_unset_or_zero_is_the_default_for_its_type(tree):
    inventory = tree(CLOUDFLARE)
    assert one(inventory, "cloudflare_lb_monitor", description="https check").value("port") == 443
    assert one(inventory, "cloudflare_lb_monitor", description="written").value("port") == 8443
    assert isinstance(one(inventory, "cloudflare_lb_monitor", description="tcp check").value("port"), Unknown)


def test_pool_origins_default_to_enabled_with_weight_one_and_an_empty_email_notifies_no_one(tree):
    pool = one(tree(CLOUDFLARE), "cloudflare_lb_pool", name="aws-pool")
    assert pool.value("origin_addresses") == {"one": "alb.example.com", "two": "203.0.113.9"}
    assert pool.value("origin_weights") == {"one": 1, "two": 0.5}
    assert pool.value("enabled_origins") == ["one"]
    assert pool.value("notification_email") is None


def test_session_affinity_and_its_ttl_defaults(tree):
    inventory = tree(CLOUDFLARE)
    cookie = one(inventory, "cloudflare_load_balancer", name="cookie.example.com")
    assert (cookie.value("session_affinity"), cookie.value("session_affinity_ttl")) == ("cookie", 82800)
    plain = one(inventory, "cloudflare_load_balancer", name="plain.example.com")
    assert (plain.value("session_affinity"), plain.value("session_affinity_ttl")) == ("none", None)


def test_a_dynamic_origins_block_over_an_unknown_list_is_unknown(tree):
    pool = one(tree({"main.tf": '''
        variable "origins" {
          type = list(object({ name = string, address = string }))
        }
        resource "cloudflare_load_balancer_pool" "p" {
          account_id = "a"
          name       = "dyn"
          dynamic "origins" {
            for_each = var.origins
            content {
              name    = origins.value.name
              address = origins.value.address
            }
          }
        }
    '''}), "cloudflare_lb_pool", name="dyn")
    for attribute in ("origin_addresses", "origin_weights", "enabled_origins"):
        assert isinstance(pool.value(attribute), Unknown), attribute
