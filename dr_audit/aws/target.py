"""Where live evidence comes from: the embedded sandbox or a real account.

:class:`LiveTarget` turns the command-line choices into an :class:`AwsReader`
(credentials, endpoint) and, for the sandbox, starts and seeds the moto
server first. :func:`read_plan_for` says which kinds to read in which
regions for a policy, so nothing the policy does not use is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions

from dr_audit.aws.collect import DEFAULT_CONCURRENCY, collect_aws
from dr_audit.aws.reader import AwsReader, AwsReadError, ReaderSettings
from dr_audit.aws.readonly import CREDENTIAL_OPERATIONS, READ_OPERATIONS, guard
from dr_audit.inventory import Inventory
from dr_audit.kinds import KINDS, POLICY_KIND
from dr_audit.model import Policy

TARGETS = ("sandbox", "live")


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


def read_plan_for(policy: Policy) -> dict[str, set[str]]:
    """kind -> regions the policy's rows look at (roles of rows and of comparator targets)."""
    plan: dict[str, set[str]] = {}
    for row in policy.rows:
        if row.kind == POLICY_KIND or KINDS[row.kind].terraform_only:
            continue
        roles = {row.role} | {t.get("role") for t in row.args.get("targets", []) if isinstance(t, dict)}
        regions = {policy.region_of(r) for r in roles if policy.region_of(r)}
        plan.setdefault(row.kind, set()).update(regions)
    return plan


def _assume_role(session: Any, options: TargetOptions, region: str) -> Any:
    sts = guard(session.client("sts", region_name=region, endpoint_url=options.endpoint_url),
                {"sts": {**READ_OPERATIONS["sts"], **CREDENTIAL_OPERATIONS["sts"]}})
    arguments = {"RoleArn": options.role_arn, "RoleSessionName": "dr-audit", "DurationSeconds": 3600}
    if options.external_id:
        arguments["ExternalId"] = options.external_id
    try:
        credentials = sts.assume_role(**arguments)["Credentials"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise TargetError(f"cannot assume {options.role_arn}: {error}") from None
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"])


class LiveTarget:
    """Opens the account to audit; ``close`` stops what ``open`` started.

    In: the options, and the policy (its first role's region is where STS is
    asked for the account id). Out: ``reader``, ``account_id``, ``describe()``.
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
        # STS is called where the policy reads the account (never in another cloud's region)
        read = sorted({region for regions in read_plan_for(policy).values() for region in regions})
        self.home_region = read[0] if read else "us-east-1"

    def secrets(self) -> set[str]:
        """The credentials in use (never to be printed); the sandbox's dummy ones are not secrets."""
        if self.reader is None or self.embedded:
            return set()
        credentials = self.reader.session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
        values = {frozen.secret_key, frozen.token} if frozen is not None else set()
        return {v for v in values | {self.options.external_id} if v and len(v) >= 16}

    @property
    def embedded(self) -> bool:
        """True when this run starts its own sandbox (no endpoint given)."""
        return self.options.target == "sandbox" and not self.options.endpoint_url

    def load_estate(self):
        """The sandbox estate (loaded once); None unless the sandbox is embedded."""
        if self.embedded and self.estate is None:
            if not self.options.estate:
                raise TargetError("the sandbox needs an estate: give --dr-estate NAME or set dr_estate")
            from dr_audit.errors import EstateError
            from dr_audit.sandbox.estate import load_estate
            try:
                self.estate = load_estate(self.options.estates_dir or Path("fixtures/estates"), self.options.estate)
            except EstateError as error:
                raise TargetError(f"invalid estate: {error}") from None
        return self.estate

    def open(self) -> AwsReader:
        if self.reader is not None:
            return self.reader
        endpoint = self.options.endpoint_url
        if self.embedded:
            from dr_audit.errors import EstateError
            from dr_audit.sandbox.estate import seed
            from dr_audit.sandbox.server import SandboxServer
            estate = self.load_estate()
            self.server = SandboxServer()
            endpoint = self.server.start()
            try:
                seed(self.server, estate)
            except EstateError as error:
                self.close()
                raise TargetError(f"cannot seed the sandbox: {error}") from None
            session = self.server.session()
        else:
            try:
                session = boto3.Session(profile_name=self.options.profile)
            except botocore.exceptions.ProfileNotFound as error:
                raise TargetError(str(error)) from None
            if session.get_credentials() is None:
                raise TargetError("no AWS credentials found (standard chain"
                                  + (f", profile {self.options.profile}" if self.options.profile else "") + ")")
            if self.options.role_arn:
                session = _assume_role(session, self.options, self.home_region)
        settings = ReaderSettings(endpoint_url=endpoint, read_timeout=self.options.read_timeout,
                                  retries={"mode": self.options.retry_mode, "max_attempts": self.options.max_attempts})
        self.reader = AwsReader(session, settings)
        try:
            self.account_id = self.reader.call("sts", self.home_region, "get_caller_identity")["Account"]
        except AwsReadError as error:
            self.account_error = str(error)
        return self.reader

    def collect(self) -> Inventory:
        """Read every kind the policy needs; errors stay in the inventory."""
        return collect_aws(self.open(), read_plan_for(self.policy), self.options.concurrency)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def describe(self) -> dict:
        """The run's ``target`` block for the JSON report."""
        options = self.options
        calls = self.reader.calls() if self.reader else []
        return {
            "kind": options.target,
            "estate": options.estate if self.embedded else None,
            "endpoint": "embedded moto sandbox on loopback" if self.embedded else (options.endpoint_url or "AWS"),
            "profile": options.profile, "role_arn": options.role_arn,
            "api_calls": len(calls), "failed_calls": sum(1 for c in calls if c.error and not c.expected),
        }
