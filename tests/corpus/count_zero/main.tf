provider "aws" {
  region = "us-east-1"
}

variable "create_db" {
  type    = bool
  default = false
}

resource "aws_db_instance" "this" {
  count          = var.create_db ? 1 : 0
  identifier     = "optional-db"
  engine         = "mysql"
  instance_class = "db.t3.micro"
}

resource "aws_s3_bucket" "kept" {
  bucket = "always-here"
}
