provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}

module "primary" {
  source = "./modules/bucket"
  name   = "mp-primary"
}

module "dr" {
  source = "./modules/bucket"
  name   = "mp-dr"
  providers = {
    aws = aws.dr
  }
}
