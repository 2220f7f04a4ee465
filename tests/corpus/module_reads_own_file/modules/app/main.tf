variable "name" {
  type = string
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-read"
  role   = aws_iam_role.this.id
  policy = templatefile("${path.module}/policy.json.tftpl", { table = "orders" })
}
