"""``python -m dr_audit.report merge SHARD.json... --json OUT --html OUT --sarif OUT --csv OUT``

Merges the JSON reports of one audit run split across machines (``--dr-shard K/N``), or of
separate accounts of one run, into one report: JSON, HTML, SARIF and CSV, each written
atomically. Reports of different policies, run ids, modes or shard splits, or holding the same
account twice, are refused. Exit status: 0 written (whatever the audit's verdict: the merged
JSON says it in ``run.verdict`` and ``run.exit_status``), 2 refused or unreadable input (the
message names the file), 4 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from dr_audit.command_line import EXIT_USAGE, UsageParser
from dr_audit.report.atomic import write_atomically
from dr_audit.report.csv_report import render_csv
from dr_audit.report.html_report import render_html
from dr_audit.report.json_report import dumps
from dr_audit.report.merge import MergeError, merge_documents
from dr_audit.report.presentation import provenance
from dr_audit.report.sarif import build_sarif

EXIT_REFUSED = 2



def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="python -m dr_audit.report", description="Commands on dr-audit reports.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    merge = commands.add_parser("merge", help="merge shard (or per-account) JSON reports into one report",
                                description=__doc__.split("\n\n")[1])
    merge.add_argument("reports", nargs="+", type=Path, metavar="SHARD.json", help="the JSON reports to merge")
    merge.add_argument("--json", type=Path, help="merged JSON report path")
    merge.add_argument("--html", type=Path, help="merged HTML report path")
    merge.add_argument("--sarif", type=Path, help="merged SARIF 2.1.0 path")
    merge.add_argument("--csv", type=Path, help="merged CSV path (an account column first)")
    merge.add_argument("--repo-root", type=Path, default=Path.cwd(),
                       help="the directory SARIF locations are relative to (default: the current directory)")
    return parser


def load_reports(paths: list[Path]) -> list[dict[str, Any]]:
    """Each path's JSON document; MergeError naming the file that cannot be read or parsed."""
    documents = []
    for path in paths:
        try:
            documents.append(json.loads(Path(path).read_text(encoding="utf-8")))
        except OSError as error:
            raise MergeError(f"{path}: cannot be read: {error.strerror or error}") from error
        except ValueError as error:
            raise MergeError(f"{path}: not JSON: {error}") from error
    return documents


def write_reports(document: dict[str, Any], args: argparse.Namespace) -> list[Path]:
    """Write each report asked for from the merged ``document``; returns the paths written."""
    texts: dict[Path, str] = {}
    if args.json:
        texts[args.json] = dumps(document)
    if args.html:
        csv_href = Path(os.path.relpath(args.csv, args.html.parent)).as_posix() if args.csv else None
        texts[args.html] = render_html(document, None, csv_href)
    if args.sarif:
        texts[args.sarif] = dumps(build_sarif(document, args.repo_root))
    if args.csv:
        texts[args.csv] = render_csv(document)
    for path, text in texts.items():  # rendered first: a template error leaves no report half-written
        write_atomically(path, text)
    return list(texts)


def merge(args: argparse.Namespace) -> int:
    if not any((args.json, args.html, args.sarif, args.csv)):
        print("python -m dr_audit.report merge: nothing to write: give --json, --html, --sarif or --csv",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        document = merge_documents(load_reports(args.reports), [str(p) for p in args.reports], every_shard=True)
    except MergeError as error:
        print(f"refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    document["run"]["provenance"] = provenance(os.environ)  # who merged: the merge job's own run
    try:
        written = write_reports(document, args)
    except OSError as error:
        print(f"{error.filename or 'a report'}: cannot be written: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    run = document["run"]
    print(f"merged {len(args.reports)} report(s): {document['summary']['accounts']} account(s), "
          f"{document['summary']['rows']} rows; verdict {run['verdict']} (exit status {run['exit_status']})")
    for reason in run["incomplete"]:
        print(f"  incomplete: {reason}")
    for path in written:
        print(f"  wrote {path}")
    return 0


def main(argv: list[str]) -> int:
    """Run the command line ``argv`` (without the program name); returns the exit status."""
    args = _parser().parse_args(argv)
    return {"merge": merge}[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
