provider "aws" {
  region = "us-east-1"
}

variable "identifier" {
  default = "default-db"
}

variable "retention" {
  type    = number
  default = 1
}

variable "multi_az" {
  type    = bool
  default = false
}

resource "aws_db_instance" "this" {
  identifier              = var.identifier
  engine                  = "mysql"
  instance_class          = "db.t3.micro"
  backup_retention_period = var.retention
  multi_az                = var.multi_az
}
