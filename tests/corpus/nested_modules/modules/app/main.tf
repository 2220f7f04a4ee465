variable "env" {
  type = string
}

module "store" {
  source     = "./store"
  table_name = "${var.env}-sessions"
}
