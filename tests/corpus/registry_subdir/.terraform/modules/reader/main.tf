# the package root: not the module the call uses
resource "aws_iam_role" "package_root" {
  name               = "must-not-be-collected"
  assume_role_policy = "{}"
}
