provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_role" "app" {
  name               = "outside-app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  name   = "outside"
  role   = aws_iam_role.app.name
  policy = file("${path.module}/../../../outside-the-tree.json")
}
