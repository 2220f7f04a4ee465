"""Run checkov in its own environment and read its JSON.

checkov cannot share the project's environment (its bc-python-hcl2 fork
installs the same ``hcl2`` module as python-hcl2 8, and it pins boto3 and
packaging<24), so it runs as ``uv tool run --from checkov==PIN``, with
``BC_SKIP_MAPPING=TRUE`` and ``--skip-download`` so it makes no network call
of its own. Any failure (not installable, crash, timeout, bad JSON) is a
:class:`CheckovRun` with ``error`` set, never an exception.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CHECKOV_VERSION = "3.2.500"
DEFAULT_TIMEOUT = 900

#: built-in checkov checks that bear on DR -> the (kind, attribute) rows they speak to
BUILTIN_DR_CHECKS: dict[str, tuple[str, str]] = {
    "CKV_AWS_157": ("rds_instance", "multi_az"),
    "CKV_AWS_133": ("rds_instance", "backup_retention_period"),
    "CKV_AWS_28": ("dynamodb_table", "point_in_time_recovery"),
    "CKV_AWS_144": ("s3_bucket", "replication_destination_buckets"),
    "CKV_AWS_310": ("cloudfront_distribution", "has_origin_failover"),
}


@dataclass(frozen=True)
class CheckovResult:
    """One check on one resource, as checkov reported it."""

    check_id: str
    name: str
    root: str
    address: str
    file: str
    line: int
    passed: bool


@dataclass
class CheckovRun:
    """All results of one audit's checkov runs, or why there are none."""

    version: str = CHECKOV_VERSION
    results: list[CheckovResult] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # root -> why checkov could not run there
    seconds: float = 0.0
    #: role -> the role whose checkov run covers it (roles sharing one directory share one run)
    covered_by: dict[str, str] = field(default_factory=dict)

    def run_role(self, role: str) -> str:
        """The role name ``role``'s results and errors are filed under."""
        return self.covered_by.get(role, role)

    def find(self, check_id: str, address: str, roots: list[str]) -> CheckovResult | None:
        """The result of ``check_id`` on ``address``, trying ``roots`` in order.

        The same address first; else the one result whose address differs only
        where one side left an instance key out or unresolved: checkov reports
        a block whose ``count`` it could not evaluate as ``aws_x.this``, where
        we say ``aws_x.this[0]`` (or ``[?]``), and the other way round.
        """
        for root in dict.fromkeys(self.run_role(r) for r in roots):
            candidates = [r for r in self.results if r.check_id == check_id and r.root == root]
            exact = [r for r in candidates if r.address == address]
            if exact:
                return exact[0]
            loose = [r for r in candidates if same_block(r.address, address)]
            if len(loose) == 1:
                return loose[0]
        return None


_ADDRESS_PART = re.compile(r'\[("(?:[^"\\]|\\.)*"|[^\]]*)\]|[^.\[\]]+')


def _address_parts(address: str) -> list[tuple[str, str | None]]:
    """``module.a["x"].aws_s3_bucket.b[0]`` -> [("module", None), ("a", '"x"'), ("aws_s3_bucket", None), ("b", "0")]."""
    parts: list[tuple[str, str | None]] = []
    for match in _ADDRESS_PART.finditer(address):
        if match.group(1) is not None and parts:
            parts[-1] = (parts[-1][0], match.group(1))
        elif match.group(1) is None:
            parts.append((match.group(0), None))
    return parts


def same_block(one: str, other: str) -> bool:
    """True when two instance addresses name the same block and no instance key contradicts:
    a key left out or unresolved (``?``) on either side matches any key."""
    first, second = _address_parts(one), _address_parts(other)
    if [name for name, _ in first] != [name for name, _ in second]:
        return False
    return all(a == b or a in (None, "?") or b in (None, "?") for (_, a), (_, b) in zip(first, second))


def _uv() -> list[str]:
    # `uv run` tells its children where uv is; otherwise PATH, then the module
    if os.environ.get("UV"):
        return [os.environ["UV"]]
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def command(root: Path, checks_dir: Path, check_ids: list[str], version: str = CHECKOV_VERSION) -> list[str]:
    return [*_uv(), "tool", "run", "--from", f"checkov=={version}", "checkov", "--framework", "terraform",
            "-d", str(root), "--external-checks-dir", str(checks_dir), "--check", ",".join(check_ids),
            "--skip-download", "-o", "json"]


def _parse(output: str, root_name: str, root_display: str) -> list[CheckovResult]:
    data = json.loads(output)
    reports = data if isinstance(data, list) else [data]
    results = []
    for report in reports:
        if report.get("check_type") not in (None, "terraform"):
            continue
        for key, passed in (("passed_checks", True), ("failed_checks", False)):
            for check in report.get("results", {}).get(key, []):
                results.append(CheckovResult(check["check_id"], check.get("check_name", ""), root_name,
                                             check["resource"],
                                             os.path.normpath(f"{root_display}/{check['file_path'].lstrip('/')}"),
                                             (check.get("file_line_range") or [0])[0], passed))
    return results


def run_checkov(base: Path, roots: dict[str, str], checks_dir: Path, check_ids: list[str],
                timeout: float = DEFAULT_TIMEOUT, version: str = CHECKOV_VERSION) -> CheckovRun:
    """checkov once on each distinct root directory (role -> dir under ``base``) with ``check_ids``.

    Roles sharing a directory share its one run: its results are filed under the first
    such role (``covered_by`` maps the others to it), and an error under each of them.
    """
    run = CheckovRun(version=version)
    started = time.perf_counter()
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
           "LOG_LEVEL": "ERROR"}
    first_role: dict[str, str] = {}
    for role, directory in sorted(roots.items()):
        first_role.setdefault(str(Path(directory)), role)
        run.covered_by[role] = first_role[str(Path(directory))]
    for role, directory in sorted(roots.items()):
        if run.covered_by[role] != role:
            continue
        root = Path(base) / directory
        try:
            done = subprocess.run(command(root, checks_dir, check_ids, version), capture_output=True, text=True,
                                  timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            run.errors[role] = f"checkov timed out after {timeout:.0f} s on {directory}"
            continue
        except OSError as error:
            run.errors[role] = f"checkov could not be started: {error.strerror or error}" + (
                f" ({error.filename})" if error.filename else "")
            continue
        if done.returncode not in (0, 1) or not done.stdout.strip():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            run.errors[role] = f"checkov exited {done.returncode} on {directory}: {last}"
            continue
        try:
            run.results.extend(_parse(done.stdout, role, directory))
        except KeyError as error:
            run.errors[role] = f"checkov's JSON for {directory} could not be read: a result has no {error.args[0]}"
        except TypeError:
            run.errors[role] = f"checkov's JSON for {directory} could not be read: it is not shaped as its report"
        except ValueError as error:
            run.errors[role] = f"checkov's JSON for {directory} could not be read: {error}"
    for role, covering in run.covered_by.items():
        if covering != role and covering in run.errors:
            run.errors[role] = run.errors[covering]
    run.seconds = time.perf_counter() - started
    return run
