provider "aws" {
  region = "us-east-1"
}

resource "aws_lb_target_group" "web" {
  count    = 2
  name     = "web-${count.index}"
  port     = 80
  protocol = "HTTP"
  vpc_id   = "vpc-0123456789abcdef0"
}

resource "aws_autoscaling_group" "web" {
  name                = "web"
  min_size            = 2
  max_size            = 4
  vpc_zone_identifier = ["subnet-0123456789abcdef0"]
  target_group_arns   = aws_lb_target_group.web[*].arn
}
