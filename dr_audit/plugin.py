"""The pytest plugin: options, one test item per policy row, and the reports.

``conftest.py`` loads this module. Rows become items of
``audits/test_policy_rows.py::test_policy_row[ROW-ID]``; the JSON and HTML
reports are written once per run by the controlling process (so a run with
xdist writes the same document as a serial one).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dr_audit.aws.collect import DEFAULT_CONCURRENCY
from dr_audit.aws.target import TARGETS, TargetError, TargetOptions
from dr_audit.context import MODES, AuditContext
from dr_audit.errors import PolicyError, PolicyErrors, policy_problems_text
from dr_audit.findings import Finding, Status, plain
from dr_audit.kinds import KindError, register_from
from dr_audit.kinds.registry import load_entry_point_kinds
from dr_audit.model import Row
from dr_audit.operators import OPERATORS
from dr_audit.policy import load_policy
from dr_audit.changes import ChangedFilesError, changed_files, mark_changed_rows
from dr_audit.report.atomic import keep_in_history, write_atomically
from dr_audit.report.bundle import gather_for_run, merged_sources
from dr_audit.report.history import previous_run, prune, since_last_run
from dr_audit.report.json_report import build_report, default_history_name, dumps
from dr_audit.report.outputs import OutputPaths, describe_run, write_outputs

if TYPE_CHECKING:  # the account machinery loads only in a multi-account run
    from dr_audit.account_options import AccountOptions
    from dr_audit.account_runs import AccountRuns, AccountSummary

_CONTEXT = pytest.StashKey[AuditContext]()
_AUDITED = pytest.StashKey[bool]()
_DOCUMENT = pytest.StashKey[dict]()
_SUMMARY_LINES = pytest.StashKey[list]()
_WORKER_RESULTS = pytest.StashKey[dict]()
_ACCOUNT_RUNS = pytest.StashKey["AccountRuns"]()
_KINDS_REGISTERED = pytest.StashKey[bool]()

#: the key under which an xdist worker hands its run's report to the controller
WORKER_OUTPUT_KEY = "dr_audit"

#: the directory name of the audit suite; arguments inside it make the policy load eagerly
AUDIT_SUITE = "audits"


#: the exit status of a run that could not read all of its evidence (clear of pytest's own 0-6)
EXIT_INCOMPLETE = 10


class PolicyRowError(Exception):
    """A row's evidence could not be read: reported as a pytest error, not a failure."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from dr_audit import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def register_plugin_kinds(config: pytest.Config) -> list[str]:
    """Register the kinds of installed packages (entry points) and of ``pytest_dr_audit_kinds``
    hooks (each named by the conftest or plugin that returned it); returns their names."""
    if config.stash.get(_KINDS_REGISTERED, False):
        return []
    config.stash[_KINDS_REGISTERED] = True
    names = load_entry_point_kinds()
    for implementation in config.pluginmanager.hook.pytest_dr_audit_kinds.get_hookimpls():
        provided = implementation.function()
        if provided is not None:
            names += [k.name for k in register_from(provided, f"pytest_dr_audit_kinds in {implementation.plugin_name}")]
    return names


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dr-audit", "DR audit (policy x Terraform x account)")
    group.addoption("--dr-policy", default=None,
                    help="policy YAML (default: the dr_policy ini setting)")
    parser.addini("dr_policy", "policy YAML audited when --dr-policy is not given")
    group.addoption("--dr-terraform-root", default=None,
                    help="directory holding the policy roles' Terraform roots (default: the sandbox estate's "
                         "terraform_root in full mode, else the policy's terraform.root; a default that does not "
                         "exist is a usage error)")
    group.addoption("--dr-mode", default="full", choices=MODES,
                    help="full: policy x Terraform x account (default); static: policy x Terraform, "
                         "no AWS credentials (the CI gate); live: policy x account")
    group.addoption("--dr-target", default="sandbox", choices=TARGETS,
                    help="sandbox: an embedded moto server seeded from an estate (default); "
                         "live: the AWS account of the standard credential chain")
    group.addoption("--dr-estate", default=None, help="sandbox estate name (default: the policy's sandbox.estate, else the dr_estate ini setting); "
                         "not with --dr-mode static, which reads no account")
    parser.addini("dr_estate", "sandbox estate audited when --dr-estate is not given")
    parser.addini("dr_estates_dir", "directory holding the sandbox estates", default="fixtures/estates")
    group.addoption("--dr-aws-endpoint-url", default=None,
                    help="send every AWS call to this already running AWS-compatible endpoint")
    group.addoption("--dr-profile", default=None, help="AWS profile for --dr-target live")
    group.addoption("--dr-role-arn", default=None, help="role to assume (cross-account) for --dr-target live")
    group.addoption("--dr-external-id", default=None, help="external id for --dr-role-arn")
    group.addoption("--dr-concurrency", default=DEFAULT_CONCURRENCY, type=int,
                    help=f"AWS reads in flight at once (default {DEFAULT_CONCURRENCY})")
    group.addoption("--dr-retry-mode", default="standard", choices=("standard", "adaptive"),
                    help="botocore retry mode for AWS reads")
    group.addoption("--dr-max-attempts", default=5, type=int,
                    help="attempts per AWS read, the first included, before it is an ERROR (default 5)")
    group.addoption("--dr-read-timeout", default=30.0, type=float,
                    help="seconds to wait for an AWS response before retrying it (default 30)")
    group.addoption("--dr-waivers", default=None,
                    help="waivers YAML (default: the dr_waivers ini setting; absent file: no waivers)")
    parser.addini("dr_waivers", "waivers YAML applied when --dr-waivers is not given")
    group.addoption("--dr-checkov", default=None, choices=("on", "off"),
                    help="also run checkov (isolated, pinned) on the Terraform roots with the policy's exported "
                         "checks (default: the dr_checkov ini setting, else off)")
    parser.addini("dr_checkov", "on: run checkov beside our evaluator", default="off")
    group.addoption("--dr-parse-cache", default=None,
                    help="directory keeping parsed Terraform by content hash across runs, or 'off' "
                         "(default: the dr_parse_cache ini setting; unset: parse everything)")
    parser.addini("dr_parse_cache", "parse cache directory used when --dr-parse-cache is not given")
    group.addoption("--dr-json", default="reports/dr-audit.json", help="JSON report path")
    group.addoption("--dr-html", default="reports/dr-audit.html", help="HTML report path")
    group.addoption("--dr-sarif", default="reports/dr-audit.sarif", help="SARIF 2.1.0 path (code-side findings)")
    group.addoption("--dr-csv", default=None, help="CSV path, one line per row (default: dr-audit.csv beside the HTML)")
    group.addoption("--dr-evidence", default=None,
                    help="directory for the evidence bundle: every report, each row's raw evidence, and a "
                         "manifest of SHA-256 hashes (default: no bundle)")
    group.addoption("--dr-repo-url", default=None,
                    help="repository URL the report links file:line to (default: GitHub Actions' "
                         "GITHUB_SERVER_URL/GITHUB_REPOSITORY), at GITHUB_SHA or the Terraform root's commit")
    group.addoption("--dr-history", default="reports/history",
                    help="directory keeping every run's JSON (never overwritten)")
    group.addoption("--dr-history-keep", default=None, type=int,
                    help="prune the history to the N newest runs (default: keep every run)")
    group.addoption("--dr-accounts", default=None,
                    help="accounts YAML (id, name, role_arn, external_id, sandbox estate per account): the policy "
                         "is audited in each; items become test_policy_row[<account>-<ROW-ID>]")
    group.addoption("--dr-organization", action="store_true", default=False,
                    help="audit the ACTIVE accounts of the AWS Organization the credentials manage (listed "
                         "read-only); in the sandbox, the organization is seeded from --dr-accounts")
    group.addoption("--dr-organization-role", default=None,
                    help="with --dr-organization: the role name assumed in each member account")
    group.addoption("--dr-organization-ou", action="append", default=[],
                    help="with --dr-organization: only accounts under this OU id (repeatable)")
    group.addoption("--dr-organization-tag", action="append", default=[],
                    help="with --dr-organization: only accounts tagged KEY=VALUE (repeatable)")
    group.addoption("--dr-shard", default=None,
                    help="K/N: audit only the K-th of N deterministic shares of the accounts "
                         "(merge the shards' JSON with python -m dr_audit.report merge)")
    group.addoption("--dr-run-id", default=None,
                    help="the id every shard of one run shares (default: GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT "
                         "in GitHub Actions, else a fresh id)")
    group.addoption("--dr-changed-files", default=None,
                    help="paths changed by the pull request (comma-separated, @FILE, or git:BASE-REF): "
                         "rows with evidence in them are listed first")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_AUDITED] = False
    config.stash[_WORKER_RESULTS] = {}
    keep = config.getoption("--dr-history-keep", None)
    if keep is not None and keep < 1:
        raise pytest.UsageError(f"--dr-history-keep must be at least 1 (got {keep}): "
                                "it would delete every kept run")


def _path(config: pytest.Config, option: str) -> Path | None:
    value = config.getoption(option)
    if value is None and option == "--dr-policy":
        value = config.getini("dr_policy") or None
        if value is None:
            raise pytest.UsageError("no policy: give --dr-policy PATH or set dr_policy in the pytest configuration")
        path = Path(value)
        return path if path.is_absolute() else config.rootpath / path
    if value is None:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(config.invocation_params.dir) / path


def _checkov_wanted(config: pytest.Config) -> bool:
    return (config.getoption("--dr-checkov") or config.getini("dr_checkov")) == "on"


def _parse_cache(config: pytest.Config) -> Path | None:
    value = config.getoption("--dr-parse-cache")
    if value == "off":
        return None
    if value:
        return _path(config, "--dr-parse-cache")
    value = config.getini("dr_parse_cache")
    return (config.rootpath / value) if value else None


def _waivers_path(config: pytest.Config) -> Path | None:
    if config.getoption("--dr-waivers"):
        return _path(config, "--dr-waivers")
    value = config.getini("dr_waivers")
    return (config.rootpath / value) if value else None


def _target_options(config: pytest.Config) -> TargetOptions:
    estates = Path(config.getini("dr_estates_dir"))
    return TargetOptions(
        target=config.getoption("--dr-target"),
        estate=config.getoption("--dr-estate") or None, default_estate=config.getini("dr_estate") or None,
        estates_dir=estates if estates.is_absolute() else config.rootpath / estates,
        endpoint_url=config.getoption("--dr-aws-endpoint-url"), profile=config.getoption("--dr-profile"),
        role_arn=config.getoption("--dr-role-arn"), external_id=config.getoption("--dr-external-id"),
        concurrency=config.getoption("--dr-concurrency"), retry_mode=config.getoption("--dr-retry-mode"),
        max_attempts=config.getoption("--dr-max-attempts"), read_timeout=config.getoption("--dr-read-timeout"))


def audit_context(config: pytest.Config) -> AuditContext:
    """The run's context, created on first use; bad input becomes a usage error."""
    if _CONTEXT not in config.stash:
        if config.getoption("--dr-estate") and config.getoption("--dr-mode") == "static":
            # static mode loads no estate, so its terraform_root would be ignored too
            raise pytest.UsageError("--dr-estate does not go with --dr-mode static: the estate seeds the sandbox "
                                    "account; static mode reads no account (name the Terraform with "
                                    "--dr-terraform-root or the policy's terraform.root)")
        try:
            register_plugin_kinds(config)
        except KindError as error:
            raise pytest.UsageError(f"a plugin kind cannot be registered: {error}") from None
        try:
            context = AuditContext(_path(config, "--dr-policy"), _path(config, "--dr-terraform-root"),
                                   config.getoption("--dr-mode"), _target_options(config), _waivers_path(config),
                                   _checkov_wanted(config), _parse_cache(config))
            if context.target is not None:
                context.target.open()  # credentials and the sandbox fail here, before any row runs
            config.stash[_CONTEXT] = context
        except (PolicyErrors, PolicyError) as error:
            raise pytest.UsageError(policy_problems_text(error)) from None
        except (TargetError, ValueError) as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[_CONTEXT]


def _account_options(config: pytest.Config) -> AccountOptions:
    from dr_audit.account_options import AccountOptions

    return AccountOptions(
        accounts_file=_path(config, "--dr-accounts"), organization=config.getoption("--dr-organization"),
        organization_role=config.getoption("--dr-organization-role"),
        organization_ous=list(config.getoption("--dr-organization-ou")),
        organization_tags=list(config.getoption("--dr-organization-tag")),
        shard=config.getoption("--dr-shard"), run_id=config.getoption("--dr-run-id"))


def run_accounts(config: pytest.Config) -> AccountRuns | None:
    """The accounts of a multi-account run (``--dr-accounts``/``--dr-organization``), made on first
    use; None for a run of one account. Bad input becomes a usage error."""
    if not any(config.getoption(name) for name in ("--dr-accounts", "--dr-organization", "--dr-shard")):
        return None
    options = _account_options(config)
    if _ACCOUNT_RUNS not in config.stash:
        # imported here: a run of one account never loads the account machinery
        from dr_audit.account_options import AccountOptionError, account_runs, refuse_conflicts
        from dr_audit.accounts import AccountsError

        try:
            register_plugin_kinds(config)
        except KindError as error:
            raise pytest.UsageError(f"a plugin kind cannot be registered: {error}") from None
        policy_path, root, mode = _path(config, "--dr-policy"), _path(config, "--dr-terraform-root"), \
            config.getoption("--dr-mode")
        try:
            policy = load_policy(policy_path)
            target = _target_options(config)
            refuse_conflicts(options, target, mode, policy)

            def make_context(target_options: TargetOptions, loaded, parse_store) -> AuditContext:
                return AuditContext(policy_path, root, mode, target_options, _waivers_path(config),
                                    _checkov_wanted(config), _parse_cache(config), policy=loaded,
                                    parse_store=parse_store)

            runs = account_runs(options, target, policy, make_context)
            quote = bool(config.getoption("--dr-evidence"))
            runs.summarize = lambda account, context: account_summary(runs, account, context, quote)
            config.stash[_ACCOUNT_RUNS] = runs
        except (PolicyErrors, PolicyError) as error:
            raise pytest.UsageError(policy_problems_text(error)) from None
        except (AccountOptionError, AccountsError, TargetError, ValueError) as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[_ACCOUNT_RUNS]


def pytest_collection(session: pytest.Session) -> None:
    """Load the policy before collecting the audit suite, so a bad policy is a
    usage error that names file, line and row, not a collection traceback."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    args = [Path(str(a).split("::")[0]) for a in config.args]
    if any(AUDIT_SUITE in (config.invocation_params.dir / a).resolve().parts for a in args):
        if run_accounts(config) is None:
            audit_context(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wanted = {"dr_row", "dr_terraform_root"} & set(metafunc.fixturenames)
    if not wanted:
        return
    try:
        runs = run_accounts(metafunc.config)
        policy = runs.policy if runs is not None else audit_context(metafunc.config).policy
    except pytest.UsageError as error:
        pytest.fail(str(error), pytrace=False)
    roots = sorted({r.name for r in policy.roles.values() if r.terraform_root})
    per_account = runs is not None
    for name, values in (("dr_row", [(row.id, row) for row in policy.rows]),
                         ("dr_terraform_root", [(root, root) for root in roots])):
        if name not in wanted:
            continue
        if not per_account:
            metafunc.parametrize(name, [value for _, value in values], ids=[item for item, _ in values])
            continue
        # one item per account and row; xdist --dist loadgroup gives a worker whole accounts
        from dr_audit.account_runs import account_test_id
        metafunc.parametrize(("dr_account", name), [
            pytest.param(account, value, id=account_test_id(account, item), marks=pytest.mark.xdist_group(account.name))
            for account in runs.accounts.values() for item, value in values])
        per_account = False  # a test taking both is split by account once


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    runs = config.stash.get(_ACCOUNT_RUNS, None)
    if runs is not None:  # one account's items together: its evidence is read once, then released
        order = {name: position for position, name in enumerate(runs.accounts)}
        items.sort(key=lambda item: _account_position(item, order))
    for item in items:
        if "dr_row" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.dr_row)
            config.stash[_AUDITED] = True


def _account_position(item: pytest.Item, order: dict[str, int]) -> int:
    """Where ``item``'s account stands in the account list (-1: an item of no account)."""
    callspec = getattr(item, "callspec", None)
    account = callspec.params.get("dr_account") if callspec is not None else None
    return order.get(account.name, -1) if account is not None else -1


@pytest.fixture
def dr_account():
    """The account an item audits in a multi-account run (parametrized); None for a run of one account."""
    return None


@pytest.fixture
def dr_context(request: pytest.FixtureRequest, dr_account) -> AuditContext:
    if dr_account is not None:
        return run_accounts(request.config).context(dr_account.name)
    return audit_context(request.config)


@pytest.fixture
def dr_finding(dr_context: AuditContext, dr_row: Row) -> Finding:
    """The row's finding; unreadable evidence raises, so pytest reports an error."""
    finding = dr_context.finding(dr_row.id)
    if finding.status is Status.ERROR:
        raise PolicyRowError(f"{dr_row.id}: {finding.message}")
    return finding


def explain(row: Row, finding: Finding) -> str:
    """The terminal message: what the policy expects, what each source holds, where."""
    if row.comparator:
        expected = f"{row.comparator} {plain(row.args)}"
    elif row.op == "exists":
        expected = f"a {row.kind} with {row.resource_label()} exists"
    elif row.measure is not None:
        measure = row.measure
        expected = (f"{measure.metric} {measure.statistic} over {measure.window} {OPERATORS[row.op].symbol} "
                    f"{plain(row.value)}" + (f" ({row.value_fact})" if row.value_fact else ""))
    else:
        subject = f"count of {row.kind}" if row.aggregate == "count" else (
            f"distinct {row.attribute}" if row.aggregate == "distinct" else row.attribute)
        expected = (f"{subject} {OPERATORS[row.op].symbol} {plain(row.value)}"
                    + (f" ({row.value_fact})" if row.value_fact else ""))
    code = finding.terraform
    scope = f"{row.kind} {row.resource_label()}" if row.select else row.resource_label()
    lines = [f"{row.id} (clause {row.clause}, {row.severity}): {row.title}",
             f"  expected : {expected}" + (f"  [{scope}]" if not row.comparator else ""),
             f"  terraform: {code.state.value}: {code.detail}"]
    if code.location():
        lines.append(f"  at       : {code.location()}" + (f"  ({code.address})" if code.address else ""))
    live = finding.live
    if live.state.value != "not_consulted":
        lines.append(f"  account  : {live.state.value}: {live.detail}")
        if live.id or live.region:
            lines.append(f"  id       : {live.id or ''}" + (f"  ({live.region})" if live.region else ""))
    lines.append(f"  status   : {finding.status.value}: {finding.message}")
    lines += _resource_lines(finding)
    if row.problem:
        lines.append(f"  problem  : item {row.problem} of the policy")
    return "\n".join(lines)


def _resource_lines(finding: Finding, limit: int = 10) -> list[str]:
    """The terminal's list of matched resources when a row matched several: each with its verdict."""
    checks = finding.terraform.resources + finding.live.resources
    if len(checks) < 2:
        return []
    lines = [f"  resources: {len(checks)} matched"]
    for check in checks[:limit]:
        where = f"{check.file}:{check.line}" if check.file else (check.region or "")
        lines.append(f"    {check.verdict:<10} {check.source:<9} {check.address}" + (f"  ({where})" if where else "")
                     + (f": {check.reason}" if check.reason else ""))
    if len(checks) > limit:
        lines.append(f"    ... and {len(checks) - limit} more (see the JSON and HTML reports)")
    return lines


def check_finding(row: Row, finding: Finding) -> None:
    """Turn a finding into the pytest outcome DESIGN.md's status table gives."""
    if finding.skip_reason:
        pytest.skip(f"{finding.status.value}: {finding.skip_reason}")
    if finding.status is Status.PASS:
        return
    if finding.status is Status.WAIVED:
        pytest.xfail(finding.message)
    pytest.fail(explain(row, finding), pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports once per run: serially from this process's findings; under
    xdist the controller writes what a worker computed (each worker read the evidence
    itself), so ``-n`` writes the same reports and exit status as a serial run."""
    config = session.config
    if hasattr(config, "workerinput"):
        _hand_to_controller(config)
        return
    # the xdist controller collects nothing, so it learns the accounts (run id, shard) only here
    runs = run_accounts(config)
    received = _worker_result(config) if runs is None else None
    if runs is not None:
        merged = _accounts_result(config, runs)
        if merged is None:
            return
        document, summary_lines, evidence_sources = merged
    elif received is not None:
        document, summary_lines = received
        evidence_sources = _worker_evidence_sources(config)
    else:
        context = _context_if_audited(config)
        if context is None:
            return
        document, summary_lines = run_document(context), context_summary_lines(context)
        evidence_sources = gather_for_run(context, document) if config.getoption("--dr-evidence") else None
        config.stash[_CONTEXT] = context
    history = _path(config, "--dr-history")
    document["since_last_run"] = since_last_run(previous_run(history, document["run"]), document)
    spec = config.getoption("--dr-changed-files")
    document["changed_rows"] = []
    if spec:
        try:
            document["changed_rows"] = mark_changed_rows(document, changed_files(spec, config.rootpath),
                                                         config.rootpath)
        except ChangedFilesError as error:
            document["changed_files_error"] = str(error)
    final_status = (EXIT_INCOMPLETE if document["run"]["incomplete"] and session.exitstatus in (
        pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) else session.exitstatus)
    describe_run(document, final_status, os.environ, config.getoption("--dr-repo-url"), config.rootpath)
    text = dumps(document)
    write_atomically(_path(config, "--dr-json"), text)
    write_outputs(_output_paths(config, history), document, text, config.rootpath, evidence_sources)
    keep_in_history(history, default_history_name(document), text)
    if config.getoption("--dr-history-keep") is not None:
        prune(history, config.getoption("--dr-history-keep"))
    config.stash[_DOCUMENT] = document
    config.stash[_SUMMARY_LINES] = summary_lines
    if document["run"]["incomplete"] and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        session.exitstatus = EXIT_INCOMPLETE


def _output_paths(config: pytest.Config, history: Path) -> OutputPaths:
    html = _path(config, "--dr-html")
    return OutputPaths(json=_path(config, "--dr-json"), html=html, sarif=_path(config, "--dr-sarif"),
                       csv=_path(config, "--dr-csv") or html.with_suffix(".csv"), history=history,
                       evidence=_path(config, "--dr-evidence"))


def _context_if_audited(config: pytest.Config) -> AuditContext | None:
    """The run's context when this process ran audit rows and the context loads; else None
    (a usage error was already reported when the suite was collected)."""
    if not _audit_ran(config):
        return None
    try:
        return audit_context(config)
    except pytest.UsageError:
        return None


def run_document(context: AuditContext) -> dict:
    """The run's report before the history and changed-files views: built from the
    context's findings and inventories, with every secret masked; plain JSON data."""
    document = build_report(context.policy, context.all_findings(), context.terraform, context.run_info(),
                            context.live, list(context.waivers.values()), context.today, context.checkov)
    document["run"]["incomplete"] = incomplete(context)
    # findings are masked already; this also covers error messages that quote an input
    return json.loads(dumps(context.redactor.data(document)))


def account_document(runs: AccountRuns, account, context: AuditContext) -> dict:
    """One account's report, labelled with the account, the run id and the shard."""
    document = run_document(context)
    document["run"]["account"] = runs.label(account)
    _label_run(document, runs)
    return document


def _label_run(document: dict, runs: AccountRuns) -> None:
    document["run"]["run_id"] = runs.run_id
    document["run"]["shard"] = {"index": runs.shard[0], "count": runs.shard[1]} if runs.shard else None
    document["run"]["account_list"] = runs.account_list


def account_summary(runs: AccountRuns, account, context: AuditContext, quote: bool) -> AccountSummary:
    """What is kept of one account once its evidence is released: its report, its closing-summary
    lines and, when ``quote`` (a bundle is written), the lines and excerpts the bundle quotes, gathered
    now while its readers still hold the responses."""
    from dr_audit.account_runs import AccountSummary

    document = account_document(runs, account, context)
    return AccountSummary(document, [f"[{account.name}] {line}" for line in _account_evidence_lines(context)],
                          gather_for_run(context, document) if quote else None)


def _account_results_here(runs: AccountRuns) -> tuple[list[dict], dict[str, list[str]], dict[str, dict]]:
    """The reports, summary lines and bundle quotes (by account name) of the accounts this process audited."""
    summaries = runs.summaries()
    named = [(summary.document["run"]["account"]["name"], summary) for summary in summaries]
    return ([summary.document for summary in summaries], {name: summary.lines for name, summary in named},
            {name: summary.sources for name, summary in named if summary.sources is not None})


def _account_evidence_lines(context: AuditContext) -> list[str]:
    """An account's summary lines: one when its role could not be assumed (every read failed alike)."""
    failure = context.target.role_failure if context.target is not None else None
    if failure is not None:
        return [context.redactor.text(f"NOT READ: {failure}")]
    return context_summary_lines(context)


def _accounts_result(config: pytest.Config, runs: AccountRuns) -> tuple[dict, list[str], dict | None] | None:
    """The merged report of every account audited (by the workers, or by this process), the
    summary lines and the bundle's quotes (None: no bundle), each account's report carrying this
    run's id; None when no row ran."""
    results = config.stash.get(_WORKER_RESULTS, {})
    if results:
        documents, lines, sources = chosen_account_documents(results)
    elif _audit_ran(config):
        documents, lines, sources = _account_results_here(runs)
    else:
        return None
    if not documents:
        return None
    from dr_audit.report.merge import merge_documents
    for document in documents:  # workers made their own ids: the run's is the controller's
        _label_run(document, runs)
    merged = merge_documents(documents)
    merged["run"]["accounts_skipped"] = list(runs.skipped)
    quotes = merged_sources([sources[name] for name in sorted(sources)]) if config.getoption("--dr-evidence") else None
    return merged, [line for name in sorted(lines) for line in lines[name]] + [
        f"not audited: {reason}" for reason in runs.skipped], quotes


def chosen_account_documents(results: dict[str, dict]) -> tuple[list[dict], dict[str, list[str]], dict[str, dict]]:
    """Each account's report, summary lines and bundle quotes from what the workers sent, the first
    worker's by id when several audited one account (``--dist load`` splits an account's rows); rows
    they read differently make that account incomplete."""
    chosen: dict[str, dict] = {}
    lines: dict[str, list[str]] = {}
    sources: dict[str, dict] = {}
    for gateway in sorted(results, key=lambda g: (len(g), g)):
        sent = results[gateway]
        for document in sent.get("account_documents", []):
            name = document["run"]["account"]["name"]
            if name not in chosen:
                chosen[name] = document
                lines[name] = sent.get("account_lines", {}).get(name, [])
                if name in sent.get("account_sources", {}):
                    sources[name] = sent["account_sources"][name]
                continue
            first = {row["id"]: row["status"] for row in chosen[name]["rows"]}
            differing = sorted(row["id"] for row in document["rows"] if first.get(row["id"]) != row["status"])
            if differing:
                chosen[name]["run"]["incomplete"] = chosen[name]["run"]["incomplete"] + [
                    f"{len(differing)} row(s) read differently by the xdist workers: {', '.join(differing[:5])}"]
    return [chosen[name] for name in sorted(chosen)], lines, sources


def _hand_to_controller(config: pytest.Config) -> None:
    """On an xdist worker that ran audit rows: send the report and the terminal lines
    to the controller (through ``workeroutput``, which carries plain data only)."""
    runs = config.stash.get(_ACCOUNT_RUNS, None)
    if runs is not None:
        if _audit_ran(config):
            documents, lines, sources = _account_results_here(runs)
            config.workeroutput[WORKER_OUTPUT_KEY] = {"account_documents": documents, "account_lines": lines,
                                                      "account_sources": sources}
        return
    context = _context_if_audited(config)
    if context is None:
        return
    document = run_document(context)
    sent = {"document": document, "summary_lines": context_summary_lines(context)}
    if config.getoption("--dr-evidence"):  # the bundle's quotes: only this worker read the evidence
        sent["evidence_sources"] = gather_for_run(context, document)
    config.workeroutput[WORKER_OUTPUT_KEY] = sent


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``--dist loadgroup`` in a multi-account run: each worker takes whole accounts (see
    ``dr_audit.account_scheduling``); else None, and xdist schedules as usual."""
    if config.getoption("dist", None) != "loadgroup":
        return None
    runs = run_accounts(config)
    if runs is None:
        return None
    from dr_audit.account_scheduling import account_scheduler
    return account_scheduler(config, log, list(runs.accounts))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """On the xdist controller: keep what each worker sent, by worker id."""
    sent = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if sent is not None:
        node.config.stash[_WORKER_RESULTS][node.gateway.id] = sent


def _worker_result(config: pytest.Config) -> tuple[dict, list[str]] | None:
    """The report the workers sent (see ``merge_worker_reports``), or None when no worker
    sent one (a serial run)."""
    results = config.stash.get(_WORKER_RESULTS, {})
    return merge_worker_reports(results) if results else None


def first_worker(results: dict[str, dict]) -> str:
    """The id of the worker whose report is written: the first by id (gw2 before gw10)."""
    return min(results, key=lambda gateway: (len(gateway), gateway))


def _worker_evidence_sources(config: pytest.Config) -> dict | None:
    """The bundle's quotes the written report's worker sent (None when it sent none)."""
    results = config.stash.get(_WORKER_RESULTS, {})
    return results[first_worker(results)].get("evidence_sources") if results else None


def merge_worker_reports(results: dict[str, dict]) -> tuple[dict, list[str]]:
    """One report from what each xdist worker sent (worker id -> {document, summary_lines}).

    The first worker's by id is taken, so the choice does not depend on which finished
    first. Each worker read the account itself: rows whose status differs between
    workers make the run incomplete, since some pytest outcomes then disagree with the
    report.
    """
    chosen = results[first_worker(results)]
    document = chosen["document"]
    statuses = [{row["id"]: row["status"] for row in sent["document"]["rows"]} for sent in results.values()]
    differing = sorted({row for row, status in statuses[0].items() if any(s.get(row) != status for s in statuses)})
    if differing:
        document["run"]["incomplete"] = document["run"]["incomplete"] + [
            f"{len(differing)} row(s) read differently by the xdist workers: {', '.join(differing[:5])}"]
    return document, chosen["summary_lines"]


def incomplete(context: AuditContext) -> list[str]:
    """Why the run's evidence is incomplete (rows ERROR, unreadable files or reads); empty when complete."""
    reasons = []
    errors = [f for f in context.all_findings().values() if f.status is Status.ERROR]
    if errors:
        reasons.append(f"{len(errors)} row(s) ERROR")
    if context.terraform is not None and context.terraform.errors:
        reasons.append(f"{len(context.terraform.errors)} unreadable Terraform input(s)")
    if context.live is not None and context.live.errors:
        reasons.append(f"{len(context.live.errors)} unreadable account read(s)")
    return reasons


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Attach each row's evidence to pytest-html's report (``--html``) as an extra."""
    outcome = yield
    report = outcome.get_result()
    row = getattr(item, "callspec", None) and item.callspec.params.get("dr_row")
    if row is None or report.when != "call" or not item.config.pluginmanager.hasplugin("html"):
        return
    account = item.callspec.params.get("dr_account")
    # a multi-account item's own account (the one just read: asking for it releases nothing)
    context = (run_accounts(item.config).context(account.name) if account is not None
               else item.config.stash.get(_CONTEXT, None))
    if context is None:
        return
    from pytest_html import extras
    report.extras = getattr(report, "extras", []) + [extras.html(evidence_html(row, context.finding(row.id)))]


def evidence_html(row: Row, finding: Finding) -> str:
    """A small escaped table of a row's verdict and both sources' evidence."""
    from markupsafe import escape

    def side(name: str, evidence) -> str:
        where = evidence.location() + (f" ({evidence.region})" if evidence.region else "")
        return (f"<tr><th>{escape(name)}</th><td>{escape(evidence.state.value)}</td>"
                f"<td>{escape(evidence.detail)}</td><td><code>{escape(where)}</code></td></tr>")

    return (f"<table class='dr-evidence'><tr><th>{escape(row.id)}</th><td colspan='3'>"
            f"<b>{escape(finding.status.value)}</b>: {escape(finding.message)}</td></tr>"
            f"{side('terraform', finding.terraform)}{side('account', finding.live)}</table>")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the sandbox this process started, if any."""
    context = config.stash.get(_CONTEXT, None)
    if context is not None:
        context.close()
    runs = config.stash.get(_ACCOUNT_RUNS, None)
    if runs is not None:
        runs.close()


def _audit_ran(config: pytest.Config) -> bool:
    # --collect-only lists the rows: it evaluates none, runs no checkov and writes no report or history
    if config.getoption("collectonly", False):
        return False
    return bool(config.stash.get(_AUDITED, False)) or _CONTEXT in config.stash




def context_summary_lines(context: AuditContext) -> list[str]:
    """The closing summary's lines that only the evidence can give (unreadable inputs
    and reads, Terraform gaps, the accounts read), secrets masked; plain strings, so an
    xdist worker can send them to the controller."""
    redact = context.redactor
    code_errors = context.terraform.errors if context.terraform else []
    live_errors = context.live.errors if context.live else []
    lines = [redact.text(f"unreadable input: {error}") for error in code_errors]
    lines += [redact.text(f"unreadable in the account: {error}") for error in live_errors]
    # not an error: the rows a gap could hide are UNKNOWN, and the run is complete without it
    lines += [redact.text(f"not seen in Terraform: {gap}")
              for gap in ((getattr(context.terraform, "gaps", None) or []) if context.terraform else [])]
    if context.target is not None:
        info = context.target.describe()
        lines.append(f"account {context.target.account_id or 'unknown'} via {info['endpoint']}"
                     + (f" (estate {info['estate']})" if info["estate"] else "")
                     + f": {info['api_calls']} API calls, {info['failed_calls']} failed")
        accounts = context.target.accounts()
        if len(accounts) > 1:  # one line per account the roles read, with why it could not be read
            for entry in accounts:
                roles = ", ".join(entry["roles"]) or "(the run's own credentials)"
                failure = f": NOT READ: {entry['error']}" if entry["error"] else ""
                lines.append(redact.text(f"  account {entry['id'] or 'unknown'} for {roles}{failure}"))
    return lines


def account_status_lines(document: dict) -> list[str]:
    """One line per account of a multi-account report: its counts by status and its open problems."""
    lines = []
    for account in document.get("accounts") or []:
        counts = ", ".join(f"{status} {n}" for status, n in sorted(account["by_status"].items()) if n)
        problems = ", ".join(f"{status} {n}" for status, n in sorted(account["problems"].items()) if n)
        lines.append(f"account {account['name']} ({account['id']}): {counts or 'no rows'}"
                     + (f"; problems {problems}" if problems else "")
                     + (f"; NOT READ: {account['error']}" if account.get("error") else ""))
    return lines


def problem_lines(document: dict, limit: int = 3) -> list[str]:
    """One line per problem item: its status and the rows that decide it (those not
    passing, else every linked row), at most ``limit`` ids."""
    lines = []
    for problem in document["problems"]:
        linked = problem["evidence"]["rows"]
        deciding = [f"{row} {status}" for row, status in linked.items() if status not in ("PASS", "NOT_APPLICABLE")]
        if not deciding:
            deciding = [f"{row} {status}" for row, status in linked.items()]
        shown = ", ".join(deciding[:limit]) + (f", +{len(deciding) - limit} more" if len(deciding) > limit else "")
        lines.append(f"problem {problem['id']} {problem['status']}: {problem['title']} ({shown or 'no linked row'})")
    return lines


def since_line(since: dict) -> str | None:
    """The terminal's "since the last run" line, naming the run it compares with."""
    previous = since["previous"]
    if not previous:
        return None
    against = ", ".join(part for part in (previous["file"], previous.get("estate") and f"estate {previous['estate']}",
                                          previous.get("terraform_root") and f"root {previous['terraform_root']}")
                        if part)
    return (f"since the run of {previous['started']} ({against}): {len(since['new'])} new, "
            f"{len(since['resolved'])} resolved, {len(since['still_open'])} still open")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    document = config.stash.get(_DOCUMENT, None)
    if hasattr(config, "workerinput") or document is None:
        return
    counts = {status: n for status, n in document["summary"]["by_status"].items() if n}
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    terminalreporter.write_sep("=", "DR audit")
    policy = document["run"]["policy"]
    version = f" version {policy['version']}" if policy.get("version") else ""
    terminalreporter.write_line(f"policy {policy['name']}{version}: {document['summary']['rows']} rows ({shown})")
    # a multi-account run's problems are counted on its account lines (the report lists each)
    per_problem = problem_lines(document) if not document.get("accounts") else []
    for line in config.stash.get(_SUMMARY_LINES, []) + account_status_lines(document) + per_problem:
        terminalreporter.write_line(line)
    since = since_line(document["since_last_run"])
    if since:
        terminalreporter.write_line(since)
    if document.get("changed_files_error"):
        terminalreporter.write_line(f"changed files not read: {document['changed_files_error']}")
    changed = [r for r in document["rows"] if r.get("changed")]
    if config.getoption("--dr-changed-files") and not document.get("changed_files_error"):
        terminalreporter.write_line(f"this change touches the evidence of {len(changed)} row(s):")
        for row in sorted(changed, key=lambda r: r["status"] == "PASS"):
            where = f"{row['terraform']['file']}:{row['terraform']['line']}"
            terminalreporter.write_line(f"  {row['status']:<10} {row['id']} ({where})")
    terminalreporter.write_line(f"report: {_path(config, '--dr-json')} and {_path(config, '--dr-html')}"
                                f" (SARIF: {_path(config, '--dr-sarif')})")
    reasons = document["run"]["incomplete"]
    if reasons:
        terminalreporter.write_line(f"AUDIT INCOMPLETE: {', '.join(reasons)}; no verdict on those rows "
                                    f"(exit status {EXIT_INCOMPLETE})", red=True, bold=True)
