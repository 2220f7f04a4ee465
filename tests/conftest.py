"""Helpers shared by the project's own tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dr_audit.terraform.collector import collect_terraform

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "terraform" / "portforge"
POLICY = REPO / "policies" / "portforge-dr.yaml"

pytest_plugins = ["pytester"]


def write_tree(base: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under ``base`` (text is dedented) and return ``base``."""
    for name, content in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return base


@pytest.fixture
def tree(tmp_path):
    """Write a Terraform root at tmp_path/root and collect it."""

    def make(files: dict[str, str | bytes], root: str = "root"):
        write_tree(tmp_path / root, files)
        return collect_terraform(tmp_path, {"main": root})

    return make


def one(inventory, kind: str, mode: str = "managed", **select):
    """The single resource of ``kind`` (and mode) whose attributes equal ``select``."""
    found = [r for r in inventory.resources
             if r.kind == kind and r.mode == mode and all(r.value(k) == v for k, v in select.items())]
    assert len(found) == 1, f"expected one {kind} {select}, found {[r.address for r in found]}"
    return found[0]
