provider "aws" {
  region = "us-east-1"
}

locals {
  cidrs = cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)
}

resource "aws_vpc" "main" {
  cidr_block = "10.1.0.0/16"
  tags = {
    Name = "main"
  }
}

resource "aws_subnet" "s" {
  count             = length(local.cidrs)
  vpc_id            = aws_vpc.main.id
  cidr_block        = local.cidrs[count.index]
  availability_zone = "us-east-1a"
  tags = {
    Name = "s${count.index}"
  }
}
