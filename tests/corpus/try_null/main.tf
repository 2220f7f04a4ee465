provider "aws" {
  region = "us-east-1"
}

variable "settings" {
  type    = any
  default = null
}

variable "backup" {
  default = {
    retention = 14
  }
}

resource "aws_db_instance" "this" {
  identifier              = "try-db"
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  multi_az                = try(var.settings.multi_az, true)
  backup_retention_period = try(var.backup.retention, 1)
  deletion_protection     = try(var.backup.protect, false)
}
