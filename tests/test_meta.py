"""Invariants over the registries, in the spirit of Cloud Custodian's meta-tests:
every policy's vocabulary is supported, and every registered piece is tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from dr_audit.comparators import COMPARATORS
from dr_audit.kinds import KINDS, POLICY_KIND
from dr_audit.operators import OPERATORS
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import supported_attributes
from tests.conftest import REPO

#: every policy file shipped (the waivers file beside them is not a policy)
POLICIES = sorted(p for p in (REPO / "policies").glob("*.yaml") if "\nrows:" in p.read_text())


def _used(policy) -> set[tuple[str, str]]:
    used = set()
    for row in policy.rows:
        if row.kind == POLICY_KIND:
            continue
        for attribute in [row.attribute, row.args.get("attribute"), *row.select,
                          *[a for t in row.args.get("targets", []) for a in t.get("select", {})]]:
            if attribute:
                used.add((row.kind, attribute))
        if row.comparator == "ecr_replicates":
            used.add((row.kind, "rules"))
    return used


@pytest.mark.parametrize("path", POLICIES, ids=[p.name for p in POLICIES])
def test_every_kind_and_attribute_a_policy_uses_is_collected_from_terraform(path: Path):
    supported = supported_attributes()
    missing = sorted((k, a) for k, a in _used(load_policy(path)) if a not in supported.get(k, set()))
    assert not missing, f"{path.name} uses attributes the Terraform collector does not produce: {missing}"


def test_every_operator_is_used_in_a_test_or_policy():
    text = "".join(p.read_text() for p in [*(REPO / "tests").glob("*.py"), *POLICIES])
    unused = [name for name in OPERATORS if f"op: {name}" not in text and f'"{name}"' not in text]
    assert not unused, f"operators no test or policy exercises: {unused}"


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_can_fail(name):
    """An operator that answers True for everything would make rows that cannot fail."""
    operator = OPERATORS[name]
    samples = {"eq": (1, 2), "ne": (1, 1), "gte": (1, 2), "lte": (2, 1), "gt": (1, 1), "lt": (1, 1),
               "in": ("a", ["b"]), "contains": (["a"], "b"), "contains_all": (["a"], ["a", "b"]),
               "set_eq": (["a"], ["a", "b"]), "cidr_eq": ("10.0.0.0/16", "10.1.0.0/16"),
               "matches": ("abc", "^z"), "exists": (0, None),
               "all_match": (["ab", "zb"], "^a"), "subset_of": (["a", "c"], ["a", "b"]),
               "has_key": ({"a": "1"}, "b"), "key_eq": ({"a": "1"}, {"a": "2"}),
               "age_at_most": ("2000-01-01T00:00:00Z", 60),
               "key_age_at_most": ({"a": "2000-01-01T00:00:00Z"}, {"key": "a", "seconds": 60})}
    assert operator.test(*samples[name]) is False


def test_every_comparator_is_exercised_by_a_test_or_policy():
    text = "".join(p.read_text() for p in [*(REPO / "tests").glob("*.py"), *POLICIES])
    unused = [name for name in COMPARATORS if f"comparator: {name}" not in text]
    assert not unused, f"comparators without a test or policy: {unused}"


def test_kinds_have_documented_attributes():
    for kind in KINDS.values():
        assert kind.doc and kind.scope in ("regional", "global")
        assert all(spec.doc and spec.type for spec in kind.attributes.values()), kind.name


def test_library_code_names_no_policy_specifics():
    """Generic core: PortForge, its regions and its resources live in policies and fixtures only."""
    forbidden = ("portforge", "seoul", "tokyo", "ap-northeast", "megaticket", "fileflow")
    offenders = []
    for path in (REPO / "dr_audit").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".j2"):
            text = path.read_text(encoding="utf-8").lower()
            offenders += [f"{path.relative_to(REPO)}: {word}" for word in forbidden if word in text]
    assert not offenders, offenders
