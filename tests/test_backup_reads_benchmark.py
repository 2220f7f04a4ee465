"""The measured-read and backup-read benchmarks are part of ``python -m benchmarks``, and the
backup one counts what the collector calls (no timings are asserted)."""

from __future__ import annotations

from benchmarks import __main__ as bench
from benchmarks import backup_reads


def test_python_m_benchmarks_runs_the_measured_and_backup_reads_by_default():
    assert {"measured_reads", "backup_reads"} <= set(bench.ALL)


def test_an_unknown_benchmark_name_is_refused(capsys):
    assert bench.main(["backup-reads"]) == 2
    assert "unknown benchmark(s): backup-reads" in capsys.readouterr().err


def test_backup_reads_grow_with_pages_of_jobs_not_with_resources(sandbox, monkeypatch):
    monkeypatch.setattr(backup_reads, "PAGE", 40)  # the sandbox pages as asked: a small page shows the growth
    monkeypatch.setattr(backup_reads, "DAYS", 4)
    from dr_audit.aws import reader as reader_module

    settings = reader_module.ReaderSettings
    monkeypatch.setattr(backup_reads, "ReaderSettings", lambda **kw: settings(
        **kw, page_sizes={"backup:list_backup_jobs": 40, "backup:list_copy_jobs": 40}))
    one, ten = backup_reads.one_scale(sandbox, 1), backup_reads.one_scale(sandbox, 10)
    assert (one["collected"], one["with_a_dr_copy"], one["api_calls"]) == (5, 5, 3)
    assert (ten["collected"], ten["with_a_dr_copy"]) == (50, 50)
    assert ten["api_calls"] == ten["calls_expected"] == 1 + 2 * 5  # 200 jobs of each kind, 40 a page
    assert ten["calls_one_listing_per_resource"] == 101
