provider "aws" {
  region = "us-east-1"
}

locals {
  pairs = setproduct(["api", "web"], ["PRIMARY", "SECONDARY"])
  records = {
    for p in local.pairs : "${p[0]}-${lower(p[1])}" => { name = p[0], role = p[1] }
  }
}

resource "aws_route53_zone" "main" {
  name = "example.com"
}

resource "aws_route53_health_check" "primary" {
  type          = "HTTPS"
  fqdn          = "primary.example.com"
  resource_path = "/health"
}

resource "aws_route53_record" "r" {
  for_each        = local.records
  zone_id         = aws_route53_zone.main.zone_id
  name            = each.value.name
  type            = "CNAME"
  ttl             = 60
  records         = [each.value.role == "PRIMARY" ? "primary.example.com" : "dr.example.com"]
  set_identifier  = each.key
  health_check_id = each.value.role == "PRIMARY" ? aws_route53_health_check.primary.id : null

  failover_routing_policy {
    type = each.value.role
  }
}
