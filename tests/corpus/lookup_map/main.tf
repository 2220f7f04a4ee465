provider "aws" {
  region = "us-east-1"
}

variable "env" {
  default = "prod"
}

variable "classes" {
  default = {
    prod = "cache.r6g.large"
  }
}

variable "retention" {
  default = {
    prod = 7
  }
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "sessions-${var.env}"
  description                = "sessions"
  node_type                  = lookup(var.classes, var.env, "cache.t4g.micro")
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  snapshot_retention_limit   = lookup(var.retention, "dev", 1)
}
