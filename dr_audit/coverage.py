"""How much of a Terraform tree the static evaluator can see, for teams adopting the audit.

``python -m dr_audit.coverage TREE [--root DIR ...] [--top N] [--json]``

In: a directory of Terraform. Every directory holding ``.tf`` files that no other
directory of the tree calls as a local module is a root (or the roots given).
Out (printed, exit 0): how many resources were mapped to a kind (by kind), how
many of their attribute values were resolved, the unresolved ones grouped by
reason with ``file:line`` (the first N of each reason), and the gaps and errors
met. No policy is needed: it runs the Terraform collector and the kinds alone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Tree

from dr_audit.inventory import Inventory, Resource
from dr_audit.kinds import KINDS
from dr_audit.secrets import Redactor
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.expressions import SourceText, string_literal, subtrees
from dr_audit.terraform.parse_cache import ParseCache
from dr_audit.terraform.parsing import attribute_expression, parse_directory
from dr_audit.terraform.values import Unknown, is_known

#: directories never searched for roots: where terraform init and tools keep their copies
SKIPPED_DIRECTORIES = frozenset({".terraform", ".git", "node_modules"})
DEFAULT_TOP = 5


@dataclass
class Unresolved:
    """One attribute value the evaluator could not resolve."""

    at: str  # file:line (or the address when no file is known)
    value: str  # address.attribute
    reason: str


@dataclass
class Coverage:
    """What a tree's collection produced: counts, unresolved values, gaps, errors."""

    tree: str
    roots: list[str]
    by_kind: Counter = field(default_factory=Counter)
    existence_unresolved: int = 0
    region_unresolved: int = 0
    values: int = 0
    unresolved: list[Unresolved] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def resources(self) -> int:
        return sum(self.by_kind.values())

    @property
    def resolved(self) -> int:
        return self.values - len(self.unresolved)

    def by_reason(self) -> list[tuple[str, list[Unresolved]]]:
        """Unresolved values grouped by their reason's shape, largest group first."""
        groups: dict[str, list[Unresolved]] = {}
        for item in self.unresolved:
            groups.setdefault(reason_shape(item.reason), []).append(item)
        return sorted(groups.items(), key=lambda group: (-len(group[1]), group[0]))

    def to_dict(self, top: int = DEFAULT_TOP) -> dict[str, Any]:
        """JSON-ready summary; each reason keeps its first ``top`` examples."""
        return {
            "tree": self.tree,
            "roots": self.roots,
            "resources": {"total": self.resources, "by_kind": dict(sorted(self.by_kind.items())),
                          "existence_unresolved": self.existence_unresolved,
                          "region_unresolved": self.region_unresolved},
            "attribute_values": {"total": self.values, "resolved": self.resolved,
                                 "unresolved": len(self.unresolved),
                                 "unresolved_percent": percent(len(self.unresolved), self.values)},
            "unresolved_by_reason": [
                {"reason": shape, "count": len(items),
                 "examples": [{"at": i.at, "value": i.value, "reason": i.reason} for i in items[:top]]}
                for shape, items in self.by_reason()],
            "gaps": self.gaps,
            "errors": self.errors,
        }


def percent(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent, one decimal (0.0 for an empty whole)."""
    return round(100.0 * part / whole, 1) if whole else 0.0


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
#: a file path, with its line (``modules/vpc/main.tf:12``); a CIDR (no letter) is not one
_PATH = re.compile(r"(?<![\w.])(?=[^\s/]*/\S*[A-Za-z])[\w.+-]*/[\w./+-]*(?::\d+)?")
_DOTTED = re.compile(r"[A-Za-z_][\w-]*(?:\[[^\]]*\])?(?:\.[\w*-]+(?:\[[^\]]*\])?)+")


def reason_shape(reason: str) -> str:
    """A reason with its names left out, so that reasons of one kind group together.

    >>> reason_shape("aws_vpc.main.id is only known after apply")
    '… is only known after apply'
    >>> reason_shape("variable 'region' has no default and no value was given")
    'variable … has no default and no value was given'
    """
    return _DOTTED.sub("…", _PATH.sub("…", _QUOTED.sub("…", reason))).strip()


def find_roots(tree: Path, cache: ParseCache | None = None) -> list[str]:
    """Directories of ``tree`` (relative, ``.`` for itself) that hold ``.tf`` files and
    that no other directory of the tree calls as a local module, sorted."""
    tree = Path(tree).resolve()
    directories = _terraform_directories(tree)
    called: set[Path] = set()
    for directory in directories:
        called.update(_local_module_targets(directory, tree, cache))
    roots = [d for d in directories if d not in called]
    return sorted(_relative(d, tree) for d in roots)


def _terraform_directories(tree: Path) -> list[Path]:
    found = []
    for current, subdirectories, files in os.walk(tree):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
        if any(name.endswith(".tf") for name in files):
            found.append(Path(current))
    return found


def _local_module_targets(directory: Path, tree: Path, cache: ParseCache | None) -> list[Path]:
    """The directories that ``module`` blocks in ``directory`` call by a literal local path."""
    targets = []
    for block in parse_directory(directory, tree, cache).blocks:
        source = block.attributes().get("source") if block.type == "module" else None
        if source is None:
            continue
        path = plain_string(attribute_expression(source), block.source)
        if path and path.startswith(("./", "../")):
            targets.append(Path(os.path.normpath(directory / path)))
    return targets


def plain_string(node: Tree, source: SourceText) -> str | None:
    """The string an argument such as ``source = "../db"`` holds, or None when it is not a plain string."""
    while isinstance(node, Tree) and node.data == "expr_term" and len(subtrees(node)) == 1:
        node = subtrees(node)[0]
    return string_literal(node, source) if isinstance(node, Tree) else None


def _relative(path: Path, tree: Path) -> str:
    return str(path.relative_to(tree)) if path != tree else "."


def measure(tree: Path, roots: list[str] | None = None) -> Coverage:
    """Collect ``tree`` (its found roots, or ``roots`` relative to it) and count what resolved."""
    tree = Path(tree).resolve()
    cache = ParseCache()
    roots = sorted(roots) if roots else find_roots(tree, cache)
    inventory = collect_terraform(tree, {root: root for root in roots}, cache)
    return summarize(inventory, str(tree), roots)


def summarize(inventory: Inventory, tree: str, roots: list[str]) -> Coverage:
    """Count an inventory's resources and resolved values; secrets are masked in every text."""
    redact = Redactor(inventory.secrets)
    coverage = Coverage(tree, roots)
    for resource in inventory.resources:
        coverage.by_kind[resource.kind if resource.mode == "managed" else f"{resource.kind} (data)"] += 1
        coverage.existence_unresolved += resource.presence is not None
        coverage.region_unresolved += KINDS[resource.kind].scope == "regional" and not is_known(resource.region)
        for name, value in sorted(resource.attributes.items()):
            coverage.values += 1
            if not value.known:
                coverage.unresolved.append(Unresolved(
                    redact.text(_location(resource, value.file, value.line)),
                    f"{resource.address}.{name}", redact.text(_reason(value.value))))
    coverage.gaps = [redact.text(str(gap)) for gap in inventory.gaps]
    coverage.errors = [redact.text(str(error)) for error in inventory.errors]
    return coverage


def _location(resource: Resource, file: str | None, line: int | None) -> str:
    file, line = (file, line) if file else (resource.file, resource.line)
    return f"{file}:{line}" if file else resource.address


def _reason(value: Any) -> str:
    if isinstance(value, Unknown):
        return value.reason
    for item in (value.values() if isinstance(value, dict) else value if isinstance(value, list) else []):
        if not is_known(item):
            return _reason(item)
    return f"{value} is only known after apply"


def render(coverage: Coverage, top: int = DEFAULT_TOP) -> str:
    """The report as plain text."""
    lines = [f"Terraform coverage of {coverage.tree}",
             f"roots ({len(coverage.roots)}): {', '.join(coverage.roots) or 'none'}",
             f"resources mapped to a kind: {coverage.resources}"]
    lines += [f"  {kind:<34} {count}" for kind, count in sorted(coverage.by_kind.items())]
    if coverage.existence_unresolved:
        lines.append(f"  whose existence is unresolved (count/for_each): {coverage.existence_unresolved}")
    if coverage.region_unresolved:
        lines.append(f"  whose region is unresolved: {coverage.region_unresolved}")
    unresolved = len(coverage.unresolved)
    lines.append(f"attribute values: {coverage.values}, resolved {coverage.resolved} "
                 f"({percent(coverage.resolved, coverage.values)} %), unresolved {unresolved} "
                 f"({percent(unresolved, coverage.values)} %)")
    for shape, items in coverage.by_reason():
        lines.append(f"  {len(items):>5} x {shape}")
        lines += [f"          {item.at}  {item.value}" for item in items[:top]]
        if len(items) > top:
            lines.append(f"          ... and {len(items) - top} more")
    lines.append(f"gaps: {len(coverage.gaps)}")
    lines += [f"  {gap}" for gap in coverage.gaps]
    lines.append(f"errors: {len(coverage.errors)}")
    lines += [f"  {error}" for error in coverage.errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry; always exit 0 (a report, not a gate)."""
    parser = argparse.ArgumentParser(prog="python -m dr_audit.coverage", description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path, help="directory of Terraform")
    parser.add_argument("--root", action="append", dest="roots", metavar="DIR",
                        help="a root directory relative to TREE (repeatable; default: every uncalled directory)")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, help="examples shown per reason (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    if not args.tree.is_dir():
        parser.error(f"{args.tree} is not a directory")
    coverage = measure(args.tree, args.roots)
    print(json.dumps(coverage.to_dict(args.top), indent=2) if args.json else render(coverage, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
