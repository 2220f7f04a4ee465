"""The auditor's report in a real headless browser (Debian's chromium): the
problem panel reads right, a status filter shows exactly those rows, and the
page works offline from one file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import AUDIT_CONFIG, ESTATES, POLICY, install_audit_suite
from tests.test_full_audit import AS_FOUND_PROBLEMS

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def as_found_report(tmp_path_factory):
    """A full as-found audit's HTML and JSON, made by a real run in its own process."""
    import subprocess
    import sys

    work = tmp_path_factory.mktemp("report")
    install_audit_suite(work, AUDIT_CONFIG + f'dr_estates_dir = "{ESTATES}"\n')
    subprocess.run([sys.executable, "-m", "pytest", "audits", "-q", "-p", "no:cacheprovider", "--dr-policy",
                    str(POLICY), "--dr-estate", "portforge-as-found"], cwd=work, capture_output=True, timeout=600)
    return work / "reports" / "dr-audit.html", json.loads((work / "reports" / "dr-audit.json").read_text())


def test_the_report_reads_right_and_filters_by_status_in_chromium(browser, as_found_report):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    html, document = as_found_report
    assert "http://" not in html.read_text().replace("http://www.w3.org", "") and "<link" not in html.read_text()
    browser.get(html.as_uri())
    panel = {int(p.get_attribute("data-problem")): p.get_attribute("data-problem-status")
             for p in browser.find_elements(By.CSS_SELECTOR, "#problems .problem")}
    assert panel == AS_FOUND_PROBLEMS
    assert "FIXED_IN_CODE_NOT_APPLIED" in browser.find_element(By.CSS_SELECTOR, "[data-problem='5']").text

    rows = browser.find_elements(By.CSS_SELECTOR, "#row-table tbody tr")
    assert len(rows) == len(document["rows"])
    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("DRIFT")
    shown = [r for r in rows if r.is_displayed()]
    drift = sorted(r["id"] for r in document["rows"] if r["status"] == "DRIFT")
    assert sorted(r.get_attribute("id").removeprefix("row-") for r in shown) == drift and len(drift) == 7
    assert browser.find_element(By.ID, "shown-count").text == f"7 of {len(rows)} rows shown"

    Select(browser.find_element(By.ID, "filter-kind")).select_by_visible_text("route53_record")
    assert [r for r in rows if r.is_displayed()] == []  # DRIFT and route53_record: none
    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("UNDEPLOYED")
    assert len([r for r in rows if r.is_displayed()]) == 18  # 12 failover and health-checked, 6 targets

    drift_table = browser.find_elements(By.CSS_SELECTOR, "#drift tbody tr")
    assert len(drift_table) == document["summary"]["by_status"]["DRIFT"] + document["summary"]["by_status"]["UNDEPLOYED"]
    Select(browser.find_element(By.ID, "filter-kind")).select_by_visible_text("all")
    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("all")
    browser.find_element(By.CSS_SELECTOR, "#summary .badge[data-status='FAIL']").click()
    assert len([r for r in rows if r.is_displayed()]) == document["summary"]["by_status"]["FAIL"]
    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("all")
    Select(browser.find_element(By.ID, "filter-derived")).select_by_visible_text("derived")
    derived = [r for r in rows if r.is_displayed()]
    assert len(derived) == len([r for r in document["rows"] if r["derived"]]) > 0
    assert all("derived" in r.find_element(By.CSS_SELECTOR, ".badge.derived").text for r in derived[:3])
    Select(browser.find_element(By.ID, "filter-derived")).select_by_visible_text("all")

    browser.execute_script("window.scrollTo(0, 0)")
    shot = html.parent / "dr-audit-report.png"  # beside the report, in the test's own directory
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_hostile_names_in_evidence_are_inert_in_the_browser(browser, as_found_report, tmp_path):
    """A resource name or tag carrying markup is shown as text: nothing runs, nothing loads."""
    from selenium.webdriver.common.by import By

    from dr_audit.report.html_report import render_html

    _, document = as_found_report
    hostile = '"><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    document = json.loads(json.dumps(document))
    row = document["rows"][0]
    row["resource"] = row["message"] = row["live"]["id"] = hostile
    row["terraform"]["value"] = hostile
    document["problems"][0]["evidence"]["reason"] = hostile
    page = tmp_path / "hostile.html"
    page.write_text(render_html(document))
    browser.get(page.as_uri())
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#row-table img") == []
    assert hostile in browser.find_element(By.ID, f"row-{row['id']}").text


HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def test_markup_in_real_names_and_tags_is_inert_after_a_full_run(browser, tmp_path):
    """A real full run whose Terraform tag and account tag carry markup: the report shows it as text."""
    import subprocess
    import sys

    from selenium.webdriver.common.by import By

    from tests.conftest import write_tree

    tag = HOSTILE.replace('"', "'")
    install_audit_suite(tmp_path, AUDIT_CONFIG + f'dr_estates_dir = "{tmp_path / "estates"}"\n')
    write_tree(tmp_path, {
        "policy.yaml": """\
            policy: {name: hostile, version: 1}
            roles:
              main: {region: eu-west-1, terraform_root: main}
            terraform: {root: .}
            sandbox: {estate: hostile}
            rows:
              - id: VPC-NAME
                clause: "1"
                title: the VPC is named main
                kind: vpc
                role: main
                select: {cidr_block: 10.0.0.0/16}
                attribute: name
                op: eq
                value: main
                managed_by: terraform
                severity: high
            """,
        "main/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n'
                        f'resource "aws_vpc" "main" {{\n  cidr_block = "10.0.0.0/16"\n  tags = {{ Name = "{tag}" }}\n}}\n',
        "estates/hostile/estate.yaml": (
            "steps:\n  - {call: ec2.create_vpc, region: eu-west-1, args: {CidrBlock: 10.0.0.0/16, TagSpecifications: "
            "[{ResourceType: vpc, Tags: [{Key: Name, Value: " + json.dumps(HOSTILE + "-live") + "}]}]}}\n"),
    })
    done = subprocess.run([sys.executable, "-m", "pytest", "audits", "-q", "-p", "no:cacheprovider", "--dr-policy",
                           "policy.yaml", "--dr-checkov", "off"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    document = json.loads((tmp_path / "reports" / "dr-audit.json").read_text())
    row = document["rows"][0]
    assert row["status"] == "DRIFT" and row["live"]["value"] == HOSTILE + "-live", done.stdout[-2000:]
    browser.get((tmp_path / "reports" / "dr-audit.html").as_uri())
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#row-table img, #row-table script") == []
    shown = browser.find_element(By.ID, "row-VPC-NAME").text
    assert tag in shown and HOSTILE + "-live" in shown


def test_print_view_chart_and_csv_link_at_1400_pixels(browser, as_found_report):
    """At 1400 px nothing overflows sideways; the trend chart draws; the CSV beside the page is
    linked; in print media the filters go, every row and every resource list shows, and each
    section starts a page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    html, document = as_found_report
    browser.set_window_size(1400, 1000)
    browser.get(html.as_uri())
    width = browser.execute_script("return window.innerWidth")
    assert width <= 1400 and browser.execute_script("return document.documentElement.scrollWidth") <= width

    bars = browser.find_elements(By.CSS_SELECTOR, "#trend-chart rect.bar")
    assert bars and {b.get_attribute("data-status") for b in bars} <= set(document["summary"]["by_status"])
    assert browser.find_element(By.ID, "trend-chart").size["height"] > 50

    link = browser.find_element(By.ID, "csv-link")
    assert link.get_attribute("href") == (html.parent / "dr-audit.csv").as_uri() and (html.parent / "dr-audit.csv").is_file()

    rows = browser.find_elements(By.CSS_SELECTOR, "#row-table tbody tr")
    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("DRIFT")
    assert len([r for r in rows if r.is_displayed()]) < len(rows)
    lists = browser.find_elements(By.CSS_SELECTOR, "#row-table details ul.resources")
    visible = "return arguments[0].checkVisibility()"
    assert lists and not browser.execute_script(visible, lists[0])  # closed on screen
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, "#rows .filters").is_displayed()
        assert all(r.is_displayed() for r in rows)  # every row, whatever the filter
        assert all(browser.execute_script(visible, ul) for ul in lists)  # every resource list expanded
        breaks = browser.execute_script(
            "return getComputedStyle(document.getElementById('rows')).breakBefore")
        assert breaks == "page"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
