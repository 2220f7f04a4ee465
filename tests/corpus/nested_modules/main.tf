provider "aws" {
  region = "us-east-1"
}

module "app" {
  source = "./modules/app"
  env    = "prod"
}
