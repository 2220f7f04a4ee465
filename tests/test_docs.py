"""The README and the workflows say what the code does: every option they use
exists, the two commands are the ones CI and a newcomer run, and the
workflows run the static gate and the live nightly audit as documented."""

from __future__ import annotations

import re

import pytest
import yaml

from dr_audit.kinds import KINDS
from dr_audit.operators import OPERATORS
from tests.conftest import REPO

README = (REPO / "README.md").read_text()
WORKFLOWS = {p.name: yaml.safe_load(p.read_text()) for p in (REPO / ".github" / "workflows").glob("*.yml")}


def plugin_options() -> set[str]:
    source = (REPO / "dr_audit" / "plugin.py").read_text()
    return set(re.findall(r'addoption\("(--dr-[a-z-]+)"', source))


def test_every_dr_option_the_docs_and_workflows_use_exists():
    workflow_text = "".join((REPO / ".github" / "workflows" / name).read_text() for name in WORKFLOWS)
    used = set(re.findall(r"--dr-[a-z-]+[a-z]", README + workflow_text))
    assert used and used <= plugin_options(), sorted(used - plugin_options())


def test_every_plugin_option_is_documented_in_the_readme():
    assert plugin_options() <= set(re.findall(r"--dr-[a-z-]+[a-z]", README))


def test_the_readme_test_command_is_what_ci_runs():
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    assert commands[0] == "python3 -m pip install uv && python3 -m uv sync --locked && python3 -m uv run pytest audits/"
    assert commands[1].endswith("python3 -m uv run pytest tests/")
    ci = (REPO / ".ci" / "run").read_text()
    assert commands[1].replace("python3 -m pip install uv", "python3 -m pip install --quiet "
                               "--disable-pip-version-check uv") in ci


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("name", ["dr-gate.yml", "dr-nightly.yml"])
def test_workflows_parse_and_keep_the_report(name):
    workflow = WORKFLOWS[name]
    uploads = [s for s in _steps(workflow) if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and "reports/dr-audit.html" in uploads[0]["with"]["path"]
    assert uploads[0].get("if") == "always()"


def test_the_gate_is_static_and_annotates_the_pull_request():
    gate = WORKFLOWS["dr-gate.yml"]
    assert "pull_request" in gate[True] and "fixtures/terraform/**" in gate[True]["pull_request"]["paths"]
    run = " ".join(s.get("run", "") for s in _steps(gate))
    assert "--dr-mode static" in run and "--dr-changed-files" in run and "AWS" not in run
    sarif = [s for s in _steps(gate) if "upload-sarif" in str(s.get("uses", ""))]
    assert sarif and sarif[0]["with"]["sarif_file"] == "reports/dr-audit.sarif"
    assert gate["permissions"]["security-events"] == "write"


def test_the_nightly_run_is_live_with_an_oidc_role_and_keeps_history():
    nightly = WORKFLOWS["dr-nightly.yml"]
    assert nightly[True]["schedule"] and nightly["permissions"]["id-token"] == "write"
    steps = _steps(nightly)
    assert any("configure-aws-credentials" in str(s.get("uses", "")) for s in steps)
    run = " ".join(s.get("run", "") for s in steps)
    assert "--dr-target live" in run and "--dr-mode static" not in run
    assert any(s.get("with", {}).get("path") == "reports/history" for s in steps)


def test_the_readme_vocabulary_is_generated_from_the_code():
    """Kinds, attributes, operators and comparators: the README shows what the code accepts."""
    from dr_audit.reference import END, START, vocabulary_markdown

    block = README[README.index(START):README.index(END) + len(END)]
    assert block == vocabulary_markdown(), "stale: run python -m dr_audit.reference README.md"
    for kind in KINDS:
        assert f"**`{kind}`**" in block
    for op in OPERATORS:
        assert f"| `{op}` |" in block
