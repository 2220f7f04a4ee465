provider "aws" {
  region = "us-east-1"
}

resource "aws_launch_template" "ng" {
  name          = "ng"
  instance_type = "m5.large"
}

resource "aws_eks_node_group" "with_lt" {
  cluster_name    = "main"
  node_group_name = "with-lt"
  node_role_arn   = "arn:aws:iam::111122223333:role/node"
  subnet_ids      = ["subnet-0123456789abcdef0"]

  scaling_config {
    min_size     = 2
    max_size     = 4
    desired_size = 2
  }

  launch_template {
    id      = aws_launch_template.ng.id
    version = aws_launch_template.ng.latest_version
  }
}

resource "aws_eks_node_group" "plain" {
  cluster_name    = "main"
  node_group_name = "plain"
  node_role_arn   = "arn:aws:iam::111122223333:role/node"
  subnet_ids      = ["subnet-0123456789abcdef0"]

  scaling_config {
    min_size     = 1
    max_size     = 3
    desired_size = 1
  }
}
