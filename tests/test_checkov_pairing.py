"""checkov's results paired with our resources whatever the instance keys
(count, for_each, module prefixes), and the readable-root check on a root of "."."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import pytest

from dr_audit.checkov.runner import CheckovResult, CheckovRun, same_block
from dr_audit.errors import TerraformError
from tests.conftest import REPO


def _result(address: str, root: str = "primary", check: str = "CKV2_DR_X", passed: bool = True) -> CheckovResult:
    return CheckovResult(check, "x", root, address, "main.tf", 1, passed)


@pytest.mark.parametrize("ours, theirs", [
    ("aws_db_instance.this[0]", "aws_db_instance.this"),      # checkov could not evaluate count
    ("aws_db_instance.this[?]", "aws_db_instance.this"),      # neither could we
    ("aws_db_instance.this[?]", "aws_db_instance.this[0]"),   # checkov could, we could not
    ("aws_db_instance.this", "aws_db_instance.this[0]"),
    ('module.db["a"].aws_db_instance.this[0]', "module.db.aws_db_instance.this"),
    ('aws_s3_bucket.b["x.y"]', 'aws_s3_bucket.b["x.y"]'),
])
def test_one_block_with_and_without_instance_keys_is_paired(ours, theirs):
    run = CheckovRun(results=[_result(theirs), _result("aws_db_instance.other")])
    assert run.find("CKV2_DR_X", ours, ["primary"]).address == theirs


def test_different_instances_or_modules_are_never_paired():
    run = CheckovRun(results=[_result("aws_db_instance.this[1]"), _result("module.a.aws_db_instance.this[0]")])
    assert run.find("CKV2_DR_X", "aws_db_instance.this[0]", ["primary"]) is None
    assert not same_block('aws_s3_bucket.b["x"]', 'aws_s3_bucket.b["y"]')
    assert not same_block("aws_s3_bucket.b", "aws_s3_bucket.bb")


def test_an_ambiguous_pairing_is_no_pairing():
    run = CheckovRun(results=[_result("aws_db_instance.this[0]"), _result("aws_db_instance.this[1]")])
    assert run.find("CKV2_DR_X", "aws_db_instance.this[?]", ["primary"]) is None
    assert run.find("CKV2_DR_X", "aws_db_instance.this[1]", ["primary"]).address == "aws_db_instance.this[1]"


def test_the_exact_address_wins_and_roots_are_tried_in_order():
    run = CheckovRun(results=[_result("aws_db_instance.this", root="dr", passed=False),
                              _result("aws_db_instance.this[0]", root="primary")])
    assert run.find("CKV2_DR_X", "aws_db_instance.this[0]", ["dr", "primary"]).root == "dr"
    assert run.find("CKV2_DR_X", "aws_db_instance.this[0]", ["primary", "dr"]).root == "primary"


def _readable_root_check():
    path = REPO / "audits" / "test_terraform_inputs.py"
    spec = importlib.util.spec_from_file_location("audit_terraform_inputs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.test_terraform_root_is_readable


@pytest.mark.parametrize("root", [".", "./", "primary"])
def test_the_readable_root_check_sees_errors_under_any_root(root):
    path = "main.tf" if root in (".", "./") else "primary/main.tf"
    context = SimpleNamespace(roots={"primary": root},
                              terraform=SimpleNamespace(errors=[TerraformError(path, "HCL syntax error", 3)]))
    with pytest.raises(AssertionError, match="unreadable Terraform"):
        _readable_root_check()(context, "primary")


def test_the_readable_root_check_passes_a_clean_root():
    context = SimpleNamespace(roots={"primary": "."}, terraform=SimpleNamespace(errors=[]))
    _readable_root_check()(context, "primary")


def test_built_in_check_results_are_linked_to_rows_by_the_same_pairing():
    from dr_audit.checkov.fold import builtin_results

    policy = SimpleNamespace(rows=[SimpleNamespace(id="RDS-MULTIAZ", kind="rds_instance", attribute="multi_az")])
    findings = {"RDS-MULTIAZ": SimpleNamespace(terraform=SimpleNamespace(address="aws_db_instance.this[0]"))}
    run = CheckovRun(results=[_result("aws_db_instance.this", check="CKV_AWS_157", passed=False)])
    assert [r["rows"] for r in builtin_results(policy, findings, run)] == [["RDS-MULTIAZ"]]
