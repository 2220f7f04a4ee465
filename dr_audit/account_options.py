"""The ``--dr-accounts`` / ``--dr-organization`` options turned into an :class:`AccountRuns`.

Everything here runs before any row: a bad accounts file, a conflicting option or an organization
that cannot be listed is a usage error naming the file and line, or the service and region.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dr_audit.account_runs import AccountRuns, environ_run_id
from dr_audit.accounts import (Account, list_fingerprint, load_accounts, organization_accounts, parse_shard,
                               select_shard)
from dr_audit.aws.target import TargetError, TargetOptions, read_plan_for
from dr_audit.model import Policy
from dr_audit.partitions import global_region_of, partition_of_region


class AccountOptionError(Exception):
    """The account options cannot be used as given (the message says why)."""


@dataclass
class AccountOptions:
    """The account family of options, as given on the command line."""

    accounts_file: Path | None = None
    organization: bool = False
    organization_role: str | None = None
    organization_ous: list[str] = field(default_factory=list)
    organization_tags: list[str] = field(default_factory=list)
    shard: str | None = None
    run_id: str | None = None

    @property
    def wanted(self) -> bool:
        return self.accounts_file is not None or self.organization


def refuse_conflicts(options: AccountOptions, target: TargetOptions, mode: str, policy: Policy) -> None:
    """Raise AccountOptionError for account options that cannot go together."""
    if options.shard and not options.wanted:
        raise AccountOptionError("--dr-shard splits the accounts of --dr-accounts or --dr-organization; "
                                 "give one of them")
    if not options.wanted:
        return
    if mode == "static":
        raise AccountOptionError("--dr-accounts and --dr-organization audit accounts; --dr-mode static "
                                 "reads no account")
    if target.estate:
        raise AccountOptionError("--dr-estate names the one sandbox account; with --dr-accounts each account "
                                 "names its own estate")
    if target.role_arn:
        raise AccountOptionError("--dr-role-arn names one account; with --dr-accounts or --dr-organization "
                                 "each account's role comes from the account list")
    named = [role.name for role in policy.roles.values() if role.account or role.role_arn]
    if named:
        raise AccountOptionError(f"{policy.path}: the policy names the account of role(s) {', '.join(named)}; "
                                 "a policy audited over many accounts must leave its roles' accounts to the "
                                 "account list")
    if options.organization and not options.organization_role:
        raise AccountOptionError("--dr-organization needs --dr-organization-role NAME: the role assumed in each "
                                 "member account")
    if options.organization and target.target == "sandbox" and not target.endpoint_url \
            and options.accounts_file is None:
        raise AccountOptionError("--dr-organization in the sandbox lists the organization seeded from "
                                 "--dr-accounts FILE: give the file")
    if options.organization_tags and any("=" not in tag for tag in options.organization_tags):
        raise AccountOptionError("--dr-organization-tag takes KEY=VALUE")


def _organization_region(policy: Policy) -> str:
    """Where Organizations is asked: the global region of the policy's AWS partition."""
    regions = sorted(r for regions in read_plan_for(policy).values() for r in regions if partition_of_region(r))
    return global_region_of(partition_of_region(regions[0]) if regions else "aws")


def _listed_organization(options: AccountOptions, target: TargetOptions, policy: Policy,
                         given: list[Account], sandbox: Any) -> tuple[list[Account], list[str]]:
    """The organization's accounts (filtered by OU and tag), each with the estate ``given`` names for it,
    and why each account it lists but does not audit is left out (not ACTIVE)."""
    tags = dict(tag.split("=", 1) for tag in options.organization_tags)
    if sandbox is not None:
        from dr_audit.sandbox.organization import seed_organization
        seed_organization(sandbox.session(), given, endpoint_url=sandbox.url)
        session, endpoint = sandbox.session(), sandbox.url
    else:
        import boto3
        import botocore.exceptions
        try:
            session = boto3.Session(profile_name=target.profile)
        except botocore.exceptions.ProfileNotFound as error:
            raise TargetError(str(error)) from None
        endpoint = target.endpoint_url
    listed = organization_accounts(session, role_name=options.organization_role,
                                   region=_organization_region(policy), endpoint_url=endpoint,
                                   ous=list(options.organization_ous), tags=tags)
    estates = {account.id: account.estate for account in given}
    return [replace(account, estate=estates.get(account.id)) for account in listed], \
        [skipped.reason() for skipped in getattr(listed, "skipped", [])]


def account_runs(options: AccountOptions, target: TargetOptions, policy: Policy,
                 make_context: Any) -> AccountRuns:
    """The run's accounts (listed, filtered and sharded) and how each one's context is made.

    ``make_context(target_options, policy, parse_store) -> AuditContext``. Raises AccountOptionError,
    AccountsError (file and line) or TargetError.
    """
    given = load_accounts(options.accounts_file) if options.accounts_file is not None else []
    sandbox, skipped = None, []
    if options.organization:
        if target.target == "sandbox" and not target.endpoint_url:
            from dr_audit.sandbox.server import SandboxServer
            sandbox = SandboxServer()
            sandbox.start()
        try:
            accounts, skipped = _listed_organization(options, target, policy, given, sandbox)
        except Exception:
            if sandbox is not None:
                sandbox.stop()
            raise
    else:
        accounts = given
    if not accounts:
        raise AccountOptionError("no account to audit: " + (
            "the organization has no ACTIVE account matching the filters" if options.organization
            else f"{options.accounts_file} lists none"))
    listed = list_fingerprint(accounts)  # shards of one run must have split the same list
    if options.shard:
        accounts = select_shard(accounts, options.shard)
    runs = AccountRuns(accounts, policy, make_context, target, environ_run_id(options.run_id),
                       parse_shard(options.shard) if options.shard else None, sandbox)
    runs.skipped, runs.account_list = skipped, listed
    return runs
