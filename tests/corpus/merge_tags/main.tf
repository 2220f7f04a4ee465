provider "aws" {
  region = "us-east-1"
}

locals {
  common_tags = {
    Team = "platform"
    Name = "overridden"
  }
}

resource "aws_vpc" "main" {
  cidr_block           = "10.2.0.0/16"
  enable_dns_hostnames = true
  tags                 = merge(local.common_tags, { Name = "core-vpc" })
}
