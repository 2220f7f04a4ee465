variable "multi_az" {
  type     = bool
  default  = true
  nullable = false
}

variable "deletion_protection" {
  type    = bool
  default = true
}

resource "aws_db_instance" "this" {
  identifier          = "nullable-db"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  multi_az            = var.multi_az
  deletion_protection = var.deletion_protection
}
