variable "prefix" {
  type = string
}

resource "aws_ecr_repository" "this" {
  name = "${var.prefix}-images"
}
