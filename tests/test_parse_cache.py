"""The parse cache: a file is parsed once per content, a changed file always again,
a tree from another parser or project version is never reused, and a broken
cache entry only costs a parse."""

from __future__ import annotations

import json
from pathlib import Path

from dr_audit.terraform import parse_cache
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.parse_cache import ParseCache
from tests.conftest import AUDIT_CONFIG, FIXTURES, POLICY, install_audit_suite, one, write_tree

ROOTS = {"primary": "primary", "dr": "dr"}


def snapshot(inventory) -> list:
    return sorted((r.address, r.root, {k: repr(v.value) for k, v in r.attributes.items()}) for r in inventory.resources)


def test_a_warm_run_parses_nothing_and_finds_the_same_evidence(tmp_path):
    cold = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    warm = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    assert cold.parse_stats["parsed"] >= 20 and cold.parse_stats["disk_hits"] == 0
    assert warm.parse_stats["parsed"] == 0 and warm.parse_stats["disk_hits"] == cold.parse_stats["parsed"]
    assert snapshot(warm) == snapshot(cold) and [str(e) for e in warm.errors] == [str(e) for e in cold.errors]


def test_a_changed_file_is_parsed_again_and_its_new_value_is_the_evidence(tmp_path):
    files = {"root/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n',
             "root/vpc.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n'}
    write_tree(tmp_path / "tree", files)
    cache = tmp_path / "cache"
    collect_terraform(tmp_path / "tree", {"r": "root"}, ParseCache(cache))
    (tmp_path / "tree" / "root" / "vpc.tf").write_text('resource "aws_vpc" "v" {\n  cidr_block = "10.9.0.0/16"\n}\n')
    again = collect_terraform(tmp_path / "tree", {"r": "root"}, ParseCache(cache))
    assert (again.parse_stats["parsed"], again.parse_stats["disk_hits"]) == (1, 1)
    assert one(again, "vpc").value("cidr_block") == "10.9.0.0/16"


def test_another_parser_or_project_version_never_reuses_a_tree(tmp_path, monkeypatch):
    collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    monkeypatch.setattr(parse_cache, "PARSER_ID", parse_cache.PARSER_ID + "; dr-audit 99")
    other = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    assert other.parse_stats["disk_hits"] == 0 and other.parse_stats["parsed"] >= 20


def test_a_corrupt_or_unreadable_entry_is_a_miss_not_an_error(tmp_path):
    collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    entries = sorted(tmp_path.rglob("*.pickle"))
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(b"\x80\x05\x95")  # a truncated pickle, as a killed writer would leave it
    again = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    assert again.parse_stats["parsed"] == 2 and again.errors == []


def test_a_module_called_twice_is_parsed_once(tmp_path):
    module = 'variable "cidr" {}\nresource "aws_vpc" "v" {\n  cidr_block = var.cidr\n}\n'
    write_tree(tmp_path, {"root/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n'
                                          'module "a" {\n  source = "../mod"\n  cidr = "10.1.0.0/16"\n}\n'
                                          'module "b" {\n  source = "../mod"\n  cidr = "10.2.0.0/16"\n}\n',
                          "mod/main.tf": module})
    inventory = collect_terraform(tmp_path, {"r": "root"})
    assert inventory.parse_stats["parsed"] == 2 and inventory.parse_stats["memory_hits"] == 1
    assert sorted(r.value("cidr_block") for r in inventory.resources) == ["10.1.0.0/16", "10.2.0.0/16"]


def test_the_audit_keeps_its_cache_where_the_configuration_says(pytester):
    install_audit_suite(pytester.path, AUDIT_CONFIG + 'dr_parse_cache = "cache/hcl"\n')
    args = ("audits", "--dr-policy", str(POLICY), "--dr-mode", "static", "-p", "no:cacheprovider")
    pytester.runpytest_subprocess(*args)
    first = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())["run"]["terraform"]["parse"]
    pytester.runpytest_subprocess(*args)
    second = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())["run"]["terraform"]["parse"]
    assert first["cache"] == str(pytester.path / "cache" / "hcl") and first["parsed"] >= 20
    assert second["parsed"] == 0 and second["disk_hits"] == first["parsed"]
    assert any(Path(pytester.path / "cache" / "hcl").rglob("*.pickle"))
    pytester.runpytest_subprocess(*args, "--dr-parse-cache", "off")
    off = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())["run"]["terraform"]["parse"]
    assert off["cache"] is None and off["parsed"] == first["parsed"]
