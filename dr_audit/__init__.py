"""DR audit: policy x Terraform x account."""

__version__ = "0.1.0"
