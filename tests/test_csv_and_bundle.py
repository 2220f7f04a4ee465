"""The CSV (one line per row) and the evidence bundle (every report, each row's raw evidence,
a manifest of SHA-256 hashes), masked like every other output."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest

from dr_audit.report.bundle import MANIFEST, gather_sources, hcl_lines, row_evidence
from dr_audit.report.csv_report import HEADER, render_csv
from dr_audit.secrets import MASK, Redactor
from tests.conftest import AUDIT_CONFIG, install_audit_suite, write_tree
from tests.test_secrets import POLICY as SECRETS_POLICY
from tests.test_secrets import SECRETS, TERRAFORM as SECRETS_TERRAFORM
from tests.test_static_audit import project, run  # noqa: F401 - the shared fixture

__all__ = ["project"]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_one_line_per_row_with_both_sources_and_the_waiver(project):
    run(project)
    text = (project.path / "reports" / "dr-audit.csv").read_text()  # the default: beside the HTML
    lines = read_csv(text)
    _, document = run(project)
    assert tuple(read_csv(text)[0].keys()) == HEADER
    assert [line["id"] for line in lines] == [r["id"] for r in document["rows"]]
    multiaz = next(line for line in lines if line["id"] == "DB-MULTIAZ")
    assert (multiaz["clause"], multiaz["severity"], multiaz["status"]) == ("2.3", "high", "FAIL")
    assert multiaz["code_value"] == "false" and multiaz["code_location"].startswith("primary/main.tf:13")
    assert multiaz["account_value"] == "" and multiaz["account_location"] == ""  # static: not consulted
    document["waivers"] = [{"row": "DB-MULTIAZ", "owner": "ops", "ticket": "DR-1", "reason": "moving",
                            "expires": "2099-01-01", "active": True}]
    waived = next(line for line in read_csv(render_csv(document)) if line["id"] == "DB-MULTIAZ")
    assert waived["waiver"] == "active: ops, DR-1, until 2099-01-01: moving"


def test_the_csv_path_can_be_given(project):
    run(project, "--dr-csv", "out/rows.csv")
    assert (project.path / "out" / "rows.csv").read_text().startswith(",".join(HEADER))


def test_hcl_lines_come_from_inside_the_root_and_are_masked(tmp_path):
    root = tmp_path / "tf"
    write_tree(root, {"main.tf": "".join(f"line {n}\n" for n in range(1, 21)).replace("line 9", 'pw = "hunter2-secret"')})
    (tmp_path / "outside.tf").write_text("secret outside\n")
    assert [e["line"] for e in hcl_lines(root, "main.tf", 10)] == list(range(7, 17))
    assert hcl_lines(root, "../outside.tf", 1) == [] and hcl_lines(root, "absent.tf", 1) == []
    assert hcl_lines(None, "main.tf", 1) == [] and hcl_lines(root, "main.tf", None) == []
    row = {"id": "R", "clause": "1", "status": "FAIL", "message": "m", "expected": {"op": "eq", "value": 1},
           "terraform": {"status": "violates", "value": 0, "file": "main.tf", "line": 10, "address": "a.b"},
           "live": {"status": "not_consulted"}, "resources": []}
    redactor = Redactor(["hunter2-secret"])
    evidence = row_evidence(row, gather_sources({"rows": [row]}, root, redactor.text, redactor.data, None))
    texts = [e["text"] for e in evidence["code"]["sources"][0]["lines"]]
    assert f'pw = "{MASK}"' in texts and not any("hunter2" in t for t in texts)
    assert evidence["account"]["sources"] == [] and "lines_not_quoted" not in evidence["code"]
    unquoted = row_evidence(row, {"lines_not_quoted": "no quotes handed over"})
    assert unquoted["code"]["sources"][0]["lines"] == [] and unquoted["code"]["lines_not_quoted"] == "no quotes handed over"


def test_the_bundle_holds_every_report_and_row_with_a_true_manifest_and_no_secret(pytester):
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    write_tree(pytester.path, {"policy.yaml": SECRETS_POLICY, **SECRETS_TERRAFORM})
    result = pytester.runpytest_subprocess("audits", "--dr-policy", "policy.yaml", "--dr-mode", "static",
                                           "-p", "no:cacheprovider", "--dr-evidence", "bundle")
    assert result.ret == 10
    bundle = pytester.path / "bundle"
    manifest = json.loads((bundle / MANIFEST).read_text())
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} - {MANIFEST}
    assert set(manifest) == on_disk
    assert {"dr-audit.json", "dr-audit.html", "dr-audit.sarif", "dr-audit.csv",
            "evidence/VPC-NAME.json", "evidence/RDS-MULTIAZ.json"} <= on_disk
    for name, entry in manifest.items():
        data = (bundle / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}, name
    leaks = [(name, what) for name in on_disk for what, secret in SECRETS.items()
             if secret in (bundle / name).read_text(encoding="utf-8")]
    assert not leaks, leaks
    vpc = json.loads((bundle / "evidence" / "VPC-NAME.json").read_text())
    code = vpc["code"]["sources"][0]
    assert code["file"] == "main/main.tf" and any('resource "aws_vpc" "main"' in e["text"] for e in code["lines"])
    assert code["value"] == f"vpc-{MASK}-{MASK}"
    document = json.loads((bundle / "dr-audit.json").read_text())
    assert document["run"]["exit_status"] == 10 and document["run"]["verdict"] == "incomplete"
    assert 'href="dr-audit.csv"' in (bundle / "dr-audit.html").read_text()


def run_with_bundle(pytester, name: str, *args: str):
    """Run the audit suite writing every output, and the bundle, under ``out-<name>/``; returns
    (result, bundle directory)."""
    out = pytester.path / f"out-{name}"
    result = pytester.runpytest_subprocess(
        "audits", "--dr-policy", "policy.yaml", "-p", "no:cacheprovider", "--dr-checkov", "off",
        "--dr-json", str(out / "a.json"), "--dr-html", str(out / "a.html"), "--dr-sarif", str(out / "a.sarif"),
        "--dr-history", str(out / "history"), "--dr-evidence", str(out / "bundle"), *args)
    return result, out / "bundle"


def bundle_files(bundle) -> dict[str, str]:
    """Every file of a bundle but the manifest, after checking the manifest lists each with its true hash."""
    manifest = json.loads((bundle / MANIFEST).read_text())
    files = {p.relative_to(bundle).as_posix(): p for p in bundle.rglob("*") if p.is_file() and p.name != MANIFEST}
    assert set(manifest) == set(files)
    for name, path in files.items():
        data = path.read_bytes()
        assert manifest[name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}, name
    return {name: path.read_text(encoding="utf-8") for name, path in files.items()}


def test_under_xdist_the_bundle_quotes_the_same_masked_terraform_lines_as_serially(pytester):
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    write_tree(pytester.path, {"policy.yaml": SECRETS_POLICY, **SECRETS_TERRAFORM})
    serial_result, serial = run_with_bundle(pytester, "serial", "--dr-mode", "static")
    parallel_result, parallel = run_with_bundle(pytester, "parallel", "--dr-mode", "static", "-n", "2")
    assert serial_result.ret == parallel_result.ret == 10
    serial_files, parallel_files = bundle_files(serial), bundle_files(parallel)
    evidence = sorted(name for name in serial_files if name.startswith("evidence/"))
    assert evidence and evidence == sorted(name for name in parallel_files if name.startswith("evidence/"))
    assert {name: parallel_files[name] for name in evidence} == {name: serial_files[name] for name in evidence}
    vpc = json.loads(parallel_files["evidence/VPC-NAME.json"])["code"]
    assert "lines_not_quoted" not in vpc and any('resource "aws_vpc" "main"' in e["text"]
                                                 for e in vpc["sources"][0]["lines"])


#: the account holds the VPC tagged with values built from the Terraform's secrets, and a tag
#: whose key says it holds a password
LIVE_ONLY_SECRET = "Live-Only-Pa55word-42"
ESTATE = """\
steps:
  - call: ec2.create_vpc
    region: eu-west-1
    args:
      CidrBlock: 10.0.0.0/16
      TagSpecifications:
        - ResourceType: vpc
          Tags:
            - {Key: Name, Value: "vpc-%s-%s"}
            - {Key: db_password, Value: "%s"}
""" % (SECRETS["sensitive variable used in a tag"], SECRETS["token default"], LIVE_ONLY_SECRET)


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_bundle_quotes_the_response_item_each_account_value_came_from_masked(pytester, workers):
    install_audit_suite(pytester.path, AUDIT_CONFIG + f'dr_estates_dir = "{pytester.path / "estates"}"\n')
    policy = SECRETS_POLICY.replace("terraform: {root: .}\n", "terraform: {root: .}\nsandbox: {estate: secrets}\n")
    write_tree(pytester.path, {"policy.yaml": policy, **SECRETS_TERRAFORM, "estates/secrets/estate.yaml": ESTATE})
    result, bundle = run_with_bundle(pytester, "run", *workers)
    assert result.ret == 10, result.stdout.str()[-3000:]
    files = bundle_files(bundle)
    leaks = [(name, secret) for name, text in files.items()
             for secret in [*SECRETS.values(), LIVE_ONLY_SECRET] if secret in text]
    assert not leaks, leaks
    vpc = json.loads(files["evidence/VPC-NAME.json"])
    live = vpc["account"]["sources"][0]
    assert live["id"].startswith("vpc-") and live["region"] == "eu-west-1" and "no_response_excerpt" not in live
    described = [e for e in live["excerpts"] if e["operation"] == "DescribeVpcs"]
    assert len(described) == 1 and described[0]["path"].startswith("Vpcs[")
    item = described[0]["item"]
    assert (item["VpcId"], item["CidrBlock"], described[0]["region"]) == (live["id"], "10.0.0.0/16", "eu-west-1")
    assert {"Key": "Name", "Value": f"vpc-{MASK}-{MASK}"} in item["Tags"]
    assert {"Key": "db_password", "Value": MASK} in item["Tags"]
    code = vpc["code"]["sources"][0]
    assert any('resource "aws_vpc" "main"' in e["text"] for e in code["lines"])
    database = json.loads(files["evidence/RDS-MULTIAZ.json"])["account"]["sources"]
    assert all(s["excerpts"] or s["no_response_excerpt"] for s in database)  # absent: never an invented quote
