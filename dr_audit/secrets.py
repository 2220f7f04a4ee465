"""Secret values never reach an output.

The Terraform collector gathers every value that is, or looks like, a secret:
variables declared ``sensitive = true``, variables, tfvars entries, map keys
and resource arguments whose names look like secrets (password, token, ...).
A :class:`Redactor` then replaces each such value, wherever it appears (a
tag built from a secret, an error quoting a tfvars value), with ``[sensitive]``
in every text the audit writes: findings, reports, terminal lines.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

#: names whose values are secrets (matched anywhere in a variable, argument or map key name)
SECRET_NAME = re.compile(r"pass(word|wd|phrase)|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
                         r"|preshared|credential|auth[_-]?string", re.IGNORECASE)
MASK = "[sensitive]"
#: shorter values are not masked: masking "1" or "true" everywhere would garble every report
MIN_LENGTH = 6


def looks_secret(name: str) -> bool:
    """True when a variable, argument or key named ``name`` holds a secret (``db_password``)."""
    return bool(SECRET_NAME.search(name or ""))


def secret_strings(value: Any) -> list[str]:
    """Every string inside ``value`` (a secret variable's value may be a map or a list)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in secret_strings(v)]
    if isinstance(value, (list, tuple, set)):
        return [s for v in value for s in secret_strings(v)]
    return []


def named_secrets(value: Any) -> list[str]:
    """The strings under secret-looking keys anywhere in a map: ``{DATABASE_PASSWORD = "..."}``."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += secret_strings(item) if looks_secret(str(key)) else named_secrets(item)
        return found
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in named_secrets(item)]
    return []


class Redactor:
    """Replaces known secret values in text and in JSON-like data."""

    def __init__(self, values: Iterable[str] = ()):
        self.values: set[str] = set()
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        self.values.update(v for v in values if isinstance(v, str) and len(v.strip()) >= MIN_LENGTH)
        self._pattern = (re.compile("|".join(re.escape(v) for v in sorted(self.values, key=len, reverse=True)))
                         if self.values else None)

    def __bool__(self) -> bool:
        return bool(self.values)

    def text(self, text: str) -> str:
        """``text`` with every secret value masked."""
        if not self._pattern or not isinstance(text, str):
            return text
        return self._pattern.sub(MASK, text)

    def data(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with every string masked (dict keys too)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.data(v) for v in value)
        return value
