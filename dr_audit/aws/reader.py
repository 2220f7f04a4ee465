"""Every AWS read of a run goes through one :class:`AwsReader`.

It owns the clients (guarded read-only, one per service and region, with
botocore retries and timeouts), reads each (region, service, operation,
arguments) at most once even when several collectors ask concurrently, and
keeps a ledger of the calls made so tests and benchmarks can count them,
and the responses it read (each page once, for the evidence bundle to quote).
Failures become :class:`AwsReadError`, naming service, region, operation and
the AWS error code.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

import botocore.exceptions
from botocore.config import Config

from dr_audit.aws.readonly import guard
from dr_audit.partitions import global_region_of, partition_of_arn

#: DESIGN.md: botocore's standard retries; the caller may choose adaptive
DEFAULT_RETRIES = {"mode": "standard", "max_attempts": 5}
#: Route 53 throttles per account, and long had a hard limit of five requests a
#: second (now a bucket of 50 refilled at 10/s): a reader stays under the old one
DEFAULT_MAX_RATES = {"route53": 5.0}


class AwsReadError(Exception):
    """A read that failed after botocore's retries.

    ``code`` is the AWS error code (AccessDenied, ThrottlingException, ...)
    or the botocore failure (EndpointConnectionError, ReadTimeoutError).
    """

    def __init__(self, service: str, region: str, operation: str, code: str, message: str):
        self.service, self.region, self.operation, self.code, self.message = service, region, operation, code, message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.service} {self.operation} in {self.region} failed: {self.code}: {self.message}"

    def to_dict(self) -> dict:
        return {"service": self.service, "region": self.region, "operation": self.operation,
                "code": self.code, "message": self.message}


@dataclass(frozen=True)
class CallRecord:
    """One API read as sent (pages of a paginated read are one record each)."""

    region: str
    service: str
    operation: str
    arguments: str
    seconds: float
    error: str | None = None
    page: int = 1
    expected: bool = False  # an error code that is an answer ("no replication configuration")
    started: float = 0.0  # time.perf_counter() when it was sent, to tell waiting from working


@dataclass(frozen=True)
class ReadResponse:
    """One response (one page of a paginated read) as received, with the request that asked for it.

    ``body`` is botocore's parsed response; for an error that is an answer (``answers`` of
    :meth:`AwsReader.call`) it is ``{"Error": {"Code", "Message"}}``. Kept by reference:
    the items a collector holds are the same objects, so keeping them costs the page wrappers.
    """

    service: str
    region: str
    operation: str  # the API name: DescribeDBInstances
    arguments: dict
    body: dict
    page: int = 1


@dataclass
class ReaderSettings:
    """How clients are built: endpoint, retries, timeouts, page size."""

    endpoint_url: str | None = None
    retries: dict = field(default_factory=lambda: dict(DEFAULT_RETRIES))
    connect_timeout: float = 5
    read_timeout: float = 30
    max_pool_connections: int = 16
    #: "service:operation" -> page size; unlisted reads use the service's default
    page_sizes: dict[str, int] = field(default_factory=dict)
    #: service -> most requests per second this reader sends (unlisted: no limit)
    max_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MAX_RATES))


def _dig(response: dict, result_key: str) -> list:
    """The items at a dotted key: ``"DistributionList.Items"``."""
    value: Any = response
    for part in result_key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return list(value or [])


def _unexpected(service: str, region: str, operation: str, error: BaseException) -> AwsReadError:
    """A failure that is not botocore's (a bug, a broken connection pool) as a read error naming it."""
    return AwsReadError(service, region, operation, type(error).__name__, f"unexpected failure: {error}")


def _error_code(error: Exception) -> tuple[str, str]:
    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        return details.get("Code") or "ClientError", details.get("Message") or str(error)
    return type(error).__name__, str(error)


class AwsReader:
    """Read-only, de-duplicated, counted access to AWS for one run.

    In: a ``boto3.Session`` (credentials already chosen) and settings.
    ``call`` returns one response; ``paginate`` returns every page's items.
    """

    def __init__(self, session: Any, settings: ReaderSettings | None = None):
        self.session = session
        self.settings = settings or ReaderSettings()
        self._clients: dict[tuple[str, str], Any] = {}
        self._results: dict[tuple, Future] = {}
        self._lock = threading.Lock()
        self.ledger: list[CallRecord] = []
        #: (service, region, API operation) -> the responses read, in the order they came
        self._responses: dict[tuple[str, str, str], list[ReadResponse]] = {}
        self._next_slot: dict[str, float] = {}
        #: (start, end) of every wait for a service's rate limit, beside the calls' own times
        self.paced: list[tuple[float, float]] = []
        #: the account's partition (aws, aws-cn, aws-us-gov): ARNs are built with it
        self.partition = "aws"
        #: where the partition's global services (IAM, Route 53, CloudFront, the bucket list) answer
        self.global_region = "us-east-1"
        #: the account these credentials read, once STS has said (None before, or when it could not)
        self.account_id: str | None = None

    def identify(self, region: str) -> str:
        """Ask STS (in ``region``) who these credentials are; sets ``account_id``, ``partition``
        and ``global_region`` from the answer and returns the account id. Raises AwsReadError."""
        identity = self.call("sts", region, "get_caller_identity")
        try:
            partition = partition_of_arn(identity.get("Arn") or "")
        except ValueError as error:
            raise AwsReadError("sts", region, "GetCallerIdentity", "UnexpectedResponse", str(error)) from None
        self.account_id, self.partition, self.global_region = (identity["Account"], partition,
                                                               global_region_of(partition))
        return self.account_id

    def _pace(self, service: str) -> None:
        """Wait for ``service``'s next request slot when it has a rate limit."""
        rate = self.settings.max_rates.get(service)
        if not rate:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(service, now))
            self._next_slot[service] = slot + 1.0 / rate
        if slot > now:
            began = time.perf_counter()
            time.sleep(slot - now)
            with self._lock:
                self.paced.append((began, time.perf_counter()))

    def client(self, service: str, region: str) -> Any:
        """The guarded client for ``service`` in ``region`` (created once)."""
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                config = Config(retries=self.settings.retries, connect_timeout=self.settings.connect_timeout,
                                read_timeout=self.settings.read_timeout,
                                max_pool_connections=self.settings.max_pool_connections,
                                user_agent_extra="dr-audit")
                self._clients[key] = guard(self.session.client(
                    service, region_name=region, endpoint_url=self.settings.endpoint_url, config=config))
            return self._clients[key]

    def _once(self, key: tuple, produce: Callable[[], Any], service: str, region: str, operation: str) -> Any:
        """Run ``produce`` once per key; concurrent askers wait for the same result.

        Whatever ``produce`` raises resolves the shared result, so no asker
        waits forever: an :class:`AwsReadError` as it is, anything else as an
        AwsReadError naming the exception (its code is the exception's type).
        """
        with self._lock:
            future = self._results.get(key)
            owner = future is None
            if owner:
                future = self._results[key] = Future()
        if owner:
            try:
                future.set_result(produce())
            except AwsReadError as error:
                future.set_exception(error)
            except Exception as error:  # noqa: BLE001 - a waiter must learn of any failure, not hang
                future.set_exception(_unexpected(service, region, operation, error))
            except BaseException as error:  # interrupted: waiters are released, the interruption goes on
                future.set_exception(_unexpected(service, region, operation, error))
                raise
        return future.result()

    def _record(self, region: str, service: str, operation: str, arguments: dict, started: float,
                error: str | None = None, page: int = 1, expected: bool = False) -> None:
        record = CallRecord(region, service, operation, json.dumps(arguments, sort_keys=True, default=str),
                            time.perf_counter() - started, error, page, expected, started)
        with self._lock:
            self.ledger.append(record)

    def _keep(self, service: str, region: str, operation: str, arguments: dict, body: dict, page: int = 1) -> None:
        """Keep one response read (once per read: ``_once`` de-duplicates the reads themselves).
        Its items stay the objects the collectors hold; only the HTTP metadata is left out."""
        kept = {key: value for key, value in body.items() if key != "ResponseMetadata"}
        response = ReadResponse(service, region, operation, dict(arguments), kept, page)
        with self._lock:
            self._responses.setdefault((service, region, operation), []).append(response)

    def _send(self, service: str, region: str, operation: str, method: Callable, arguments: dict,
              answers: tuple[str, ...] = ()) -> Any:
        self._pace(service)
        started = time.perf_counter()
        try:
            response = method(**arguments)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            code, message = _error_code(error)
            self._record(region, service, operation, arguments, started, code, expected=code in answers)
            if code in answers:  # "there is none" is evidence too: the bundle quotes it
                self._keep(service, region, operation, arguments, {"Error": {"Code": code, "Message": message}})
            raise AwsReadError(service, region, operation, code, message) from None
        self._record(region, service, operation, arguments, started)
        self._keep(service, region, operation, arguments, response)
        return response

    def call(self, service: str, region: str, operation: str, answers: tuple[str, ...] = (), **arguments: Any) -> dict:
        """One response of ``operation`` (snake_case name), read once per run.

        ``answers`` are error codes that mean "there is none" for this read
        (still raised, but not counted as failed reads).
        """
        key = ("call", region, service, operation, json.dumps(arguments, sort_keys=True, default=str))
        client = self.client(service, region)
        name = client.meta.method_to_api_mapping.get(operation, operation)
        return self._once(key, lambda: self._send(service, region, name, getattr(client, operation), arguments,
                                                  answers), service, region, name)

    def paginate(self, service: str, region: str, operation: str, result_key: str, **arguments: Any) -> list:
        """Every item under ``result_key`` across all pages, read once per run."""
        key = ("pages", region, service, operation, result_key, json.dumps(arguments, sort_keys=True, default=str))
        return self._once(key, lambda: self._all_pages(service, region, operation, result_key, arguments),
                          service, region, operation)

    def _all_pages(self, service: str, region: str, operation: str, result_key: str, arguments: dict) -> list:
        client = self.client(service, region)
        name = client.meta.method_to_api_mapping.get(operation, operation)
        if not client.can_paginate(operation):
            return _dig(self._send(service, region, name, getattr(client, operation), arguments), result_key)
        paginator = client.get_paginator(operation)
        size = self.settings.page_sizes.get(f"{service}:{operation}")
        config = {"PageSize": size} if size else {}
        pages = paginator.paginate(**arguments, PaginationConfig=config).__iter__()
        items: list = []
        number = 0
        while True:
            number += 1
            self._pace(service)
            started = time.perf_counter()
            try:
                page = next(pages)
            except StopIteration:
                return items
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                code, message = _error_code(error)
                self._record(region, service, name, arguments, started, code, number)
                raise AwsReadError(service, region, name, code, message) from None
            self._record(region, service, name, arguments, started, page=number)
            self._keep(service, region, name, arguments, page, number)
            items.extend(_dig(page, result_key))

    def calls(self) -> list[CallRecord]:
        with self._lock:
            return list(self.ledger)

    def responses(self, service: str | None = None, region: str | None = None,
                  operation: str | None = None) -> list[ReadResponse]:
        """The responses this reader read (every page, answered errors included), optionally only
        those of ``service``, ``region`` and ``operation`` (the API name, ``DescribeDBInstances``)."""
        with self._lock:
            return [response for (kept_service, kept_region, kept_operation), kept in self._responses.items()
                    if service in (None, kept_service) and region in (None, kept_region)
                    and operation in (None, kept_operation) for response in kept]
