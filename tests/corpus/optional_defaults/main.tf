provider "aws" {
  region = "us-east-1"
}

variable "tables" {
  type = map(object({
    pitr   = optional(bool, true)
    stream = optional(bool)
  }))
  default = {
    orders = {}
    audit  = { pitr = false, stream = true }
  }
}

resource "aws_dynamodb_table" "t" {
  for_each         = var.tables
  name             = each.key
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "id"
  stream_enabled   = each.value.stream
  stream_view_type = each.value.stream == true ? "NEW_AND_OLD_IMAGES" : null

  attribute {
    name = "id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = each.value.pitr
  }
}
