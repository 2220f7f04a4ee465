provider "aws" {
  region = "us-east-1"
}

module "db" {
  source              = "./modules/db"
  multi_az            = null
  deletion_protection = null
}
