"""The least-privilege IAM policy a live audit needs, derived from the registered kinds.

``python -m dr_audit.iam`` prints the policy for every registered kind (what
``policies/iam/dr-audit-readonly.json`` holds); ``python -m dr_audit.iam
POLICY...`` prints the policy for the kinds those policies' rows read from the
account, plugin kinds included (installed ones; a ``conftest.py`` kind is only
registered inside pytest). ``python -m dr_audit.iam --organization`` prints the
policy of the management account's role that lists the accounts for
``--dr-organization`` (``policies/iam/dr-audit-organization.json``): a separate
file, because only that role needs it. ``--output FILE`` writes it atomically instead.
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

import dr_audit.aws.metrics  # noqa: F401  (registers the measured rows' reads)
from dr_audit.aws.readonly import BASE_READS, ORGANIZATION_READS, extra_reads
from dr_audit.errors import PolicyError, PolicyErrors, policy_problems_text
from dr_audit.kinds import KINDS, KindError
from dr_audit.kinds.registry import load_entry_point_kinds

EXIT_USAGE = 4
STATEMENT_ID = "DrAuditReadOnly"
ORGANIZATION_STATEMENT_ID = "DrAuditOrganizationRead"


def actions_for(kinds: Iterable[str] | None = None, policies: list | None = None) -> list[str]:
    """The IAM actions a live audit of ``kinds`` calls (None: every registered kind), sorted.

    Always includes the audit's own reads (``sts:GetCallerIdentity``), and the
    read sets registered for what is not a kind (see ``register_reads``): all
    of them, or, given loaded ``policies``, those some of them need (the
    measured rows' CloudWatch reads only when a row measures).
    """
    chosen = KINDS.values() if kinds is None else [KINDS[name] for name in kinds]
    tables = [BASE_READS, *extra_reads(policies), *(kind.reads for kind in chosen)]
    return sorted({action for table in tables for operations in table.values() for action in operations.values()})


def policy_document(actions: list[str], sid: str = STATEMENT_ID) -> dict:
    """An IAM policy document allowing exactly ``actions`` on every resource."""
    return {"Version": "2012-10-17",
            "Statement": [{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": "*"}]}


def document_text(kinds: Iterable[str] | None = None, policies: list | None = None) -> str:
    """The policy for ``kinds`` (and the read sets ``policies`` need) as the JSON text the shipped file holds."""
    return json.dumps(policy_document(actions_for(kinds, policies)), indent=2) + "\n"


def organization_document_text() -> str:
    """The policy of the management account's role that lists the accounts (``--dr-organization``),
    as the JSON text ``policies/iam/dr-audit-organization.json`` holds: the Organizations reads only."""
    actions = sorted({action for operations in ORGANIZATION_READS.values() for action in operations.values()})
    return json.dumps(policy_document(actions, ORGANIZATION_STATEMENT_ID), indent=2) + "\n"


def load_policies(policy_paths: list[Path]) -> list:
    """The loaded policies (raises PolicyError or PolicyErrors when one is invalid)."""
    from dr_audit.policy import load_policy  # the policy module imports the kinds: keep this module light

    return [load_policy(path) for path in policy_paths]


def live_kinds_of(policies: list) -> list[str]:
    """The kinds the rows of these loaded policies read from the account."""
    return sorted({row.kind for policy in policies for row in policy.rows
                   if row.kind in KINDS and not KINDS[row.kind].code_only_reason(row.attribute)})


def main(argv: list[str]) -> int:
    """Run the command line ``argv`` (without the program name); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dr_audit.iam", description=__doc__.split("\n\n")[0])
    parser.add_argument("policies", nargs="*", type=Path, help="policy files (default: every registered kind)")
    parser.add_argument("--output", type=Path, help="write the policy to this file instead of printing it")
    parser.add_argument("--organization", action="store_true",
                        help="the policy of the management account's role that lists the accounts for "
                             "--dr-organization, instead of the audit role's")
    args = parser.parse_args(argv)
    if args.organization and args.policies:
        parser.error("--organization takes no policy: listing the accounts reads the same whatever is audited")
    try:
        load_entry_point_kinds()
        policies = load_policies(args.policies) if args.policies else None
        kinds = live_kinds_of(policies) if policies is not None else None
    except PolicyErrors as error:
        print(policy_problems_text(error), file=sys.stderr)
        return EXIT_USAGE
    except (PolicyError, KindError) as error:
        print(f"invalid input:\n  {error}", file=sys.stderr)
        return EXIT_USAGE
    text = organization_document_text() if args.organization else document_text(kinds, policies)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    from dr_audit.report.atomic import write_atomically

    try:
        write_atomically(args.output, text)
    except OSError as error:
        print(f"{args.output}: cannot be written: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    what = "every kind" if kinds is None else ", ".join(kinds)
    print(f"IAM policy for {'listing the organization' if args.organization else what} written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
