provider "aws" {
  region = "us-east-1"
}

module "reader" {
  source  = "acme/iam/aws//modules/role"
  version = "5.0.0"
  name    = "dr-reader"
}
