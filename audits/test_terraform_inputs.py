"""Every Terraform root the policy names must be fully readable: a file that
cannot be parsed hides evidence, so it fails here with its file:line:col."""

import os

import pytest


def test_terraform_root_is_readable(dr_context, dr_terraform_root):
    if dr_context.terraform is None:
        pytest.skip("live mode: Terraform is not read")
    root = os.path.normpath(dr_context.roots[dr_terraform_root])
    # paths are relative to the base: a root of "." holds every one of them
    errors = [e for e in dr_context.terraform.errors if root == "." or e.path.startswith(f"{root}/") or e.path == root]
    assert not errors, "unreadable Terraform:\n" + "\n".join(f"  {e}" for e in errors)
