provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_role" "app" {
  name               = "json-app"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "app" {
  name = "json"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = "arn:aws:s3:::reports"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["arn:aws:s3:::reports/*"]
      },
    ]
  })
}
