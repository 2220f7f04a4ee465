"""Helpers shared by the project's own tests."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from dr_audit.terraform.collector import collect_terraform

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "terraform" / "portforge"
POLICY = REPO / "policies" / "portforge-dr.yaml"

pytest_plugins = ["pytester"]


def write_tree(base: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under ``base`` (text is dedented) and return ``base``."""
    for name, content in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return base


@pytest.fixture
def tree(tmp_path):
    """Write a Terraform root at tmp_path/root and collect it."""

    def make(files: dict[str, str | bytes], root: str = "root"):
        write_tree(tmp_path / root, files)
        return collect_terraform(tmp_path, {"main": root})

    return make


def one(inventory, kind: str, mode: str = "managed", **select):
    """The single resource of ``kind`` (and mode) whose attributes equal ``select``."""
    found = [r for r in inventory.resources
             if r.kind == kind and r.mode == mode and all(r.value(k) == v for k, v in select.items())]
    assert len(found) == 1, f"expected one {kind} {select}, found {[r.address for r in found]}"
    return found[0]


ESTATES = REPO / "fixtures" / "estates"

#: a strict pytest configuration for a copied audit suite; add settings after it
AUDIT_CONFIG = '[tool.pytest]\nstrict = true\nmarkers = ["dr_row: row"]\n'


def install_audit_suite(directory: Path, config: str | None = None) -> Path:
    """Make ``directory`` a project that runs ``pytest audits/`` as a user does: the audit
    suite and the plugin hook, plus a ``pyproject.toml`` holding ``config`` when given
    (without one, the repository's own configuration is found from the policy's path)."""
    shutil.copytree(REPO / "audits", directory / "audits")
    (directory / "conftest.py").write_text('pytest_plugins = ["dr_audit.plugin"]\n')
    if config is not None:
        (directory / "pyproject.toml").write_text(config)
    return directory


@pytest.fixture
def suite(pytester):
    """A pytester project with the audit suite and the shipped estates."""
    install_audit_suite(pytester.path, AUDIT_CONFIG + f'dr_estates_dir = "{ESTATES}"\n')
    return pytester


@pytest.fixture(scope="session")
def sandbox_server():
    """One moto server for this test process (backends are per process).

    It is warmed with the largest estate once: moto imports a service's
    backend on first use, and pytester restores ``sys.modules`` after each of
    its tests, so a backend first imported inside a pytester test would be
    dropped and re-imported apart from the server's other backends.
    """
    from dr_audit.sandbox.estate import load_estate, seed
    from dr_audit.sandbox.server import SandboxServer

    with SandboxServer() as server:
        seed(server, load_estate(ESTATES, "portforge-drift"))
        server.reset()
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The process's sandbox, emptied before the test."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def reader_for(sandbox):
    """Seed an estate (by name, or None for an empty account) and return a fresh reader."""
    from dr_audit.aws.reader import AwsReader, ReaderSettings
    from dr_audit.sandbox.estate import load_estate, seed

    def make(estate: str | None = None, **settings):
        if estate:
            seed(sandbox, load_estate(ESTATES, estate))
        return AwsReader(sandbox.session(), ReaderSettings(endpoint_url=sandbox.url, **settings))

    return make


def inject_error(reader, service: str, operation: str, status: int, code: str, message: str = "injected"):
    """Make ``operation`` (e.g. ``ListTables``) of ``service`` answer with an AWS error,
    in the service's own wire format, through botocore's real parsing and retry
    path. The request never reaches the sandbox. Returns a list counting attempts."""
    from botocore.awsrequest import AWSResponse
    import botocore.session

    protocol = botocore.session.get_session().get_service_model(service).protocol
    if protocol in ("json", "rest-json"):
        body = f'{{"__type": "{code}", "message": "{message}"}}'
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    elif protocol == "ec2":
        body = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors></Response>"
        headers = {"Content-Type": "text/xml"}
    else:
        body = f"<ErrorResponse><Error><Code>{code}</Code><Message>{message}</Message></Error></ErrorResponse>"
        headers = {"Content-Type": "text/xml"}
    attempts = []

    class Raw:
        def stream(self, **_):
            yield body.encode()

    def answer(request, **_):
        attempts.append(request.url)
        return AWSResponse(request.url, status, headers, Raw())

    event_service = botocore.session.get_session().get_service_model(service).service_id.hyphenize()
    reader.session._session.register(f"before-send.{event_service}.{operation}", answer)
    return attempts
