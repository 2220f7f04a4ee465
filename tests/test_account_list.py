"""The account list of a multi-account run (issue 19): the accounts file, its errors with file and
line, shards, and the generated sandbox list."""

from __future__ import annotations

import pytest

from dr_audit.accounts import Account, AccountsError, list_fingerprint, load_accounts, parse_shard, select_shard
from dr_audit.sandbox.organization import generate_accounts_file
from tests.conftest import write_tree

GOOD = """\
# two accounts
accounts:
  - id: "111122223333"
    name: payments-prod
    role_arn: "arn:aws:iam::111122223333:role/dr-audit"
    external_id: audit-0001
  - {id: "012345678901", name: search_dr.eu, role_arn: "arn:aws-us-gov:iam::012345678901:role/audit/dr-audit",
     estate: some-estate}
  - {id: "444455556666", name: own-credentials}
"""


def _write(tmp_path, text: str):
    return write_tree(tmp_path, {"accounts.yaml": text}) / "accounts.yaml"


def test_an_accounts_file_loads_in_file_order_with_where_each_account_was_written(tmp_path):
    path = _write(tmp_path, GOOD)
    accounts = load_accounts(path)
    assert accounts == [
        Account("111122223333", "payments-prod", "arn:aws:iam::111122223333:role/dr-audit", "audit-0001", None,
                source=f"{path}:3"),
        Account("012345678901", "search_dr.eu", "arn:aws-us-gov:iam::012345678901:role/audit/dr-audit", None,
                "some-estate", source=f"{path}:7"),
        Account("444455556666", "own-credentials", None, None, None, source=f"{path}:9"),
    ]


BAD = [
    ('  - {id: 111122223333, name: a}\n', 2, "id must be a quoted 12-digit account id"),
    # under YAML 1.1 this plain scalar happens to stay a string: still refused, it is not quoted
    ('  - {id: 012345678901, name: a}\n', 2, "id must be a quoted 12-digit account id"),
    ('  - {id: "11112222333", name: a}\n', 2, "id must be a quoted 12-digit account id"),
    ('  - {name: a}\n', 2, "id must be a quoted 12-digit account id"),
    ('  - {id: "111122223333", name: "-a"}\n', 2, "name must be letters, digits"),
    ('  - {id: "111122223333", name: "a b"}\n', 2, "name must be letters, digits"),
    ('  - {id: "111122223333"}\n', 2, "name must be letters, digits"),
    ('  - {id: "111122223333", name: a, role_arn: "arn:aws:iam::999999999999:role/x"}\n', 2,
     "role_arn is in account 999999999999, not in this account (111122223333)"),
    ('  - {id: "111122223333", name: a, role_arn: "arn:aws:iam::111122223333:user/x"}\n', 2,
     "role_arn must be an IAM role ARN"),
    ('  - {id: "111122223333", name: a, external_id: abc}\n', 2, "external_id is given without a role_arn"),
    ('  - {id: "111122223333", name: a, role_arn: "arn:aws:iam::111122223333:role/x", external_id: 7}\n', 2,
     "external_id must be a string"),
    ('  - {id: "111122223333", name: a, acount: "1"}\n', 2, "unknown key(s) ['acount']"),
    ('  - {id: "111122223333", name: a, estate: ""}\n', 2, "estate must be an estate name"),
    ('  - just-a-name\n', 2, "an account must be a mapping"),
    ('  - {id: "111122223333", name: a}\n  - {id: "111122223333", name: b}\n', 3,
     "duplicate account id '111122223333' (first at {path}:2)"),
    ('  - {id: "111122223333", name: a}\n  - {id: "444455556666", name: a}\n', 3,
     "duplicate account name 'a' (first at {path}:2)"),
]


@pytest.mark.parametrize("items, line, message", BAD, ids=[i.strip() for i, _, _ in BAD])
def test_a_bad_account_is_an_error_naming_file_and_line(tmp_path, items, line, message):
    path = _write(tmp_path, "accounts:\n" + items)
    with pytest.raises(AccountsError) as raised:
        load_accounts(path)
    expected = f"{path}:{line}: " + message.format(path=path)
    assert any(problem.startswith(expected) for problem in raised.value.problems), raised.value.problems


def test_every_problem_is_reported_at_once(tmp_path):
    path = _write(tmp_path, 'accounts:\n  - {id: 1, name: a}\n  - {id: "111122223333", name: "b c"}\n')
    with pytest.raises(AccountsError) as raised:
        load_accounts(path)
    assert [p.split(": ", 1)[0] for p in raised.value.problems] == [f"{path}:2", f"{path}:3"]
    assert str(raised.value) == "\n".join(raised.value.problems)


@pytest.mark.parametrize("text, line, message", [
    ("accounts: []\n", 1, "'accounts' lists no account"),
    ("[]\n", 1, "an accounts file is a mapping with an 'accounts' list"),
    ("accounts:\n  - {id: \"111122223333\", name: a}\nextra: 1\n", 3, "unknown top-level key 'extra'"),
    ("accounts:\n  - {id: \"111122223333\", name: a\n", 3, "YAML syntax error"),
    ("accounts:\n  - {id: \"111122223333\", id: \"111122223334\", name: a}\n", 2, "YAML syntax error: duplicate key"),
])
def test_a_bad_file_is_an_error_naming_file_and_line(tmp_path, text, line, message):
    path = _write(tmp_path, text)
    with pytest.raises(AccountsError) as raised:
        load_accounts(path)
    assert any(p.startswith(f"{path}:{line}") and message in p for p in raised.value.problems), raised.value.problems


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(AccountsError, match="nowhere.yaml: file not found"):
        load_accounts(tmp_path / "nowhere.yaml")


# ----- shards -----------------------------------------------------------------------------

def _accounts(count: int) -> list[Account]:
    # ids deliberately not in name order: shards follow the ids
    return [Account(f"{(count - n) * 7919:012d}", f"a{n:03d}", None, None, None) for n in range(count)]


@pytest.mark.parametrize("count, shards", [(50, 1), (50, 4), (50, 7), (3, 5), (1, 2), (0, 3)])
def test_shards_are_disjoint_and_together_are_the_whole_list(count, shards):
    accounts = _accounts(count)
    parts = [select_shard(accounts, f"{k}/{shards}") for k in range(1, shards + 1)]
    ids = [a.id for part in parts for a in part]
    assert sorted(ids) == sorted(a.id for a in accounts) and len(ids) == len(set(ids))
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1  # round robin: balanced
    for part in parts:  # each shard keeps the list's order
        assert part == [a for a in accounts if a in part]


def test_a_shard_is_the_same_whatever_order_the_list_comes_in():
    accounts = _accounts(20)
    forward = select_shard(accounts, "2/3")
    backward = select_shard(list(reversed(accounts)), "2/3")
    assert {a.id for a in forward} == {a.id for a in backward}
    by_id = sorted(accounts, key=lambda a: a.id)
    assert {a.id for a in forward} == {a.id for a in by_id[1::3]}
    assert list_fingerprint(accounts) == list_fingerprint(reversed(accounts)) != list_fingerprint(accounts[1:])


@pytest.mark.parametrize("spec", ["0/3", "4/3", "3", "a/b", "1/0", "", "-1/2", "1/2/3"])
def test_a_bad_shard_spec_is_refused(spec):
    with pytest.raises(AccountsError, match="--dr-shard .*expected K/N"):
        select_shard(_accounts(3), spec)


def test_a_shard_spec_parses_to_index_and_count():
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1 / 1 ") == (1, 1)


# ----- the generated sandbox list ---------------------------------------------------------

def test_fifty_generated_accounts_load_back_distinct_with_their_estates_in_turn(tmp_path):
    estates = ("estate-a", "estate-b", "estate-c")
    path = generate_accounts_file(tmp_path / "fifty.yaml", 50, estates=estates)
    accounts = load_accounts(path)
    assert len(accounts) == 50 and len({a.id for a in accounts}) == 50 and len({a.name for a in accounts}) == 50
    assert accounts[0].id == "100000000001" and accounts[0].name == "acct-001"
    assert accounts[49].id == "100000000050" and accounts[49].name == "acct-050"
    assert [a.estate for a in accounts[:4]] == ["estate-a", "estate-b", "estate-c", "estate-a"]
    assert all(a.role_arn == f"arn:aws:iam::{a.id}:role/dr-audit" for a in accounts)
    assert '"100000000001"' in path.read_text()  # ids quoted


def test_a_generated_list_without_estates_and_wider_numbers(tmp_path):
    accounts = load_accounts(generate_accounts_file(tmp_path / "many.yaml", 1200, role_name="audit"))
    assert accounts[0].name == "acct-0001" and accounts[-1].name == "acct-1200"
    assert {a.estate for a in accounts} == {None} and accounts[-1].role_arn.endswith(":role/audit")
    with pytest.raises(ValueError):
        generate_accounts_file(tmp_path / "none.yaml", 0)
