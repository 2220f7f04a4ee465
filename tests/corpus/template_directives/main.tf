provider "aws" {
  region = "us-east-1"
}

variable "parts" {
  default = ["orders", "replica", "lag"]
}

variable "prod" {
  default = true
}

resource "aws_cloudwatch_metric_alarm" "lag" {
  alarm_name          = "%{for p in var.parts}${p}-%{endfor}%{if var.prod}prod%{else}dev%{endif}"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  metric_name         = "ReplicaLag"
  namespace           = "AWS/RDS"
  period              = 60
  threshold           = 5
}
