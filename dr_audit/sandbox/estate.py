"""Estates: a sandbox account described as data, and the seeder that builds it.

``fixtures/estates/<name>/estate.yaml`` holds ``description``, an optional
``extends`` (another estate, whose steps run first) and ``steps``: AWS calls
in order, each ``{call: service.operation, region, args, save}``. ``save``
names values of the response (``{vpc: Vpc.VpcId}``) that later steps use as
``${vpc}``; ``${account_id}`` is always the account being seeded, so an ARN written
with it holds in whichever account the estate lands. A step ``{shim: name, args}`` runs
a sandbox-only helper from ``moto_shims``. Seeding only ever targets a loopback sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import botocore.exceptions

from dr_audit.errors import EstateError, PolicyError
from dr_audit.sandbox import moto_shims
from dr_audit.sandbox.server import SANDBOX_ACCOUNT, SandboxServer
from dr_audit.yaml_lines import load_yaml_with_lines

_REF = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
#: shim name -> function(account_id, **args): each works on the backends of the account being seeded
SHIMS = {"pin_distribution_id": moto_shims.pin_distribution_id,
         # timestamps relative to the seeding: PutMetricData itself takes only absolute ones
         "put_metric_series": moto_shims.put_metric_series,
         # AWS Backup jobs completed hours before the seeding: moto runs no backup
         "put_backup_jobs": moto_shims.put_backup_jobs,
         # routes the other side announced over a VPN connection's BGP sessions: moto runs no BGP
         "learn_bgp_routes": moto_shims.learn_bgp_routes}


@dataclass
class Step:
    """One estate step, with where it was written."""

    file: str
    line: int
    region: str | None
    args: dict
    call: str | None = None
    shim: str | None = None
    save: dict = field(default_factory=dict)

    def where(self) -> str:
        return f"{self.call or self.shim}"


@dataclass
class Estate:
    """A named estate: its steps and, if it names one, the Terraform it matches."""

    name: str
    description: str
    steps: list[Step]
    terraform_root: Path | None = None


def load_estate(estates_dir: Path, name: str, _seen: tuple = ()) -> Estate:
    """The estate ``name`` with the steps of what it extends first.

    Raises EstateError naming file and line for a missing estate, a cycle, or
    a malformed step.
    """
    path = Path(estates_dir) / name / "estate.yaml"
    if name in _seen:
        raise EstateError(str(path), f"extends cycle: {' -> '.join(_seen + (name,))}")
    if not path.is_file():
        known = sorted(p.name for p in Path(estates_dir).iterdir() if (p / "estate.yaml").is_file()) \
            if Path(estates_dir).is_dir() else []
        raise EstateError(str(path), f"no estate {name!r} (known: {', '.join(known) or 'none'})")
    try:
        data = load_yaml_with_lines(path)
    except PolicyError as error:
        raise EstateError(error.path, error.message, error.line, error.column) from None
    if not isinstance(data, dict) or not isinstance(data.get("steps", []), list):
        raise EstateError(str(path), "an estate is a mapping with a 'steps' list", getattr(data, "line", None))
    unknown_keys = set(data) - {"description", "extends", "terraform_root", "steps"}
    if unknown_keys:
        raise EstateError(str(path), f"unknown keys: {', '.join(sorted(unknown_keys))}", data.line)
    parent = load_estate(estates_dir, data["extends"], _seen + (name,)) if data.get("extends") else None
    steps = list(parent.steps) if parent else []
    terraform_root = (path.parent / data["terraform_root"]).resolve() if data.get("terraform_root") else (
        parent.terraform_root if parent else None)
    for index, raw in enumerate(data.get("steps") or []):
        line = data["steps"].item_lines[index]
        if not isinstance(raw, dict) or ("call" in raw) == ("shim" in raw):
            raise EstateError(str(path), "a step needs exactly one of 'call' (service.operation) or 'shim'", line)
        unknown = set(raw) - {"call", "shim", "region", "args", "save"}
        if unknown:
            raise EstateError(str(path), f"unknown step keys: {', '.join(sorted(unknown))}", line)
        if "call" in raw and (not isinstance(raw["call"], str) or "." not in raw["call"] or not raw.get("region")):
            raise EstateError(str(path), "'call' is service.operation and needs a 'region'", line)
        if "shim" in raw and raw["shim"] not in SHIMS:
            raise EstateError(str(path), f"unknown shim {raw['shim']!r} (known: {', '.join(SHIMS)})", line)
        steps.append(Step(str(path), line, raw.get("region"), dict(raw.get("args") or {}), raw.get("call"),
                          raw.get("shim"), dict(raw.get("save") or {})))
    return Estate(name, str(data.get("description", "")), steps, terraform_root)


def _resolve(value: Any, saved: dict[str, Any], step: Step) -> Any:
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _saved(whole.group(1), saved, step)
        return _REF.sub(lambda m: str(_saved(m.group(1), saved, step)), value)
    if isinstance(value, list):
        return [_resolve(v, saved, step) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, saved, step) for k, v in value.items()}
    return value


def _saved(name: str, saved: dict[str, Any], step: Step) -> Any:
    if name not in saved:
        raise EstateError(step.file, f"{step.where()}: ${{{name}}} is not saved by an earlier step", step.line)
    return saved[name]


def _dig(response: Any, path: str, step: Step) -> Any:
    value = response
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise EstateError(step.file, f"{step.where()}: the response has no {path}", step.line)
    return value


def seed(server: SandboxServer, estate: Estate, session: Any = None,
         account_id: str = SANDBOX_ACCOUNT) -> dict[str, Any]:
    """Run the estate's steps against the sandbox; returns the saved values.

    ``session`` is the credentials the steps are sent with (default: the sandbox's own, which moto
    answers as ``SANDBOX_ACCOUNT``); ``account_id`` is the account those credentials land in, where
    shims write. Refuses any endpoint that is not loopback: seeding writes, so it must never reach a
    real account.
    """
    host = urlparse(server.url or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(f"refusing to seed {server.url}: the seeder only writes to a loopback sandbox")
    session = session or server.session()
    clients: dict[tuple[str, str], Any] = {}
    saved: dict[str, Any] = {"account_id": account_id}
    for step in estate.steps:
        args = _resolve(step.args, saved, step)
        if step.shim:
            SHIMS[step.shim](account_id, **args)
            continue
        service, operation = step.call.split(".", 1)
        key = (service, step.region)
        if key not in clients:
            clients[key] = session.client(service, region_name=step.region, endpoint_url=server.url)
        try:
            response = getattr(clients[key], operation)(**args)
        except AttributeError:
            raise EstateError(step.file, f"{service} has no operation {operation}", step.line) from None
        except (botocore.exceptions.ClientError, botocore.exceptions.ParamValidationError) as error:
            raise EstateError(step.file, f"{step.call} in {step.region} failed: {error}", step.line) from None
        for name, path in step.save.items():
            saved[name] = _dig(response, path, step)
    return saved
