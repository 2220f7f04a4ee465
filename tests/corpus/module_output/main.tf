provider "aws" {
  region = "us-east-1"
}

module "primary" {
  source     = "./modules/db"
  identifier = "orders"
}

resource "aws_db_instance" "replica" {
  identifier          = "orders-replica"
  instance_class      = "db.t3.micro"
  replicate_source_db = module.primary.identifier
}
