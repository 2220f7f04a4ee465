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


def test_a_warm_run_parses_and_evaluates_nothing_and_finds_the_same_evidence(tmp_path):
    cold = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    warm = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    assert cold.parse_stats["parsed"] >= 20 and cold.parse_stats["roots_evaluated"] == 2
    assert (warm.parse_stats["parsed"], warm.parse_stats["roots_evaluated"], warm.parse_stats["roots_reused"]) == (0, 0, 2)
    assert snapshot(warm) == snapshot(cold) and [str(e) for e in warm.errors] == [str(e) for e in cold.errors]
    assert warm.files == cold.files


def test_a_changed_file_is_parsed_again_and_only_its_root_is_evaluated(tmp_path):
    files = {"a/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\nmodule "net" {\n  source = "../mod"\n}\n',
             "b/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\nresource "aws_kms_alias" "k" {\n  name = "alias/b"\n}\n',
             "mod/vpc.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n'}
    write_tree(tmp_path / "tree", files)
    cache, roots = tmp_path / "cache", {"a": "a", "b": "b"}
    collect_terraform(tmp_path / "tree", roots, ParseCache(cache))
    (tmp_path / "tree" / "mod" / "vpc.tf").write_text('resource "aws_vpc" "v" {\n  cidr_block = "10.9.0.0/16"\n}\n')
    again = collect_terraform(tmp_path / "tree", roots, ParseCache(cache))
    stats = again.parse_stats
    assert (stats["parsed"], stats["disk_hits"], stats["roots_evaluated"], stats["roots_reused"]) == (1, 1, 1, 1)
    assert one(again, "vpc").value("cidr_block") == "10.9.0.0/16"  # a module file changed: its caller re-evaluated
    (tmp_path / "tree" / "mod" / "extra.tf").write_text('resource "aws_kms_alias" "x" {\n  name = "alias/x"\n}\n')
    added = collect_terraform(tmp_path / "tree", roots, ParseCache(cache))
    assert one(added, "kms_alias", name="alias/x") and added.parse_stats["roots_evaluated"] == 1  # a new file too


def test_another_parser_or_project_version_never_reuses_a_tree(tmp_path, monkeypatch):
    collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    monkeypatch.setattr(parse_cache, "PARSER_ID", parse_cache.PARSER_ID + "; dr-audit 99")
    other = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    assert other.parse_stats["disk_hits"] == 0 and other.parse_stats["parsed"] >= 20
    assert other.parse_stats["roots_reused"] == 0


def test_a_corrupt_or_unreadable_entry_is_a_miss_not_an_error(tmp_path):
    collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    for entry in tmp_path.rglob("*.evidence"):
        entry.write_bytes(b"\x80\x05\x95")  # a truncated pickle, as a killed writer would leave it
    trees = sorted(tmp_path.rglob("*.tree"))
    trees[0].write_bytes(b"not marshal data")
    trees[1].write_bytes(b"")
    again = collect_terraform(FIXTURES, ROOTS, ParseCache(tmp_path))
    assert again.parse_stats["parsed"] == 2 and again.parse_stats["roots_evaluated"] == 2 and again.errors == []


def test_a_root_with_errors_is_never_kept(tmp_path):
    write_tree(tmp_path / "tree", {"r/main.tf": 'resource "aws_vpc" "v" {\n  cidr_block = \n}\n'})
    for _ in range(2):
        inventory = collect_terraform(tmp_path / "tree", {"r": "r"}, ParseCache(tmp_path / "cache"))
        assert inventory.errors and inventory.parse_stats["roots_evaluated"] == 1


def test_trees_survive_the_compact_form_unchanged():
    import hcl2

    text = (FIXTURES / "dr" / "rds.tf").read_text()
    tree = hcl2.parses_to_tree(text)
    assert parse_cache.decode(parse_cache.encode(tree)) == tree


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
    assert second["parsed"] == 0 and second["roots_reused"] == first["roots_evaluated"] == 2
    assert any(Path(pytester.path / "cache" / "hcl").rglob("*.tree"))
    pytester.runpytest_subprocess(*args, "--dr-parse-cache", "off")
    off = json.loads((pytester.path / "reports" / "dr-audit.json").read_text())["run"]["terraform"]["parse"]
    assert off["cache"] is None and off["parsed"] == first["parsed"]
