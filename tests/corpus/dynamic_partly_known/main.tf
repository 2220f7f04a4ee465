provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = {
    Name = "main"
  }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_peering_connection" "peer" {
  vpc_id      = aws_vpc.main.id
  peer_vpc_id = "vpc-0abcdef0123456789"
}

locals {
  routes = [
    { cidr = "0.0.0.0/0", gateway = aws_internet_gateway.gw.id, peering = null },
    { cidr = "10.1.0.0/16", gateway = null, peering = aws_vpc_peering_connection.peer.id },
  ]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags = {
    Name = "public"
  }

  dynamic "route" {
    for_each = local.routes
    content {
      cidr_block                = route.value.cidr
      gateway_id                = route.value.gateway
      vpc_peering_connection_id = route.value.peering
    }
  }
}
