provider "aws" {
  region = "us-east-1"
}

variable "tables" {
  default = {
    orders = true
    carts  = false
  }
}

resource "aws_dynamodb_table" "t" {
  for_each     = var.tables
  name         = "app-${each.key}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = each.value
  }
}
