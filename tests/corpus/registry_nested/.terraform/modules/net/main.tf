variable "name" {
  type = string
}

variable "cidr" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags = {
    Name = var.name
  }
}

module "subnets" {
  source = "./modules/subnets"
  vpc_id = aws_vpc.this.id
  cidrs  = cidrsubnets(var.cidr, 8, 8)
}

module "registry" {
  source  = "acme/images/aws"
  version = "1.0.0"
  prefix  = var.name
}
