"""A multi-account run: one policy audited in each account of a list.

Each account gets its own :class:`~dr_audit.context.AuditContext` (its own credentials, estate and
findings), made on first use, so a process reads only the accounts whose rows it runs (under xdist
``--dist loadgroup`` one worker takes whole accounts). The accounts share the loaded policy, one
parse cache and, in the sandbox, one moto server in which each account is seeded with its own estate.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

from dr_audit.accounts import Account
from dr_audit.aws.target import TargetOptions
from dr_audit.context import AuditContext
from dr_audit.model import Policy
from dr_audit.terraform.parse_cache import ParseCache


def default_run_id(environ: Mapping[str, str]) -> str:
    """The id every shard of one run shares: GitHub Actions' run id and attempt, else a fresh one.

    >>> default_run_id({"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2"})
    '42-2'
    """
    if environ.get("GITHUB_RUN_ID"):
        return f"{environ['GITHUB_RUN_ID']}-{environ.get('GITHUB_RUN_ATTEMPT', '1')}"
    return uuid.uuid4().hex[:12]


@dataclass
class AccountSummary:
    """What is kept of one account once its evidence is released: its report, its closing-summary
    lines and, when a bundle is written, the Terraform lines and AWS excerpts it quotes (as
    ``dr_audit.report.bundle.gather_sources`` gives them; None: no bundle)."""

    document: dict
    lines: list[str]
    sources: dict | None = None


class AccountRuns:
    """The accounts of one run and, for those this process audits, their contexts.

    In: the accounts (already sharded), the policy and the options every account shares, the run id
    and the shard (``(K, N)`` or None). ``context(name)`` makes an account's context on first use;
    ``summaries()`` gives each audited account's report (see ``context``); ``close()`` stops the shared sandbox.
    """

    def __init__(self, accounts: list[Account], policy: Policy, make_context: Callable[..., AuditContext],
                 options: TargetOptions, run_id: str, shard: tuple[int, int] | None = None,
                 sandbox: Any = None):
        self.accounts = {account.name: account for account in accounts}
        self.policy = policy
        self.options = options
        self.run_id = run_id
        self.shard = shard
        self._make_context = make_context
        self._parse_store: ParseCache | None = None
        self._sandbox = sandbox  # a started SandboxServer given by the caller (organization listing)
        self._owns_sandbox = False
        self._contexts: dict[str, AuditContext] = {}
        #: why each account an organization listed is not audited (e.g. SUSPENDED)
        self.skipped: list[str] = []
        #: a digest of every account listed before sharding (``accounts.list_fingerprint``)
        self.account_list: str | None = None
        #: (account, context) -> what is kept of it; set by the caller before any context
        self.summarize: Callable[[Account, AuditContext], AccountSummary] | None = None
        self._summaries: dict[str, AccountSummary] = {}
        self._current: str | None = None

    @property
    def embedded(self) -> bool:
        """True when the accounts are sandbox accounts of a moto server this process starts."""
        return self.options.target == "sandbox" and not self.options.endpoint_url

    def sandbox(self) -> Any:
        """The moto server every sandbox account is seeded in (started on first use)."""
        if self._sandbox is None:
            from dr_audit.sandbox.server import SandboxServer
            self._sandbox = SandboxServer()
            self._sandbox.start()
            self._owns_sandbox = True
        return self._sandbox

    def options_for(self, account: Account) -> TargetOptions:
        """The target options of one account: its role (and external id) and, in the sandbox, its estate."""
        # in the sandbox an account is what its own estate builds: one listed without is not there
        return replace(self.options, role_arn=account.role_arn, external_id=account.external_id,
                       estate=account.estate, one_of_many=True,
                       shared_sandbox=self.sandbox() if self.embedded else None)

    def context(self, name: str) -> AuditContext:
        """The context auditing account ``name`` (made, and its target opened, on first use).

        Moving on to another account summarizes the previous one and releases its evidence, so a
        process holds one account's inventories at a time however many it audits (items come
        account by account: serially in parametrize order, under xdist whole accounts per worker).
        """
        if self._current is not None and self._current != name and self._current in self._contexts:
            self._summarize(self._current)
        self._current = name
        if name not in self._contexts:
            if self._parse_store is None:
                self._parse_store = ParseCache(None)
            context = self._make_context(self.options_for(self.accounts[name]), self.policy, self._parse_store)
            if context.target is not None:
                context.target.open()  # a role that cannot be assumed makes this account's rows ERROR
            self._contexts[name] = context
        return self._contexts[name]

    def _summarize(self, name: str) -> None:
        """Keep account ``name``'s summary (``summarize(account, context)``) and release its context.
        Summarized twice (its items came back after another account's), the later read is kept and
        rows read differently by the two make the account incomplete."""
        context = self._contexts.pop(name)
        summary = self.summarize(self.accounts[name], context)
        document = summary.document
        context.close()
        earlier = self._summaries.get(name)
        if earlier is not None:
            before = {row["id"]: row["status"] for row in earlier.document["rows"]}
            differing = sorted(row["id"] for row in document["rows"] if before.get(row["id"]) != row["status"])
            if differing:
                document["run"]["incomplete"] = document["run"]["incomplete"] + [
                    f"{len(differing)} row(s) read differently when the account was read again: "
                    f"{', '.join(differing[:5])}"]
        self._summaries[name] = summary

    def summaries(self) -> list[AccountSummary]:
        """What is kept of every account this process audited, in account-name order."""
        for name in list(self._contexts):
            self._summarize(name)
        self._current = None
        return [self._summaries[name] for name in sorted(self._summaries)]

    def label(self, account: Account) -> dict[str, str]:
        """The ``run.account`` block of an account's document."""
        return {"id": account.id, "name": account.name}

    def close(self) -> None:
        for context in self._contexts.values():
            context.close()
        if self._owns_sandbox and self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None


def account_test_id(account: Account, item_id: str) -> str:
    """The pytest id of one account's item: ``<account name>-<ROW-ID>``."""
    return f"{account.name}-{item_id}"


def environ_run_id(explicit: str | None) -> str:
    """``--dr-run-id`` when given, else :func:`default_run_id` of this process's environment."""
    return explicit or default_run_id(os.environ)
