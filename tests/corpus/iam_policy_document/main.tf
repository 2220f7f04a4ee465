provider "aws" {
  region = "us-east-1"
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "Read"
    actions   = ["s3:ListBucket", "s3:GetObject"]
    resources = ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]
  }

  statement {
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:111122223333:table/orders"]
  }

  statement {
    effect    = "Deny"
    actions   = ["s3:DeleteObject"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  name   = "app"
  role   = aws_iam_role.app.name
  policy = data.aws_iam_policy_document.app.json
}
