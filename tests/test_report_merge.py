"""Merging reports (issue 19): the per-account documents of a multi-account run, and the shard
reports of a run split across machines, become one document whose totals are the sums, whose
rows and problems name their account, and which refuses documents of another run."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dr_audit.report.merge import MISSING_SHARDS, MergeError, merge_documents
from tests.conftest import POLICY, REPO

ESTATES = ("portforge-as-found", "portforge-remediated")


def _audit(estate: str, out: Path) -> dict:
    """The JSON report of a real full audit of ``estate`` (sandbox), written under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "audits/", "--dr-policy", str(POLICY), "--dr-estate", estate,
         "--dr-checkov", "off", "-q", "-p", "no:cacheprovider", "--dr-json", str(out / "a.json"),
         "--dr-html", str(out / "a.html"), "--dr-sarif", str(out / "a.sarif"), "--dr-history", str(out / "h"),
         "--dr-parse-cache", str(out / "cache")],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert (out / "a.json").is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "a.json").read_text())


@pytest.fixture(scope="session")
def estate_documents(tmp_path_factory) -> dict[str, dict]:
    """Single-account reports of the as-found and the remediated estate, by estate name; made once
    per session (kept under the session's base temporary directory, which every module shares)."""
    base = tmp_path_factory.getbasetemp() / "merge-estate-documents"
    return {estate: (json.loads((base / estate / "a.json").read_text()) if (base / estate / "a.json").is_file()
                     else _audit(estate, base / estate)) for estate in ESTATES}


def per_account(document: dict, account_id: str, name: str, run_id: str = "4242-1",
                shard: tuple[int, int] | None = None) -> dict:
    """A copy of a single-account report labelled as the plugin labels each account's report."""
    labelled = copy.deepcopy(document)
    labelled["run"]["account"] = {"id": account_id, "name": name}
    labelled["run"]["run_id"] = run_id
    labelled["run"]["shard"] = {"index": shard[0], "count": shard[1]} if shard else None
    return labelled


@pytest.fixture
def two_accounts(estate_documents) -> tuple[dict, dict]:
    """prod-a (as found, failing) and prod-b (remediated), as one run's per-account reports."""
    return (per_account(estate_documents["portforge-as-found"], "111111111111", "prod-a"),
            per_account(estate_documents["portforge-remediated"], "222222222222", "prod-b"))


def test_totals_are_the_sums_and_every_row_and_problem_names_its_account(two_accounts):
    found, fixed = two_accounts
    merged = merge_documents([fixed, found])  # any order in, name order out
    assert [a["name"] for a in merged["accounts"]] == ["prod-a", "prod-b"]
    assert merged["summary"]["rows"] == len(found["rows"]) + len(fixed["rows"]) == len(merged["rows"])
    assert merged["summary"]["accounts"] == 2
    for status, count in merged["summary"]["by_status"].items():
        assert count == found["summary"]["by_status"][status] + fixed["summary"]["by_status"][status], status
    keys = [row["key"] for row in merged["rows"]]
    assert len(set(keys)) == len(keys) and keys[0] == f"prod-a-{found['rows'][0]['id']}"
    assert all(row["key"] == f"{row['account']['name']}-{row['id']}" for row in merged["rows"])
    assert {row["account"]["id"] for row in merged["rows"]} == {"111111111111", "222222222222"}
    assert len(merged["problems"]) == len(found["problems"]) + len(fixed["problems"])
    assert all(p["account"]["name"] in ("prod-a", "prod-b") for p in merged["problems"])
    entry_a, entry_b = merged["accounts"]
    assert entry_a["by_status"] == found["summary"]["by_status"] and entry_b["by_status"] == fixed["summary"]["by_status"]
    assert entry_a["problems"]["OPEN"] == sum(p["status"] == "OPEN" for p in found["problems"]) > 0
    assert entry_b["problems"]["RESOLVED"] == len(fixed["problems"])
    assert entry_a["estate"] == "portforge-as-found" and entry_a["api_calls"] == found["run"]["target"]["api_calls"]
    assert entry_a["run"] == found["run"] and entry_a["error"] is None and entry_a["incomplete"] == []


def test_the_run_block_is_the_runs_not_an_accounts(two_accounts):
    found, fixed = two_accounts
    merged = merge_documents([found, fixed])
    run = merged["run"]
    assert not {"target", "aws", "accounts", "account", "terraform"} & set(run)
    assert run["run_id"] == "4242-1" and run["shard"] is None and run["shards_merged"] == []
    assert run["policy"] == found["run"]["policy"] and run["mode"] == "full"
    assert run["started"] == min(found["run"]["started"], fixed["run"]["started"])
    assert run["finished"] == max(found["run"]["finished"], fixed["run"]["finished"])
    assert (run["exit_status"], run["verdict"]) == (1, "violations")  # prod-a's rows fail
    assert merge_documents([fixed])["run"]["verdict"] == "pass"
    assert merged["checkov"] is None and merged["accounts"][0]["checkov"] == found["checkov"]


def test_incomplete_accounts_are_named_and_make_the_run_incomplete(two_accounts):
    found, fixed = two_accounts
    found["run"]["incomplete"] = ["3 row(s) ERROR"]
    found["run"]["aws"]["error"] = "AccessDenied: sts:AssumeRole"
    found["inputs"]["aws_errors"] = [{"kind": "vpc", "service": "ec2", "region": "eu-west-1",
                                      "operation": "DescribeVpcs", "code": "AccessDenied", "message": "no",
                                      "account": "111111111111"}]
    merged = merge_documents([found, fixed])
    assert merged["run"]["incomplete"] == ["account prod-a: 3 row(s) ERROR"]
    assert (merged["run"]["exit_status"], merged["run"]["verdict"]) == (10, "incomplete")
    assert merged["accounts"][0]["error"] == "AccessDenied: sts:AssumeRole"
    assert merged["accounts"][0]["incomplete"] == ["3 row(s) ERROR"] and merged["accounts"][1]["incomplete"] == []
    assert [e["account_name"] for e in merged["inputs"]["aws_errors"]] == ["prod-a"]


def test_waivers_are_listed_once_with_the_accounts_that_applied_them(two_accounts):
    found, fixed = two_accounts
    merged = merge_documents([found, fixed])
    assert len(merged["waivers"]) == len(found["waivers"]) > 0
    assert all(w["accounts"] == ["prod-a", "prod-b"] for w in merged["waivers"])
    fixed["waivers"] = fixed["waivers"][:1]
    assert [w["accounts"] for w in merge_documents([found, fixed])["waivers"]][1:] == [["prod-a"]] * (
        len(found["waivers"]) - 1)


def test_the_inputs_are_not_changed(two_accounts):
    found, fixed = two_accounts
    before = copy.deepcopy([found, fixed])
    merged = merge_documents([found, fixed])
    merged["rows"][0]["status"] = merged["rows"][0]["live"]["status"] = "edited"
    merged["accounts"][0]["run"]["mode"] = merged["waivers"][0]["owner"] = "edited"
    merged["accounts"][0]["inputs"]["aws_errors"].append("edited")
    assert [found, fixed] == before


@pytest.mark.parametrize("change, words", [
    (lambda run: run["policy"].update(sha256="0" * 64), "policy"),
    (lambda run: run.update(run_id="4243-1"), "run id"),
    (lambda run: run.update(mode="static"), "mode"),
    (lambda run: run.update(account_list="f" * 64), "account list"),
])
def test_documents_of_another_run_are_refused_naming_the_file(two_accounts, change, words):
    found, fixed = two_accounts
    change(fixed["run"])
    with pytest.raises(MergeError) as refused:
        merge_documents([found, fixed], ["shard-1/dr-audit.json", "shard-2/dr-audit.json"])
    message = str(refused.value)
    assert message.startswith("shard-2/dr-audit.json:") and words in message and "shard-1/dr-audit.json" in message


@pytest.mark.parametrize("account_id, name, words", [
    ("111111111111", "prod-c", "account id 111111111111"),
    ("333333333333", "prod-a", "account name prod-a"),
])
def test_the_same_account_twice_is_refused(two_accounts, estate_documents, account_id, name, words):
    found, fixed = two_accounts
    again = per_account(estate_documents["portforge-remediated"], account_id, name)
    with pytest.raises(MergeError, match=words) as refused:
        merge_documents([found, fixed, again], ["a.json", "b.json", "c.json"])
    assert "c.json" in str(refused.value) and "a.json" in str(refused.value)
    already = merge_documents([found, fixed])
    with pytest.raises(MergeError, match="the same account twice"):
        merge_documents([already, again], ["merged.json", "c.json"])


def test_a_document_that_is_not_a_report_or_names_no_account_is_refused(two_accounts):
    found, _ = two_accounts
    with pytest.raises(MergeError, match="x.json: not a dr-audit/1 report"):
        merge_documents([found, {"schema": "other"}], ["a.json", "x.json"])
    static = copy.deepcopy(found)
    del static["run"]["account"]
    static["run"]["aws"]["account_id"] = None
    with pytest.raises(MergeError, match="s.json: names no account"):
        merge_documents([static], ["s.json"])
    with pytest.raises(MergeError, match="nothing to merge"):
        merge_documents([])
    odd = copy.deepcopy(found)
    odd["run"]["shard"] = "1/2"
    with pytest.raises(MergeError, match="o.json: its shard cannot be read"):
        merge_documents([odd], ["o.json"])


@pytest.fixture
def four_sharded(estate_documents) -> list[dict]:
    """Four accounts' reports of one run split in two shards: (a1, b1) in shard 1, (a2, b2) in shard 2."""
    found, fixed = estate_documents["portforge-as-found"], estate_documents["portforge-remediated"]
    return [per_account(found, "111111111111", "a1", shard=(1, 2)), per_account(fixed, "222222222222", "b1", shard=(1, 2)),
            per_account(found, "333333333333", "a2", shard=(2, 2)), per_account(fixed, "444444444444", "b2", shard=(2, 2))]


def test_merging_shard_merges_equals_merging_everything(four_sharded):
    a1, b1, a2, b2 = four_sharded
    shard_1, shard_2 = merge_documents([a1, b1]), merge_documents([b2, a2])
    assert shard_1["run"]["shard"] == {"index": 1, "count": 2} and shard_1["run"]["incomplete"] == []
    everything = merge_documents([a1, b1, a2, b2])
    assert merge_documents([shard_1, shard_2]) == everything == merge_documents([shard_2, shard_1])
    assert merge_documents([shard_1, a2, b2]) == everything  # a shard merged with loose accounts
    assert everything["run"]["shard"] is None
    assert everything["run"]["shards_merged"] == [{"index": 1, "count": 2}, {"index": 2, "count": 2}]
    assert [a["name"] for a in everything["accounts"]] == ["a1", "a2", "b1", "b2"]
    assert everything["summary"]["rows"] == sum(len(d["rows"]) for d in four_sharded)


def test_missing_shards_make_the_merge_incomplete(four_sharded, estate_documents):
    a1, b1, a2, _ = four_sharded
    alone = merge_documents([a1, b1], every_shard=True)  # what the merge command does with one shard of two
    assert alone["run"]["incomplete"] == [f"{MISSING_SHARDS} 2 of 2"] and alone["run"]["exit_status"] == 10
    three = [per_account(estate_documents["portforge-remediated"], f"55555555555{k}", f"c{k}", shard=(k, 4))
             for k in (1, 2, 4)]
    partial = merge_documents(three)
    assert partial["run"]["incomplete"] == [f"{MISSING_SHARDS} 3 of 4"] and partial["run"]["verdict"] == "incomplete"
    third = per_account(estate_documents["portforge-remediated"], "555555555553", "c3", shard=(3, 4))
    assert merge_documents([partial, third])["run"]["incomplete"] == []  # the reason is not carried over
    with pytest.raises(MergeError, match="split into"):
        merge_documents([a1, three[0]], ["a1.json", "c1.json"])
    unsharded = per_account(estate_documents["portforge-remediated"], "666666666666", "d")
    with pytest.raises(MergeError, match="d.json: not from a sharded run"):
        merge_documents([a2, unsharded], ["a2.json", "d.json"])


def test_a_merge_keeps_reasons_of_the_run_itself_and_its_failures(four_sharded):
    a1, b1, a2, b2 = four_sharded
    shard_1 = merge_documents([a1, b1])
    shard_1["run"]["incomplete"] = shard_1["run"]["incomplete"] + ["2 row(s) read differently by the xdist workers"]
    shard_1["run"]["exit_status"] = 2  # interrupted
    merged = merge_documents([shard_1, merge_documents([a2, b2])])
    assert merged["run"]["incomplete"] == ["2 row(s) read differently by the xdist workers"]
    assert merged["run"]["exit_status"] == 2


def test_the_merge_benchmarks_shards_make_one_complete_run(estate_documents):
    """benchmarks/merge_reports.py's shard reports: one account each, every shard of the split."""
    from benchmarks.merge_reports import shard_documents

    reports = [estate_documents[estate] for estate in ESTATES]
    shards = shard_documents(reports, 4)
    assert [s["run"]["shard"] for s in shards] == [{"index": k, "count": 4} for k in range(1, 5)]
    merged = merge_documents(shards, every_shard=True)
    assert merged["run"]["incomplete"] == [] and merged["summary"]["accounts"] == 4
    assert [a["name"] for a in merged["accounts"]] == ["account-01", "account-02", "account-03", "account-04"]
    assert merged["summary"]["rows"] == 2 * sum(len(r["rows"]) for r in reports)


def test_a_merged_document_whose_rows_name_an_unlisted_account_is_refused(two_accounts):
    merged = merge_documents(list(two_accounts))
    merged["rows"][0]["account"] = {"id": "999999999999", "name": "ghost"}
    with pytest.raises(MergeError, match="m.json: a row or problem of account ghost"):
        merge_documents([merged], ["m.json"])
    truncated = merge_documents(list(two_accounts))
    del truncated["accounts"][0]["run"]
    with pytest.raises(MergeError, match="m.json: its accounts cannot be read"):
        merge_documents([truncated], ["m.json"])
