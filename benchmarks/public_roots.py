"""The public-roots benchmark: our static audit on public Terraform example roots.

``python -m benchmarks.public_roots DIR`` (or ``python -m benchmarks public_roots`` with
``DR_PUBLIC_ROOTS=DIR``). DIR holds public repositories already fetched, one directory
each, named ``<owner>+<name>`` (``terraform-aws-modules+terraform-aws-rds``); nothing
public is ever committed here, so the harness only reads them (see :func:`how_to_fetch`).

What it does, in a scratch directory:

1. copies every repository and picks its example roots (the directories under
   ``examples/`` that nothing calls; every uncalled directory when it has none);
2. lays out the registry modules each root calls as ``terraform init`` would, with a
   ``.terraform/modules/modules.json`` whose ``Dir`` points at the fetched module
   repository (a module whose repository was not fetched stays a gap);
3. collects each root alone (a crash is an exception), counts its resolved values, and
   judges the generic policy of all-of-a-kind rows (``public_roots_rows.yaml``, one role
   per region the root uses) on it, as ``--dr-mode static`` does;
4. end to end: one policy with every root's roles, run as ``pytest audits/ --dr-mode
   static`` in a process of its own (wall time, memory, crashes, ERROR rows).

The target (issue 13): 0 crashes, 0 ERROR rows, >= 95 % of rows definite (PASS, FAIL,
DRIFT or NOT_APPLICABLE), unresolved attribute values <= 3 % of the inventory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from benchmarks.measure import run_measured
from benchmarks.static_audit import project
from dr_audit.coverage import find_roots, plain_string, reason_shape, summarize
from dr_audit.evaluate import evaluate_static
from dr_audit.kinds import KINDS
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.parse_cache import ParseCache
from dr_audit.terraform.parsing import attribute_expression, parse_directory
from dr_audit.terraform.values import is_known

ROWS = Path(__file__).resolve().parent / "public_roots_rows.yaml"
DEFINITE = ("PASS", "FAIL", "DRIFT", "NOT_APPLICABLE")
TARGETS = {"crashes": 0, "error_rows": 0, "definite_percent_at_least": 95.0,
           "unresolved_percent_at_most": 3.0}
#: the region a role gets when none of its root's resources has a known region (any would do)
FALLBACK_REGION = "us-east-1"
REGISTRY_HOSTS = ("registry.terraform.io/",)
#: the repositories of the committed result (their commits are in results/public_roots.json;
#: checking those commits out measures exactly what was measured)
SUGGESTED = ("terraform-aws-modules/terraform-aws-rds", "terraform-aws-modules/terraform-aws-dynamodb-table",
             "terraform-aws-modules/terraform-aws-s3-bucket", "terraform-aws-modules/terraform-aws-route53",
             "terraform-aws-modules/terraform-aws-cloudfront", "terraform-aws-modules/terraform-aws-eks",
             "terraform-aws-modules/terraform-aws-vpc", "terraform-aws-modules/terraform-aws-elasticache",
             "terraform-aws-modules/terraform-aws-kms", "terraform-aws-modules/terraform-aws-security-group",
             "terraform-aws-modules/terraform-aws-iam", "terraform-aws-modules/terraform-aws-lambda",
             "terraform-aws-modules/terraform-aws-acm", "terraform-aws-modules/terraform-aws-key-pair",
             "terraform-aws-modules/terraform-aws-sns", "terraform-aws-modules/terraform-aws-ec2-instance",
             "terraform-aws-modules/terraform-aws-eks-pod-identity", "msfidelis/aws-multi-region-disaster-recovery",
             "aws-samples/multi-region-resiliency-reference-implementation")


def how_to_fetch(directory: Path) -> str:
    """What to run to fill ``directory`` with the repositories this benchmark reads."""
    lines = [f"{directory} holds no fetched repositories. Fetch them (public, never committed here):",
             f"  mkdir -p {directory} && cd {directory}"]
    lines += [f"  git clone --depth 1 https://github.com/{repo}.git {repo.replace('/', '+')}" for repo in SUGGESTED]
    lines.append(f"then: python -m benchmarks.public_roots {directory}")
    return "\n".join(lines)


def repositories(directory: Path) -> list[Path]:
    """The fetched repositories in ``directory``: subdirectories holding .tf files."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and "+" in p.name and next(p.rglob("*.tf"), None))


def example_roots(repository: Path, cache: ParseCache | None = None) -> list[str]:
    """The repository's example roots (relative): uncalled directories under ``examples/``,
    or every uncalled directory when it has no examples (modules and ``terraform test``
    fixtures left out: they are called from elsewhere, not applied)."""
    roots = [r for r in find_roots(repository, cache) if not {"modules", "tests"} & set(Path(r).parts)]
    examples = [r for r in roots if "examples" in Path(r).parts]
    return examples or roots


# ----- modules as terraform init lays them out ---------------------------------

def registry_address(source: str) -> tuple[str, str] | None:
    """``ns/name/provider[//sub]`` (optionally with the public registry host) ->
    (fetched directory name ``ns+terraform-provider-name``, subdirectory or "")."""
    for host in REGISTRY_HOSTS:
        source = source[len(host):] if source.startswith(host) else source
    package, _, subdirectory = source.partition("//")
    parts = package.split("/")
    if len(parts) != 3 or not all(parts) or ":" in package or package.startswith("."):
        return None
    namespace, name, provider = parts
    return f"{namespace}+terraform-{provider}-{name}", subdirectory


def module_calls(directory: Path, cache: ParseCache | None = None) -> list[tuple[str, str]]:
    """(call name, literal source) of every ``module`` block in ``directory``."""
    calls = []
    for block in parse_directory(directory, None, cache).blocks:
        source = block.attributes().get("source") if block.type == "module" and block.labels else None
        if source is None:
            continue
        text = plain_string(attribute_expression(source), block.source)
        if text:
            calls.append((block.labels[0], text))
    return calls


def manifest(root: Path, fetched: Path, cache: ParseCache | None = None) -> list[dict[str, str]]:
    """The ``Modules`` entries ``terraform init`` would write for ``root``, with registry
    modules taken from ``fetched`` (calls whose repository is absent get no entry)."""
    entries = [{"Key": "", "Source": "", "Dir": "."}]

    def walk(directory: Path, prefix: str, depth: int) -> None:
        for name, source in module_calls(directory, cache):
            key = f"{prefix}{name}"
            if source.startswith(("./", "../")):
                target = Path(os.path.normpath(directory / source))
            else:
                address = registry_address(source)
                target = fetched / address[0] / address[1] if address else None
                if target is None or not target.is_dir():
                    continue
                source = f"registry.terraform.io/{source.removeprefix('registry.terraform.io/')}"
            entries.append({"Key": key, "Source": source, "Dir": os.path.relpath(target, root)})
            if depth < 10:
                walk(target, f"{key}.", depth + 1)

    walk(root, "", 0)
    return entries


def lay_out(root: Path, fetched: Path, cache: ParseCache | None = None) -> int:
    """Write ``root/.terraform/modules/modules.json``; the number of module entries."""
    entries = manifest(root, fetched, cache)
    path = root / ".terraform" / "modules" / "modules.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Modules": entries}, indent=1) + "\n", encoding="utf-8")
    return len(entries) - 1


def prepare(fetched: Path, work: Path, cache: ParseCache | None = None) -> tuple[list[str], dict[str, str]]:
    """Copy the repositories into ``work`` and lay out every example root's modules.
    Returns the roots (relative to ``work``) and each repository's commit."""
    roots, commits = [], {}
    for repository in repositories(fetched):
        shutil.copytree(repository, work / repository.name, ignore=shutil.ignore_patterns(".git", ".terraform"),
                        symlinks=True)
        commits[repository.name] = _commit(repository)
    for name in commits:  # every copy is in place first: a root may call a module of any of them
        for root in example_roots(work / name, cache):
            lay_out(work / name / root, work, cache)
            roots.append(os.path.normpath(f"{name}/{root}"))
    return roots, commits


def _commit(repository: Path) -> str | None:
    marker = repository / ".commit"
    if marker.is_file():
        return marker.read_text().strip()
    if (repository / ".git").exists():
        done = subprocess.run(["git", "-C", str(repository), "rev-parse", "HEAD"], capture_output=True, text=True)
        return done.stdout.strip() or None
    return None


# ----- collection, coverage and the audit ------------------------------------------

def collect_each(work: Path, roots: list[str], cache: ParseCache | None = None) -> dict[str, Any]:
    """Collect each root alone and audit it alone (its own policy, evaluated in this process):
    crashes, coverage and row statuses over all roots, and each root's regions."""
    crashes, regions, per_root = [], {}, []
    totals = {"resources": 0, "values": 0, "unresolved": 0, "gaps": 0, "errors": 0}
    reasons: Counter = Counter()
    statuses: Counter = Counter()
    examples: dict[str, list[str]] = {}
    cache = cache if cache is not None else ParseCache()  # modules many examples share: parsed once
    for number, root in enumerate(roots, 1):
        print(f"[{number}/{len(roots)}] {root}", file=sys.stderr, flush=True)
        try:
            inventory = collect_terraform(work, {root: root}, cache)
            found = Counter(r.region for r in inventory.resources if isinstance(r.region, str) and is_known(r.region))
            regions[root] = [region for region, _ in found.most_common()] or [FALLBACK_REGION]
            findings = audit_root(work, root, regions[root], inventory)
        except Exception as error:  # a crash is what this benchmark counts
            crashes.append({"root": root, "error": f"{type(error).__name__}: {error}",
                            "where": traceback.format_exc().strip().splitlines()[-3:]})
            continue
        coverage = summarize(inventory, root, [root])
        reasons.update(reason_shape(u.reason) for u in coverage.unresolved)
        statuses.update(f.status.value for f in findings)
        for finding in findings:
            if finding.status.value not in DEFINITE and len(examples.setdefault(finding.status.value, [])) < 6:
                examples[finding.status.value].append(f"{root}: {finding.row_id}: {finding.message}"[:400])
        row = {"root": root, "resources": coverage.resources, "values": coverage.values,
               "unresolved": len(coverage.unresolved), "gaps": len(coverage.gaps), "errors": len(coverage.errors),
               "rows": dict(Counter(f.status.value for f in findings))}
        per_root.append(row)
        for key in totals:
            totals[key] += row[key]
    return {"crashes": crashes, "regions": regions, "per_root": per_root, "totals": totals,
            "rows": sum(statuses.values()), "by_status": dict(sorted(statuses.items())),
            "not_definite_examples": examples,
            "top_unresolved_reasons": [{"reason": r, "count": n} for r, n in reasons.most_common(12)]}


def audit_root(work: Path, root: str, root_regions: list[str], inventory) -> list:
    """Every row of the generic policy, for ``root`` alone, judged on its inventory (static mode)."""
    path = work / ".public-roots-policy-one-root.yaml"
    write_policy(path, {root: root_regions})
    policy = load_policy(path)
    return [evaluate_static(row, policy, inventory) for row in policy.rows]


def write_policy(path: Path, regions: dict[str, list[str]]) -> int:
    """A policy with one role per (root, region) and every template row per role; the row count."""
    template = yaml.safe_load(ROWS.read_text(encoding="utf-8"))
    roles, rows = {}, []
    for index, (root, root_regions) in enumerate(sorted(regions.items())):
        for number, region in enumerate(root_regions):
            role = f"r{index:03d}-{number}"
            roles[role] = {"region": region, "terraform_root": root}
            # a global kind has no region: its rows take no role (the validator refuses a region-only role)
            rows += [{**row, "id": f"{row['id']}-R{index:03d}-{number}", "clause": "bench",
                      "title": f"{row['id'].lower()} in {root} ({region})",
                      **({"role": role} if KINDS[row["kind"]].scope == "regional" else {}),
                      "managed_by": "terraform", "severity": "medium", "when_absent": "not_applicable"}
                     for row in template]
    policy = {"policy": {"name": "public-roots", "version": "1", "title": "generic all-of-a-kind rows over public example roots"},
              "roles": roles, "terraform": {"root": "."}, "rows": rows}
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return len(rows)


def audit(work: Path, policy: Path) -> dict[str, Any]:
    """``pytest audits/ --dr-mode static`` on ``policy`` (a process of its own, measured)."""
    run = project(work.parent / "audit-run")
    reports = work.parent / "reports"
    result = run_measured([sys.executable, "-m", "pytest", "audits", "-q", "-p", "no:cacheprovider",
                           "--dr-policy", str(policy), "--dr-terraform-root", str(work), "--dr-mode", "static",
                           "--dr-checkov", "off", "--dr-parse-cache", "off",
                           "--dr-json", str(reports / "a.json"), "--dr-html", str(reports / "a.html"),
                           "--dr-sarif", str(reports / "a.sarif"), "--dr-history", str(reports / "history")],
                          cwd=run)
    report_path = reports / "a.json"
    if not report_path.is_file():
        return {**_brief(result), "report": None}
    report = json.loads(report_path.read_text())
    by_status = {k: v for k, v in report["summary"]["by_status"].items() if v}
    return {**_brief(result), "rows": report["summary"]["rows"], "by_status": by_status,
            "error_examples": [f"{r['id']}: {r.get('message', '')}"[:300] for r in report["rows"]
                               if r["status"] == "ERROR"][:5],
            "unknown_examples": [f"{r['id']}: {r.get('message', '')}"[:300] for r in report["rows"]
                                 if r["status"] == "UNKNOWN"][:8]}


def _brief(result: dict) -> dict:
    brief = {k: v for k, v in result.items() if k != "output"}
    if result.get("exit") not in (0, 1, 10):  # anything else is pytest's own failure: keep its words
        brief["output_tail"] = result.get("output", "")[-1500:]
    return brief


def measure(fetched: Path) -> dict[str, Any]:
    """The whole benchmark over the repositories in ``fetched``."""
    with tempfile.TemporaryDirectory(prefix="dr-public-roots-") as scratch:
        work = Path(scratch) / "tree"
        work.mkdir()
        cache = ParseCache()
        roots, commits = prepare(fetched, work, cache)
        collected = collect_each(work, roots, cache)
        policy = work / "public-roots-policy.yaml"
        write_policy(policy, collected["regions"])
        audited = audit(work, policy)
    return verdict(commits, roots, collected, audited)


def verdict(commits: dict, roots: list[str], collected: dict, audited: dict) -> dict[str, Any]:
    """The measured numbers next to the targets.

    Rows are counted root by root (each root audited alone, as its own repository would
    be); the one-policy run of ``pytest audits/`` over every root is the end-to-end check
    (its crashes and ERROR rows count too; its other statuses mix the roots, since rows
    select by region and a gap anywhere in a region can hide a resource of any root).
    """
    totals = collected["totals"]
    by_status = collected["by_status"]
    rows = collected["rows"]
    definite = sum(by_status.get(s, 0) for s in DEFINITE)
    end_to_end_crashed = audited.get("exit") not in (0, 1, 10)
    numbers = {
        "crashes": len(collected["crashes"]) + end_to_end_crashed,
        "error_rows": by_status.get("ERROR", 0) + audited.get("by_status", {}).get("ERROR", 0),
        "definite_percent": round(100 * definite / rows, 1) if rows else None,
        "unresolved_percent": round(100 * totals["unresolved"] / totals["values"], 2) if totals["values"] else None,
    }
    met = {"crashes": numbers["crashes"] <= TARGETS["crashes"],
           "error_rows": numbers["error_rows"] <= TARGETS["error_rows"],
           "definite_percent": (numbers["definite_percent"] or 0) >= TARGETS["definite_percent_at_least"],
           "unresolved_percent": numbers["unresolved_percent"] is not None
           and numbers["unresolved_percent"] <= TARGETS["unresolved_percent_at_most"]}
    return {"repositories": commits, "roots": len(roots), "rows": rows, "by_status": by_status, **numbers,
            "targets": TARGETS, "met": met, "inventory": totals,
            "top_unresolved_reasons": collected["top_unresolved_reasons"],
            "not_definite_examples": collected["not_definite_examples"],
            "end_to_end_one_policy": audited,
            "crashed_roots": collected["crashes"], "per_root": collected["per_root"]}


def from_environment() -> dict[str, Any]:
    """``python -m benchmarks public_roots``: the repositories are in ``$DR_PUBLIC_ROOTS``."""
    directory = Path(os.environ.get("DR_PUBLIC_ROOTS", "/tmp/dr-public-roots"))
    if not repositories(directory):
        raise SystemExit(how_to_fetch(directory))
    return measure(directory)


def _machine() -> dict[str, Any]:
    import platform
    from datetime import datetime, timezone

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": cpus,
            "measured": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def main(argv: list[str]) -> int:
    """``python -m benchmarks.public_roots DIR``: measure, print, write ``results/public_roots.json``."""
    from benchmarks.measure import write_result

    if len(argv) != 1:
        print("usage: python -m benchmarks.public_roots DIR", file=sys.stderr)
        return 2
    directory = Path(argv[0])
    if not repositories(directory):
        print(how_to_fetch(directory), file=sys.stderr)
        return 2
    result = measure(directory)
    path = write_result("public_roots", {"machine": _machine(), **result})
    print(f"== public_roots -> {path}")
    print(json.dumps({k: v for k, v in result.items() if k != "per_root"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
