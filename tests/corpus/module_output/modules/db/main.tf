variable "identifier" {
  type = string
}

resource "aws_db_instance" "this" {
  identifier     = var.identifier
  engine         = "mysql"
  instance_class = "db.t3.micro"
  multi_az       = true
}

output "identifier" {
  value = aws_db_instance.this.identifier
}
