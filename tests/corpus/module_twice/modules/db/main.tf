variable "identifier" {
  type = string
}

variable "multi_az" {
  type    = bool
  default = false
}

resource "aws_db_instance" "this" {
  identifier              = var.identifier
  engine                  = "mysql"
  instance_class          = "db.t3.micro"
  multi_az                = var.multi_az
  backup_retention_period = 7
}
