provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudfront_distribution" "site" {
  enabled = true
  comment = "site"
  aliases = ["www.example.com"]

  origin {
    domain_name = "primary.s3.us-east-1.amazonaws.com"
    origin_id   = "primary"
  }

  origin {
    domain_name = "dr.s3.us-west-2.amazonaws.com"
    origin_id   = "dr"
  }

  origin_group {
    origin_id = "failover"

    failover_criteria {
      status_codes = [500, 502, 503, 504]
    }

    member {
      origin_id = "primary"
    }

    member {
      origin_id = "dr"
    }
  }

  default_cache_behavior {
    target_origin_id       = "failover"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
