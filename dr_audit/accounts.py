"""The accounts one run audits: from a YAML list, or from an AWS Organization; and one shard of them.

:func:`load_accounts` reads ``--dr-accounts FILE``::

    accounts:
      - {id: "111122223333", name: payments-prod, role_arn: "arn:aws:iam::111122223333:role/dr-audit",
         external_id: audit-0001, estate: some-estate}

and reports every problem at once, each as ``FILE:LINE: message``.
:func:`organization_accounts` lists the ACTIVE accounts of an organization (read-only, every page),
filtered by OU (children included) and by tags. :func:`select_shard` picks the accounts of shard
``K/N`` (``--dr-shard``): every account lands in exactly one shard of a given list.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import botocore.exceptions
import yaml
from botocore.config import Config

from dr_audit.aws.readonly import ORGANIZATION_READS, guard
from dr_audit.errors import PolicyError
from dr_audit.partitions import partition_of_arn, partition_of_region
from dr_audit.yaml_lines import LineDict, LineList, load_yaml_with_lines

#: an AWS account id: twelve digits, kept as a string (leading zeros matter)
ACCOUNT_ID = re.compile(r"^\d{12}$")
#: an account's name in the audit: the prefix of its test ids (``test_policy_row[<name>-<ROW-ID>]``)
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: an IAM role ARN in any partition: arn:aws:iam::123456789012:role/path/name
ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}$")
#: a role name, with an optional path (``audit/dr-audit``), as IAM allows in a role ARN
ROLE_NAME = re.compile(r"^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
#: STS's ExternalId: 2 to 1224 characters of this set (botocore's sts model, externalIdType)
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
#: an organization root (r-...) or organizational unit (ou-...) id (Organizations' ParentId pattern)
PARENT_ID = re.compile(r"^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")
SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
ACCOUNT_KEYS = ("id", "name", "role_arn", "external_id", "estate")
#: the only account state in which an account is audited (Organizations' AccountState)
ACTIVE = "ACTIVE"
#: Organizations' MaxResults for its listings (botocore's organizations model: 1 to 20)
MAX_PAGE_SIZE = 20
#: Organizations answers from its partition's global region; botocore's standard retries
#: include its TooManyRequestsException
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30,
                 user_agent_extra="dr-audit")


@dataclass(frozen=True)
class Account:
    """One AWS account to audit."""

    id: str                   # 12 digits, a quoted string in YAML
    name: str                 # unique, ACCOUNT_NAME; the test id prefix
    role_arn: str | None      # role to assume in that account (in account ``id``); None: the run's own credentials
    external_id: str | None
    estate: str | None        # sandbox only: the estate seeded into this account
    source: str | None = None  # "FILE:LINE" or "organization"; for messages
    tags: tuple[tuple[str, str], ...] = ()
    parent: str | None = None  # OU (or root) id when listed from an organization


@dataclass(frozen=True)
class SkippedAccount:
    """An account an organization lists that is not audited, and why (its state)."""

    id: str
    name: str
    state: str

    def reason(self) -> str:
        return f"account {self.id} ({self.name}) is {self.state}, not ACTIVE: not audited"


class AccountList(list):
    """A list of :class:`Account` plus ``skipped``: the organization's accounts left out for their state."""

    skipped: list[SkippedAccount]

    def __init__(self, accounts: Iterable[Account] = (), skipped: Iterable[SkippedAccount] = ()):
        super().__init__(accounts)
        self.skipped = list(skipped)


class AccountsError(Exception):
    """The account list cannot be used. ``problems`` holds each problem as one line
    (``FILE:LINE: message``, or the service, operation and region that failed)."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# ----- the accounts file ------------------------------------------------------------------

def load_accounts(path: Path) -> list[Account]:
    """Read and validate the accounts file at ``path``; returns its accounts in file order.

    Raises :class:`AccountsError` listing every problem, each ``FILE:LINE: message``: YAML
    syntax, unknown keys, an id that is not a quoted 12-digit string, a name that is not
    ``[A-Za-z0-9][A-Za-z0-9_.-]*``, duplicate ids or names, a role ARN in another account, an
    external id without a role, an empty list.
    """
    path = Path(path)
    shown = str(path)
    try:
        document = load_yaml_with_lines(path)
    except PolicyError as error:
        raise AccountsError(str(error)) from None
    problems: list[str] = []
    if not isinstance(document, LineDict) or not isinstance(document.get("accounts"), LineList):
        raise AccountsError(f"{shown}:1: an accounts file is a mapping with an 'accounts' list")
    for key in document:
        if key != "accounts":
            problems.append(f"{shown}:{document.line_of(key)}: unknown top-level key {key!r} (expected 'accounts')")
    items = document["accounts"]
    if not items:
        problems.append(f"{shown}:{items.line}: 'accounts' lists no account")
    plain_ids = _unquoted_id_lines(path)
    accounts = []
    for item, line in zip(items, items.item_lines):
        account = _account(item, line, shown, plain_ids, problems)
        if account is not None:
            accounts.append(account)
    problems += _duplicates(accounts, "id") + _duplicates(accounts, "name")
    if problems:
        raise AccountsError(problems)
    return accounts


def _account(item: Any, line: int, shown: str, plain_ids: set[int], problems: list[str]) -> Account | None:
    """One list item as an Account, or None (its problems appended) when it is not valid."""
    if not isinstance(item, LineDict):
        problems.append(f"{shown}:{line}: an account must be a mapping {{id, name, role_arn, external_id, estate}}")
        return None
    count = len(problems)

    def add(key: str, message: str) -> None:
        problems.append(f"{shown}:{item.line_of(key)}: {message}")

    unknown = sorted(str(k) for k in item if k not in ACCOUNT_KEYS)
    if unknown:
        add(unknown[0], f"unknown key(s) {unknown} (known: {list(ACCOUNT_KEYS)})")
    account_id, name = item.get("id"), item.get("name")
    if "id" in item and item.line_of("id") in plain_ids or not isinstance(account_id, str):
        # YAML reads an unquoted 012345678901 as a number (or not), depending on its digits
        add("id", f"id must be a quoted 12-digit account id, e.g. id: \"123456789012\" (got {account_id!r})")
    elif not ACCOUNT_ID.match(account_id):
        add("id", f"id must be a quoted 12-digit account id (got {account_id!r})")
    if not (isinstance(name, str) and ACCOUNT_NAME.match(name)):
        add("name", f"name must be letters, digits, '_', '.' or '-', starting with a letter or digit (got {name!r})")
    role_arn, external_id, estate = item.get("role_arn"), item.get("external_id"), item.get("estate")
    arn = ROLE_ARN.match(role_arn) if isinstance(role_arn, str) else None
    if role_arn is not None and arn is None:
        add("role_arn", f"role_arn must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/dr-audit "
                        f"(got {role_arn!r})")
    elif arn is not None and isinstance(account_id, str) and arn.group("account") != account_id:
        add("role_arn", f"role_arn is in account {arn.group('account')}, not in this account ({account_id})")
    if external_id is not None and not (isinstance(external_id, str) and EXTERNAL_ID.match(external_id)):
        add("external_id", "external_id must be a string of 2 to 1224 characters (letters, digits, +=,.@:/-_)")
    elif external_id is not None and role_arn is None:
        add("external_id", "external_id is given without a role_arn: it is only sent when assuming a role")
    if estate is not None and not (isinstance(estate, str) and estate):
        add("estate", f"estate must be an estate name (got {estate!r})")
    if len(problems) > count:
        return None
    return Account(account_id, name, role_arn, external_id, estate, source=f"{shown}:{item.line}")


def _unquoted_id_lines(path: Path) -> set[int]:
    """The lines of ``id`` values written as plain (unquoted) YAML scalars in the accounts list.

    The loaded value cannot tell: an unquoted 123456789012 is an int, but an unquoted
    012345678901 happens to stay a string under YAML 1.1 and becomes a number under 1.2.
    """
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    lines = set()
    for key, value in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value != "accounts" or not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            for item_key, item_value in item.value if isinstance(item, yaml.MappingNode) else []:
                if item_key.value == "id" and isinstance(item_value, yaml.ScalarNode) and item_value.style is None:
                    lines.add(item_key.start_mark.line + 1)
    return lines


def _duplicates(accounts: list[Account], field: str) -> list[str]:
    """One problem per account whose ``field`` an earlier account already has."""
    first: dict[str, Account] = {}
    problems = []
    for account in accounts:
        value = getattr(account, field)
        if value in first:
            problems.append(f"{account.source}: duplicate account {field} {value!r} (first at {first[value].source})")
        else:
            first[value] = account
    return problems


# ----- shards -----------------------------------------------------------------------------

def parse_shard(spec: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N; raises AccountsError naming ``--dr-shard`` otherwise."""
    match = SHARD.match(spec or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise AccountsError(f"--dr-shard {spec!r}: expected K/N with 1 <= K <= N, e.g. 2/4")
    return int(match[1]), int(match[2])


def select_shard(accounts: list[Account], spec: str) -> list[Account]:
    """The accounts of shard ``spec`` ("K/N"), in the order given.

    Round robin over the accounts sorted by id: the K-th shard holds the accounts at positions
    K-1, K-1+N, K-1+2N, ... Chosen over a hash of the id because shard sizes then differ by
    at most one (a CI matrix waits for its largest shard) and no shard is empty while N is at
    most the number of accounts. The price: the assignment depends on the whole list, so
    every shard of one run must read the same list; :func:`list_fingerprint` lets a merge
    check that they did.
    """
    index, count = parse_shard(spec)
    chosen = {id(a) for position, a in enumerate(sorted(accounts, key=lambda a: a.id)) if position % count == index - 1}
    return [account for account in accounts if id(account) in chosen]


def list_fingerprint(accounts: Iterable[Account]) -> str:
    """A digest of the account ids (order ignored): shards of one run must share it."""
    return hashlib.sha256("\n".join(sorted(a.id for a in accounts)).encode()).hexdigest()


# ----- an organization --------------------------------------------------------------------

def organization_accounts(session: Any, *, role_name: str, region: str, endpoint_url: str | None = None,
                          ous: Iterable[str] = (), tags: dict[str, str] | None = None,
                          page_size: int | None = None) -> AccountList:
    """The ACTIVE accounts of the organization ``session``'s credentials manage, in name order.

    In: a boto3 session of the management account (or a delegated administrator); the role
    to assume in each account (``role_name``, its ARN built in the account's partition);
    Organizations' ``region`` and ``endpoint_url``; optional OU or root ids (``ous``: their
    accounts and those of every OU beneath them) and ``tags`` every chosen account must carry
    (key and value); ``page_size`` (1 to 20, Organizations' MaxResults) only to make tests read
    many pages. Reads (each page): ListAccounts without ``ous``, else
    ListOrganizationalUnitsForParent and ListAccountsForParent per OU; ListTagsForResource per
    account only when ``tags`` is given. Out: an :class:`AccountList` whose ``skipped`` names
    the accounts left out for their state (SUSPENDED, PENDING_CLOSURE, ...). Raises
    AccountsError for a failed read, a bad OU id or role name, or when no account is left.
    """
    ous, tags = list(ous), dict(tags or {})
    if not ROLE_NAME.match(role_name or ""):
        raise AccountsError(f"--dr-organization: {role_name!r} is not an IAM role name")
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE} (got {page_size})")
    bad = [ou for ou in ous if not PARENT_ID.match(ou)]
    if bad:
        raise AccountsError(f"--dr-organization: {', '.join(map(repr, bad))} is not an OU (ou-...) or root (r-...) id")
    client = guard(session.client("organizations", region_name=region, endpoint_url=endpoint_url, config=_CONFIG),
                   ORGANIZATION_READS)
    pages = _Pages(client, region, page_size)
    listed = _listed_accounts(pages, ous)
    active, skipped = [], []
    for entry, parent in listed:
        state = entry.get("State") or entry.get("Status") or "in no state it reports"
        if state == ACTIVE:
            active.append((entry, parent))
        else:
            skipped.append(SkippedAccount(entry["Id"], entry.get("Name") or "", state))
    chosen = []
    for entry, parent in active:
        account_tags = _tags(pages, entry["Id"]) if tags else ()
        if all((key, value) in account_tags for key, value in tags.items()):
            chosen.append((entry, parent, account_tags))
    names = _audit_names({entry["Id"]: entry.get("Name") or "" for entry, _, _ in chosen})
    accounts = [Account(entry["Id"], names[entry["Id"]], _role_arn(entry, role_name, region), None, None,
                        source="organization", tags=account_tags, parent=parent)
                for entry, parent, account_tags in chosen]
    if not accounts:
        raise AccountsError(_nothing_left(ous, tags, skipped))
    return AccountList(sorted(accounts, key=lambda a: a.name), sorted(skipped, key=lambda s: s.id))


class _Pages:
    """Every page of an Organizations listing, read through botocore's paginators."""

    def __init__(self, client: Any, region: str, page_size: int | None):
        self.client, self.region, self.page_size = client, region, page_size

    def items(self, operation: str, result_key: str, **arguments: Any) -> list[dict]:
        """Every item under ``result_key`` of every page of ``operation`` (a snake_case method name)."""
        config = {"PageSize": self.page_size} if self.page_size and operation != "list_tags_for_resource" else {}
        try:
            pages = self.client.get_paginator(operation).paginate(**arguments, PaginationConfig=config)
            return [item for page in pages for item in page.get(result_key) or []]
        except botocore.exceptions.ClientError as error:
            details = error.response.get("Error", {})
            code, message = details.get("Code") or "ClientError", details.get("Message") or str(error)
        except botocore.exceptions.BotoCoreError as error:
            code, message = type(error).__name__, str(error)
        api = self.client.meta.method_to_api_mapping.get(operation, operation)
        raise AccountsError(f"organizations {api} in {self.region} failed: {code}: {message}")


def _listed_accounts(pages: _Pages, ous: list[str]) -> list[tuple[dict, str | None]]:
    """(account entry, parent id) for each account listed once: the whole organization, or the
    accounts of ``ous`` and of every OU beneath them."""
    if not ous:
        return [(entry, _parent_from_paths(entry)) for entry in pages.items("list_accounts", "Accounts")]
    listed: dict[str, tuple[dict, str | None]] = {}
    for parent in _with_descendants(pages, ous):
        for entry in pages.items("list_accounts_for_parent", "Accounts", ParentId=parent):
            listed.setdefault(entry["Id"], (entry, parent))
    return list(listed.values())


def _with_descendants(pages: _Pages, ous: list[str]) -> list[str]:
    """``ous`` and every OU beneath them, each once, parents before children."""
    seen: list[str] = []
    waiting = list(ous)
    while waiting:
        parent = waiting.pop(0)
        if parent in seen:
            continue
        seen.append(parent)
        waiting += [ou["Id"] for ou in pages.items("list_organizational_units_for_parent", "OrganizationalUnits",
                                                   ParentId=parent)]
    return seen


def _parent_from_paths(entry: dict) -> str | None:
    """The OU or root holding the account, from its ``Paths`` (o-.../r-.../ou-.../ID/), when given."""
    for path in entry.get("Paths") or []:
        parts = [p for p in path.split("/") if p]
        containers = [p for p in parts if p.startswith(("r-", "ou-"))]
        if containers:
            return containers[-1]
    return None


def _tags(pages: _Pages, account_id: str) -> tuple[tuple[str, str], ...]:
    tags = pages.items("list_tags_for_resource", "Tags", ResourceId=account_id)
    return tuple(sorted((tag["Key"], tag.get("Value", "")) for tag in tags))


def _role_arn(entry: dict, role_name: str, region: str) -> str:
    """arn:<partition>:iam::<id>:role/<role_name>, in the partition of the account's ARN (else the region's)."""
    try:
        partition = partition_of_arn(entry.get("Arn") or "")
    except ValueError:
        partition = partition_of_region(region) or "aws"
    return f"arn:{partition}:iam::{entry['Id']}:role/{role_name}"


def _audit_names(listed: dict[str, str]) -> dict[str, str]:
    """Account id -> a unique audit name made from the organization's account name.

    Organizations allows any ASCII in a name; what is not a letter, digit, '_', '.' or '-'
    becomes '-'. A name left empty is ``account-<id>``; names two accounts share get ``-<id>``.
    """
    cleaned = {}
    for account_id, name in listed.items():
        text = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-_.")
        cleaned[account_id] = text if text else f"account-{account_id}"
    shared = {name for name, count in Counter(cleaned.values()).items() if count > 1}
    return {account_id: f"{name}-{account_id}" if name in shared else name for account_id, name in cleaned.items()}


def _nothing_left(ous: list[str], tags: dict[str, str], skipped: list[SkippedAccount]) -> str:
    where = f" under {', '.join(ous)}" if ous else ""
    having = f" tagged {', '.join(f'{k}={v}' for k, v in sorted(tags.items()))}" if tags else ""
    left_out = f"; {len(skipped)} not ACTIVE: " + "; ".join(s.reason() for s in skipped) if skipped else ""
    return f"--dr-organization: no ACTIVE account{where}{having}{left_out}"
