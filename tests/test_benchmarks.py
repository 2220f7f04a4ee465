"""The benchmark harness's own parts (no timings are asserted: benchmarks measure, tests check)."""

from __future__ import annotations

import hashlib

from benchmarks.generate import generate_policy, generate_tree
from benchmarks.live import scaled_estate
from benchmarks.measure import busy_seconds, growth_exponent, run_measured
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import collect_terraform


def test_the_generated_tree_is_large_real_looking_and_deterministic(tmp_path):
    shape = generate_tree(tmp_path / "a")
    assert shape["files"] == 500 and shape["lines"] >= 40_000
    assert len(list((tmp_path / "a").rglob("*.tf"))) + len(list((tmp_path / "a").rglob("*.tfvars"))) == 500
    generate_tree(tmp_path / "b")
    digest = lambda root: hashlib.sha256(b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()))
    assert digest(tmp_path / "a").hexdigest() == digest(tmp_path / "b").hexdigest()
    text = (tmp_path / "a" / "envs" / "r03" / "service_07.tf").read_text()
    assert all(word in text for word in ("for_each", "dynamic", "jsonencode", 'source = "../../modules/'))


def test_the_generated_policy_passes_on_the_generated_tree(tmp_path):
    generate_tree(tmp_path / "tree", roots=2, services=3, modules=4)
    rows = generate_policy(tmp_path / "policy.yaml", roots=2, services=3)
    policy = load_policy(tmp_path / "policy.yaml")
    assert len(policy.rows) == rows == 2 * (1 + 3 * 6)
    from dr_audit.evaluate import evaluate_static

    code = collect_terraform(tmp_path / "tree", {r.name: r.terraform_root for r in policy.roles.values()})
    assert code.errors == []
    assert {evaluate_static(row, policy, code).status.value for row in policy.rows} == {"PASS"}


def test_growth_exponent_and_busy_time():
    assert growth_exponent([1, 10, 100], [2, 20, 200]) == 1.0
    assert growth_exponent([1, 10, 100], [5, 5, 5]) == 0.0
    assert growth_exponent([1, 10, 100], [1, 100, 10_000]) == 2.0
    assert busy_seconds([(0, 1), (0.5, 2), (3, 4)]) == 3.0
    assert busy_seconds([]) == 0.0


def test_a_measured_command_reports_its_own_peak_memory(tmp_path):
    small = run_measured(["python3", "-c", "print('x')"])
    big = run_measured(["python3", "-c", "b = bytearray(200 * 1024 * 1024); print(len(b))"])
    assert small["exit"] == 0 and big["exit"] == 0 and "209715200" in big["output"]
    assert big["peak_rss_mib"] > small["peak_rss_mib"] + 150


def test_the_scaled_estate_adds_the_many_of_resources_per_multiple():
    one, ten = scaled_estate(1), scaled_estate(10)
    extra = [s for s in ten.steps if s not in one.steps]
    assert len(ten.steps) - len(one.steps) == len(extra) == 9 * (2 * (7 + 2) + 2 + 1)
    assert sum(1 for s in extra if s.call == "ecr.create_repository") == 9 * 14
