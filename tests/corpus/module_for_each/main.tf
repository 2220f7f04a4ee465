provider "aws" {
  region = "us-east-1"
}

module "bucket" {
  for_each = toset(["logs", "media"])
  source   = "./modules/bucket"
  name     = "acme-${each.key}"
}
