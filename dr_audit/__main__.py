"""``python -m dr_audit COMMAND``: the project's commands that are not the audit itself.

    python -m dr_audit init --terraform-root infra --role primary=REGION-A:primary \\
        --role dr=REGION-B:dr --name team-dr

``init`` writes a draft policy from an existing Terraform tree (see
:mod:`dr_audit.scaffold`). Exit status: 0 written, 4 bad input (a missing
directory, a region AWS does not have, an output that exists without
``--force``), 1 the draft did not validate (a bug: please report it).
The other entry points (``python -m dr_audit.checkov``, ``.coverage``,
``.reference``, ``.terraform_roots``) are modules of their own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from dr_audit.command_line import EXIT_USAGE, UsageParser
from dr_audit.errors import PolicyError, PolicyErrors
from dr_audit.policy import load_policy
from dr_audit.scaffold import ScaffoldError, parse_role, scaffold_policy

#: the project's exit status for bad input, as the audit uses it



def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="python -m dr_audit", description="dr-audit commands (the audit itself is pytest audits/).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    init = commands.add_parser("init", help="write a draft policy from an existing Terraform tree",
                               description="Write a draft policy whose rows state what the Terraform declares "
                                           "today for its DR-relevant resources (every row derived: scaffold).")
    init.add_argument("--terraform-root", type=Path, required=True,
                      help="the directory the roles' Terraform roots are in")
    init.add_argument("--role", action="append", default=[], metavar="NAME=REGION[:SUBDIR]", required=True,
                      help="a role of the policy: its AWS region and its root below --terraform-root "
                           "(default: the directory itself); give one per role")
    init.add_argument("--name", help="the policy's name (default: the Terraform directory's name + '-dr')")
    init.add_argument("--output", type=Path, help="where to write it (default: policies/NAME.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    return parser


def init(arguments: argparse.Namespace) -> int:
    """Write the draft policy ``arguments`` describe; the exit status (module docstring)."""
    name = arguments.name or f"{arguments.terraform_root.resolve().name}-dr"
    output: Path = arguments.output or Path("policies") / f"{name}.yaml"
    if output.exists() and not arguments.force:
        print(f"{output.resolve()} exists: give --force to overwrite it, or another --output", file=sys.stderr)
        return EXIT_USAGE
    try:
        roles = [parse_role(text) for text in arguments.role]
        text, summary = scaffold_policy(arguments.terraform_root, roles, name, output.parent)
    except ScaffoldError as error:
        print(str(error), file=sys.stderr)
        return EXIT_USAGE
    problem = _write_if_valid(output, text)
    if problem:
        print(f"the draft did not validate (please report it):\n{problem}", file=sys.stderr)
        return 1
    _print_summary(output, summary)
    return 0


def _write_if_valid(output: Path, text: str) -> str | None:
    """Write ``text`` to ``output`` if it loads as a policy there; else leave ``output`` alone and
    return the errors. It is validated beside the output, where its relative paths mean the same."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".yaml", dir=output.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        try:
            load_policy(temporary)
        except PolicyErrors as errors:
            return "\n".join(f"  {error}" for error in errors.errors)
        except PolicyError as error:
            return f"  {error}"
        os.replace(temporary, output)
        return None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _print_summary(output: Path, summary: dict) -> None:
    print(f"wrote {output}: {summary['rows']} rows (derived: scaffold), "
          f"{summary['not_proposed']} values not proposed (a comment in the file says why)")
    for line in summary["errors"]:
        print(f"  not read: {line}", file=sys.stderr)
    for line in summary["gaps"]:
        print(f"  not seen: {line}", file=sys.stderr)
    print(f"next: python3 -m uv run pytest audits/ --dr-policy {output} --dr-mode static")


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.command == "init":
        return init(arguments)
    return EXIT_USAGE  # unreachable: argparse requires a known command


if __name__ == "__main__":
    sys.exit(main())
