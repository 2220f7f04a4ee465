"""Benchmarks: measured side by side in one run, never asserted as timings in tests.

``python -m benchmarks`` runs them all (see ``benchmarks/__main__.py``) and writes
``benchmarks/results/*.json``.
"""
