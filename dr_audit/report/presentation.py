"""What the auditor's report needs beyond the JSON values: the run's verdict, where it ran,
links to the AWS console and the repository, readable words for raw values, numeric order."""

from __future__ import annotations

import getpass
import os
import re
import socket
import subprocess
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote

#: console host per ARN partition (the partition is the ARN's second field)
CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}

#: exit statuses pytest ends a run with, and the one the plugin uses for an incomplete audit
_EXIT_WORDS = {0: "all rows pass", 1: "violations found", 2: "interrupted", 3: "internal error",
               4: "usage error", 5: "no rows collected", 10: "incomplete: some evidence could not be read"}

_FAILING = ("FAIL", "DRIFT", "UNDEPLOYED", "UNMANAGED", "UNKNOWN", "ERROR")


def natural_key(text: Any) -> tuple:
    """A sort key that orders numbers inside ``text`` by value: "2" < "4" < "10", "2.3" < "2.10".

    None sorts first; digits and the text between them alternate so keys always compare.
    """
    if text is None:
        return ((0, 0, ""),)
    parts = re.split(r"(\d+)", str(text))
    return tuple((1, int(p), "") if p.isdigit() else (2, 0, p.lower()) for p in parts if p != "")


def run_verdict(document: Mapping[str, Any], exit_status: int) -> str:
    """The run's outcome in one word: "incomplete", "violations" or "pass"."""
    if document.get("run", {}).get("incomplete") or exit_status == 10:
        return "incomplete"
    failing = [r for r in document.get("rows", []) if r.get("status") in _FAILING and r.get("checked", True)]
    if failing or exit_status not in (0, 5):
        return "violations"
    return "pass"


def exit_words(exit_status: int) -> str:
    """What an exit status means, for the report's header."""
    return _EXIT_WORDS.get(int(exit_status), "see pytest's exit codes")


def provenance(environ: Mapping[str, str]) -> dict[str, Any]:
    """Who ran the audit and where: user, host, and the CI run's URL and commit when GitHub
    Actions' environment gives them. Reads only those names: never a credential."""
    server, repository = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    run_id = environ.get("GITHUB_RUN_ID")
    ci_run = f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}" if server and repository and run_id else None
    return {"user": _user(), "host": socket.gethostname() or None, "ci_run_url": ci_run,
            "commit": environ.get("GITHUB_SHA") or None}


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return None


def repository_link(environ: Mapping[str, str], repo_url: str | None, terraform_root: str | None,
                    terraform_commit: str | None, repo_root: str | None = None) -> dict[str, str] | None:
    """Where the Terraform files can be read online: ``{url, commit, prefix}``, or None.

    The URL is ``--dr-repo-url`` or GitHub's server/repository; the commit is GITHUB_SHA or the
    Terraform root's own commit; the prefix is the root's path inside its git repository, else inside
    ``repo_root``. Without a commit there is no link: a line only means something at one commit.
    """
    server, repository = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    url = repo_url or (f"{server.rstrip('/')}/{repository}" if server and repository else None)
    commit = environ.get("GITHUB_SHA") or terraform_commit
    if not url or not commit:
        return None
    return {"url": url.rstrip("/"), "commit": commit, "prefix": _prefix_in_repository(terraform_root, repo_root)}


def _prefix_in_repository(directory: str | None, repo_root: str | None) -> str:
    """``directory``'s path inside its git work tree ("a/b/"), else inside ``repo_root``, else ""."""
    if not directory:
        return ""
    fallback = os.path.relpath(directory, repo_root) if repo_root else "."
    fallback = "" if fallback == "." or fallback.startswith("..") else Path(fallback).as_posix() + "/"
    try:
        result = subprocess.run(["git", "-C", directory, "rev-parse", "--show-prefix"], capture_output=True,
                                text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return fallback
    return result.stdout.strip() if result.returncode == 0 else fallback


def file_url(link: Mapping[str, str] | None, path: str | None, line: int | None) -> str | None:
    """``<url>/blob/<commit>/<prefix><path>#L<line>`` for a Terraform file, or None without a link."""
    if not link or not path or os.path.isabs(path) or ".." in path.split("/"):
        return None
    target = f"{link['url']}/blob/{link['commit']}/{quote(link.get('prefix', '') + path)}"
    return target + (f"#L{int(line)}" if line else "")


def console_url(arn: Any) -> str | None:
    """The AWS console page that resolves ``arn`` (its partition's console), or None when it is not an ARN."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    fields = arn.split(":", 5)
    if len(fields) < 6 or fields[1] not in CONSOLE_HOSTS:
        return None
    return f"https://{CONSOLE_HOSTS[fields[1]]}/go/view?arn={quote(arn, safe='')}"


def words(value: Any) -> str:
    """A raw JSON value as the report's reader says it: "not set" for null, "yes"/"no" for booleans,
    "none" for an empty list or mapping, lists joined with commas."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(words(v) for v in value) if value else "none"
    if isinstance(value, dict):
        if not value:
            return "none"
        return ", ".join(f"{k}: {words(v)}" for k, v in value.items())
    return str(value)


#: a bare JSON/Python literal inside a sentence; not part of a name, path, quoted string or number
_LITERAL = re.compile(r"(?<![\w\-./:\"'])(true|false|null|None|True|False)(?![\w\-./:\"'])")
_LITERAL_WORDS = {"true": "yes", "True": "yes", "false": "no", "False": "no", "null": "not set", "None": "not set"}


def readable_text(text: Any) -> Any:
    """A message with its bare literals (true, false, null, None) said in words; other text unchanged."""
    if not isinstance(text, str):
        return text
    return _LITERAL.sub(lambda match: _LITERAL_WORDS[match.group(1)], text)
