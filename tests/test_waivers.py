"""Waivers: who accepted which failing row, why, until when; errors name file and line."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest

from dr_audit.errors import PolicyErrors
from dr_audit.findings import Finding, SourceEvidence, SourceState, Status
from dr_audit.policy import load_policy
from dr_audit.waivers import apply_waiver, load_waivers
from tests.conftest import POLICY, install_audit_suite

TODAY = dt.date(2026, 11, 22)


def write(tmp_path, body: str):
    path = tmp_path / "waivers.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def finding(status: Status) -> Finding:
    evidence = SourceEvidence(SourceState.VIOLATES, 1, "x = 1")
    return Finding("POLICY-RPO-S3", status, "the policy contradicts itself", evidence, evidence)


def test_a_valid_waiver_covers_a_failing_row_until_it_expires(tmp_path):
    path = write(tmp_path, """\
        waivers:
          portforge-dr:
            - {row: POLICY-RPO-S3, owner: lead, reason: accepted, ticket: DR-1, expires: 2026-11-22}
          other-policy:
            - {row: NOT-IN-THIS-POLICY, owner: x, reason: y, ticket: z, expires: 2030-01-01}
        """)
    [waiver] = load_waivers(path, load_policy(POLICY))
    waived = apply_waiver(finding(Status.FAIL), waiver, TODAY)
    assert waived.status is Status.WAIVED and waived.waived_status is Status.FAIL
    assert waived.message.startswith("waived until 2026-11-22 by lead (DR-1): accepted; real status FAIL:")
    expired = apply_waiver(finding(Status.FAIL), waiver, TODAY + dt.timedelta(days=1))
    assert expired.status is Status.FAIL and "expired on 2026-11-22" in expired.message
    for status in (Status.DRIFT, Status.UNDEPLOYED, Status.UNMANAGED):
        assert apply_waiver(finding(status), waiver, TODAY).status is Status.WAIVED


def test_a_waiver_never_hides_unreadable_evidence_or_changes_a_pass(tmp_path):
    path = write(tmp_path, """\
        waivers:
          portforge-dr:
            - {row: POLICY-RPO-S3, owner: lead, reason: accepted, ticket: DR-1, expires: 2030-01-01}
        """)
    [waiver] = load_waivers(path, load_policy(POLICY))
    assert apply_waiver(finding(Status.ERROR), waiver, TODAY).status is Status.ERROR
    assert apply_waiver(finding(Status.PASS), waiver, TODAY).status is Status.PASS


def test_bad_waivers_are_errors_naming_file_line_and_row(tmp_path):
    path = write(tmp_path, """\
        waivers:
          portforge-dr:
            - {row: NO-SUCH-ROW, owner: lead, reason: r, ticket: T-1, expires: 2027-01-01}
            - {row: POLICY-RPO-S3, reason: r, ticket: T-2, expires: 2027-01-01}
            - {row: POLICY-RPO-RDS, owner: lead, reason: r, ticket: T-3}
            - {row: POLICY-RPO-DYNAMODB, owner: lead, reason: r, ticket: T-4, expires: next year}
            - {row: POLICY-REPLICA-LAG-ALARM, owner: a, reason: r, ticket: T-5, expires: 2027-01-01}
            - {row: POLICY-REPLICA-LAG-ALARM, owner: b, reason: r, ticket: T-6, expires: 2027-01-01}
        """)
    with pytest.raises(PolicyErrors) as raised:
        load_waivers(path, load_policy(POLICY))
    messages = [str(e) for e in raised.value.errors]
    assert messages == [
        f"{path}:3: row NO-SUCH-ROW: waiver for a row the policy portforge-dr does not have",
        f"{path}:4: row POLICY-RPO-S3: waiver without owner",
        f"{path}:5: row POLICY-RPO-RDS: waiver without expires",
        f"{path}:6: row POLICY-RPO-DYNAMODB: expires 'next year' is not a date (YYYY-MM-DD)",
        f"{path}:8: row POLICY-REPLICA-LAG-ALARM: a second waiver for the row (first at line 7)",
    ]


def test_the_audit_shows_a_waived_row_as_xfail_and_a_bad_waiver_stops_it(pytester):
    install_audit_suite(pytester.path)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    (pytester.path / "waivers.yaml").write_text(textwrap.dedent(f"""\
        waivers:
          portforge-dr:
            - {{row: POLICY-RPO-S3, owner: lead, reason: accepted for now, ticket: DR-9, expires: {future}}}
        """))
    result = pytester.runpytest("audits", "--dr-policy", str(POLICY), "--dr-mode", "static",
                                "--dr-waivers", "waivers.yaml", "-p", "no:cacheprovider", "-rx")
    outcomes = result.parseoutcomes()
    # the static audit's 3 failures (the policy's contradictions with itself), one waived
    assert (outcomes["failed"], outcomes["xfailed"]) == (2, 1)
    result.stdout.fnmatch_lines(["XFAIL*POLICY-RPO-S3*waived until*by lead (DR-9): accepted for now*"])
    report = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())
    row = next(r for r in report["rows"] if r["id"] == "POLICY-RPO-S3")
    assert (row["status"], row["waived_status"]) == ("WAIVED", "FAIL")
    assert report["waivers"] == [{"row": "POLICY-RPO-S3", "owner": "lead", "reason": "accepted for now",
                                  "ticket": "DR-9", "expires": future, "active": True,
                                  "location": f"{pytester.path / 'waivers.yaml'}:3"}]
    assert report["summary"]["by_status"]["WAIVED"] == 1

    (pytester.path / "waivers.yaml").write_text("waivers:\n  portforge-dr:\n    - {row: POLICY-RPO-S3}\n")
    result = pytester.runpytest("audits", "--dr-policy", str(POLICY), "--dr-mode", "static",
                                "--dr-waivers", "waivers.yaml", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*waivers.yaml:3: row POLICY-RPO-S3: waiver without owner, reason, ticket, expires*"])
