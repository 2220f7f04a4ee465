"""The one closed table of value operators a policy row may use.

Each operator takes (actual, expected) and answers True or False. The
evaluator never calls one with an unresolved value: that is UNKNOWN before
any comparison is made. A null actual value means "not set" (a known value):
``eq``, ``ne`` and ``in`` compare it like any other; every operator that
needs a number, a list, a CIDR or a pattern (``needs_value``) is never called
with it, the evaluator counts it a violation worded "not set".
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable


@dataclass(frozen=True)
class Operator:
    """A named comparison. ``expects`` is the shape the policy value must have:
    ``scalar``, ``list``, ``cidr``, ``regex``, ``number``, ``key`` (a map key),
    ``mapping`` (``{key: value}``), ``seconds`` (a duration, non-negative), ``key_seconds``
    (``{key: NAME, seconds: N}``) or ``none``. ``value_problem``, when given,
    says why a policy value does not fit (None when it does)."""

    name: str
    test: Callable[[Any, Any], bool]
    expects: str
    doc: str
    symbol: str
    needs_value: bool = True  # False: a null actual is compared like any value (eq, ne, in)
    value_problem: Callable[[Any], str | None] | None = None
    #: (actual, expected) -> why the actual value does not meet the row, when its text alone does not
    #: show it (a missing map key), else None
    explain: Callable[[Any, Any], str | None] | None = None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    return float(value)


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or (isinstance(actual, bool) and actual == expected
                                      and isinstance(expected, bool))
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(actual) == float(expected)
    if isinstance(expected, (int, float)) and isinstance(actual, str):
        try:
            return float(actual) == float(expected)
        except ValueError:
            return False
    return actual == expected


def _cidr(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(str(value), strict=False)


def _cidr_eq(actual: Any, expected: Any) -> bool:
    try:
        return _cidr(actual) == _cidr(expected) and str(actual).split("/")[0] == str(
            _cidr(actual).network_address)
    except ValueError:
        return False


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _all_match(actual: Any, pattern: str) -> bool:
    # an empty list matches vacuously, which would let "grants nothing" pass a scoping row
    items = _as_list(actual)
    return bool(items) and all(re.search(pattern, str(item)) is not None for item in items)


def _subset_of(actual: Any, allowed: list) -> bool:
    # like all_match: an empty list is not "drawn from" the allowed values, it holds nothing to check
    items = _as_list(actual)
    return bool(items) and all(any(_equal(item, a) for a in allowed) for item in items)


def _set_eq(actual: Any, expected: Any) -> bool:
    return sorted(map(str, _as_list(actual))) == sorted(map(str, _as_list(expected)))


def _a_map(actual: Any) -> dict:
    if not isinstance(actual, dict):
        raise TypeError(f"{type(actual).__name__} is not a map")
    return actual


def _has_key(actual: Any, key: Any) -> bool:
    return key in _a_map(actual)


def _key_eq(actual: Any, expected: dict) -> bool:
    # every listed key must be present with the value: a missing key is not equal to anything
    found = _a_map(actual)
    return all(key in found and _equal(found[key], _as_text_if_text(value, found[key]))
               for key, value in expected.items())


def _as_text_if_text(expected: Any, actual: Any) -> Any:
    # tag and dimension values are strings: YAML's true means the text "true" there
    if isinstance(expected, bool) and isinstance(actual, str):
        return "true" if expected else "false"
    return expected


def _key_problem(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "needs a key, written as a non-empty string"


def _mapping_problem(value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return "needs a map of at least one key to its value: {key: value}"
    if not all(isinstance(k, str) and k for k in value):
        return "needs keys written as non-empty strings"
    if not all(isinstance(v, (str, int, float, bool)) for v in value.values()):
        return "needs each value to be a single value, not a list, map or null"
    return None


def _timestamp(value: Any) -> datetime:
    """An ISO 8601 timestamp with its zone (``2026-12-02T13:55:00Z``); anything else raises."""
    if not isinstance(value, str):
        raise TypeError(f"{type(value).__name__} is not a timestamp")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")  # a zoneless time has no age to tell
    return moment


def _age_at_most(actual: Any, seconds: Any) -> bool:
    """Whether the timestamp ``actual`` is at most ``seconds`` old now (a future one is 0 s old).

    >>> _age_at_most("2000-01-01T00:00:00Z", 60)
    False
    """
    age = (datetime.now(timezone.utc) - _timestamp(actual)).total_seconds()
    return max(age, 0.0) <= _number(seconds)


def _seconds_problem(value: Any) -> str | None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if number and value >= 0 else "needs a number of seconds, zero or more"


def _key_age_at_most(actual: Any, expected: dict) -> bool:
    """Whether the map ``actual`` holds ``expected["key"]`` with a timestamp at most
    ``expected["seconds"]`` old now; a missing key meets nothing.

    >>> _key_age_at_most({"eu-west-1": "2000-01-01T00:00:00Z"}, {"key": "eu-west-2", "seconds": 10 ** 12})
    False
    """
    found = _a_map(actual)
    key = expected["key"]
    return key in found and found[key] is not None and _age_at_most(found[key], expected["seconds"])


def _key_age_explained(actual: Any, expected: dict) -> str | None:
    """Why a map fails ``key_age_at_most`` when the reason is an absent entry, else None."""
    if not isinstance(actual, dict):
        return None
    if not actual:
        return f"it has no entry at all, so none for {expected['key']}"
    if actual.get(expected["key"]) is None:
        return f"it has no entry for {expected['key']} (only {', '.join(sorted(map(str, actual)))})"
    return None


def _key_seconds_problem(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"key", "seconds"}:
        return "needs a map {key: NAME, seconds: N}"
    return _key_problem(value["key"]) or _seconds_problem(value["seconds"])


OPERATORS: dict[str, Operator] = {op.name: op for op in [
    Operator("eq", _equal, "scalar", "equal to", "==", needs_value=False),
    Operator("ne", lambda a, e: not _equal(a, e), "scalar", "not equal to", "!=", needs_value=False),
    Operator("gte", lambda a, e: _number(a) >= _number(e), "number", "at least", ">="),
    Operator("lte", lambda a, e: _number(a) <= _number(e), "number", "at most", "<="),
    Operator("gt", lambda a, e: _number(a) > _number(e), "number", "more than", ">"),
    Operator("lt", lambda a, e: _number(a) < _number(e), "number", "less than", "<"),
    Operator("in", lambda a, e: any(_equal(a, x) for x in e), "list", "one of", "in", needs_value=False),
    Operator("contains", lambda a, e: any(_equal(x, e) for x in _as_list(a)), "scalar",
             "a list containing", "contains"),
    Operator("contains_all", lambda a, e: all(any(_equal(x, y) for x in _as_list(a)) for y in e),
             "list", "a list containing all of", "contains all"),
    Operator("set_eq", _set_eq, "list", "exactly the set", "set =="),
    Operator("cidr_eq", _cidr_eq, "cidr", "the CIDR block", "cidr =="),
    Operator("matches", lambda a, e: re.search(e, str(a)) is not None, "regex",
             "matching the pattern", "=~"),
    Operator("all_match", _all_match, "regex", "a non-empty list whose every item matches", "all =~"),
    Operator("subset_of", _subset_of, "list", "a non-empty list drawn only from", "subset of"),
    Operator("has_key", _has_key, "key", "a map with the key", "has key", value_problem=_key_problem),
    Operator("key_eq", _key_eq, "mapping", "a map holding", "holds", value_problem=_mapping_problem),
    Operator("age_at_most", _age_at_most, "seconds", "an ISO 8601 timestamp at most this many seconds old now",
             "age (s) <=", value_problem=_seconds_problem),
    Operator("key_age_at_most", _key_age_at_most, "key_seconds",
             "a map whose entry for the key is an ISO 8601 timestamp at most this many seconds old now",
             "entry age (s) <=", value_problem=_key_seconds_problem, explain=_key_age_explained),
    # For ``exists`` the evaluator passes the number of matching resources.
    Operator("exists", lambda count, _: count > 0, "none", "present", "exists", needs_value=False),
]}
