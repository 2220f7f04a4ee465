"""The Terraform idiom corpus: each ``tests/corpus/<idiom>/`` is a small root and the
values the collector must produce for it (see ``tests/corpus/README.md``).

Expected values are Terraform's and the AWS provider's, written from their
documentation: a case that fails names the resource, the attribute, what was
expected and what the collector produced.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from dr_audit.kinds import KINDS
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.values import Unknown, is_known

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/expected.yaml"))
EXPECTED_KEYS = {"idiom", "reference", "roots", "errors", "gaps", "complete", "absent", "resources"}


@dataclass(frozen=True)
class ExpectUnknown:
    """``!unknown [word]``: the value must be unresolved, its reason containing ``word``."""

    word: str = ""


class _Loader(yaml.SafeLoader):
    """YAML with the ``!unknown`` tag."""


_Loader.add_constructor("!unknown", lambda loader, node: ExpectUnknown(loader.construct_scalar(node) or ""))


def load_expected(case: str) -> dict[str, Any]:
    """The parsed ``expected.yaml`` of ``case``."""
    return yaml.load((CORPUS / case / "expected.yaml").read_text(encoding="utf-8"), Loader=_Loader)


def collect_case(case: str, tmp_path: Path, roots: dict[str, str]):
    """Collect a copy of the case (the collector never sees the repository's tree)."""
    copy = tmp_path / case
    shutil.copytree(CORPUS / case, copy)
    return collect_terraform(copy, roots)


def value_problem(expected: Any, actual: Any) -> str | None:
    """Why ``actual`` is not ``expected`` (None when it is)."""
    if isinstance(expected, ExpectUnknown):
        if is_known(actual):
            return f"expected unknown, got {actual!r}"
        reason = actual.reason if isinstance(actual, Unknown) else str(actual)
        if expected.word.lower() not in reason.lower():
            return f"expected unknown because of {expected.word!r}, got unknown ({reason})"
        return None
    if not is_known(actual):
        return f"expected {expected!r}, got {actual}"
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = type(expected) is type(actual) and expected == actual
    else:
        same = expected == actual
    return None if same else f"expected {expected!r}, got {actual!r}"


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case, tmp_path):
    expected = load_expected(case)
    inventory = collect_case(case, tmp_path, expected.get("roots") or {"main": "."})
    problems: list[str] = []

    errors = [str(e) for e in inventory.errors]
    if len(errors) != expected.get("errors", 0):
        problems.append(f"{len(errors)} collector error(s), expected {expected.get('errors', 0)}: {errors}")
    gaps = [str(g) for g in getattr(inventory, "gaps", [])]  # older inventories had none
    if len(gaps) != expected.get("gaps", 0):
        problems.append(f"{len(gaps)} gap(s), expected {expected.get('gaps', 0)}: {gaps}")

    by_address = {r.address: r for r in inventory.resources}
    for address in expected.get("absent", []):
        if address in by_address:
            problems.append(f"{address}: must not be collected")
    for kind in expected.get("complete", []):
        wanted = {a for a, spec in expected["resources"].items() if spec["kind"] == kind}
        extra = sorted(r.address for r in inventory.of_kind(kind) if r.address not in wanted)
        if extra:
            problems.append(f"unexpected {kind} resource(s): {extra}")

    for address, spec in expected.get("resources", {}).items():
        resource = by_address.get(address)
        if resource is None:
            problems.append(f"{address}: not collected (collected: {sorted(by_address)})")
            continue
        if resource.kind != spec["kind"]:
            problems.append(f"{address}: kind {resource.kind}, expected {spec['kind']}")
        if "region" in spec and (problem := value_problem(spec["region"], resource.region)):
            problems.append(f"{address}.region: {problem}")
        if resource.presence is not None:
            problems.append(f"{address}: existence unresolved ({resource.presence.reason})")
        for attribute, wanted in spec.get("attributes", {}).items():
            if (problem := value_problem(wanted, resource.value(attribute))):
                problems.append(f"{address}.{attribute}: {problem}")

    assert not problems, f"{case} ({expected['idiom']}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("case", CASES)
def test_corpus_expectations_are_well_formed(case):
    """Every expectation names a real kind and attribute, so a typo cannot pass silently."""
    expected = load_expected(case)
    assert set(expected) <= EXPECTED_KEYS, f"unknown keys {set(expected) - EXPECTED_KEYS}"
    assert expected.get("idiom") and expected.get("reference"), "say what the case shows and where its values come from"
    assert (CORPUS / case / (expected.get("roots") or {"main": "."})["main"]).is_dir()
    for address, spec in expected.get("resources", {}).items():
        assert spec.get("kind") in KINDS, f"{address}: unknown kind {spec.get('kind')!r}"
        unknown = set(spec.get("attributes", {})) - set(KINDS[spec["kind"]].attributes)
        assert not unknown, f"{address}: {spec['kind']} has no attribute(s) {sorted(unknown)}"
    for kind in expected.get("complete", []):
        assert kind in KINDS, f"complete: unknown kind {kind!r}"


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


def test_value_problem_tells_a_wrong_value_an_unknown_and_a_bool_from_an_int():
    assert value_problem(1, 1) is None
    assert value_problem(True, 1) is not None  # a bool is never a number
    assert value_problem("a", Unknown("x", "why")) == "expected 'a', got unknown (why): x"
    assert value_problem(ExpectUnknown(), Unknown("x", "why")) is None
    assert value_problem(ExpectUnknown("outside"), Unknown("x", "why")) is not None
    assert value_problem(ExpectUnknown(), "a") == "expected unknown, got 'a'"
