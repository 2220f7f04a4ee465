provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}

resource "aws_s3_bucket" "primary" {
  bucket = "alias-primary"
}

resource "aws_s3_bucket" "dr" {
  provider = aws.dr
  bucket   = "alias-dr"
}

resource "aws_s3_bucket" "eu" {
  region = "eu-central-1"
  bucket = "alias-eu"
}

resource "aws_s3_bucket" "dr_override" {
  provider = aws.dr
  region   = "ap-south-1"
  bucket   = "alias-override"
}

resource "aws_s3_bucket" "null_region" {
  region = null
  bucket = "alias-null"
}
