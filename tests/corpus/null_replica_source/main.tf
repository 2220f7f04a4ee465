provider "aws" {
  region = "us-east-1"
}

variable "replicate_source_db" {
  type    = string
  default = null
}

variable "kms_key_id" {
  type    = string
  default = null
}

resource "aws_db_instance" "this" {
  identifier          = "app-db"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  replicate_source_db = var.replicate_source_db
  kms_key_id          = var.kms_key_id
}
