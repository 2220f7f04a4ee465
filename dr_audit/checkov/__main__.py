"""``python -m dr_audit.checkov export POLICY [OUT_DIR]``: regenerate a policy's checkov export."""

from __future__ import annotations

import sys
from pathlib import Path

from dr_audit.checkov.export import write_export
from dr_audit.policy import load_policy


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "export":
        print("usage: python -m dr_audit.checkov export POLICY [OUT_DIR]", file=sys.stderr)
        return 2
    policy = load_policy(Path(argv[1]))
    out = Path(argv[2]) if len(argv) > 2 else Path(argv[1]).parent / "checkov" / policy.name
    files = write_export(policy, out)
    print(f"{len(files)} checkov policies written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
