provider "aws" {
  region = "eu-west-1"
}

module "app" {
  source = "../modules/app"
  name   = "reader"
}
