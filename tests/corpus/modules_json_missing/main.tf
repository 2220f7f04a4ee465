provider "aws" {
  region = "us-east-1"
}

module "db" {
  source     = "acme/db/aws"
  version    = "1.0.0"
  identifier = "hidden-db"
}

resource "aws_s3_bucket" "logs" {
  bucket = "visible-logs"
}
