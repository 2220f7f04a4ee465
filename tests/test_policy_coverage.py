"""Every checkable value a policy's guide states is listed beside the policy, and checked or explained.

Each policy with a coverage list keeps `policies/<name>.coverage/`: `guide.md` (a verbatim copy of
the written guide) and `values.yaml` (one entry per value: clause, line, the value's text, and the
rows that check it, or `not_checkable: why`, or `missing: kind.attribute`). These tests keep the
list honest (its lines hold its values, its rows exist, every row checks a listed value) and keep
coverage from shrinking. Run with `-s` to see the coverage table.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from dr_audit.policy import load_policy
from tests.conftest import REPO

#: what an entry may say about its value: exactly one of these
OUTCOMES = ("rows", "not_checkable", "missing")

#: coverage when each list was last reviewed: the values listed and the values checked by rows may
#: grow, never shrink (raise these when coverage grows; `missing` entries should turn into rows)
MINIMUM = {
    "megaticket-pilot-light": {"values": 157, "rows": 146},
    "fileflow-hybrid": {"values": 162, "rows": 153},
    "crm-active-active": {"values": 145, "rows": 131},
}
NAMES = sorted(MINIMUM)


def coverage_dir(name: str) -> Path:
    """`policies/<name>.coverage/`: the guide copy and the value list of policy `name`."""
    return REPO / "policies" / f"{name}.coverage"


def load_values(name: str) -> dict:
    """The parsed `values.yaml` of policy `name`: {guide, policy, values: [entry, ...]}."""
    return yaml.safe_load((coverage_dir(name) / "values.yaml").read_text(encoding="utf-8"))


def guide_lines(name: str, listing: dict) -> list[str]:
    """The lines of the guide the listing names; index 0 is line 1."""
    return (coverage_dir(name) / listing["guide"]).read_text(encoding="utf-8").splitlines()


def policy_row_ids(name: str, listing: dict) -> set[str]:
    """The row ids of the policy the listing belongs to (loaded and validated like a run does)."""
    return {row.id for row in load_policy(coverage_dir(name) / listing["policy"]).rows}


def malformed(entries: list[dict]) -> list:
    """Entries without clause, line and text, or without exactly one outcome, or with an empty one."""
    bad = []
    for entry in entries:
        given = [key for key in OUTCOMES if key in entry]
        if not {"clause", "line", "text"} <= set(entry) or len(given) != 1 or not entry[given[0]] \
                or (given[0] == "rows" and not isinstance(entry["rows"], list)):
            bad.append((entry.get("line"), entry.get("text")))
    return bad


def drifted(entries: list[dict], lines: list[str]) -> list:
    """(line, text) of every entry whose line of the guide does not hold its text."""
    return [(e["line"], e["text"]) for e in entries
            if not (isinstance(e["line"], int) and 1 <= e["line"] <= len(lines))
            or str(e["text"]) not in lines[e["line"] - 1]]


def unknown_rows(entries: list[dict], ids: set[str]) -> list[str]:
    """Row ids the entries name that the policy does not have."""
    return sorted({r for e in entries for r in e.get("rows", []) if r not in ids})


def unlisted_rows(entries: list[dict], ids: set[str]) -> list[str]:
    """Policy rows no entry names: a row must check a value the guide states."""
    named = {r for e in entries for r in e.get("rows", [])}
    return sorted(ids - named)


def counts(entries: list[dict]) -> Counter:
    """values listed, and how many are checked by rows, not checkable, or missing a kind or attribute."""
    tally = Counter(key for e in entries for key in OUTCOMES if key in e)
    tally["values"] = len(entries)
    return tally


def shrunk(tally: Counter, floor: dict) -> list[str]:
    """The counts that fell below their recorded minimum."""
    return [f"{key}: {tally[key]} < {minimum}" for key, minimum in floor.items() if tally[key] < minimum]


def coverage_table() -> str:
    """One line per policy: values, rows, not checkable, missing (the numbers the report quotes)."""
    lines = []
    for name in NAMES:
        c = counts(load_values(name)["values"])
        lines.append(f"{name}: {c['values']} values, {c['rows']} checked by rows "
                     f"({100 * c['rows'] / c['values']:.0f} %), {c['not_checkable']} not checkable, "
                     f"{c['missing']} missing a kind or attribute")
    return "\n".join(lines)


# ----- the shipped lists -------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_entry_gives_its_place_and_one_outcome(name):
    assert not malformed(load_values(name)["values"])


@pytest.mark.parametrize("name", NAMES)
def test_every_line_holds_its_value(name):
    listing = load_values(name)
    assert not drifted(listing["values"], guide_lines(name, listing))


@pytest.mark.parametrize("name", NAMES)
def test_every_named_row_exists_in_the_policy(name):
    listing = load_values(name)
    assert not unknown_rows(listing["values"], policy_row_ids(name, listing))


@pytest.mark.parametrize("name", NAMES)
def test_every_policy_row_checks_a_listed_value(name):
    listing = load_values(name)
    assert not unlisted_rows(listing["values"], policy_row_ids(name, listing))


@pytest.mark.parametrize("name", NAMES)
def test_coverage_does_not_shrink(name):
    assert not shrunk(counts(load_values(name)["values"]), MINIMUM[name])


def test_coverage_table(capsys):
    table = coverage_table()
    with capsys.disabled():
        print("\n" + table)
    assert len(table.splitlines()) == len(NAMES)


# ----- the checks themselves catch what they are for ---------------------------

LINES = ["# guide", "cidr_block = \"10.1.0.0/16\"", "port = 443"]


def test_a_value_off_its_line_is_caught():
    entries = [{"clause": "1", "line": 3, "text": "10.1.0.0/16", "rows": ["VPC"]},
               {"clause": "1", "line": 9, "text": "443", "rows": ["HC"]}]
    assert drifted(entries, LINES) == [(3, "10.1.0.0/16"), (9, "443")]
    assert drifted([{**entries[0], "line": 2}], LINES) == []


def test_a_row_the_policy_lacks_and_a_row_no_value_names_are_caught():
    entries = [{"clause": "1", "line": 2, "text": "10.1.0.0/16", "rows": ["VPC", "GONE"]}]
    assert unknown_rows(entries, {"VPC", "EXTRA"}) == ["GONE"]
    assert unlisted_rows(entries, {"VPC", "EXTRA"}) == ["EXTRA"]


def test_an_entry_with_two_outcomes_or_none_or_an_empty_reason_is_caught():
    entries = [{"clause": "1", "line": 2, "text": "x", "rows": ["A"], "missing": "vpc.x"},
               {"clause": "1", "line": 2, "text": "y"},
               {"clause": "1", "line": 2, "text": "z", "not_checkable": ""},
               {"line": 2, "text": "w", "rows": ["A"]}]
    assert malformed(entries) == [(2, "x"), (2, "y"), (2, "z"), (2, "w")]


def test_coverage_that_shrinks_is_caught():
    entries = [{"clause": "1", "line": 2, "text": "x", "missing": "vpc.x"}]
    assert shrunk(counts(entries), {"values": 1, "rows": 1}) == ["rows: 0 < 1"]
    assert shrunk(counts(entries), {"values": 2, "rows": 0}) == ["values: 1 < 2"]
