"""The IAM-read benchmark is part of ``python -m benchmarks`` and counts what the IAM kinds call:
one paginated authorization listing for every role and its inline policies (no timings asserted)."""

from __future__ import annotations

from benchmarks import __main__ as bench
from benchmarks import iam_reads


def test_python_m_benchmarks_runs_the_iam_reads_by_default():
    assert "iam_reads" in bench.ALL


def test_iam_reads_grow_with_pages_of_roles_not_with_roles(sandbox, monkeypatch):
    monkeypatch.setattr(iam_reads, "PAGE", 4)
    from dr_audit.aws import reader as reader_module

    settings = reader_module.ReaderSettings
    monkeypatch.setattr(iam_reads, "ReaderSettings", lambda **kw: settings(
        **kw, page_sizes={"iam:get_account_authorization_details": 4}))
    one, two = iam_reads.one_scale(sandbox, 1), iam_reads.one_scale(sandbox, 2)
    assert one["collected"] == {"iam_role": 5, "iam_role_policy": 5} and one["with_both_managed_policies"] == 5
    assert one["api_calls"] == one["calls_expected"] == 2  # 5 roles, 4 a page
    assert two["collected"] == {"iam_role": 10, "iam_role_policy": 10}
    assert two["api_calls"] == two["calls_expected"] == 3
    assert two["calls_reading_each_role"] == 3 + 3 * 10
