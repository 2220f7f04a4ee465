provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "dr"
  region = "us-west-2"
}

resource "aws_s3_bucket" "src" {
  bucket = "split-src"
}

resource "aws_s3_bucket" "dst" {
  provider = aws.dr
  bucket   = "split-dst"
}

resource "aws_s3_bucket_versioning" "src" {
  bucket = aws_s3_bucket.src.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "dst" {
  provider = aws.dr
  bucket   = aws_s3_bucket.dst.bucket
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_replication_configuration" "src" {
  depends_on = [aws_s3_bucket_versioning.src]
  role       = "arn:aws:iam::111122223333:role/replication"
  bucket     = aws_s3_bucket.src.id

  rule {
    id     = "all"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    destination {
      bucket        = aws_s3_bucket.dst.arn
      storage_class = "STANDARD"

      replication_time {
        status = "Enabled"
        time {
          minutes = 15
        }
      }

      metrics {
        status = "Enabled"
        event_threshold {
          minutes = 15
        }
      }
    }
  }
}

resource "aws_s3_bucket" "legacy" {
  bucket = "split-legacy"
}

resource "aws_s3_bucket_versioning" "legacy" {
  bucket = "split-legacy"
  versioning_configuration {
    status = "Suspended"
  }
}
