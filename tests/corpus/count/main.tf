provider "aws" {
  region = "us-east-1"
}

variable "names" {
  default = ["logs", "media"]
}

resource "aws_s3_bucket" "b" {
  count  = length(var.names)
  bucket = "acme-${var.names[count.index]}-${count.index}"
}
