"""A moto server on a free loopback port, in this process, with the shims on."""

from __future__ import annotations

import logging
import urllib.request

import boto3

from dr_audit.sandbox.moto_shims import apply_shims

#: moto's credentials: never real ones, so a sandbox run cannot reach AWS
SANDBOX_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
#: the account moto answers as for those credentials
SANDBOX_ACCOUNT = "123456789012"


class SandboxServer:
    """Start, reset and stop a moto server; hand out sessions for it.

    Backends are per process, so one process holds one sandbox at a time
    (xdist workers are processes: each gets its own server and port).
    """

    def __init__(self) -> None:
        self._server = None
        self.url: str | None = None
        #: the accounts of a multi-account run whose estate is seeded here already
        self.seeded_accounts: set[str] = set()

    def start(self) -> str:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        apply_shims()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.reset()
        return self.url

    def reset(self) -> None:
        """Empty every backend (POST /moto-api/reset)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @staticmethod
    def session() -> boto3.Session:
        return boto3.Session(**SANDBOX_CREDENTIALS)

    @staticmethod
    def session_in(account_id: str) -> boto3.Session:
        """The sandbox's credentials acting in ``account_id`` (moto's ``x-moto-account-id`` header):
        how an estate is seeded in one account of many, with no role to assume yet."""
        session = boto3.Session(**SANDBOX_CREDENTIALS)

        def in_account(request, **_) -> None:
            request.headers["x-moto-account-id"] = account_id

        session.events.register("before-send", in_account)
        return session

    def __enter__(self) -> "SandboxServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
