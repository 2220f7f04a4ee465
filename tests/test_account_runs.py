"""One policy audited over many accounts (``--dr-accounts``), as a user runs it: each account's rows
are items of their own, the sandbox holds each account's estate apart, an account that cannot be
assumed makes only its own rows ERROR, and ``-n 2 --dist loadgroup`` and shards merged give the same
report as one serial run. Every run writes to fresh paths of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from dr_audit.plugin import EXIT_INCOMPLETE
from tests.conftest import POLICY, REPO

ROLE = "arn:aws:iam::{id}:role/dr-audit"
#: two accounts the sandbox builds, and one it does not hold (listed without an estate)
ACCOUNTS = [("111111111111", "shop-a", "portforge-as-found"), ("222222222222", "shop-b", "portforge-remediated"),
            ("333333333333", "shop-gone", None)]


def accounts_file(directory: Path, accounts=ACCOUNTS) -> Path:
    lines = ["accounts:"]
    for account_id, name, estate in accounts:
        lines.append(f'  - id: "{account_id}"')
        lines.append(f"    name: {name}")
        lines.append(f'    role_arn: "{ROLE.format(id=account_id)}"')
        if estate:
            lines.append(f"    estate: {estate}")
    path = directory / "accounts.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def audit(out: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    """``pytest audits/`` on PortForge in a process of its own, every output under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pytest", "audits", "--dr-policy", str(POLICY), "-p", "no:cacheprovider",
               "--dr-checkov", "off", "--dr-parse-cache", "off", "--dr-json", str(out / "a.json"),
               "--dr-html", str(out / "a.html"), "--dr-sarif", str(out / "a.sarif"),
               "--dr-history", str(out / "history"), "-q", *args]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    document = json.loads((out / "a.json").read_text()) if (out / "a.json").exists() else None
    return result, document


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The three-account run serially, under ``-n 2 --dist loadgroup``, and PortForge as-found alone."""
    base = tmp_path_factory.mktemp("accounts")
    listed = accounts_file(base)
    return {"serial": audit(base / "serial", "--dr-accounts", str(listed), "--dr-run-id", "night-1",
                            "--dr-evidence", str(base / "serial" / "bundle"), "--html", str(base / "serial" / "ph.html")),
            "parallel": audit(base / "parallel", "--dr-accounts", str(listed), "--dr-run-id", "night-1",
                              "-n", "2", "--dist", "loadgroup", "--dr-evidence", str(base / "parallel" / "bundle")),
            "single": audit(base / "single", "--dr-estate", "portforge-as-found"),
            "base": base}


def by_account(document: dict) -> dict[str, dict[str, str]]:
    statuses: dict[str, dict[str, str]] = {}
    for row in document["rows"]:
        statuses.setdefault(row["account"]["name"], {})[row["id"]] = row["status"]
    return statuses


def test_every_row_is_an_item_per_account(runs):
    result, document = runs["serial"]
    assert document is not None, result.stdout[-3000:] + result.stderr[-3000:]
    rows = len(runs["single"][1]["rows"])
    assert document["summary"]["rows"] == 3 * rows
    assert len({row["key"] for row in document["rows"]}) == 3 * rows
    assert {row["key"].split("-RDS")[0] for row in document["rows"] if row["id"].startswith("RDS")} >= {"shop-a"}
    assert "shop-a-" + document["rows"][0]["id"] == document["rows"][0]["key"]
    assert [a["name"] for a in document["accounts"]] == ["shop-a", "shop-b", "shop-gone"]
    assert document["run"]["run_id"] == "night-1"


def test_each_account_is_audited_against_its_own_estate(runs):
    _, document = runs["serial"]
    _, single = runs["single"]
    statuses = by_account(document)
    # the as-found account says what the as-found estate alone says, row for row
    assert statuses["shop-a"] == {row["id"]: row["status"] for row in single["rows"]}
    # the remediated account is another estate: fewer failures, and the as-found's open problem 1 differs
    failing = Counter(statuses["shop-b"].values())
    assert failing["FAIL"] < Counter(statuses["shop-a"].values())["FAIL"]
    assert statuses["shop-a"] != statuses["shop-b"]


def test_an_account_that_cannot_be_assumed_is_error_and_the_run_exits_10(runs):
    result, document = runs["serial"]
    assert result.returncode == EXIT_INCOMPLETE, result.stdout[-3000:]
    gone = [row for row in document["rows"] if row["account"]["name"] == "shop-gone"]
    # every row that reads the account is ERROR; the policy's coherence rows read only the policy
    assert {row["status"] for row in gone if row["kind"] != "policy"} == {"ERROR"}
    assert {row["status"] for row in gone if row["kind"] == "policy"} <= {"PASS", "FAIL", "WAIVED"}
    entry = next(a for a in document["accounts"] if a["name"] == "shop-gone")
    assert "AssumeRole" in json.dumps(entry) and "333333333333" in json.dumps(entry)
    assert any("shop-gone" in reason for reason in document["run"]["incomplete"])
    # the other accounts were read in full
    assert "ERROR" not in set(by_account(document)["shop-a"].values()) | set(by_account(document)["shop-b"].values())
    assert "shop-gone-" in result.stdout and "AUDIT INCOMPLETE" in result.stdout


def test_loadgroup_workers_write_the_report_a_serial_run_writes(runs):
    (serial_result, serial), (result, parallel) = runs["serial"], runs["parallel"]
    assert parallel is not None, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == serial_result.returncode
    assert by_account(parallel) == by_account(serial)
    assert parallel["summary"] == serial["summary"]
    assert [(p["id"], p["account"]["name"], p["status"]) for p in parallel["problems"]] == \
        [(p["id"], p["account"]["name"], p["status"]) for p in serial["problems"]]


def evidence_files(bundle: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in (bundle / "evidence").glob("*.json")}


def quoted_items(evidence: dict) -> list:
    return [excerpt["item"] for source in evidence["account"]["sources"] for excerpt in source["excerpts"]]


@pytest.mark.parametrize("mode", ["serial", "parallel"])
def test_the_bundle_quotes_each_accounts_own_terraform_lines_and_aws_responses(runs, mode):
    """Each account's evidence is quoted before it is released (under xdist, by the worker that read
    it): every row of a read account quotes its Terraform lines and its own account's responses."""
    _, document = runs[mode]
    files = evidence_files(runs["base"] / mode / "bundle")
    assert len(files) == len(document["rows"])
    ids = {name: account_id for account_id, name, _ in ACCOUNTS}
    compared, quoting, consulted = 0, Counter(), Counter()
    for row in document["rows"]:
        name = row["account"]["name"]
        evidence = files[row["key"]]
        assert "lines_not_quoted" not in evidence["code"]
        if name == "shop-gone" or not evidence["account"]["sources"]:
            continue
        assert all(source["lines"] for source in evidence["code"]["sources"]), row["key"]
        assert {source["account"] for source in evidence["account"]["sources"]} == {ids[name]}, row["key"]
        consulted[name] += 1
        quoting[name] += bool(quoted_items(evidence))
        other = files.get(f"{'shop-b' if name == 'shop-a' else 'shop-a'}-{row['id']}")
        if other is not None and other["status"] != row["status"] and quoted_items(other):
            assert quoted_items(evidence) != quoted_items(other)  # each account quotes its own responses
            compared += 1
    assert compared >= 1
    # a source with nothing found (a resource the account lacks) has no excerpt, and says why
    assert all(quoting[name] >= consulted[name] * 0.8 for name in ("shop-a", "shop-b")), (quoting, consulted)


def test_pytest_html_shows_each_accounts_evidence_beside_its_item(runs):
    _, document = runs["serial"]
    page = (runs["base"] / "serial" / "ph.html").read_text()
    read = [row for row in document["rows"] if row["account"]["name"] != "shop-gone"]  # shop-gone: setup errors
    assert page.count("dr-evidence") >= len(read)  # one table per item of every account read
    for name, row_id in (("shop-a", "DDB-STREAM-TEAM-CHATS"), ("shop-b", "DDB-STREAM-TEAM-CHATS")):
        assert f"test_policy_row[{name}-{row_id}]" in page


def test_the_closing_summary_has_a_line_per_account(runs):
    result, _ = runs["serial"]
    lines = [line for line in result.stdout.splitlines() if line.startswith("account shop-")]
    assert [line.split(" ")[1] for line in lines] == ["shop-a", "shop-b", "shop-gone"]
    assert "NOT READ" in lines[2] and "NOT READ" not in lines[0]


def test_shards_merged_equal_the_whole_run(runs):
    base: Path = runs["base"]
    (base / "shards").mkdir()
    listed = accounts_file(base / "shards", ACCOUNTS[:2])
    parts = [audit(base / "shards" / f"s{k}", "--dr-accounts", str(listed), "--dr-shard", f"{k}/2",
                   "--dr-run-id", "night-2") for k in (1, 2)]
    for result, document in parts:
        assert document is not None, result.stdout[-3000:]
        assert len(document["accounts"]) == 1
    merged_json = base / "shards" / "merged.json"
    merged = subprocess.run([sys.executable, "-m", "dr_audit.report", "merge",
                             *(str(base / "shards" / f"s{k}" / "a.json") for k in (1, 2)),
                             "--json", str(merged_json), "--html", str(base / "shards" / "m.html"),
                             "--sarif", str(base / "shards" / "m.sarif"), "--csv", str(base / "shards" / "m.csv")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert merged.returncode in (0, 1), merged.stderr
    document = json.loads(merged_json.read_text())
    _, whole = runs["serial"]
    expected = {name: rows for name, rows in by_account(whole).items() if name != "shop-gone"}
    assert by_account(document) == expected
    assert document["run"]["run_id"] == "night-2"


def test_shards_of_different_runs_are_refused(runs):
    base: Path = runs["base"]
    first, second = base / "serial" / "a.json", base / "other-run.json"
    other = json.loads(first.read_text())
    other["run"]["run_id"] = "night-99"
    for account in other.get("accounts", []):
        account["run"]["run_id"] = "night-99" if "run" in account else None
    second.write_text(json.dumps(other))
    merged = subprocess.run([sys.executable, "-m", "dr_audit.report", "merge", str(first), str(second),
                             "--json", str(base / "refused.json")], cwd=REPO, capture_output=True, text=True,
                            timeout=300)
    assert merged.returncode == 2
    assert "night-99" in merged.stderr + merged.stdout
    assert not (base / "refused.json").exists()


@pytest.mark.parametrize("extra, message", [
    (["--dr-role-arn", "arn:aws:iam::111111111111:role/x"], "--dr-role-arn names one account"),
    (["--dr-mode", "static"], "static"),
    (["--dr-estate", "portforge-drift"], "each account names its own estate"),
])
def test_options_that_cannot_go_with_an_account_list_are_usage_errors(tmp_path, extra, message):
    result, _ = audit(tmp_path / "out", "--dr-accounts", str(accounts_file(tmp_path)), *extra)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr


def test_a_shard_without_accounts_is_a_usage_error(tmp_path):
    result, _ = audit(tmp_path / "out", "--dr-shard", "1/2")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--dr-shard" in result.stderr


def test_an_accounts_file_with_a_bad_entry_names_file_and_line(tmp_path):
    listed = tmp_path / "accounts.yaml"
    listed.write_text('accounts:\n  - id: "111111111111"\n    name: a\n  - id: 12\n    name: b\n')
    result, _ = audit(tmp_path / "out", "--dr-accounts", str(listed))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"{listed}:4" in result.stderr


class _FakeContext:
    """Stands for an AuditContext: a target that opens, a status per row, and whether it was closed."""

    def __init__(self, status: str):
        self.target, self.status, self.closed = None, status, False

    def close(self) -> None:
        self.closed = True


def test_moving_to_another_account_releases_the_previous_ones_evidence():
    from dr_audit.account_runs import AccountRuns, AccountSummary
    from dr_audit.accounts import Account
    from dr_audit.aws.target import TargetOptions

    accounts = [Account(id=f"{n}" * 12, name=f"a{n}", role_arn=None, external_id=None, estate=None) for n in (1, 2)]
    statuses = iter(["PASS", "PASS", "FAIL"])  # a1, a2, then a1 again, read differently
    made = []

    def make(options, policy, store):
        made.append(_FakeContext(next(statuses)))
        return made[-1]

    runs = AccountRuns(accounts, policy=None, make_context=make, options=TargetOptions(target="live"), run_id="r")
    runs.summarize = lambda account, context: AccountSummary(
        {"run": {"account": {"name": account.name}, "incomplete": []}, "rows": [{"id": "ROW", "status": context.status}]},
        [f"{account.name} summarized"])
    runs.context("a1")
    runs.context("a1")  # the same account again: the same context, nothing released
    assert len(made) == 1 and not made[0].closed
    runs.context("a2")  # a1's evidence is summarized and released
    assert made[0].closed and not made[1].closed
    runs.context("a1")  # back to a1 (items out of order): read again, its later read kept
    summaries = runs.summaries()
    assert [summary.document["rows"][0]["status"] for summary in summaries] == ["FAIL", "PASS"]
    assert summaries[0].document["run"]["incomplete"] == [
        "1 row(s) read differently when the account was read again: ROW"]
    assert all(context.closed for context in made)
