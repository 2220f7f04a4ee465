"""The least-privilege IAM policy a live audit needs, derived from the registered kinds.

``python -m dr_audit.iam`` prints the policy for every registered kind (what
``policies/iam/dr-audit-readonly.json`` holds); ``python -m dr_audit.iam
POLICY...`` prints the policy for the kinds those policies' rows read from the
account, plugin kinds included (installed ones; a ``conftest.py`` kind is only
registered inside pytest). ``--output FILE`` writes it atomically instead.
Exit 0 when printed or written, 2 on a bad command line, 4 when a policy does
not validate or a kind cannot be registered (``file:line: message``, never a
traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterable

from dr_audit.aws.readonly import BASE_READS, extra_reads
from dr_audit.errors import PolicyError, PolicyErrors
from dr_audit.kinds import KINDS, KindError
from dr_audit.kinds.registry import load_entry_point_kinds

EXIT_USAGE = 4
STATEMENT_ID = "DrAuditReadOnly"


def actions_for(kinds: Iterable[str] | None = None) -> list[str]:
    """The IAM actions a live audit of ``kinds`` calls (None: every registered kind), sorted.

    Always includes the audit's own reads (``sts:GetCallerIdentity``) and the
    read sets registered for what is not a kind (see ``register_reads``).
    """
    chosen = KINDS.values() if kinds is None else [KINDS[name] for name in kinds]
    tables = [BASE_READS, *extra_reads(), *(kind.reads for kind in chosen)]
    return sorted({action for table in tables for operations in table.values() for action in operations.values()})


def policy_document(actions: list[str]) -> dict:
    """An IAM policy document allowing exactly ``actions`` on every resource."""
    return {"Version": "2012-10-17",
            "Statement": [{"Sid": STATEMENT_ID, "Effect": "Allow", "Action": actions, "Resource": "*"}]}


def document_text(kinds: Iterable[str] | None = None) -> str:
    """The policy for ``kinds`` as the JSON text the shipped file holds."""
    return json.dumps(policy_document(actions_for(kinds)), indent=2) + "\n"


def live_kinds_of(policy_paths: list[Path]) -> list[str]:
    """The kinds the rows of these policies read from the account (PolicyError(s) when one is invalid)."""
    from dr_audit.policy import load_policy  # the policy module imports the kinds: keep this module light

    used = set()
    for path in policy_paths:
        policy = load_policy(path)
        used |= {row.kind for row in policy.rows if row.kind in KINDS and not KINDS[row.kind].terraform_only}
    return sorted(used)


def main(argv: list[str]) -> int:
    """Run the command line ``argv`` (without the program name); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dr_audit.iam", description=__doc__.split("\n\n")[0])
    parser.add_argument("policies", nargs="*", type=Path, help="policy files (default: every registered kind)")
    parser.add_argument("--output", type=Path, help="write the policy to this file instead of printing it")
    args = parser.parse_args(argv)
    try:
        load_entry_point_kinds()
        kinds = live_kinds_of(args.policies) if args.policies else None
    except PolicyErrors as errors:
        print("invalid policy:\n" + "\n".join(f"  {e}" for e in errors.errors), file=sys.stderr)
        return EXIT_USAGE
    except (PolicyError, KindError) as error:
        print(f"invalid input:\n  {error}", file=sys.stderr)
        return EXIT_USAGE
    text = document_text(kinds)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    from dr_audit.report.atomic import write_atomically

    try:
        write_atomically(args.output, text)
    except OSError as error:
        print(f"{args.output}: cannot be written: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"IAM policy for {'every kind' if kinds is None else ', '.join(kinds)} written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
