variable "vpc_id" {
  type = string
}

variable "cidrs" {
  type = list(string)
}

resource "aws_subnet" "this" {
  count             = length(var.cidrs)
  vpc_id            = var.vpc_id
  cidr_block        = var.cidrs[count.index]
  availability_zone = "us-east-1a"
}
