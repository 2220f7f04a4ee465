provider "aws" {
  region = "us-east-1"
}

resource "aws_ecr_repository" "r" {
  for_each             = toset(["web", "api", "web"])
  name                 = each.value
  image_tag_mutability = "IMMUTABLE"
}
