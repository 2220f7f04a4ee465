provider "aws" {
  region = "us-east-1"
}

module "net" {
  source  = "acme/network/aws"
  version = "2.0.0"
  name    = "core"
  cidr    = "10.0.0.0/16"
}
