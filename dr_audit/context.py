"""One audit run's inputs, collected once and shared by every row test."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from dr_audit.evaluate import evaluate_static
from dr_audit.findings import Finding
from dr_audit.inventory import Inventory
from dr_audit.model import Policy
from dr_audit.policy import load_policy
from dr_audit.report.json_report import git_commit
from dr_audit.terraform.collector import collect_terraform

MODES = ("static", "full", "live")


class AuditContext:
    """The policy, the evidence and the findings of one run.

    In: policy path, Terraform root (None: the policy's own), mode.
    Evidence is collected on first use and findings are computed once per row,
    so every test and every report sees the same verdicts.
    """

    def __init__(self, policy_path: Path, terraform_root: Path | None, mode: str):
        if mode != "static":
            raise NotImplementedError(
                f"--dr-mode {mode} needs the AWS collectors, which this version does not have yet; use --dr-mode static")
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.mode = mode
        self.policy: Policy = load_policy(policy_path)
        root = terraform_root or (Path(self.policy.terraform_root) if self.policy.terraform_root else None)
        if root is None:
            raise ValueError(f"{policy_path}: no Terraform root: give --dr-terraform-root or set terraform.root")
        self.terraform_root = Path(root)
        self._terraform: Inventory | None = None
        self._findings: dict[str, Finding] = {}

    @property
    def roots(self) -> dict[str, str]:
        """Role name -> Terraform root directory (relative to the base)."""
        return {r.name: r.terraform_root for r in self.policy.roles.values() if r.terraform_root}

    @property
    def terraform(self) -> Inventory:
        if self._terraform is None:
            self._terraform = collect_terraform(self.terraform_root, self.roots)
        return self._terraform

    def finding(self, row_id: str) -> Finding:
        if row_id not in self._findings:
            self._findings[row_id] = evaluate_static(self.policy.row(row_id), self.policy, self.terraform)
        return self._findings[row_id]

    def all_findings(self) -> dict[str, Finding]:
        return {row.id: self.finding(row.id) for row in self.policy.rows}

    def run_info(self) -> dict:
        return {
            "started": self.started,
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "mode": self.mode,
            "target": None,
            "aws": {"account_id": None, "note": "static mode: no AWS credentials used"},
            "terraform": {"root": str(self.terraform_root), "roots": self.roots,
                          "commit": git_commit(str(self.terraform_root))},
        }
