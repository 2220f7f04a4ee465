provider "aws" {
  region = "us-east-1"
}

variable "replicas" {
  default = ["eu-west-1", "us-west-2"]
}

resource "aws_dynamodb_table" "global" {
  name             = "sessions"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "id"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "id"
    type = "S"
  }

  dynamic "replica" {
    for_each = var.replicas
    iterator = region
    content {
      region_name = region.value
    }
  }
}
