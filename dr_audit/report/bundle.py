"""The evidence bundle: every report of a run, each row's raw evidence, and a manifest of hashes.

An auditor archives the directory; the manifest lets anyone check later that nothing in it changed.
Each row's evidence quotes its sources: the Terraform lines around each code value, and for each
account value the part of the AWS response it came from (operation, region, the request, and the
response item, e.g. the ``DBInstances[]`` entry of that instance).

The quotes are gathered where the evidence was read (:func:`gather_sources`: the serial process,
or an xdist worker, which sends them to the controller as plain data) and written by
:func:`write_bundle`. Everything quoted goes through the run's redactor first, and values under
secret-looking names in a response are masked as well.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from dr_audit.partitions import partition_of_region
from dr_audit.report.atomic import write_atomically
from dr_audit.secrets import MASK, looks_secret

#: lines of Terraform shown before and after the line a value came from
CONTEXT_BEFORE, CONTEXT_AFTER = 3, 6
MANIFEST = "manifest.json"
#: response excerpts quoted per resource at most (a resource named in many requests stays readable)
MAX_EXCERPTS = 20
#: response keys that are about the response, not the resources in it
_PAGING_KEYS = {"ResponseMetadata", "NextToken", "nextToken", "Marker", "NextMarker", "IsTruncated", "MaxItems",
                "MaxResults", "maxResults", "NextContinuationToken", "ContinuationToken"}
#: the endings of the keys that name the item they are in (``DBInstanceArn``, ``RouteTableId``, ``name``)
_NAMING_SUFFIXES = ("Identifier", "Name", "Arn", "ARN", "Id", "ID")


def _safe_name(row_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", row_id) or "_"


def hcl_lines(root: Path | None, file: str | None, line: int | None) -> list[dict[str, Any]]:
    """The lines of ``root/file`` around ``line`` as ``[{line, text}]``; empty when the file is
    unknown, outside ``root`` or unreadable."""
    if root is None or not file or not line:
        return []
    path = (Path(root) / file).resolve()
    if not path.is_relative_to(Path(root).resolve()) or not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    first = max(int(line) - CONTEXT_BEFORE, 1)
    last = min(int(line) + CONTEXT_AFTER, len(lines))
    return [{"line": n, "text": lines[n - 1]} for n in range(first, last + 1)]


# ----- what each row's sources are ---------------------------------------------------------------

def code_sources(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The Terraform values a row used: ``[{address, file, line, value}]`` (only those with a file)."""
    code = row["terraform"]
    sources = [{"address": code.get("address"), "file": code.get("file"), "line": code.get("line"),
                "value": code.get("value")}] if code.get("file") else []
    return sources + [{"address": r.get("address"), "file": r.get("file"), "line": r.get("line"),
                       "value": r.get("value")}
                      for r in row.get("resources", []) if r.get("source") == "terraform" and r.get("file")]


def account_sources(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The account values a row used: ``[{id, region, account, value}]`` (none when not consulted)."""
    live = row["live"]
    sources = [{"id": live.get("id"), "region": live.get("region"), "account": live.get("account"),
                "value": live.get("value")}] if live.get("status") != "not_consulted" else []
    return sources + [{"id": r.get("id"), "region": r.get("region"), "account": r.get("account"),
                       "value": r.get("value")}
                      for r in row.get("resources", []) if r.get("source") != "terraform"]


def line_key(file: str, line: Any) -> str:
    return f"{file}:{line}"


def resource_key(source: dict[str, Any]) -> str:
    """One account source's key in the gathered excerpts: account, region and id."""
    return json.dumps([source.get("account"), source.get("region"), source.get("id")])


# ----- finding a resource's item in the responses read ----------------------------------------------

def _plain(text: Any) -> Any:
    """A value as compared: strings without DNS's trailing dot, in lower case."""
    return text.rstrip(".").lower() if isinstance(text, str) else text


class _Wanted:
    """What identifies one resource in a response: its id itself wherever it names an item; for an
    ARN also its resource name where the ARN's own service was read (``arn:aws:s3:::b`` is ``b`` to
    S3's GetBucketReplication); for a ``zone/name/type`` id every part, in the request or the item;
    for a described id (``ecr registry 111122223333``: no AWS id has a space) its last word, where
    its first word's service was read."""

    def __init__(self, resource_id: str, region: str | None, global_region: str):
        self.exact = _plain(resource_id)
        self.names: set[str] = set()
        self.service: str | None = None
        self.parts: list[str] = []
        fields = resource_id.split(":", 5)
        if resource_id.startswith("arn:") and len(fields) == 6:
            self.service = fields[2]
            resource = fields[5]
            self.names = {_plain(n) for n in (resource, resource.split("/")[-1], resource.split(":")[-1]) if n}
        elif " " in resource_id.strip():
            words = resource_id.split()
            self.service, self.names = words[0], {_plain(words[-1])}
        elif "/" in resource_id and not resource_id.startswith("/"):
            self.parts = [_plain(part) for part in resource_id.split("/") if part]
        # a resource of no one region (Route 53, CloudFront) is read wherever its service answers
        in_region = isinstance(region, str) and partition_of_region(region) is not None
        self.regions = {region, global_region} if in_region else None

    def fits(self, value: str, response: Any) -> bool:
        """The id itself fits anywhere; a name (or part) only where the resource can be: its service
        and region (a table of the same name in another region is another table)."""
        if value == self.exact:
            return True
        if self.service is not None and response.service != self.service:
            return False
        return self.regions is None or response.region in self.regions


def _thing(key: str) -> str:
    """What a naming key names: ``DBInstanceArn`` -> "dbinstance", ``Bucket`` -> "bucket", ``Id`` -> ""
    (a trailing "y" dropped, so "repository" is found in "repositories")."""
    for suffix in _NAMING_SUFFIXES:
        if key.endswith(suffix):
            key = key[:-len(suffix)]
            break
    return "" if key.lower() in ("id", "arn", "name", "identifier") else key.lower().rstrip("y")


def _names_item(key: str | None, container: str) -> bool:
    """True when ``key`` names the item it is in: ``Id``, ``name``, or ``<Thing>Arn`` inside a
    list of things (``DBInstanceArn`` in ``DBInstances``; not ``VpcId`` in ``Subnets``).
    ``key`` None: the item is a string of a list of names (``TableNames``)."""
    if key is None:
        return True
    if not key.endswith(_NAMING_SUFFIXES) and key.lower() not in ("id", "arn", "name", "identifier"):
        return False
    return _thing(key) in container.lower()


def _request_is_about(key: str, response: Any) -> bool:
    """True when the request argument ``key`` names what the response is about: the only name in
    the request (``DescribeContinuousBackups(TableName)``), or the thing its operation is about
    (``GetRolePolicy(RoleName, PolicyName)`` is about the role; ``DescribeNodegroup(clusterName,
    nodegroupName)`` not about the cluster)."""
    names = [k for k, v in response.arguments.items() if isinstance(v, str)]
    return len(names) == 1 or _thing(key) in response.operation.lower()


def _names_subject(key: str, response: Any) -> bool:
    """True when a top-level field of the response names what the whole response is about: an id
    of the thing its operation is about (``registryId`` of ECR's DescribeRegistry)."""
    return key.endswith(_NAMING_SUFFIXES) and bool(_thing(key)) and _thing(key) in response.operation.lower()


def _items(body: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every item of a response as ``(path, container, item)``: the entries of its lists (a list of
    names, as ``TableNames``, only at the top: inside an object a list of ids refers to other
    things, as a node group's ``subnets``), the objects of a wrapping object (``DistributionList.Items``)
    and its objects."""
    for key, value in body.items():
        if key in _PAGING_KEYS:
            continue
        if isinstance(value, list):
            yield from ((f"{key}[{n}]", key, item) for n, item in enumerate(value))
        elif isinstance(value, dict):
            yield key, key, value
            for inner, listed in value.items():
                if isinstance(listed, list):
                    yield from ((f"{key}.{inner}[{n}]", key + inner, item) for n, item in enumerate(listed)
                                if isinstance(item, dict))


def _without_paging(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in _PAGING_KEYS}


class ResponseIndex:
    """The responses one reader read, indexed by the strings in their requests and items, so each
    resource's excerpts are found without scanning every response. Holds references only.

    In: :class:`~dr_audit.aws.reader.ReadResponse` objects and the reader's global region.
    """

    def __init__(self, responses: Iterable[Any], global_region: str):
        self.global_region = global_region
        #: plain request value -> (order, response) of the requests about the thing it names
        self._asked: dict[str, list[tuple[int, Any]]] = {}
        #: plain item value -> (order, response, path, container, key, item) of the items that hold it
        self._held: dict[str, list[tuple[int, Any, str, str, str | None, Any]]] = {}
        for order, response in enumerate(responses):
            for key, value in response.arguments.items():
                if isinstance(value, str) and _request_is_about(key, response):
                    self._asked.setdefault(_plain(value), []).append((order, response))
            for key, value in response.body.items():
                if isinstance(value, str) and _names_subject(key, response):
                    self._asked.setdefault(_plain(value), []).append((order, response))
            for path, container, item in _items(response.body):
                pairs = item.items() if isinstance(item, dict) else [(None, item)]
                for key, value in pairs:
                    if isinstance(value, str):
                        self._held.setdefault(_plain(value), []).append((order, response, path, container, key, item))

    def excerpts(self, resource_id: str, region: str | None) -> list[dict[str, Any]]:
        """The parts of the responses about the resource ``resource_id`` in ``region``: a whole
        response when its request named the resource, else each item that names it. Each is
        ``{service, region, operation, request, page, path, item}`` in the order read (``path`` ""
        is the whole response); the items are the responses' own objects, not copies."""
        wanted = _Wanted(resource_id, region, self.global_region)
        whole: dict[int, Any] = {}
        for value in {wanted.exact, *wanted.names}:
            whole.update((order, response) for order, response in self._asked.get(value, [])
                         if wanted.fits(value, response))
        found = {(order, ""): _excerpt(response, "", _without_paging(response.body))
                 for order, response in whole.items()}
        for value in {wanted.exact, *wanted.names}:
            for order, response, path, container, key, item in self._held.get(value, []):
                if order not in whole and _names_item(key, container) and wanted.fits(value, response):
                    found[(order, path)] = _excerpt(response, path, item)
        for part in wanted.parts:
            for order, response, path, _, _, item in self._held.get(part, []):
                if order not in whole and wanted.fits(part, response) and _covers_parts(item, response, wanted):
                    found[(order, path)] = _excerpt(response, path, item)
        if not found and resource_id.startswith("arn:") and "/" in resource_id.split(":", 5)[-1]:
            # a part listed inside its parent's entry (a role's inline policy in the role's entry of
            # GetAccountAuthorizationDetails): the parent's entries that hold the part's name
            parent, name = resource_id.rsplit("/", 1)
            return [e for e in self.excerpts(parent, region) if _holds_anywhere(e["item"], _plain(name))]
        return [found[key] for key in sorted(found, key=lambda k: (k[0], _path_order(k[1])))]


def _holds_anywhere(value: Any, wanted: str) -> bool:
    """Whether ``wanted`` (plain) is a string anywhere inside ``value``."""
    if isinstance(value, dict):
        return any(_holds_anywhere(v, wanted) for v in value.values())
    if isinstance(value, list):
        return any(_holds_anywhere(v, wanted) for v in value)
    return isinstance(value, str) and _plain(value) == wanted


def _path_order(path: str) -> tuple:
    return tuple(int(n) if n.isdigit() else n for n in re.split(r"(\d+)", path))


def _covers_parts(item: Any, response: Any, wanted: _Wanted) -> bool:
    """A ``zone/name/type`` id: every part is a value of the request or of the item, one at least
    of the item (the request alone names the zone, not the record)."""
    if not isinstance(item, dict):
        return False
    in_item = {_plain(v) for v in item.values() if isinstance(v, str)}
    asked = {_plain(v) for v in response.arguments.values() if isinstance(v, str)}
    return all(part in in_item | asked for part in wanted.parts)


def _excerpt(response: Any, path: str, item: Any) -> dict[str, Any]:
    return {"service": response.service, "region": response.region, "operation": response.operation,
            "request": response.arguments, "page": response.page, "path": path, "item": item}


# ----- masking what is quoted --------------------------------------------------------------------

def _json_data(value: Any) -> Any:
    """``value`` as plain JSON data (botocore's datetimes and bytes become strings)."""
    return json.loads(json.dumps(value, default=str))


def _mask_everything(value: Any) -> Any:
    if isinstance(value, str):
        return MASK
    if isinstance(value, dict):
        return {key: _mask_everything(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_everything(item) for item in value]
    return value


def _holds_secret(key: str, tag_key: str) -> bool:
    """True when the value under ``key`` (in an object whose tag ``Key`` is ``tag_key``) may be a
    secret: a secret-looking key that is not a secret's name or id (``SecretId``, ``SecretArn``)."""
    if key in ("Value", "value") and looks_secret(tag_key):
        return True
    return looks_secret(key) and not key.endswith(_NAMING_SUFFIXES)


def mask_secret_looking(value: Any) -> Any:
    """A copy of JSON ``value`` with every string under a secret-looking name masked: a key
    (``AuthToken``) or a tag's ``Key`` (``{"Key": "db_password", "Value": ...}``)."""
    if isinstance(value, list):
        return [mask_secret_looking(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag_key = next((value[k] for k in ("Key", "key") if isinstance(value.get(k), str)), "")
    masked = {}
    for key, item in value.items():
        if _holds_secret(key, tag_key):
            masked[key] = _mask_everything(item)
        else:
            masked[key] = mask_secret_looking(item)
    return masked


def quoted(value: Any, redact_data: Callable[[Any], Any]) -> Any:
    """``value`` as the bundle may write it: plain JSON, secret-looking values and known secrets masked."""
    return redact_data(mask_secret_looking(_json_data(value)))


# ----- gathering (where the evidence was read) and writing ---------------------------------------

def gather_sources(document: dict[str, Any], terraform_root: Path | None, redact: Callable[[str], str],
                   redact_data: Callable[[Any], Any], readers: dict[str | None, Any] | None) -> dict[str, Any]:
    """What the bundle quotes for ``document``'s rows, as plain data an xdist worker can send:
    ``{"lines": {"file:line": [{line, text}]}, "responses": {resource key: {"excerpts": [...]} or
    {"missing": why}}}``, every text masked with ``redact``/``redact_data``. ``readers``: account id
    -> the :class:`~dr_audit.aws.reader.AwsReader` that read it (empty or None: no account was read).
    Each resource is looked up once, however many rows use it."""
    indexes = {id(reader): ResponseIndex(reader.responses(), reader.global_region)
               for reader in (readers or {}).values()}
    by_account = {account: indexes[id(reader)] for account, reader in (readers or {}).items()}
    lines: dict[str, list[dict[str, Any]]] = {}
    responses: dict[str, dict[str, Any]] = {}
    for row in document["rows"]:
        for source in code_sources(row):
            key = line_key(source["file"], source["line"])
            if key not in lines:
                lines[key] = [{"line": entry["line"], "text": redact(entry["text"])}
                              for entry in hcl_lines(terraform_root, source["file"], source["line"])]
        for source in account_sources(row):
            key = resource_key(source)
            if key not in responses:
                searched = [by_account[source["account"]]] if source.get("account") in by_account else list(
                    indexes.values())  # "a, b" (a row reading two accounts) or no account named: every reader
                responses[key] = _resource_excerpts(source, searched, redact_data)
    return {"lines": lines, "responses": responses}


def gather_for_run(context: Any, document: dict[str, Any]) -> dict[str, Any]:
    """:func:`gather_sources` for a run, in the process that read its evidence: ``context`` is its
    :class:`~dr_audit.context.AuditContext` (its redactor, and its target's readers by account),
    ``document`` its masked report (the Terraform root is the one the report names)."""
    root = (document["run"].get("terraform") or {}).get("root")
    return gather_sources(document, Path(root) if root else None, context.redactor.text, context.redactor.data,
                          run_readers(context.target))


def merged_sources(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One set of quotes from several accounts' (each from :func:`gather_sources`). Their keys
    never collide with different content: excerpts are keyed by account, region and id, and a
    Terraform line by file and line of the one root every account of a run is checked against."""
    lines: dict[str, Any] = {}
    responses: dict[str, Any] = {}
    for part in parts:
        lines.update(part.get("lines") or {})
        responses.update(part.get("responses") or {})
    return {"lines": lines, "responses": responses}


def run_readers(target: Any) -> dict[str | None, Any]:
    """Account id -> the reader that read it, for every account ``target`` (a LiveTarget, or None
    in static mode) opened."""
    if target is None:
        return {}
    readers = {reading.account_id: reading.reader for reading in target.readings if reading.reader is not None}
    if target.reader is not None:
        readers.setdefault(target.reader.account_id, target.reader)
    return readers


def _resource_excerpts(source: dict[str, Any], indexes: list[ResponseIndex],
                       redact_data: Callable[[Any], Any]) -> dict[str, Any]:
    """The excerpts of one account source, masked; or why there are none."""
    if not source.get("id"):
        return {"missing": "the value is not one resource's (no resource id)"}
    if not indexes:
        return {"missing": "this run kept no AWS responses"}
    found = [excerpt for index in indexes for excerpt in index.excerpts(str(source["id"]), source.get("region"))]
    if not found:
        return {"missing": f"no response this run read names {source['id']}"}
    result: dict[str, Any] = {"excerpts": [quoted(excerpt, redact_data) for excerpt in found[:MAX_EXCERPTS]]}
    if len(found) > MAX_EXCERPTS:
        result["not_shown"] = len(found) - MAX_EXCERPTS
    return result


def row_evidence(row: dict[str, Any], sources: dict[str, Any] | None) -> dict[str, Any]:
    """One row's raw evidence: what each source held, where, the Terraform lines and the AWS response
    excerpts it came from (``sources`` from :func:`gather_sources`; None: nothing to quote)."""
    sources = sources or {}
    lines, responses = sources.get("lines") or {}, sources.get("responses") or {}
    code = [{**source, "lines": lines.get(line_key(source["file"], source["line"]), [])}
            for source in code_sources(row)]
    account = []
    for source in account_sources(row):
        quotes = responses.get(resource_key(source), {"missing": "no AWS responses were handed to this process"})
        entry = {**source, "excerpts": quotes.get("excerpts", [])}
        if "missing" in quotes:
            entry["no_response_excerpt"] = quotes["missing"]
        if quotes.get("not_shown"):
            entry["excerpts_not_shown"] = quotes["not_shown"]
        account.append(entry)
    code_evidence: dict[str, Any] = {"status": row["terraform"]["status"], "sources": code}
    if sources.get("lines_not_quoted") and code:
        code_evidence["lines_not_quoted"] = sources["lines_not_quoted"]
    live = row["live"]
    return {"id": row["id"], "clause": row["clause"], "status": row["status"], "message": row["message"],
            "expected": row["expected"], "code": code_evidence,
            "account": {"status": live["status"], "error": live.get("error"), "sources": account}}


def write_bundle(directory: Path, document: dict[str, Any], reports: dict[str, str],
                 sources: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Write ``reports`` (file name -> text, already masked), ``evidence/<row>.json`` per row (quoting
    ``sources``, from :func:`gather_sources`) and ``manifest.json`` (path -> sha256 and size) into
    ``directory``; returns the manifest."""
    directory = Path(directory)
    files = dict(reports)
    for row in document["rows"]:
        evidence = row_evidence(row, sources)
        # a merged report holds each row id once per account: its key (<account>-<ROW-ID>) is unique
        name = _safe_name(row.get("key") or row["id"])
        files[f"evidence/{name}.json"] = json.dumps(evidence, indent=2, ensure_ascii=False) + "\n"
    manifest = {}
    for name, text in sorted(files.items()):
        data = text.encode("utf-8")
        write_atomically(directory / name, text)
        manifest[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    write_atomically(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest
