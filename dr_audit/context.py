"""One audit run's inputs, collected once and shared by every row test."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from dr_audit.aws.target import LiveTarget, TargetOptions, read_plan_for
from dr_audit.checkov.export import check_id, checks_for, exportable
from dr_audit.checkov.runner import BUILTIN_DR_CHECKS, CheckovRun, run_checkov
from dr_audit.evaluate import evaluate_full, evaluate_live, evaluate_static
from dr_audit.findings import Finding
from dr_audit.inventory import Inventory
from dr_audit.measurements import read_measurements, reader_for_role
from dr_audit.model import Policy
from dr_audit.policy import load_policy
from dr_audit.report.json_report import git_commit
from dr_audit.secrets import Redactor
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.parse_cache import ParseCache
from dr_audit.waivers import Waiver, apply_waiver, load_waivers

MODES = ("full", "static", "live")


class AuditContext:
    """The policy, the evidence and the findings of one run.

    In: policy path, Terraform root (None: the estate's, else the policy's),
    mode, and the live target's options (unused in static mode). Evidence
    is collected on first use and findings are computed once per row, so
    every test and every report sees the same verdicts.
    """

    def __init__(self, policy_path: Path, terraform_root: Path | None, mode: str,
                 target: TargetOptions | None = None, waivers_path: Path | None = None,
                 checkov: bool = False, parse_cache: Path | None = None, policy: Policy | None = None,
                 parse_store: ParseCache | None = None):
        """``policy`` is ``policy_path`` loaded already and ``parse_store`` a parse cache to share,
        when several contexts audit one policy (one per account); None: loaded and made here."""
        if mode not in MODES:
            raise ValueError(f"--dr-mode must be one of {', '.join(MODES)}")
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.mode = mode
        self.policy: Policy = policy if policy is not None else load_policy(policy_path)
        self.waivers: dict[str, Waiver] = {w.row: w for w in load_waivers(waivers_path, self.policy)}
        self.waivers_path = waivers_path
        self.today = datetime.now(timezone.utc).date()
        options = target or TargetOptions()
        if options.estate is None and not options.one_of_many:  # an account of many has its own, or none
            options = replace(options, estate=self.policy.sandbox_estate or options.default_estate)
        self.target = LiveTarget(options, self.policy) if mode != "static" else None
        self.terraform_root: Path | None = None
        if mode != "live":
            estate = self.target.load_estate() if self.target else None
            root = terraform_root or (estate.terraform_root if estate and estate.terraform_root else None) or (
                Path(self.policy.terraform_root) if self.policy.terraform_root else None)
            if root is None:
                raise ValueError(f"{policy_path}: no Terraform root: give --dr-terraform-root or set terraform.root")
            if terraform_root is None and not Path(root).is_dir():
                # a root given on the command line is audited as it is (its roles' rows are ERROR, unread)
                source = ("the sandbox estate's terraform_root" if estate and estate.terraform_root else
                          "the policy's terraform.root")
                raise ValueError(f"{policy_path}: the Terraform root {Path(root).resolve()} (from {source}) "
                                 f"does not exist")
            self.terraform_root = Path(root)
        self._terraform: Inventory | None = None
        self._live: Inventory | None = None
        self._findings: dict[str, Finding] = {}
        self._redactor: Redactor | None = None
        self.parse_cache = parse_cache  # a directory keeping parsed HCL across runs, or None
        self._parse_store = parse_store
        # the policy's exported checks live beside it: policies/checkov/<policy-name>/
        self.checkov_checks = (Path(self.policy.path).parent / "checkov" / self.policy.name
                               if checkov and self.terraform_root is not None else None)
        self._checkov: CheckovRun | None = None

    @property
    def roots(self) -> dict[str, str]:
        """Role name -> Terraform root directory (relative to the base)."""
        return {r.name: r.terraform_root for r in self.policy.roles.values() if r.terraform_root}

    @property
    def terraform(self) -> Inventory | None:
        if self._terraform is None and self.terraform_root is not None:
            # the target's account id is what data.aws_caller_identity yields (None in static mode)
            account_id = self.target.account_id if self.target is not None and self.target.open() else None
            store = self._parse_store if self._parse_store is not None else ParseCache(self.parse_cache)
            self._terraform = collect_terraform(self.terraform_root, self.roots, store, account_id=account_id)
        return self._terraform

    @property
    def live(self) -> Inventory | None:
        if self._live is None and self.target is not None:
            self._live = self.target.collect()
            # measured rows select among the collected resources, so their series are read after them
            self._live.measurements = read_measurements(
                self.policy, self._live, lambda row: reader_for_role(self.target, row.role))
        return self._live

    @property
    def checkov(self) -> CheckovRun | None:
        """checkov's results on the Terraform roots (None when not asked for, or no Terraform)."""
        if self._checkov is None and self.checkov_checks is not None:
            ids = [check_id(r) for r in self.policy.rows if exportable(r)] + sorted(BUILTIN_DR_CHECKS)
            try:  # a missing or stale committed export is generated on the fly, not a red run
                checks = checks_for(self.policy, Path(self.checkov_checks), self.parse_cache)
            except OSError as error:
                self._checkov = CheckovRun(errors={role: f"the policy's checkov checks could not be written: "
                                                   f"{error.strerror or error}" for role in self.roots})
            else:
                self._checkov = run_checkov(self.terraform_root, self.roots, checks, ids)
        return self._checkov

    def finding(self, row_id: str) -> Finding:
        if row_id not in self._findings:
            row = self.policy.row(row_id)
            if self.mode == "static":
                finding = evaluate_static(row, self.policy, self.terraform)
            elif self.mode == "live":
                finding = evaluate_live(row, self.policy, self.live)
            else:
                finding = evaluate_full(row, self.policy, self.terraform, self.live)
            self._findings[row_id] = self._masked(apply_waiver(finding, self.waivers.get(row_id), self.today))
        return self._findings[row_id]

    @property
    def redactor(self) -> Redactor:
        """Masks every secret value the Terraform holds (and live credentials) in any text."""
        values = set(self.terraform.secrets) if self.terraform is not None else set()
        if self.target is not None:
            values |= self.target.secrets()
        if self._redactor is None or self._redactor.values != values:
            self._redactor = Redactor(values)
        return self._redactor

    def _masked(self, finding: Finding) -> Finding:
        redact = self.redactor
        if not redact:
            return finding
        for evidence in (finding.terraform, finding.live):
            for name in ("value", "detail", "address", "id", "error"):
                setattr(evidence, name, redact.data(getattr(evidence, name)))
            for check in evidence.resources:  # every matched resource's value and reason (evaluate.py)
                check.value, check.reason = redact.data(check.value), redact.text(check.reason)
        finding.message = redact.text(finding.message)
        finding.skip_reason = redact.text(finding.skip_reason) if finding.skip_reason else finding.skip_reason
        return finding

    def all_findings(self) -> dict[str, Finding]:
        return {row.id: self.finding(row.id) for row in self.policy.rows}

    def close(self) -> None:
        if self.target is not None:
            self.target.close()

    def run_info(self) -> dict:
        target = self.target
        regions = sorted({region for regions in read_plan_for(self.policy).values() for region in regions})
        return {
            "started": self.started,
            "today": self.today.isoformat(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "mode": self.mode,
            "target": target.describe() if target else None,
            "aws": ({"account_id": target.account_id, "regions": regions,
                     "error": target.account_error,
                     "read_errors": [e.to_dict() for e in (self._live.errors if self._live else [])]}
                    if target else {"account_id": None, "note": "static mode: no AWS credentials used"}),
            # each account read, with the policy roles whose evidence came from it
            "accounts": target.accounts() if target and target.reader is not None else [],
            "terraform": ({"root": str(self.terraform_root), "roots": self.roots,
                           "commit": git_commit(str(self.terraform_root)),
                           "parse": {"cache": str(self.parse_cache) if self.parse_cache else None,
                                     **(self._terraform.parse_stats if self._terraform else {})}}
                          if self.terraform_root else {"note": "live mode: Terraform is not read"}),
        }
