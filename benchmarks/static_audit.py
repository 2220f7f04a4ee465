"""Our static audit beside the checkov CLI on the same trees, and the parse cache cold vs warm.

Each side runs as its own process, as a CI job would run it, so the wall time
and peak memory include start-up. Ours is ``pytest audits/ --dr-mode static``
with checkov off; checkov is ``checkov -d TREE --framework terraform`` with its
own checks, in its isolated environment (the same one the audit uses).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.generate import generate_policy, generate_tree
from benchmarks.measure import run_measured
from dr_audit.checkov.runner import CHECKOV_VERSION, _uv

REPO = Path(__file__).resolve().parent.parent
CONFIG = '[tool.pytest]\nstrict = true\nmarkers = ["dr_row: row"]\n'


def project(directory: Path) -> Path:
    """A directory that runs the audit suite as a user does."""
    shutil.copytree(REPO / "audits", directory / "audits", dirs_exist_ok=True)
    (directory / "conftest.py").write_text('pytest_plugins = ["dr_audit.plugin"]\n')
    (directory / "pyproject.toml").write_text(CONFIG)
    return directory


def ours(work: Path, policy: Path, terraform_root: Path, *extra: str) -> dict:
    result = run_measured([sys.executable, "-m", "pytest", "audits", "-q", "-p", "no:cacheprovider",
                           "--dr-policy", str(policy), "--dr-terraform-root", str(terraform_root),
                           "--dr-mode", "static", "--dr-checkov", "off", *extra], cwd=work)
    report = json.loads((work / "reports" / "dr-audit.json").read_text())
    result["rows"] = report["summary"]["rows"]
    result["by_status"] = {k: v for k, v in report["summary"]["by_status"].items() if v}
    result["parse"] = report["run"]["terraform"].get("parse", {})
    return result


def checkov(tree: Path) -> dict:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    result = run_measured([*_uv(), "tool", "run", "--from", f"checkov=={CHECKOV_VERSION}", "checkov", "-d", str(tree),
                           "--framework", "terraform", "--quiet", "--compact", "-o", "json", "--skip-download"],
                          env=env)
    return result


def trees(work: Path) -> dict[str, tuple[Path, Path, Path, dict]]:
    """name -> (policy, terraform base, tree to give checkov, shape)."""
    generated = work / "generated"
    shape = generate_tree(generated / "tree")
    generate_policy(generated / "policy.yaml")
    fixtures = REPO / "fixtures" / "terraform" / "portforge"
    files = sorted(fixtures.rglob("*.tf"))
    return {
        "fixtures (PortForge)": (REPO / "policies" / "portforge-dr.yaml", fixtures, fixtures,
                                 {"files": len(files), "lines": sum(f.read_text().count("\n") for f in files)}),
        "generated": (generated / "policy.yaml", generated / "tree", generated / "tree", shape),
    }


def static_vs_checkov(work: Path) -> dict:
    results = {}
    for name, (policy, base, tree, shape) in trees(work).items():
        audit = ours(project(work / "run"), policy, base, "--dr-parse-cache", "off")
        other = checkov(tree)
        cache = Path(tempfile.mkdtemp(prefix="dr-parse-cache-"))
        try:  # the CI configuration: the parse cache kept from the previous run, nothing changed
            ours(project(work / "run"), policy, base, "--dr-parse-cache", str(cache))
            warm = ours(project(work / "run"), policy, base, "--dr-parse-cache", str(cache))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        ratio = round(audit["seconds"] / other["seconds"], 3) if other["seconds"] else None
        results[name] = {"tree": shape, "ours": _brief(audit), "checkov": _brief(other),
                         "ours_with_a_kept_parse_cache": _brief(warm),
                         "time_ratio_ours_over_checkov": ratio,
                         "time_ratio_with_a_kept_parse_cache": round(warm["seconds"] / other["seconds"], 3),
                         "memory_ratio_ours_over_checkov": round(audit["peak_rss_mib"] / other["peak_rss_mib"], 3),
                         "target": "ours <= 0.25 x checkov's time (without a cache)",
                         "met": ratio is not None and ratio <= 0.25}
    return results


def parse_cache(work: Path) -> dict:
    """Cold and warm static runs of the generated tree with one cache directory, then one file changed."""
    policy, base = work / "generated" / "policy.yaml", work / "generated" / "tree"
    cache = Path(tempfile.mkdtemp(prefix="dr-parse-cache-"))
    try:
        run = project(work / "cache-run")
        cold = ours(run, policy, base, "--dr-parse-cache", str(cache))
        warm = ours(run, policy, base, "--dr-parse-cache", str(cache))
        changed_file = base / "envs" / "r00" / "service_00.tf"
        original = changed_file.read_text()
        changed_file.write_text(original.replace("evaluation_periods  = 3", "evaluation_periods  = 4", 1))
        changed = ours(run, policy, base, "--dr-parse-cache", str(cache))
        changed_file.write_text(original)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    parse_share = (warm["parse"]["parsed_bytes"] / cold["parse"]["parsed_bytes"]) if cold["parse"]["parsed_bytes"] else None
    return {"cold": _brief(cold), "warm": _brief(warm), "one_file_changed": _brief(changed),
            "warm_over_cold_time": round(warm["seconds"] / cold["seconds"], 3),
            "warm_over_cold_parse_work": parse_share,
            "changed_file_reparsed": changed["parse"].get("parsed") == 1,
            "target": "warm <= 0.10 x cold",
            "met_for_parse_work": parse_share is not None and parse_share <= 0.10,
            "met_for_wall_time": warm["seconds"] / cold["seconds"] <= 0.10}


def _brief(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("output",)}
