"""One report from many: the per-account documents of a multi-account run, or the shard reports
of a run split across machines, merged into one "dr-audit/1" document.

Pure data in and out: every input is a JSON document (a per-account document carries
``run.account``; a merged one carries ``accounts``), the output is a new document and no
input is changed. Merged documents can be merged again: each is taken apart into its
accounts first, so merging merges of shards gives what merging every shard at once gives.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dr_audit.findings import Status
from dr_audit.report.presentation import run_verdict

#: the run keys that describe one account's reading; they live under ``accounts[i].run``
PER_ACCOUNT_KEYS = ("target", "aws", "accounts", "account", "terraform")
#: the run keys a merge computes again from the accounts
RECOMPUTED_KEYS = ("run_id", "shard", "shards_merged", "started", "finished", "incomplete", "exit_status",
                   "verdict")
#: a problem item's statuses, in the order the account table shows them
PROBLEM_STATUSES = ("OPEN", "FIXED_IN_CODE_NOT_APPLIED", "APPLIED_NOT_IN_CODE", "UNKNOWN", "RESOLVED")
#: exit statuses that say the run itself went wrong (interrupted, internal or usage error):
#: a merge keeps them rather than recomputing a verdict from partial rows
_RUN_FAILURES = (2, 3, 4)
#: the first words of the reason a merge gives for shards it did not get
MISSING_SHARDS = "shard(s) not merged:"
_EXIT_INCOMPLETE = 10


class MergeError(ValueError):
    """The documents cannot be merged; the message names the document (file) and why."""


@dataclass
class AccountPart:
    """One account's share of an input document: its own run block, rows, problems and inputs."""

    id: str
    name: str
    source: str
    run: dict[str, Any]
    rows: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    inputs: dict[str, Any]
    waivers: list[dict[str, Any]]
    checkov: Any


def merge_documents(documents: list[dict[str, Any]], sources: list[str] | None = None, *,
                    every_shard: bool = False) -> dict[str, Any]:
    """One document from ``documents`` (per-account documents and/or merged ones).

    ``sources`` names each document in messages (a file path); by default "document N".
    Shards of the split the documents do not cover make the run incomplete when several shards
    are merged, or always with ``every_shard`` (the merge command: one shard of N is not the run).
    Raises MergeError when there is nothing to merge, a document is not "dr-audit/1", or the
    documents differ in policy (``run.policy.sha256``), run id, mode or shard count, or name the
    same account twice.
    """
    if not documents:
        raise MergeError("nothing to merge: no documents given")
    labels = list(sources) if sources is not None else [f"document {n}" for n in range(1, len(documents) + 1)]
    if len(labels) != len(documents):
        raise MergeError(f"{len(documents)} documents but {len(labels)} names for them")
    for document, label in zip(documents, labels):
        _check_shape(document, label)
    _check_same_run(documents, labels)
    parts: list[AccountPart] = []
    for document, label in zip(documents, labels):
        try:
            parts += account_parts(document, label)
        except (KeyError, TypeError, AttributeError) as error:  # a hand-edited or truncated report
            raise MergeError(f"{label}: its accounts cannot be read ({type(error).__name__}: {error})") from error
    parts.sort(key=lambda part: part.name)
    _check_unique_accounts(parts)
    shards = _shards_covered(documents, labels)
    extra_reasons = [reason for document in documents for reason in _run_level_reasons(document)]
    failures = [d["run"].get("exit_status") for d in documents] + [p.run.get("exit_status") for p in parts]
    return _merged(parts, documents[0], shards, list(dict.fromkeys(extra_reasons)),
                   [status for status in failures if status in _RUN_FAILURES], every_shard)


def _check_shape(document: Any, label: str) -> None:
    if not isinstance(document, dict) or document.get("schema") != "dr-audit/1":
        raise MergeError(f"{label}: not a dr-audit/1 report")
    if not isinstance(document.get("run"), dict) or not isinstance(document.get("rows"), list):
        raise MergeError(f"{label}: a dr-audit/1 report without its run block or rows")


def _check_same_run(documents: list[dict[str, Any]], labels: list[str]) -> None:
    """Refuse documents of another policy (by content), another run id or another mode than the first's."""
    first, first_label = documents[0]["run"], labels[0]
    facts = {"policy": lambda run: (run.get("policy") or {}).get("sha256"),
             "run id": lambda run: run.get("run_id"),
             "mode": lambda run: run.get("mode"),
             # shards are a round robin over the whole list: each shard must have split the same one
             "account list": lambda run: run.get("account_list")}
    for document, label in zip(documents[1:], labels[1:]):
        for what, fact in facts.items():
            if fact(document["run"]) != fact(first):
                raise MergeError(f"{label}: {what} {_said(what, fact(document['run']))} differs from "
                                 f"{first_label}'s {_said(what, fact(first))}: not the same run, refusing to merge")


def _said(what: str, value: Any) -> str:
    if value is None:
        return "(none)"
    return f"sha256 {value}" if what == "policy" else str(value)


def account_parts(document: dict[str, Any], source: str) -> list[AccountPart]:
    """The accounts in ``document``: one part for a per-account document, one per entry of
    ``accounts`` for a merged one (its rows and problems picked out by account name)."""
    if isinstance(document.get("accounts"), list):
        return _parts_of_merged(document, source)
    run = document["run"]
    account = run.get("account") or {}
    account_id = account.get("id") or (run.get("aws") or {}).get("account_id")
    name = account.get("name") or account_id
    if not account_id or not name:
        raise MergeError(f"{source}: names no account (run.account, or the account read): cannot be merged")
    return [AccountPart(id=str(account_id), name=str(name), source=source, run=run, rows=document["rows"],
                        problems=document.get("problems") or [], inputs=document.get("inputs") or {},
                        waivers=document.get("waivers") or [], checkov=document.get("checkov"))]


def _parts_of_merged(document: dict[str, Any], source: str) -> list[AccountPart]:
    """A merged document taken apart: each ``accounts`` entry with its rows and problems."""
    rows: dict[str, list] = {entry["name"]: [] for entry in document["accounts"]}
    problems: dict[str, list] = {entry["name"]: [] for entry in document["accounts"]}
    for grouped, items in ((rows, document["rows"]), (problems, document.get("problems") or [])):
        for item in items:
            name = (item.get("account") or {}).get("name")
            if name not in grouped:
                raise MergeError(f"{source}: a row or problem of account {name}, which its accounts do not list")
            grouped[name].append(item)
    return [AccountPart(id=str(entry["id"]), name=str(entry["name"]), source=source, run=entry["run"],
                        rows=rows[entry["name"]], problems=problems[entry["name"]], inputs=entry.get("inputs") or {},
                        waivers=entry.get("waivers") or [], checkov=entry.get("checkov"))
            for entry in document["accounts"]]


def _check_unique_accounts(parts: list[AccountPart]) -> None:
    """Refuse an account (by id or by name) that two documents, or one document twice, hold."""
    for key, what in ((lambda p: p.id, "account id"), (lambda p: p.name, "account name")):
        seen: dict[str, AccountPart] = {}
        for part in parts:
            earlier = seen.setdefault(key(part), part)
            if earlier is not part:
                raise MergeError(f"{part.source}: {what} {key(part)} is also in {earlier.source}: "
                                 f"the same account twice, refusing to merge")


def _document_shards(document: dict[str, Any]) -> list[tuple[int, int]] | None:
    """The shards (index, count) a document covers; None for a run that was not sharded."""
    run = document["run"]
    if run.get("shard"):
        return [(int(run["shard"]["index"]), int(run["shard"]["count"]))]
    merged = run.get("shards_merged") or []
    if merged:
        return [(int(s["index"]), int(s["count"])) for s in merged]
    if isinstance(document.get("accounts"), list):  # a merge without its own shard keys: ask its accounts
        inner = {shard for entry in document["accounts"] for shard in _document_shards({"run": entry["run"]}) or []}
        return sorted(inner) or None
    return None


def _shards_covered(documents: list[dict[str, Any]], labels: list[str]) -> list[tuple[int, int]]:
    """Every shard the documents cover; refuses sharded and unsharded documents together, and
    shards of different splits (K/N with different N)."""
    covered: set[tuple[int, int]] = set()
    sharded: dict[bool, str] = {}
    for document, label in zip(documents, labels):
        try:
            shards = _document_shards(document)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise MergeError(f"{label}: its shard cannot be read ({type(error).__name__}: {error})") from error
        sharded.setdefault(shards is not None, label)
        covered |= set(shards or [])
    if len(sharded) == 2:
        raise MergeError(f"{sharded[False]}: not from a sharded run, unlike {sharded[True]}: refusing to merge")
    counts = sorted({count for _, count in covered})
    if len(counts) > 1:
        where = next(label for document, label in zip(documents, labels)
                     if any(count != counts[0] for _, count in _document_shards(document) or []))
        raise MergeError(f"{where}: shards of a split into {counts[1]} while others split into {counts[0]}: "
                         f"refusing to merge")
    return sorted(covered)


def missing_shards(shards: list[tuple[int, int]]) -> list[int]:
    """The shard indexes of the split that ``shards`` (index, count) does not cover."""
    if not shards:
        return []
    count = shards[0][1]
    return sorted(set(range(1, count + 1)) - {index for index, _ in shards})


def _run_level_reasons(document: dict[str, Any]) -> list[str]:
    """Reasons a merged document's run was incomplete that none of its accounts gives (a merge
    recomputes the accounts' reasons and the missing shards, and keeps these)."""
    if not isinstance(document.get("accounts"), list):
        return []
    derived = {f"account {entry['name']}: {reason}" for entry in document["accounts"]
               for reason in entry.get("incomplete") or []}
    return [reason for reason in document["run"].get("incomplete") or []
            if reason not in derived and not reason.startswith(MISSING_SHARDS)]


def _merged(parts: list[AccountPart], first: dict[str, Any], shards: list[tuple[int, int]],
            extra_reasons: list[str], run_failures: list[int], every_shard: bool) -> dict[str, Any]:
    rows = [_with_account(row, part, keyed=True) for part in parts for row in part.rows]
    problems = [_with_account(problem, part) for part in parts for problem in part.problems]
    document = {
        "schema": "dr-audit/1",
        "run": _run(parts, first["run"], shards, extra_reasons, every_shard),
        "summary": {"rows": len(rows), "by_status": _by_status(rows), "accounts": len(parts)},
        "accounts": [_account_entry(part) for part in parts],
        "inputs": _inputs(parts),
        "rows": rows,
        "problems": problems,
        "waivers": _waivers(parts),
        "checkov": None,  # per account, under accounts[i].checkov
    }
    run = document["run"]
    run["exit_status"] = _exit_status(document, run_failures)
    run["verdict"] = run_verdict(document, run["exit_status"])
    # the parts share their dicts with the inputs: a copy keeps the inputs safe from the caller's edits
    return json.loads(json.dumps(document))


def _with_account(item: dict[str, Any], part: AccountPart, keyed: bool = False) -> dict[str, Any]:
    """A copy of a row or problem naming its account; a row also gets its unique ``key``."""
    extra = {"account": {"id": part.id, "name": part.name}}
    if keyed:
        extra["key"] = f"{part.name}-{item['id']}"
    return {**item, **extra}


def _run(parts: list[AccountPart], fallback: dict[str, Any], shards: list[tuple[int, int]],
         extra_reasons: list[str], every_shard: bool) -> dict[str, Any]:
    """The merged run block: the first account's run less what is per account, with the run id,
    the shard(s), the earliest start, the latest finish and every account's reasons."""
    base = parts[0].run if parts else fallback
    run = {key: value for key, value in base.items() if key not in PER_ACCOUNT_KEYS + RECOMPUTED_KEYS}
    run["run_id"] = base.get("run_id")
    run["shard"] = {"index": shards[0][0], "count": shards[0][1]} if len(shards) == 1 else None
    run["shards_merged"] = [{"index": index, "count": count} for index, count in shards]
    if parts:
        run["started"] = min((p.run["started"] for p in parts), key=_instant)
        run["finished"] = max((p.run["finished"] for p in parts), key=_instant)
    else:
        run["started"], run["finished"] = fallback.get("started"), fallback.get("finished")
    reasons = [f"account {p.name}: {reason}" for p in parts for reason in p.run.get("incomplete") or []]
    missing = missing_shards(shards) if len(shards) > 1 or every_shard else []
    if missing:
        reasons.append(f"{MISSING_SHARDS} {', '.join(map(str, missing))} of {shards[0][1]}")
    run["incomplete"] = reasons + [r for r in extra_reasons if r not in reasons]
    return run


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _by_status(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Rows per status, every status named (the JSON contract's order), zero where none."""
    counts = Counter(row["status"] for row in rows)
    order = [status.value for status in Status] + sorted(set(counts) - {status.value for status in Status})
    return {status: counts.get(status, 0) for status in order}


def _account_entry(part: AccountPart) -> dict[str, Any]:
    run = part.run
    target, aws = run.get("target") or {}, run.get("aws") or {}
    listed_errors = [a.get("error") for a in run.get("accounts") or [] if a.get("error")]
    problems = Counter(problem["status"] for problem in part.problems)
    return {
        "id": part.id, "name": part.name,
        "estate": (run.get("account") or {}).get("estate") or target.get("estate"),
        "error": aws.get("error") or (listed_errors[0] if listed_errors else None),
        "by_status": _by_status(part.rows),
        "problems": {status: problems.get(status, 0) for status in
                     list(PROBLEM_STATUSES) + sorted(set(problems) - set(PROBLEM_STATUSES))},
        "incomplete": list(run.get("incomplete") or []),
        "api_calls": int(target.get("api_calls") or 0),
        "run": run,
        "inputs": part.inputs,
        "waivers": part.waivers,
        "checkov": part.checkov,
    }


def _inputs(parts: list[AccountPart]) -> dict[str, Any]:
    """Every account's unreadable inputs, each naming its account (``account_name``)."""
    files = sorted({f for part in parts for f in part.inputs.get("terraform_files") or []})
    tagged = lambda key: [{**error, "account_name": part.name}  # noqa: E731 - a local helper
                          for part in parts for error in part.inputs.get(key) or []]
    return {"terraform_files": files, "terraform_errors": tagged("terraform_errors"),
            "terraform_gaps": [f"account {part.name}: {gap}" for part in parts
                               for gap in part.inputs.get("terraform_gaps") or []],
            "aws_errors": tagged("aws_errors")}


def _waivers(parts: list[AccountPart]) -> list[dict[str, Any]]:
    """Each distinct waiver once, with the accounts whose run applied it (``accounts``: names)."""
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for waiver in part.waivers:
            plain = {key: value for key, value in waiver.items() if key != "accounts"}
            entry = merged.setdefault(json.dumps(plain, sort_keys=True), {**plain, "accounts": []})
            entry["accounts"].append(part.name)
    return list(merged.values())


def _exit_status(document: dict[str, Any], run_failures: list[int]) -> int:
    """The exit status the merged run ends with: the first run failure (2, 3, 4) a merged run ended
    with is kept; otherwise 10 when incomplete, 1 on a failing checked row, 5 without rows, else 0."""
    if run_failures:
        return int(run_failures[0])
    if document["run"]["incomplete"]:
        return _EXIT_INCOMPLETE
    verdict = run_verdict(document, 0)
    if verdict == "violations":
        return 1
    return 0 if document["rows"] else 5
