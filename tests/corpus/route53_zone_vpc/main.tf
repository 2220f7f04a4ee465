provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_route53_zone" "internal" {
  name = "internal.example.com."

  vpc {
    vpc_id = aws_vpc.main.id
  }
}

resource "aws_route53_zone" "public" {
  name = "example.com"
}
