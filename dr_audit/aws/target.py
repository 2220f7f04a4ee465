"""Where live evidence comes from: the embedded sandbox or real accounts.

:class:`LiveTarget` turns the command-line choices and the policy's roles into
one :class:`AwsReader` per set of credentials (the run's own, and one per role
ARN the policy names), each knowing its account and partition from STS. For
the sandbox it starts and seeds the moto server first. :func:`read_plan_for`
says which kinds to read in which regions, so nothing the policy does not use
is read; :func:`read_plans_by_role` says it per role, so each account reads
only what its roles need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import botocore.session

from dr_audit.aws.collect import DEFAULT_CONCURRENCY, KindReadError, collect_accounts, read_plan
from dr_audit.aws.reader import AwsReader, AwsReadError, ReaderSettings
from dr_audit.partitions import global_region_of, partition_of_arn, partition_of_region
from dr_audit.aws.readonly import BASE_READS, CREDENTIAL_OPERATIONS, guard
from dr_audit.inventory import Inventory
from dr_audit.kinds import KINDS, POLICY_KIND
from dr_audit.model import Policy

TARGETS = ("sandbox", "live")
#: STS may read the caller identity and, for credential set-up only, assume a role
STS_ALLOWLIST = {"sts": {**BASE_READS["sts"], **CREDENTIAL_OPERATIONS["sts"]}}
#: the partition whose global region STS is asked in when neither the policy nor the profile names a region
FALLBACK_PARTITION = "aws"


#: the trust policy of a sandbox account's audit role: the sandbox's own credentials may assume it
_TRUST_ANY_SANDBOX_PRINCIPAL = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                '"Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}')


class TargetError(Exception):
    """The live target cannot be set up (bad option, no credentials, bad estate)."""


@dataclass
class TargetOptions:
    """The ``--dr-target`` family of options."""

    target: str = "sandbox"
    estate: str | None = None  # --dr-estate; else the policy's sandbox.estate; else default_estate
    default_estate: str | None = None
    estates_dir: Path | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    retry_mode: str = "standard"
    max_attempts: int = 5
    read_timeout: float = 30.0
    #: how long assumed-role credentials last (STS: 900 s to the role's maximum); they are refreshed before
    role_duration: int = 3600
    #: a started sandbox shared by the accounts of a multi-account run (None: the target starts its own)
    shared_sandbox: Any = None
    #: one account of a multi-account run: a ``role_arn`` that cannot be assumed makes this account's
    #: rows ERROR instead of stopping the run
    one_of_many: bool = False


def _roles_of(row) -> set[str | None]:
    """The policy roles a row reads: its own and its comparator targets' (None: the row names none)."""
    return {row.role} | {t.get("role") for t in row.args.get("targets", []) if isinstance(t, dict)}


def read_plans_by_role(policy: Policy) -> dict[str | None, dict[str, set[str]]]:
    """role (None: rows naming no role) -> kind -> regions that role's rows look at."""
    plans: dict[str | None, dict[str, set[str]]] = {}
    for row in policy.rows:
        if row.kind == POLICY_KIND or KINDS[row.kind].code_only_reason(row.attribute):
            continue  # the account is never consulted for it: nothing to read
        for role in _roles_of(row):
            region = policy.region_of(role)
            plans.setdefault(role, {}).setdefault(row.kind, set()).update({region} if region else set())
    return plans


def read_plan_for(policy: Policy) -> dict[str, set[str]]:
    """kind -> regions the policy's rows look at (roles of rows and of comparator targets)."""
    plan: dict[str, set[str]] = {}
    for kinds in read_plans_by_role(policy).values():
        for kind, regions in kinds.items():
            plan.setdefault(kind, set()).update(regions)
    return plan


def _utc_now() -> datetime:
    """The clock credentials expire by (a function, so a test can move time)."""
    return datetime.now(timezone.utc)


class AssumedRole:
    """Credentials of an assumed role that botocore refreshes before they expire.

    In: the source session, the role ARN (and external id), the STS region and
    endpoint, and the duration asked for. ``session()`` assumes the role once
    (raising :class:`botocore.exceptions.CredentialRetrievalError` when STS
    refuses) and returns a ``boto3.Session`` whose credentials assume it again
    when a quarter of their lifetime is left; ``fetches`` counts the AssumeRole calls.
    """

    def __init__(self, source: Any, role_arn: str, external_id: str | None, region: str,
                 endpoint_url: str | None, duration: int = 3600):
        # AssumeRole is the one non-read call, allowed on this client only
        self.sts = guard(source.client("sts", region_name=region, endpoint_url=endpoint_url), STS_ALLOWLIST)
        self.role_arn, self.external_id, self.duration = role_arn, external_id, duration
        self.fetches = 0

    def fetch(self) -> dict:
        """One AssumeRole: botocore's refresh metadata (keys, token, expiry as ISO 8601)."""
        arguments = {"RoleArn": self.role_arn, "RoleSessionName": "dr-audit", "DurationSeconds": self.duration}
        if self.external_id:
            arguments["ExternalId"] = self.external_id
        try:
            credentials = self.sts.assume_role(**arguments)["Credentials"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise botocore.exceptions.CredentialRetrievalError(
                provider="assume-role", error_msg=f"cannot assume {self.role_arn}: {error}") from None
        self.fetches += 1
        expiry = credentials["Expiration"]
        return {"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry)}

    def credentials(self) -> botocore.credentials.RefreshableCredentials:
        first = self.fetch()
        expiry = botocore.credentials.parse(first["expiry_time"])
        # botocore's windows (15 and 10 minutes) would make short-lived credentials refresh on every call
        return botocore.credentials.RefreshableCredentials(
            first["access_key"], first["secret_key"], first["token"], expiry, self.fetch, "assume-role",
            time_fetcher=lambda: _utc_now(), advisory_timeout=min(900, self.duration // 4),
            mandatory_timeout=min(600, self.duration // 6))

    def session(self) -> boto3.Session:
        return _session_with(self.credentials())


class _Given(botocore.credentials.CredentialProvider):
    """A credential provider that hands out credentials already made."""

    METHOD = "assume-role"

    def __init__(self, credentials: Any):
        super().__init__()
        self._given = credentials

    def load(self) -> Any:
        return self._given


def _session_with(credentials: Any) -> boto3.Session:
    """A boto3 session whose only credentials are ``credentials`` (refreshable ones stay refreshable)."""
    core = botocore.session.Session()
    core.register_component("credential_provider", botocore.credentials.CredentialResolver([_Given(credentials)]))
    return boto3.Session(botocore_session=core)


@dataclass
class AccountReading:
    """One set of credentials of the run: which roles read through it, and what it found.

    ``role_arn`` None is the run's own credentials. ``reader`` is None when the
    credentials could not be had (``failure`` says why, as a read error).
    """

    role_arn: str | None
    external_id: str | None
    roles: list[str | None]
    home_region: str
    reader: AwsReader | None = None
    assumed: AssumedRole | None = None
    failure: AwsReadError | None = None
    #: role -> why its declared account is not what these credentials read
    mismatches: dict[str | None, AwsReadError] = field(default_factory=dict)

    @property
    def account_id(self) -> str | None:
        if self.reader is not None and self.reader.account_id:
            return self.reader.account_id
        return _account_of_arn(self.role_arn) if self.role_arn else None


def _account_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


def _role_path_and_name(role_arn: str) -> tuple[str, str]:
    """``arn:aws:iam::1:role/ops/dr-audit`` -> ``("/ops/", "dr-audit")``."""
    head, _, name = role_arn.split(":", 5)[5][len("role"):].rpartition("/")
    return f"{head}/", name


def _aws_regions(regions: set[str]) -> list[str]:
    """The regions of an AWS partition among ``regions``, sorted (other clouds' regions dropped)."""
    return sorted(r for r in regions if partition_of_region(r))


def _home_region(role_arn: str, roles: list[str | None], plans: dict[str | None, dict[str, set[str]]]) -> str:
    """Where to call STS for ``role_arn``: the first region its roles read in the role's partition,
    else the partition's global region (STS answers only inside the partition)."""
    partition = partition_of_arn(role_arn)
    regions = {region for role in roles for regions in plans.get(role, {}).values() for region in regions}
    inside = [region for region in _aws_regions(regions) if partition_of_region(region) == partition]
    return inside[0] if inside else global_region_of(partition)


class LiveTarget:
    """Opens the accounts to audit; ``close`` stops what ``open`` started.

    In: the options, and the policy (its roles' regions are where STS is asked
    who the credentials are; its roles' ``account``/``role_arn`` which accounts
    to read). Out: ``reader`` (the run's own credentials), ``account_id``,
    ``readings`` (one per set of credentials), ``accounts()`` and ``describe()``.
    """

    def __init__(self, options: TargetOptions, policy: Policy):
        if options.target not in TARGETS:
            raise TargetError(f"--dr-target must be one of {', '.join(TARGETS)}")
        self.options = options
        self.policy = policy
        self.server = None
        self.estate = None
        self.reader: AwsReader | None = None
        self.account_id: str | None = None
        self.account_error: str | None = None
        self.readings: list[AccountReading] = []
        self.default_assumed: AssumedRole | None = None
        #: why ``--dr-role-arn`` could not be assumed, for one account of a multi-account run
        self.role_failure: AwsReadError | None = None
        # STS is called where the policy reads the account (never in another cloud's region)
        read = _aws_regions({region for regions in read_plan_for(policy).values() for region in regions})
        self.home_region = read[0] if read else None

    def secrets(self) -> set[str]:
        """The credentials in use (never to be printed); the sandbox's dummy ones are not secrets."""
        if self.reader is None or self.embedded:
            return set()
        values: set[str] = {self.options.external_id} | {r.external_id for r in self.policy.roles.values()}
        for reader in [self.reader] + [r.reader for r in self.readings if r.reader is not None]:
            credentials = reader.session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials is not None else None
            values |= {frozen.secret_key, frozen.token} if frozen is not None else set()
        return {v for v in values if v and len(v) >= 16}

    @property
    def embedded(self) -> bool:
        """True when this run starts its own sandbox (no endpoint given)."""
        return self.options.target == "sandbox" and not self.options.endpoint_url

    def load_estate(self):
        """The sandbox estate (loaded once); None unless the sandbox is embedded, or for an account
        of a multi-account sandbox listed without one (the sandbox does not hold it)."""
        if self.embedded and self.estate is None:
            if not self.options.estate and self.options.one_of_many:
                return None
            if not self.options.estate:
                raise TargetError("the sandbox needs an estate: give --dr-estate NAME or set dr_estate")
            from dr_audit.errors import EstateError
            from dr_audit.sandbox.estate import load_estate
            try:
                self.estate = load_estate(self.options.estates_dir or Path("fixtures/estates"), self.options.estate)
            except EstateError as error:
                raise TargetError(f"invalid estate: {error}") from None
        return self.estate

    def _source_session(self) -> tuple[Any, str | None]:
        """The credentials the run starts from, and the endpoint: the sandbox's, or the profile's."""
        if self.embedded:
            from dr_audit.errors import EstateError
            from dr_audit.sandbox.estate import seed
            from dr_audit.sandbox.server import SandboxServer
            estate = self.load_estate()
            if self.options.shared_sandbox is not None:
                shared = self.options.shared_sandbox
                endpoint = shared.url
            else:
                self.server = shared = SandboxServer()
                endpoint = self.server.start()
            if self.options.one_of_many:
                self._seed_sandbox_account(shared, estate)
                return shared.session(), endpoint
            try:
                seed(shared, estate)
            except EstateError as error:
                self.close()
                raise TargetError(f"cannot seed the sandbox: {error}") from None
            return shared.session(), endpoint
        try:
            session = boto3.Session(profile_name=self.options.profile)
        except botocore.exceptions.ProfileNotFound as error:
            raise TargetError(str(error)) from None
        if session.get_credentials() is None:
            raise TargetError("no AWS credentials found (standard chain"
                              + (f", profile {self.options.profile}" if self.options.profile else "") + ")")
        return session, self.options.endpoint_url

    def _seed_sandbox_account(self, server: Any, estate: Any) -> None:
        """Build one account of a multi-account sandbox: its estate and the role the audit assumes.

        The account is the role ARN's. AssumeRole into it then needs that role to exist, as in AWS:
        an account listed without an estate has no role, so reading it is refused (its rows ERROR).
        """
        from dr_audit.errors import EstateError
        from dr_audit.sandbox import moto_shims
        from dr_audit.sandbox.estate import seed
        from dr_audit.sandbox.organization import bucket_names_per_account

        account = _account_of_arn(self.options.role_arn)
        moto_shims.ROLE_CHECKED_ACCOUNTS.add(account)
        if estate is None or account in server.seeded_accounts:  # an account read again is not built twice
            return
        server.seeded_accounts.add(account)
        session = server.session_in(account)
        try:
            with bucket_names_per_account():  # every account may hold an estate with the same bucket names
                seed(server, estate, session, account)
        except EstateError as error:
            raise TargetError(f"cannot seed the sandbox account {account}: {error}") from None
        path, name = _role_path_and_name(self.options.role_arn)
        iam = session.client("iam", region_name=global_region_of(partition_of_arn(self.options.role_arn)),
                             endpoint_url=server.url)
        try:
            iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=_TRUST_ANY_SANDBOX_PRINCIPAL)
        except iam.exceptions.EntityAlreadyExistsException:
            pass  # an organization's CreateAccount made it already

    def _settings(self, endpoint: str | None) -> ReaderSettings:
        return ReaderSettings(endpoint_url=endpoint, read_timeout=self.options.read_timeout,
                              retries={"mode": self.options.retry_mode, "max_attempts": self.options.max_attempts})

    def open(self) -> AwsReader:
        """Set up every account's reader; returns the reader of the run's own credentials.

        A role ARN the policy names that cannot be assumed does not stop the run:
        that account's rows become ERROR. ``--dr-role-arn`` that cannot be assumed does.
        """
        if self.reader is not None or self.role_failure is not None:
            return self.reader
        source, endpoint = self._source_session()
        if self.home_region is None:
            self.home_region = source.region_name if source.region_name and partition_of_region(
                source.region_name) else global_region_of(FALLBACK_PARTITION)
        session = source
        if self.options.role_arn:
            self.default_assumed = AssumedRole(source, self.options.role_arn, self.options.external_id,
                                               self.home_region, endpoint, self.options.role_duration)
            try:
                session = self.default_assumed.session()
            except botocore.exceptions.CredentialRetrievalError as error:
                if not self.options.one_of_many:
                    raise TargetError(str(error)) from None
                # one account of many: its rows are ERROR, the other accounts are still read
                self.role_failure = AwsReadError("sts", self.home_region, "AssumeRole", "AssumeRoleFailed",
                                                 str(error))
                self.account_error = str(self.role_failure)
                return None
        self.reader = AwsReader(session, self._settings(endpoint))
        try:
            self.account_id = self.reader.identify(self.home_region)
        except AwsReadError as error:
            self.account_error = str(error)
        self.readings = self._readings(source, endpoint)
        return self.reader

    def _readings(self, source: Any, endpoint: str | None) -> list[AccountReading]:
        """One reading per distinct credentials the policy's roles name (the run's own first)."""
        by_credentials: dict[tuple, AccountReading] = {}
        plans = read_plans_by_role(self.policy)
        for role in [None, *self.policy.roles]:
            spec = self.policy.roles.get(role) if role is not None else None
            key = (spec.role_arn, spec.external_id) if spec is not None and spec.role_arn else (None, None)
            if key not in by_credentials:
                by_credentials[key] = AccountReading(*key, roles=[], home_region=self.home_region)
            by_credentials[key].roles.append(role)
        readings = list(by_credentials.values())
        for reading in readings:
            if reading.role_arn is None:
                reading.reader = self.reader
                continue
            reading.home_region = _home_region(reading.role_arn, reading.roles, plans)
            self._assume(reading, source, endpoint)
        for reading in readings:
            self._check_accounts(reading)
        return readings

    def _assume(self, reading: AccountReading, source: Any, endpoint: str | None) -> None:
        """Give ``reading`` a reader through its role, or the failure that says why it has none."""
        reading.assumed = AssumedRole(source, reading.role_arn, reading.external_id, reading.home_region,
                                      endpoint, self.options.role_duration)
        try:
            session = reading.assumed.session()
        except botocore.exceptions.CredentialRetrievalError as error:
            reading.failure = AwsReadError("sts", reading.home_region, "AssumeRole", "AssumeRoleFailed",
                                           str(error))
            return
        reading.reader = AwsReader(session, self._settings(endpoint))
        try:
            reading.reader.identify(reading.home_region)
        except AwsReadError as error:
            reading.failure = error

    def _check_accounts(self, reading: AccountReading) -> None:
        """Record each role whose declared account is not the one its credentials read."""
        actual = reading.account_id if reading.failure is None else None
        for role in reading.roles:
            declared = self.policy.roles[role].account if role is not None else None
            if declared is None or reading.failure is not None or actual == declared:
                continue
            found = f"they read account {actual}" if actual else f"their account is unknown ({self.account_error})"
            reading.mismatches[role] = AwsReadError(
                "sts", reading.home_region, "GetCallerIdentity", "WrongAccount",
                f"role {role} names account {declared}, but {found}: give the role a role_arn in {declared}")

    def account_of_role(self, role: str | None) -> str | None:
        """The account ``role``'s rows must read (declared, else their credentials'); None: unknown."""
        spec = self.policy.roles.get(role) if role is not None else None
        if spec is not None and spec.account:
            return spec.account
        reading = next((r for r in self.readings if role in r.roles), None)
        return reading.account_id if reading is not None else self.account_id

    @property
    def several_accounts(self) -> bool:
        """True when the policy names accounts or roles, so evidence is told apart by account."""
        return any(r.account or r.role_arn for r in self.policy.roles.values())

    def collect(self) -> Inventory:
        """Read every kind the policy needs in every account; errors stay in the inventory."""
        self.open()
        if self.role_failure is not None:  # nothing of this account can be read: every kind is unreadable
            inventory = Inventory("aws")
            account = _account_of_arn(self.options.role_arn)
            global_region = global_region_of(partition_of_arn(self.options.role_arn))
            inventory.errors.extend(KindReadError(kind, region, self.role_failure, account)
                                    for kind, region in read_plan(read_plan_for(self.policy), global_region))
            return inventory
        plans = read_plans_by_role(self.policy)
        work: list[tuple[AwsReader, dict[str, set[str]]]] = []
        errors: list[KindReadError] = []
        for reading in self.readings:
            readable = {}
            for role in reading.roles:
                plan = plans.get(role, {})
                failure = reading.failure or reading.mismatches.get(role)
                if failure is not None:
                    errors += _unreadable(plan, failure, self.account_of_role(role), reading)
                else:
                    for kind, regions in plan.items():
                        readable.setdefault(kind, set()).update(regions)
            if readable and reading.reader is not None:
                work.append((reading.reader, readable))
        inventory = collect_accounts(work, self.options.concurrency)
        inventory.errors.extend(errors)
        if self.several_accounts:
            inventory.role_accounts = {role: self.account_of_role(role) for role in [None, *self.policy.roles]}
        return inventory

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def accounts(self) -> list[dict]:
        """The run's ``accounts``: each account read, its roles, credentials and any failure."""
        if self.role_failure is not None:
            return [{"id": _account_of_arn(self.options.role_arn), "roles": list(self.policy.roles),
                     "role_arn": self.options.role_arn, "partition": partition_of_arn(self.options.role_arn),
                     "error": str(self.role_failure)}]
        listed: dict[str | None, dict] = {}
        for role in [None, *self.policy.roles]:
            reading = next((r for r in self.readings if role in r.roles), None)
            account = self.account_of_role(role)
            entry = listed.setdefault(account, {"id": account, "roles": [], "role_arn": None, "partition": None,
                                                "error": None})
            if role is not None:
                entry["roles"].append(role)
            if reading is None:
                continue
            failure = reading.failure or reading.mismatches.get(role)
            entry["role_arn"] = entry["role_arn"] or reading.role_arn or self.options.role_arn
            if reading.reader is not None and reading.reader.account_id:
                entry["partition"] = reading.reader.partition
            if failure is not None:
                entry["error"] = str(failure)
        return [e for e in listed.values() if e["roles"] or e["id"] == self.account_id]

    def describe(self) -> dict:
        """The run's ``target`` block for the JSON report."""
        options = self.options
        readers = [r.reader for r in self.readings if r.reader is not None] or ([self.reader] if self.reader else [])
        calls = [c for reader in {id(r): r for r in readers}.values() for c in reader.calls()]
        assumed = [a for a in [self.default_assumed] + [r.assumed for r in self.readings] if a is not None]
        return {
            "kind": options.target,
            "estate": options.estate if self.embedded else None,
            "endpoint": "embedded moto sandbox on loopback" if self.embedded else (options.endpoint_url or "AWS"),
            "profile": options.profile, "role_arn": options.role_arn,
            "api_calls": len(calls), "failed_calls": sum(1 for c in calls if c.error and not c.expected),
            "credentials_fetched": sum(a.fetches for a in assumed),
        }


def _unreadable(plan: dict[str, set[str]], failure: AwsReadError, account: str | None,
                reading: AccountReading) -> list[KindReadError]:
    """A read error for each (kind, region) of ``plan``: the rows of an account that cannot be read."""
    if reading.reader is not None and reading.reader.account_id:
        global_region = reading.reader.global_region
    else:
        global_region = global_region_of(partition_of_arn(reading.role_arn) if reading.role_arn
                                         else FALLBACK_PARTITION)
    pairs = read_plan(plan, global_region)
    return [KindReadError(kind, region, failure, account) for kind, region in pairs]
