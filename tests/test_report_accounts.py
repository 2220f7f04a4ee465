"""A merged report of several accounts (issue 19): the HTML's account table, drill-down and account
filter (in headless Chromium too), SARIF results and CSV lines naming their account, the merge
command, and the nightly workflow template that shards the accounts and merges the shards."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dr_audit.report.__main__ import main as report_main
from dr_audit.report.csv_report import HEADER, render_csv
from dr_audit.report.html_report import render_html
from dr_audit.report.merge import MISSING_SHARDS, merge_documents
from dr_audit.report.sarif import build_sarif
from tests.conftest import REPO
from tests.test_docs import plugin_options
from tests.test_report_browser import browser  # noqa: F401 - the shared fixture
from tests.test_report_merge import estate_documents, per_account  # noqa: F401 - the shared fixture

__all__ = ["browser", "estate_documents"]

TEMPLATE = REPO / "dr_audit" / "report" / "templates" / "dr-nightly.yml"


@pytest.fixture
def accounts(estate_documents) -> list[dict]:
    """prod-a (as found: failing rows, open problems) and prod-b (remediated), one run's reports."""
    return [per_account(estate_documents["portforge-as-found"], "111111111111", "prod-a"),
            per_account(estate_documents["portforge-remediated"], "222222222222", "prod-b")]


@pytest.fixture
def merged(accounts) -> dict:
    return merge_documents(accounts)


def element_ids(html: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', html)


def test_the_merged_html_has_an_account_table_linking_to_each_accounts_rows(merged):
    html = render_html(merged)
    table = html[html.index('<section id="account-summary">'):html.index('<section id="problems">')]
    for entry in merged["accounts"]:
        line = table[table.index(f'data-account-summary="{entry["name"]}"'):]
        line = line[:line.index("</tr>")]
        assert f'href="#account={entry["name"]}"' in line and entry["id"] in line and entry["estate"] in line
        shown = dict(re.findall(r'data-status="(\w+)">\w+ (\d+)</a>', line))
        assert shown == {s: str(n) for s, n in entry["by_status"].items() if n}
        problems = dict(re.findall(r'data-problem-status="(\w+)">\w+ (\d+)</a>', line))
        assert problems == {s: str(n) for s, n in entry["problems"].items() if n}
    assert '<select id="filter-account"><option value="">all</option><option>prod-a</option><option>prod-b</option>' in html


def test_every_row_and_problem_has_its_own_anchor_and_every_link_lands(merged):
    html = render_html(merged)
    ids = element_ids(html)
    assert len(ids) == len(set(ids))
    rows = re.findall(r'<tr id="row-([^"]+)" class="row[^"]*" data-account="([^"]+)"', html)
    assert sorted(key for key, _ in rows) == sorted(r["key"] for r in merged["rows"])
    assert all(key.startswith(account + "-") for key, account in rows)
    assert "problem-prod-a-1" in ids and "problem-prod-b-1" in ids and "account-problems-prod-b" in ids
    targets = set(re.findall(r'href="#([^"=&]+)"', html))
    assert targets and targets <= set(ids), sorted(targets - set(ids))[:5]


def test_an_incomplete_account_is_said_in_its_line(accounts):
    accounts[1]["run"]["incomplete"] = ["2 row(s) ERROR"]
    accounts[1]["run"]["aws"]["error"] = "AccessDenied: cannot assume the audit role"
    html = render_html(merge_documents(accounts))
    line = html[html.index('data-account-summary="prod-b"'):]
    line = line[:line.index("</tr>")]
    assert "not read</b>: AccessDenied: cannot assume the audit role; 2 row(s) ERROR" in line
    assert "account prod-b: 2 row(s) ERROR" in html[html.index('id="incomplete"'):]


def test_a_single_account_report_has_no_account_parts(estate_documents):
    document = estate_documents["portforge-as-found"]
    html = render_html(document)
    assert "account-summary" not in html and "filter-account" not in html and "data-account=" not in html
    assert "badge account" not in html and '"account", "status"' not in html
    assert f'<tr id="row-{document["rows"][0]["id"]}" class="row' in html
    assert render_csv(document).splitlines()[0] == ",".join(HEADER)


def with_code_finding(document: dict, row_id: str, root: str) -> dict:
    """``document`` with row ``row_id`` violating the policy in its Terraform (primary/main.tf:5)."""
    changed = copy.deepcopy(document)
    changed["run"]["terraform"]["root"] = root
    row = next(r for r in changed["rows"] if r["id"] == row_id)
    row["terraform"].update(status="violates", file="primary/main.tf", line=5)
    row["status"], row["message"] = "FAIL", "the code violates the policy"
    return changed


def test_sarif_results_name_their_account_and_their_own_terraform_root(accounts, tmp_path):
    row_id = accounts[0]["rows"][0]["id"]
    found = with_code_finding(accounts[0], row_id, str(tmp_path / "a-infra"))
    fixed = with_code_finding(accounts[1], row_id, str(tmp_path / "b-infra"))
    sarif = build_sarif(merge_documents([found, fixed]), tmp_path)
    [run] = sarif["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [row_id]  # one rule per row id
    results = [r for r in run["results"] if r["ruleId"] == row_id]
    assert [r["message"]["text"].split(":")[0] for r in results] == ["account prod-a (111111111111)",
                                                                      "account prod-b (222222222222)"]
    assert [r["properties"]["account"]["name"] for r in results] == ["prod-a", "prod-b"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == [
        "a-infra/primary/main.tf", "b-infra/primary/main.tf"]
    single = build_sarif(found, tmp_path)["runs"][0]["results"]
    assert single[0]["message"]["text"] == "FAIL: the code violates the policy" and "account" not in single[0]["properties"]


def test_the_merged_csv_has_an_account_column_and_each_accounts_waivers(accounts):
    accounts[1]["waivers"] = []  # prod-b's run applied no waiver
    merged = merge_documents(accounts)
    lines = list(csv.DictReader(io.StringIO(render_csv(merged))))
    assert tuple(lines[0]) == ("account",) + HEADER
    assert [(line["account"], line["id"]) for line in lines] == [(r["account"]["name"], r["id"]) for r in merged["rows"]]
    waived = accounts[0]["waivers"][0]["row"]
    by_account = {line["account"]: line["waiver"] for line in lines if line["id"] == waived}
    assert by_account["prod-a"].startswith("active: ") and by_account["prod-b"] == ""


def write_json(path: Path, document: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def shard_files(estate_documents, tmp_path) -> list[Path]:
    """Two shard reports of one run as the shard jobs leave them, each with two accounts."""
    found, fixed = estate_documents["portforge-as-found"], estate_documents["portforge-remediated"]
    shard_1 = merge_documents([per_account(found, "111111111111", "a1", shard=(1, 2)),
                               per_account(fixed, "222222222222", "b1", shard=(1, 2))])
    shard_2 = merge_documents([per_account(fixed, "333333333333", "c2", shard=(2, 2))])
    return [write_json(tmp_path / "shards" / "1" / "dr-audit.json", shard_1),
            write_json(tmp_path / "shards" / "2" / "dr-audit.json", shard_2)]


def test_the_merge_command_writes_every_report_from_the_merged_document(shard_files, tmp_path, capsys):
    out = tmp_path / "out"
    status = report_main(["merge", *map(str, shard_files), "--json", str(out / "m.json"), "--html", str(out / "m.html"),
                          "--sarif", str(out / "m.sarif"), "--csv", str(out / "m.csv"), "--repo-root", str(tmp_path)])
    assert status == 0, capsys.readouterr().err
    assert "3 account(s)" in capsys.readouterr().out
    document = json.loads((out / "m.json").read_text())
    expected = merge_documents([json.loads(p.read_text()) for p in shard_files], every_shard=True)
    assert {k: v for k, v in document["run"].items() if k != "provenance"} == \
        {k: v for k, v in expected["run"].items() if k != "provenance"}
    assert document["rows"] == expected["rows"] and document["accounts"] == expected["accounts"]
    assert [a["name"] for a in document["accounts"]] == ["a1", "b1", "c2"] and document["run"]["incomplete"] == []
    html = (out / "m.html").read_text()
    assert 'id="csv-link" href="m.csv"' in html and 'data-account-summary="c2"' in html
    assert (out / "m.csv").read_text().startswith("account,id,")
    assert json.loads((out / "m.sarif").read_text())["version"] == "2.1.0"
    assert sorted(p.name for p in out.iterdir()) == ["m.csv", "m.html", "m.json", "m.sarif"]  # no temporary left


def test_the_merge_command_says_a_missing_shard(shard_files, tmp_path, capsys):
    assert report_main(["merge", str(shard_files[0]), "--json", str(tmp_path / "m.json")]) == 0
    assert f"incomplete: {MISSING_SHARDS} 2 of 2" in capsys.readouterr().out
    assert json.loads((tmp_path / "m.json").read_text())["run"]["verdict"] == "incomplete"


def test_the_merge_command_refuses_another_run_naming_the_file(shard_files, estate_documents, tmp_path):
    stranger = write_json(tmp_path / "other" / "dr-audit.json", per_account(
        estate_documents["portforge-remediated"], "444444444444", "d2", run_id="9999-1", shard=(2, 2)))
    done = subprocess.run([sys.executable, "-m", "dr_audit.report", "merge", str(shard_files[0]), str(stranger),
                           "--json", str(tmp_path / "m.json")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and str(stranger) in done.stderr and "run id 9999-1" in done.stderr
    assert not (tmp_path / "m.json").exists()
    missing = subprocess.run([sys.executable, "-m", "dr_audit.report", "merge", str(tmp_path / "absent.json"),
                              "--json", str(tmp_path / "m.json")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "absent.json: cannot be read" in missing.stderr
    assert report_main(["merge", str(shard_files[0])]) == 4  # nothing to write


def _steps(job: dict) -> list[dict]:
    return job["steps"]


def test_the_nightly_template_shards_the_accounts_and_merges_the_shards():
    workflow = yaml.safe_load(TEMPLATE.read_text())
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    shards = shard["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and shard["strategy"]["fail-fast"] is False
    audit = next(s["run"] for s in _steps(shard) if "pytest audits/" in s.get("run", ""))
    assert f"--dr-shard ${{{{ matrix.shard }}}}/{len(shards)}" in audit and "--dr-accounts" in audit
    assert "--dr-run-id ${{ github.run_id }}-${{ github.run_attempt }}" in audit and "--dr-target live" in audit
    json_path = re.search(r"--dr-json (\S+)", audit).group(1)
    [upload] = [s for s in _steps(shard) if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload["if"] == "always()" and json_path in upload["with"]["path"]
    assert "${{ matrix.shard }}" in upload["with"]["name"]

    assert merge["needs"] == "shard" and merge["if"] == "always()"
    [download] = [s for s in _steps(merge) if str(s.get("uses", "")).startswith("actions/download-artifact")]
    assert download["with"]["pattern"] == upload["with"]["name"].replace("${{ matrix.shard }}", "*")
    command = next(s["run"] for s in _steps(merge) if "dr_audit.report merge" in s.get("run", ""))
    assert f"{download['with']['path']}/*/{Path(json_path).name}" in command
    assert all(f"--{kind} reports/dr-audit.{kind}" in command for kind in ("json", "html", "sarif", "csv"))
    kept = [s for s in _steps(merge) if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert kept and kept[-1]["if"] == "always()" and "reports/dr-audit.html" in kept[-1]["with"]["path"]


def test_the_nightly_templates_commands_exist(tmp_path):
    """Every --dr- option is the plugin's, and the merge command line parses as the CLI's."""
    text = TEMPLATE.read_text()
    used = set(re.findall(r"--dr-[a-z-]+[a-z]", text))
    assert used and used <= plugin_options(), sorted(used - plugin_options())
    workflow = yaml.safe_load(text)
    command = next(s["run"] for s in workflow["jobs"]["merge"]["steps"] if "dr_audit.report merge" in s.get("run", ""))
    arguments = command.split("python -m dr_audit.report ", 1)[1].replace("shards/*/dr-audit.json", "none.json").split()
    from dr_audit.report.__main__ import _parser

    parsed = _parser().parse_args(arguments)
    assert parsed.command == "merge" and parsed.json and parsed.html and parsed.sarif and parsed.csv
    shard = workflow["jobs"]["shard"]
    steps = [step.get("run", "") + step.get("uses", "") for step in shard["steps"]]
    init = next(n for n, step in enumerate(steps) if "init -backend=false" in step)
    assert init < next(n for n, step in enumerate(steps) if "pytest audits/" in step)


def test_the_account_filter_and_the_account_links_show_only_that_accounts_rows_in_chromium(browser, merged, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "merged.html"
    page.write_text(render_html(merged))
    browser.get(page.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#row-table tbody tr")
    assert len(rows) == len(merged["rows"]) and all(r.is_displayed() for r in rows)
    shown_accounts = lambda: sorted({r.get_attribute("data-account") for r in rows if r.is_displayed()})  # noqa: E731
    count = lambda name, status=None: sum(1 for r in merged["rows"] if r["account"]["name"] == name  # noqa: E731
                                          and status in (None, r["status"]))

    Select(browser.find_element(By.ID, "filter-account")).select_by_visible_text("prod-b")
    assert shown_accounts() == ["prod-b"] and len([r for r in rows if r.is_displayed()]) == count("prod-b")
    assert browser.find_element(By.ID, "shown-count").text == f"{count('prod-b')} of {len(rows)} rows shown"

    browser.find_element(By.CSS_SELECTOR, "#account-summary a.account-link[data-account='prod-a']").click()
    assert Select(browser.find_element(By.ID, "filter-account")).first_selected_option.text == "prod-a"
    assert shown_accounts() == ["prod-a"] and len([r for r in rows if r.is_displayed()]) == count("prod-a")

    browser.find_element(By.CSS_SELECTOR, "[data-account-summary='prod-a'] a.badge[data-status='FAIL']").click()
    shown = [r for r in rows if r.is_displayed()]
    assert len(shown) == count("prod-a", "FAIL") > 0
    assert {r.get_attribute("data-status") for r in shown} == {"FAIL"} and shown_accounts() == ["prod-a"]


def test_the_evidence_bundle_of_a_merged_report_keeps_every_accounts_rows(merged, tmp_path):
    from dr_audit.report.bundle import write_bundle

    manifest = write_bundle(tmp_path / "bundle", merged, {"dr-audit.json": "{}"}, {"lines_not_quoted": "merged"})
    evidence = sorted(name for name in manifest if name.startswith("evidence/"))
    assert len(evidence) == len(merged["rows"])
    row_id = merged["rows"][0]["id"]
    assert {f"evidence/prod-a-{row_id}.json", f"evidence/prod-b-{row_id}.json"} <= set(evidence)
