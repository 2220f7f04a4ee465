provider "aws" {
  region = "us-east-1"
}

module "assets" {
  source     = "acme/bucket/aws"
  version    = "1.2.0"
  name       = "acme-assets"
  versioning = true
}

module "scratch" {
  source  = "acme/bucket/aws"
  version = "1.2.0"
  name    = "acme-scratch"
}
