"""checkov ran on each Terraform root (when enabled): an error here means its
column in the report is missing for that root, with the reason."""

import pytest


def test_checkov_ran(dr_context, dr_terraform_root):
    run = dr_context.checkov
    if run is None:
        pytest.skip("checkov is off (--dr-checkov on, or dr_checkov = on, to run it)")
    if dr_terraform_root in run.errors:
        raise RuntimeError(f"checkov could not run on {dr_terraform_root}: {run.errors[dr_terraform_root]}")
    # roles sharing one directory share one checkov run, filed under the first of them
    covering = run.run_role(dr_terraform_root)
    assert any(r.root == covering for r in run.results), f"checkov reported nothing for {dr_terraform_root}"
