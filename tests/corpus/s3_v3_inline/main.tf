provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "src" {
  bucket = "inline-src"

  versioning {
    enabled = true
  }

  replication_configuration {
    role = "arn:aws:iam::111122223333:role/replication"

    rules {
      id                               = "all"
      status                           = "Enabled"
      delete_marker_replication_status = "Enabled"

      filter {}

      destination {
        bucket        = "arn:aws:s3:::inline-dst"
        storage_class = "STANDARD"

        replication_time {
          status  = "Enabled"
          minutes = 15
        }

        metrics {
          status  = "Enabled"
          minutes = 15
        }
      }
    }
  }
}
