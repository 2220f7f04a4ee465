provider "aws" {
  region = "us-east-1"
}

module "primary" {
  source     = "./modules/db"
  identifier = "orders-a"
  multi_az   = true
}

module "secondary" {
  source     = "./modules/db"
  identifier = "orders-b"
}
