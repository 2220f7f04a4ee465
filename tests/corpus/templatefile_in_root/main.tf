provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_role" "app" {
  name               = "tpl-app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  name   = "tpl-read"
  role   = aws_iam_role.app.name
  policy = templatefile("${path.module}/policy.json.tftpl", { buckets = ["logs", "media"] })
}
