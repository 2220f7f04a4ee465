provider "aws" {
  region = "us-east-1"
}

variable "buckets" {
  default = [
    { name = "a-logs", env = "prod" },
    { name = "b-media", env = "prod" },
    { name = "c-scratch", env = "dev" },
  ]
}

locals {
  by_env = { for b in var.buckets : b.env => b.name... }
}

resource "aws_s3_bucket" "prod" {
  for_each = toset(local.by_env["prod"])
  bucket   = each.value
}
