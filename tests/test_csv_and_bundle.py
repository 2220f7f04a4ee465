"""The CSV (one line per row) and the evidence bundle (every report, each row's raw evidence,
a manifest of SHA-256 hashes), masked like every other output."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from dr_audit.report.bundle import MANIFEST, hcl_lines, row_evidence
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
    evidence = row_evidence(row, root, Redactor(["hunter2-secret"]).text)
    texts = [e["text"] for e in evidence["code"]["sources"][0]["lines"]]
    assert f'pw = "{MASK}"' in texts and not any("hunter2" in t for t in texts)
    assert evidence["account"]["sources"] == [] and "lines_not_quoted" not in evidence["code"]
    unquoted = row_evidence(row, None, Redactor().text, "no redactor")
    assert unquoted["code"]["sources"][0]["lines"] == [] and unquoted["code"]["lines_not_quoted"] == "no redactor"


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
