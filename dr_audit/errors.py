"""Errors that point at the input that caused them (file, line, column, row)."""

from __future__ import annotations


class SourceError(Exception):
    """An input problem located in a file.

    In: path, message, optional line/column (1-based) and row id.
    str() gives ``path:line:col: [row ID] message`` so a user can jump there.
    """

    def __init__(self, path: str, message: str, line: int | None = None,
                 column: int | None = None, row_id: str | None = None):
        self.path = str(path)
        self.message = message
        self.line = line
        self.column = column
        self.row_id = row_id
        super().__init__(str(self))

    def location(self) -> str:
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        row = f"row {self.row_id}: " if self.row_id else ""
        return f"{self.location()}: {row}{self.message}"

    def to_dict(self) -> dict:
        return {"file": self.path, "line": self.line, "column": self.column,
                "row": self.row_id, "message": self.message}


class PolicyError(SourceError):
    """The policy file (or a waiver file) is malformed or inconsistent."""


class PolicyErrors(Exception):
    """Several policy problems found in one pass, reported together."""

    def __init__(self, errors: list[PolicyError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def policy_problems_text(error: "PolicyError | PolicyErrors") -> str:
    """``invalid policy:`` and one indented ``file:line: message`` line per problem, for a command line."""
    problems = error.errors if isinstance(error, PolicyErrors) else [error]
    return "invalid policy:\n" + "\n".join(f"  {e}" for e in problems)


class TerraformError(SourceError):
    """A Terraform file could not be read or parsed, or a root is unusable."""


class EstateError(SourceError):
    """A sandbox estate file is malformed, or one of its steps failed."""
