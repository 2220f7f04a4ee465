provider "aws" {
  region = "us-east-1"
}

variable "env" {
  default = "dev"
}

resource "aws_db_instance" "this" {
  identifier          = "cond-db"
  engine              = "mysql"
  instance_class      = "db.t3.micro"
  multi_az            = var.env == "prod" ? true : null
  deletion_protection = var.env == "prod" ? true : null
  backup_window       = var.env == "prod" ? "03:00-04:00" : null
}
