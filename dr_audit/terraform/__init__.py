"""Terraform evidence: parse HCL, evaluate it, normalize it into the inventory."""
