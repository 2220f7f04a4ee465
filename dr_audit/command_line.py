"""What every ``python -m dr_audit...`` command shares: usage errors exit 4, like the audit's own."""

from __future__ import annotations

import argparse
import sys

#: the exit status of a bad command line (pytest's own usage-error status)
EXIT_USAGE = 4


class UsageParser(argparse.ArgumentParser):
    """argparse, but a usage error exits ``EXIT_USAGE`` (argparse's own 2 means something else here)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")
