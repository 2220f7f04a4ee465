provider "aws" {
  region = "eu-west-1"
}

data "aws_region" "current" {}

resource "aws_s3_bucket" "logs" {
  bucket = "logs-${data.aws_region.current.name}"
}

resource "aws_kms_alias" "key" {
  name          = "alias/app-${data.aws_region.current.region}"
  target_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
}
