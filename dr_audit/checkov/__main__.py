"""``python -m dr_audit.checkov export POLICY [OUT_DIR]``: regenerate a policy's checkov export.

Exit 0 when written, 2 on a bad command line, 4 (pytest's usage error, as the audit
itself uses) when the policy is invalid or the export cannot be written: each
problem is printed as ``file:line: message``, never as a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dr_audit.checkov.export import write_export
from dr_audit.errors import PolicyError, PolicyErrors, policy_problems_text
from dr_audit.policy import load_policy

USAGE = "usage: python -m dr_audit.checkov export POLICY [OUT_DIR]"
EXIT_USAGE = 4


def main(argv: list[str]) -> int:
    """Run the command line ``argv`` (without the program name); returns the exit status."""
    if len(argv) not in (2, 3) or argv[0] != "export":
        print(USAGE, file=sys.stderr)
        return 2
    try:
        policy = load_policy(Path(argv[1]))
    except (PolicyErrors, PolicyError) as error:
        print(policy_problems_text(error), file=sys.stderr)
        return EXIT_USAGE
    out = Path(argv[2]) if len(argv) > 2 else Path(argv[1]).parent / "checkov" / policy.name
    try:
        files = write_export(policy, out)
    except OSError as error:
        print(f"{out}: the export could not be written: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{len(files)} checkov policies written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
