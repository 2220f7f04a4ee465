provider "aws" {
  region = "us-east-1"
}

resource "aws_route53_health_check" "https" {
  type          = "HTTPS"
  fqdn          = "api.example.com."
  resource_path = "/health"
  tags = {
    Name = "api-https"
  }
}

resource "aws_route53_health_check" "calculated" {
  type                   = "CALCULATED"
  child_health_threshold = 1
  child_healthchecks     = [aws_route53_health_check.https.id]
  tags = {
    Name = "api-calculated"
  }
}
