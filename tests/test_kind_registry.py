"""A kind is one file, and the vocabulary is a plugin point (issue 15).

The registry is the one source of the allowlist, the IAM policy and the
reference; a kind declared outside ``dr_audit/`` (a conftest hook or an
installed package's entry point) is audited both ways against the sandbox.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import subprocess
import sys

import pytest

from dr_audit import iam
from dr_audit.aws.readonly import read_operations
from dr_audit.kinds import KINDS, KindError, declare_kind, register
from dr_audit.kinds import registry
from dr_audit.kinds.spec import STR
from tests.conftest import AUDIT_CONFIG, REPO, install_audit_suite, write_tree

README = REPO / "README.md"
IAM_FILE = REPO / "policies" / "iam" / "dr-audit-readonly.json"


def readme_example_kind() -> str:
    """The example kind module the README's "Adding a kind" section shows."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- example kind: sns_topic -->\n```python\n(.*?)```\n<!-- example kind: end -->", text, re.S)
    assert found, "the README lost its example kind"
    return found.group(1)


# ----- one file per kind -------------------------------------------------------

@pytest.mark.parametrize("module_name", registry.BUILTIN_MODULES)
def test_each_builtin_kind_is_one_module_holding_all_of_it(module_name):
    module = importlib.import_module(f"dr_audit.kinds.{module_name}")
    kind = module.KIND
    assert kind.name == module_name and KINDS[module_name] is kind
    # an account-only kind (what AWS ran, such as backup jobs) has no Terraform type, but a collector
    assert kind.terraform or kind.collect is not None, "every kind is declared by some Terraform type or read"
    for mapping in kind.terraform.values():
        assert mapping.__module__ == module.__name__
    if kind.terraform_only:
        assert kind.collect is None and not kind.reads
    else:
        assert kind.collect.__module__ == module.__name__ and kind.service in kind.reads


def test_the_allowlist_is_exactly_the_kinds_reads_plus_the_audits_own():
    expected = {("sts", "GetCallerIdentity")} | {(s, o) for k in KINDS.values() for s, ops in k.reads.items()
                                                for o in ops}
    assert {(s, o) for s, ops in read_operations().items() for o in ops} >= expected
    extra = {(s, o) for s, ops in read_operations().items() for o in ops} - expected
    registered = {(s, o) for table in __import__("dr_audit.aws.readonly", fromlist=["x"]).extra_reads()
                  for s, ops in table.items() for o in ops}
    assert extra <= registered, f"allowed without a kind or a registered read set: {extra - registered}"


def test_the_shipped_iam_policy_is_the_generated_one():
    assert IAM_FILE.read_text() == iam.document_text(), (
        "regenerate it: python -m dr_audit.iam --output policies/iam/dr-audit-readonly.json")


def test_the_iam_command_gives_least_privilege_for_the_policies_named(tmp_path):
    policy = REPO / "policies" / "crm-active-active.yaml"
    result = subprocess.run([sys.executable, "-m", "dr_audit.iam", str(policy)], capture_output=True, text=True,
                            cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr
    actions = json.loads(result.stdout)["Statement"][0]["Action"]
    everything = iam.actions_for()
    assert set(actions) < set(everything) and "sts:GetCallerIdentity" in actions
    # CRM audits EKS, RDS and ElastiCache on AWS: no Route 53, CloudFront or S3 reads
    assert "eks:DescribeCluster" in actions and "rds:DescribeDBInstances" in actions
    assert not [a for a in actions if a.split(":")[0] in ("route53", "cloudfront", "s3")]
    out = tmp_path / "iam.json"
    written = subprocess.run([sys.executable, "-m", "dr_audit.iam", str(policy), "--output", str(out)],
                             capture_output=True, text=True, cwd=REPO, check=False)
    assert written.returncode == 0 and json.loads(out.read_text())["Statement"][0]["Action"] == actions


def test_the_iam_command_names_a_bad_policy_by_file_and_line(tmp_path):
    bad = write_tree(tmp_path, {"bad.yaml": "policy: {name: x, version: 1}\nroles:\n  primary: {region: eu-west-1}\n"
                                            "rows:\n  - {id: A, clause: '1', title: t, kind: no_such_kind, "
                                            "role: primary, op: exists, managed_by: manual, severity: low}\n"})
    result = subprocess.run([sys.executable, "-m", "dr_audit.iam", str(bad / "bad.yaml")], capture_output=True,
                            text=True, cwd=REPO, check=False)
    assert result.returncode == 4 and "Traceback" not in result.stderr
    assert re.search(r"bad\.yaml:5\b.*no_such_kind", result.stderr), result.stderr


# ----- what a declaration may not do ---------------------------------------------

def _collect(reader, region):
    return []


def _mapping(r):
    return {}


@pytest.mark.parametrize("change, message", [
    (dict(scope="planetary"), "scope 'planetary'"),
    (dict(attributes={"name": ("string", "x")}), "type 'string'"),
    (dict(reads={"sns": {"DeleteTopic": "sns:DeleteTopic"}}), "sns:DeleteTopic is not a read operation"),
    (dict(reads={}), "a collector needs its service"),
    (dict(provider="google"), "cannot have a collector"),
    (dict(states={"vpc": None}), "state rule 'vpc' belongs to another kind"),
])
def test_a_declaration_that_cannot_work_is_refused(change, message):
    arguments = dict(name="probe_topic", scope="regional", doc="probe", attributes={"name": (STR, "name")},
                     terraform={"aws_probe_topic": _mapping}, service="sns", collect=_collect,
                     reads={"sns": {"ListTopics": "sns:ListTopics"}})
    arguments.update(change)
    with pytest.raises(KindError, match=re.escape(message)):
        declare_kind(arguments.pop("name"), arguments.pop("scope"), arguments.pop("doc"), **arguments)


def test_a_kind_may_not_take_a_name_or_terraform_type_already_registered(monkeypatch):
    monkeypatch.setattr(registry, "_views", {})
    same_name = dataclasses.replace(KINDS["vpc"], terraform={"aws_probe_vpc": _mapping})
    with pytest.raises(KindError, match=r"kind 'vpc' is already registered by dr_audit\.kinds\.vpc"):
        register(same_name, "a test")
    same_type = declare_kind("probe_vpc", "regional", "probe", attributes={"name": (STR, "name")},
                             terraform={"aws_vpc": _mapping})
    with pytest.raises(KindError, match=r"aws_vpc already maps to kind 'vpc'"):
        register(same_type, "a test")
    assert "probe_vpc" not in KINDS


# ----- kinds from outside dr_audit/ -----------------------------------------------

SNS_POLICY = """\
policy: {name: sns-plugin, version: 1}
roles:
  primary: {region: eu-west-1, terraform_root: .}
terraform: {root: tf}
sandbox: {estate: sns}
rows:
  - {id: EVENTS-ENCRYPTED, clause: "1", title: the events topic is encrypted, kind: sns_topic, role: primary,
     select: {name: orders-events}, attribute: encrypted, op: eq, value: true, managed_by: terraform, severity: high}
  - {id: AUDIT-ENCRYPTED, clause: "1", title: the audit topic is encrypted, kind: sns_topic, role: primary,
     select: {name: audit-log}, attribute: encrypted, op: eq, value: true, managed_by: terraform, severity: high}
"""
SNS_TERRAFORM = """\
provider "aws" {
  region = "eu-west-1"
}
resource "aws_sns_topic" "events" {
  name              = "orders-events"
  kms_master_key_id = "alias/aws/sns"
}
resource "aws_sns_topic" "audit" {
  name              = "audit-log"
  kms_master_key_id = "alias/aws/sns"
}
"""
# the account's audit topic was created without a key: code and account disagree
SNS_ESTATE = """\
description: two topics, one not encrypted
steps:
  - {call: sns.create_topic, region: eu-west-1, args: {Name: orders-events, Attributes: {KmsMasterKeyId: alias/aws/sns}}}
  - {call: sns.create_topic, region: eu-west-1, args: {Name: audit-log}}
"""


def _plugin_project(pytester, registration: dict[str, str]):
    install_audit_suite(pytester.path, AUDIT_CONFIG + 'dr_estates_dir = "estates"\ndr_waivers = ""\n')
    write_tree(pytester.path, {"policy.yaml": SNS_POLICY, "tf/main.tf": SNS_TERRAFORM,
                               "estates/sns/estate.yaml": SNS_ESTATE, "my_kinds/__init__.py": "",
                               "my_kinds/sns_topic.py": readme_example_kind(), **registration})
    result = pytester.runpytest_subprocess("audits", "--dr-policy", "policy.yaml", "--dr-checkov", "off",
                                           "-p", "no:cacheprovider")
    report = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())
    return result, {r["id"]: r for r in report["rows"]}


def test_a_conftest_kind_is_audited_both_ways_against_the_sandbox(pytester):
    conftest = ('pytest_plugins = ["dr_audit.plugin"]\n\n\ndef pytest_dr_audit_kinds():\n'
                '    from my_kinds import sns_topic\n    return sns_topic\n')
    result, rows = _plugin_project(pytester, {"conftest.py": conftest})
    assert rows["EVENTS-ENCRYPTED"]["status"] == "PASS", rows["EVENTS-ENCRYPTED"]
    audit = rows["AUDIT-ENCRYPTED"]
    assert audit["status"] == "DRIFT", audit
    assert audit["terraform"]["value"] is True and audit["live"]["value"] is False
    assert (audit["terraform"]["file"], audit["terraform"]["line"]) == ("main.tf", 10)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_an_installed_packages_kind_is_found_by_its_entry_point(pytester, monkeypatch):
    # an installed distribution, as pip leaves it: its metadata names the entry point
    dist = {"my_kinds-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: my-kinds\nVersion: 0.1\n",
            "my_kinds-0.1.dist-info/entry_points.txt": "[dr_audit.kinds]\nsns_topic = my_kinds.sns_topic\n"}
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(pytester.path), os.environ.get("PYTHONPATH")])))
    result, rows = _plugin_project(pytester, dist)
    assert rows["EVENTS-ENCRYPTED"]["status"] == "PASS" and rows["AUDIT-ENCRYPTED"]["status"] == "DRIFT", rows
    iam_out = subprocess.run([sys.executable, "-m", "dr_audit.iam", str(pytester.path / "policy.yaml")],
                             capture_output=True, text=True, cwd=pytester.path, check=False)
    assert iam_out.returncode == 0, iam_out.stderr
    assert json.loads(iam_out.stdout)["Statement"][0]["Action"] == [
        "sns:GetTopicAttributes", "sns:ListTopics", "sts:GetCallerIdentity", "tag:GetResources"]


def test_a_plugin_kind_that_clashes_is_a_usage_error_naming_it(pytester):
    clash = ('pytest_plugins = ["dr_audit.plugin"]\n\n\ndef pytest_dr_audit_kinds():\n'
             '    from dr_audit.kinds import KINDS\n    import dataclasses\n'
             '    return dataclasses.replace(KINDS["vpc"], terraform={})\n')
    install_audit_suite(pytester.path, AUDIT_CONFIG)
    write_tree(pytester.path, {"conftest.py": clash})
    result = pytester.runpytest_subprocess("audits", "--dr-mode", "static", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*a plugin kind cannot be registered*kind 'vpc' is already registered by "
                                 "dr_audit.kinds.vpc*"])
