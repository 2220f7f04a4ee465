"""A fault-injecting HTTP proxy on loopback, in front of an AWS-compatible endpoint.

Point the audit at the proxy (``--dr-aws-endpoint-url``) and it forwards every
request to the upstream (the sandbox), except those a :class:`Fault` matches:
those get an AWS error in the service's own wire format, a delay, a dropped
connection, or no answer at all once the endpoint has "died". The real
botocore stack (signing, parsing, retries, timeouts) sees real bytes.

Requests are recognised from what a client sends: region and service from the
SigV4 ``Authorization`` header, the operation from ``X-Amz-Target`` (JSON
protocols) or the ``Action`` form field (query protocols); REST protocols carry
no operation name, so a fault for them matches the whole service.

    proxy = FaultProxy(sandbox_url, [Fault("error", service="route53", code="Throttling")])
    url = proxy.start()   # http://127.0.0.1:PORT
"""

from __future__ import annotations

import functools
import http.client
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import botocore.session

from dr_audit.aws.readonly import read_operations

KINDS = ("error", "delay", "drop", "die", "rate_limit")
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


@dataclass(frozen=True)
class RequestInfo:
    """What the proxy can tell about a request: (signing) service, region, operation, method."""

    service: str | None
    region: str | None
    operation: str | None
    method: str
    path: str = "/"


@dataclass
class Fault:
    """One injected behaviour.

    ``kind``: ``error`` (answer ``status`` with AWS error ``code``), ``delay``
    (wait ``seconds``, then forward), ``drop`` (close the connection mid-response),
    ``die`` (after ``after`` forwarded requests, refuse everything, for good), or
    ``rate_limit`` (more than ``per_second`` matching requests in a second get a
    throttling error). ``service`` is a botocore service name (``elbv2``);
    ``region`` and ``operation`` narrow the match; ``times`` limits how many
    matching requests are hit (None: all).
    """

    kind: str
    service: str | None = None
    region: str | None = None
    operation: str | None = None
    times: int | None = None
    status: int = 400
    code: str = "ThrottlingException"
    seconds: float = 0.0
    after: int = 0
    per_second: int = 0
    hits: int = 0
    _window: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(KINDS)})")
        self.signing_name = _signing_name(self.service) if self.service else None

    def matches(self, request: RequestInfo) -> bool:
        if self.signing_name and request.service != self.signing_name:
            return False
        if self.region and request.region != self.region:
            return False
        if self.operation and request.operation != self.operation:
            return False
        return self.times is None or self.hits < self.times

    def describe(self) -> str:
        where = " ".join(x for x in (self.service, self.operation, self.region) if x) or "every request"
        what = {"error": f"HTTP {self.status} {self.code}", "delay": f"{self.seconds:g} s delay",
                "drop": "connection dropped mid-response", "die": f"endpoint dies after {self.after} requests",
                "rate_limit": f"more than {self.per_second} requests/s throttled"}[self.kind]
        times = "" if self.times is None else f", first {self.times}"
        return what if self.kind == "die" else f"{what} on {where}{times}"


def _signing_name(service: str) -> str:
    model = botocore.session.get_session().get_service_model(service)
    return model.signing_name or model.endpoint_prefix


@functools.lru_cache(maxsize=None)
def _protocol_of(signing_name: str | None) -> str:
    """The wire protocol of the audited service signing as ``signing_name``."""
    session = botocore.session.get_session()
    for service in read_operations():
        model = session.get_service_model(service)
        if (model.signing_name or model.endpoint_prefix) == signing_name:
            return model.protocol
    return "query"


def error_body(protocol: str, status: int, code: str, message: str) -> tuple[bytes, dict[str, str]]:
    """An AWS error response as ``protocol`` (json, rest-json, ec2, query, rest-xml) sends it."""
    if protocol in ("json", "rest-json"):
        return (f'{{"__type": "{code}", "message": "{message}"}}'.encode(),
                {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code})
    if protocol == "ec2":
        body = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors></Response>"
    elif protocol == "rest-xml":
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error></ErrorResponse>"
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>fault-proxy</RequestId></ErrorResponse>")
    return body.encode(), {"Content-Type": "text/xml"}


def request_info(method: str, headers: Any, body: bytes, path: str = "/") -> RequestInfo:
    """Service, region and operation of a signed AWS request (None where it does not say)."""
    found = _CREDENTIAL.search(headers.get("Authorization", "") or "")
    region, service = (found.group(1), found.group(2)) if found else (None, None)
    operation = None
    target = headers.get("X-Amz-Target")
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif body and "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
        operation = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [None])[0]
    return RequestInfo(service, region, operation, method, path)


class FaultProxy:
    """The proxy: ``start()`` returns its URL; ``log`` holds every request seen, with what was done."""

    def __init__(self, upstream: str, faults: list[Fault] | tuple = ()):
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.faults = list(faults)
        self.log: list[tuple[RequestInfo, str]] = []
        self.forwarded = 0
        self.dead = False
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url: str | None = None

    # ----- lifecycle ----------------------------------------------------
    def start(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep the test output clean
                return

            def _serve(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FaultProxy":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _die(self) -> None:
        self.dead = True
        threading.Thread(target=self.stop, daemon=True).start()

    # ----- one request ----------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        info = request_info(handler.command, handler.headers, body, handler.path)
        with self._lock:
            if self.dead:
                action = "refused: endpoint dead"
                fault = None
            else:
                fault, action = self._decide(info)
            self.log.append((info, action))
        if (self.dead and fault is None) or (fault is not None and fault.kind == "die"):
            _close(handler)
            return
        if fault is not None and fault.kind in ("error", "rate_limit"):
            payload, headers = error_body(_protocol_of(info.service), fault.status, fault.code,
                                          f"injected by the fault proxy: {fault.describe()}")
            _answer(handler, fault.status, headers, payload)
            return
        if fault is not None and fault.kind == "drop":
            _drop(handler)
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        self._forward(handler, body)

    def _decide(self, info: RequestInfo) -> tuple[Fault | None, str]:
        for fault in self.faults:
            if fault.kind == "die":
                if self.forwarded >= fault.after:
                    self._die()
                    return fault, "refused: endpoint died"
                continue
            if not fault.matches(info):
                continue
            if fault.kind == "rate_limit":
                now = time.monotonic()
                fault._window[:] = [t for t in fault._window if now - t < 1.0]
                if len(fault._window) < fault.per_second:
                    fault._window.append(now)
                    continue
            fault.hits += 1
            return fault, fault.kind
        self.forwarded += 1
        return None, "forwarded"

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        connection = http.client.HTTPConnection(*self.upstream, timeout=120)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError:
            _close(handler)
            return
        finally:
            connection.close()
        reply = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}}
        _answer(handler, response.status, reply, payload, head=handler.command == "HEAD")

    def summary(self) -> dict[str, int]:
        """How many requests got each treatment."""
        counts: dict[str, int] = {}
        for _, action in self.log:
            counts[action] = counts.get(action, 0) + 1
        return counts


def _answer(handler: BaseHTTPRequestHandler, status: int, headers: dict, payload: bytes, head: bool = False) -> None:
    try:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if not head:
            handler.wfile.write(payload)
    except OSError:
        pass


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Promise a body, send half of nothing useful, and hang up."""
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", "4096")
        handler.end_headers()
        handler.wfile.write(b"<?xml version='1.0'?><Resp")
        handler.wfile.flush()
    except OSError:
        pass
    _close(handler)


def _close(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
