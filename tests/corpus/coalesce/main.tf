provider "aws" {
  region = "us-east-1"
}

variable "name_override" {
  type    = string
  default = null
}

variable "suffix" {
  type    = string
  default = ""
}

resource "aws_s3_bucket" "b" {
  bucket = coalesce(var.name_override, var.suffix, "acme-default")
}
