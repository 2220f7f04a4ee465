"""Terraform's built-in functions, evaluated statically.

Each entry of :data:`FUNCTIONS` takes already evaluated arguments (Python
values: str, int, float, bool, None, list, dict; a set is a sorted list) and
returns the value Terraform would compute. Two exceptions say why not:

- :class:`FunctionError`: Terraform itself would fail the call (wrong type, a
  missing key, an invalid CIDR). The evaluator turns it into an *error*
  Unknown, which ``try()`` and ``can()`` catch.
- :class:`NotStatic`: the value exists but cannot be known from the code alone
  (``timestamp()``, ``uuid()``, a home directory). The evaluator turns it into
  a plain Unknown with that reason.

:data:`FILE_FUNCTIONS` read files; each takes a :class:`Files` (the module's
base directory and the Terraform root, outside which nothing is read) first.
The evaluator handles the functions whose arguments must stay lazy (``try``,
``can``) or that render templates (``templatefile``, ``templatestring``).

Numbers follow Terraform: ``5 / 2`` is 2.5, integers print without ``.0``,
decimal fractions add exactly (``0.1 + 0.2`` is 0.3).
"""

from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import io
import ipaddress
import json
import math
import os
import posixpath
import re
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote_plus

import yaml


class FunctionError(Exception):
    """Terraform would fail this call: the arguments are wrong for the function."""


class NotStatic(Exception):
    """The call has a value, but not one the code alone determines (the reason)."""


APPLY_TIME = "known only at apply time"

# ----------------------------------------------------------------- numbers


def is_number(value: Any) -> bool:
    """True for int and float, False for bool (a Python int subclass)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def to_number(value: Any) -> int | float:
    """``value`` converted as Terraform converts to number ("42" → 42)."""
    if is_number(value):
        return value
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        if re.fullmatch(r"[+-]?\d+", value):
            return int(value)
        return tidy(float(value))
    if value is None:
        raise FunctionError("a null value is not a number")
    raise FunctionError(f"{_describe(value)} is not a number")


def to_integer(value: Any) -> int:
    """A whole number, or FunctionError (Terraform rejects 1.5 as an index or count)."""
    number = to_number(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise FunctionError(f"{number_text(number)} is not a whole number")
        return int(number)
    return number


def tidy(number: float | int) -> int | float:
    """An integral float as int, so ``4 / 2`` is 2 like Terraform's numbers."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 2 ** 63:
        return int(number)
    return number


def exact(number: int | float) -> Decimal:
    """The decimal a number was written as (0.1 is 0.1, not its binary neighbour)."""
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))


def decimal_result(value: Decimal) -> int | float:
    """A Decimal back to int (when whole) or float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def number_text(number: int | float) -> str:
    """A number as Terraform prints it in strings: 2, 2.5, 0.0000001."""
    if isinstance(number, int):
        return str(number)
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number.is_integer():
        return str(int(number))
    return format(exact(number), "f")


def _shortest_g(number: int | float) -> str:
    """A number in Go's shortest ``%g`` form (what ``format("%v", n)`` prints)."""
    value = exact(number).normalize()
    sign, digits, exponent = value.as_tuple()
    if value == 0:
        return "0"
    scientific = exponent + len(digits) - 1
    if scientific < -4 or scientific >= 6:
        mantissa = "".join(map(str, digits))
        mantissa = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{'-' if scientific < 0 else '+'}{abs(scientific):02d}"
    return format(value, "f")


# ----------------------------------------------------------------- strings and types


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return type(value).__name__


def to_string(value: Any) -> str:
    """A primitive as text, as in a string template; null and collections fail."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return number_text(value)
    if value is None:
        raise FunctionError("a null value cannot be used as a string")
    raise FunctionError(f"{_describe(value)} cannot be used as a string")


def to_bool(value: Any) -> bool:
    """A bool, or the strings "true"/"false" converted."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise FunctionError(f"{_describe(value)} is not a bool")


def _unify(items: list) -> list:
    """Primitive elements converted to one type, as Terraform unifies a list's
    element type (numbers and strings mixed become strings)."""
    kinds = {_describe(i) for i in items if _is_plain(i)}
    if len(kinds) <= 1:
        return list(items)
    if kinds & {"a list", "a map"}:
        if kinds <= {"a list", "a map"}:
            raise FunctionError("elements are lists and maps; they have no common type")
        raise FunctionError("elements mix collections and single values; they have no common type")
    return [to_string(i) if _is_plain(i) else i for i in items]


def _is_plain(value: Any) -> bool:
    """A known, non-null value (not None, Unknown or Ref)."""
    return isinstance(value, (str, int, float, list, dict))


def _set_order(items: list) -> list:
    """Distinct elements in Terraform's set order: strings lexically, numbers
    by value, false before true."""
    unique = _distinct(_unify(items))
    if any(i is None for i in unique):
        raise FunctionError("a set cannot hold null")
    if all(isinstance(i, str) for i in unique):
        return sorted(unique)
    if all(is_number(i) for i in unique):
        return sorted(unique)
    if all(isinstance(i, bool) for i in unique):
        return sorted(unique)
    return sorted(unique, key=_canonical_json)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _as_list(value: Any, function: str) -> list:
    if isinstance(value, list):
        return value
    raise FunctionError(f"{function}: needs a list, got {_describe(value)}")


def _as_map(value: Any, function: str) -> dict:
    if isinstance(value, dict):
        return value
    raise FunctionError(f"{function}: needs a map or object, got {_describe(value)}")


def _as_string(value: Any, function: str) -> str:
    try:
        return to_string(value)
    except FunctionError as exc:
        raise FunctionError(f"{function}: {exc}") from None


def _graphemes(text: str) -> list[str]:
    """Characters with their combining marks, an approximation of grapheme clusters."""
    clusters: list[str] = []
    for char in text:
        if clusters and (unicodedata.combining(char) or char in "\u200d\ufe0f"):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


# ----------------------------------------------------------------- format


_VERB = re.compile(r"%(?P<flags>[-+# 0]*)(?:\[(?P<index>\d+)\])?(?P<width>\d*)(?P<dot>\.(?P<prec>\d*))?(?P<verb>.?)")


def _format(spec: str, *args: Any) -> str:
    """Terraform's format(): %v %#v %t %b %d %o %x %X %e %E %f %g %G %s %q %%."""
    spec = _as_string(spec, "format")
    out: list[str] = []
    position = 0
    next_arg = 0
    for match in _VERB.finditer(spec):
        out.append(spec[position:match.start()])
        position = match.end()
        if match["verb"] == "%" and not match["flags"] and not match["width"] and match["index"] is None:
            out.append("%")
            continue
        if match["index"] is not None:
            next_arg = int(match["index"]) - 1
        if not 0 <= next_arg < len(args):
            raise FunctionError(f"format: not enough arguments for {match.group(0)!r}")
        out.append(_format_one(match, args[next_arg]))
        next_arg += 1
    out.append(spec[position:])
    return "".join(out)


def _format_one(verb: re.Match, value: Any) -> str:
    mode, flags = verb["verb"], verb["flags"]
    width = int(verb["width"]) if verb["width"] else None
    precision = int(verb["prec"]) if verb["prec"] else (0 if verb["dot"] else None)
    if mode != "v" and value is None:
        raise FunctionError(f"format: null cannot be formatted with {verb.group(0)!r}")
    if mode == "v":
        text = _format_as_is(value, "#" in flags)
    elif mode == "t":
        text = "true" if to_bool(value) else "false"
    elif mode and mode in "bdoxX":
        return _format_integer(mode, flags, verb["width"], to_number(value))
    elif mode and mode in "eEfgG":
        return _format_float(mode, flags, verb["width"], precision, to_number(value))
    elif mode in ("s", "q"):
        text = _as_string(value, "format")
        if precision:
            text = "".join(_graphemes(text)[:precision])
        if mode == "q":
            text = json_encode(text)
    else:
        raise FunctionError(f"format: unsupported verb {verb.group(0)!r}")
    return _pad(text, width, flags)


def _format_as_is(value: Any, sharp: bool) -> str:
    if not sharp and isinstance(value, str):
        return value
    if not sharp and is_number(value):
        return _shortest_g(value)
    return json_encode(value)


def _pad(text: str, width: int | None, flags: str) -> str:
    missing = (width or 0) - len(_graphemes(text))
    if missing <= 0:
        return text
    fill = ("0" if "0" in flags and "-" not in flags else " ") * missing
    return text + fill if "-" in flags else fill + text


def _format_integer(mode: str, flags: str, width: str, number: int | float) -> str:
    if isinstance(number, float):
        if not number.is_integer():
            raise FunctionError(f"format: %{mode} needs an integer, got {number_text(number)}")
        number = int(number)
    sign = "-" if number < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
    digits = format(abs(number), mode)
    prefix = ""
    if "#" in flags:
        prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X", "d": ""}[mode]
    body = prefix + digits
    size = int(width) if width else 0
    if "0" in flags and "-" not in flags:
        body = body.rjust(size - len(sign), "0")
    return _pad(sign + body, size, flags.replace("0", ""))


def _format_float(mode: str, flags: str, width: str, precision: int | None, number: int | float) -> str:
    if mode in "gG" and precision is None:
        text = _shortest_g(number)
        text = text.upper() if mode == "G" else text
        if "+" in flags and number >= 0:
            text = "+" + text
    else:
        zero_width = f"0{width}" if width and "0" in flags and "-" not in flags else ""
        spec = "".join(f for f in "+ " if f in flags) + zero_width + f".{precision if precision is not None else 6}"
        if mode == "f":
            text = format(exact(number), spec + "f")
        else:
            text = format(float(number), spec + mode)
    return _pad(text, int(width) if width else None, flags.replace("0", ""))


def _formatlist(spec: str, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise FunctionError("formatlist: every list argument must have the same length")
    count = lengths.pop() if lengths else 1
    return [_format(spec, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(count)]


# ----------------------------------------------------------------- regular expressions


def _compile_re2(pattern: str) -> re.Pattern:
    """A Go RE2 pattern as a Python regex, or NotStatic for syntax Python lacks."""
    if re.search(r"\\[pPQ]|\[\[:|\(\?[a-zA-Z]*U", pattern):
        raise NotStatic("the pattern uses RE2 syntax this evaluator does not translate")
    multiline = re.search(r"\(\?[a-zA-Z]*m", pattern) is not None
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            pair = pattern[index:index + 2]
            out.append("\\Z" if pair == "\\z" else pair)
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1:index + 2] == "]" or pattern[index + 1:index + 3] == "^]":
                out.append(pattern[index:index + (2 if pattern[index + 1] == "]" else 3)])
                index += 2 if pattern[index + 1] == "]" else 3
                continue
        elif char == "$" and not multiline:
            char = r"\Z"
        elif pattern.startswith("(?<", index) and pattern[index + 3:index + 4] not in ("=", "!"):
            char = "(?P<"
            index += 2
        out.append(char)
        index += 1
    try:
        return re.compile("".join(out))
    except re.error as exc:
        raise NotStatic(f"the pattern is not understood here ({exc})") from None


def _regex_result(compiled: re.Pattern, match: re.Match) -> Any:
    if compiled.groups == 0:
        return match.group(0)
    names = compiled.groupindex
    if names and len(names) != compiled.groups:
        raise FunctionError("regex: cannot mix named and unnamed capture groups")
    if names:
        return {name: match.group(name) for name in names}
    return list(match.groups())


def _regex(pattern: str, text: str) -> Any:
    compiled = _compile_re2(_as_string(pattern, "regex"))
    match = compiled.search(_as_string(text, "regex"))
    if match is None:
        raise FunctionError("regex: pattern did not match any part of the string")
    return _regex_result(compiled, match)


def _regexall(pattern: str, text: str) -> list:
    compiled = _compile_re2(_as_string(pattern, "regexall"))
    return [_regex_result(compiled, m) for m in compiled.finditer(_as_string(text, "regexall"))]


def _go_expand(template: str, match: re.Match) -> str:
    """Go's regexp replacement template: $1, ${1}, $name, ${name}, $$."""
    out: list[str] = []
    index = 0
    while index < len(template):
        char = template[index]
        if char != "$" or index + 1 == len(template):
            out.append(char)
            index += 1
            continue
        if template[index + 1] == "$":
            out.append("$")
            index += 2
            continue
        braced = re.match(r"\{([A-Za-z0-9_]+)\}", template[index + 1:])
        bare = re.match(r"[A-Za-z0-9_]+", template[index + 1:])
        found = braced or bare
        if found is None:
            out.append("$")
            index += 1
            continue
        out.append(_group_text(match, found.group(1) if braced else found.group(0)))
        index += 1 + found.end()
    return "".join(out)


def _group_text(match: re.Match, name: str) -> str:
    try:
        group = match.group(int(name)) if name.isdigit() else match.group(name)
    except IndexError:
        return ""
    return group or ""


def _replace(text: str, search: str, replacement: str) -> str:
    text, search, replacement = (_as_string(v, "replace") for v in (text, search, replacement))
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        compiled = _compile_re2(search[1:-1])
        return compiled.sub(lambda m: _go_expand(replacement, m), text)
    return text.replace(search, replacement)


# ----------------------------------------------------------------- string functions


def _title(text: str) -> str:
    """Go's strings.Title: upper-case each letter that starts a word."""
    out: list[str] = []
    previous = " "
    for char in text:
        starts_word = not (previous.isalnum() or previous == "_" or unicodedata.category(previous).startswith("M"))
        out.append(char.upper() if starts_word else char)
        previous = char
    return "".join(out)


def _split(separator: str, text: str) -> list[str]:
    separator, text = _as_string(separator, "split"), _as_string(text, "split")
    return list(text) if separator == "" else text.split(separator)


def _join(separator: str, *lists: list) -> str:
    if not lists:
        raise FunctionError("join: needs at least one list")
    items: list[str] = []
    for value in lists:
        for item in _as_list(value, "join"):
            if item is None:
                raise FunctionError("join: an element is null")
            items.append(_as_string(item, "join"))
    return _as_string(separator, "join").join(items)


def _substr(text: str, offset: Any, length: Any) -> str:
    clusters = _graphemes(_as_string(text, "substr"))
    offset, length = to_integer(offset), to_integer(length)
    if offset < 0:
        offset = max(offset + len(clusters), 0)
    rest = clusters[offset:]
    return "".join(rest if length < 0 else rest[:length])


def _trim(text: str, cutset: str) -> str:
    return _as_string(text, "trim").strip(_as_string(cutset, "trim"))


def _strrev(text: str) -> str:
    return "".join(reversed(_graphemes(_as_string(text, "strrev"))))


def _length(value: Any) -> int:
    if isinstance(value, str):
        return len(_graphemes(value))
    if isinstance(value, (list, dict)):
        return len(value)
    raise FunctionError(f"length: needs a string, list or map, got {_describe(value)}")


# ----------------------------------------------------------------- collections


def _flatten(value: Any) -> list:
    out: list = []
    for item in _as_list(value, "flatten"):
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _distinct(value: list) -> list:
    out: list = []
    for item in value:
        if not any(_same(item, seen) for seen in out):
            out.append(item)
    return out


def _same(a: Any, b: Any) -> bool:
    """Terraform equality: no bool/number mixing, no string/number conversion."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) != isinstance(b, str):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _contains(items: list, value: Any) -> bool:
    return any(_same(item, value) for item in _as_list(items, "contains"))


def _index(items: list, value: Any) -> int:
    for position, item in enumerate(_as_list(items, "index")):
        if _same(item, value):
            return position
    raise FunctionError("index: the value is not in the list")


def _element(items: list, index: Any) -> Any:
    items = _as_list(items, "element")
    if not items:
        raise FunctionError("element: cannot use element function with an empty list")
    return items[to_integer(index) % len(items)]


def _one(items: Any) -> Any:
    items = _as_list(items, "one")
    if len(items) > 1:
        raise FunctionError(f"one: must be a list, set, or tuple value with either zero or one elements, has {len(items)}")
    return items[0] if items else None


def _lookup(mapping: dict, key: Any, *default: Any) -> Any:
    mapping, key = _as_map(mapping, "lookup"), _as_string(key, "lookup")
    if len(default) > 1:
        raise FunctionError("lookup: takes at most three arguments")
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise FunctionError(f"lookup: key {key!r} not found and no default given")


def _merge(*maps: dict) -> dict:
    merged: dict = {}
    for item in maps:
        if item is None:
            continue
        merged.update(_as_map(item, "merge"))
    return merged


def _concat(*lists: list) -> list:
    out: list = []
    for item in lists:
        out.extend(_as_list(item, "concat"))
    return out


def _coalesce(*values: Any) -> Any:
    if not values:
        raise FunctionError("coalesce: needs at least one argument")
    for value in _unify(list(values)):
        if value is not None and value != "":
            return value
    raise FunctionError("coalesce: no non-null, non-empty-string arguments")


def _coalescelist(*lists: Any) -> list:
    for value in lists:
        if value is None:
            continue
        if _as_list(value, "coalescelist"):
            return value
    raise FunctionError("coalescelist: no non-null arguments")


def _compact(items: list) -> list:
    return [i for i in _unify(_as_list(items, "compact")) if i not in (None, "")]


def _chunklist(items: list, size: Any) -> list:
    items, size = _as_list(items, "chunklist"), to_integer(size)
    if size < 0:
        raise FunctionError("chunklist: the size argument must be positive")
    if size == 0:
        return [items]
    return [items[i:i + size] for i in range(0, len(items), size)]


def _range(*args: Any) -> list:
    if not 1 <= len(args) <= 3:
        raise FunctionError("range: takes one to three numbers")
    numbers = [to_number(a) for a in args]
    start, limit = (0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])
    step = numbers[2] if len(numbers) == 3 else (1 if limit >= start else -1)
    if step == 0:
        raise FunctionError("range: step must not be zero")
    if (step > 0 and limit < start) or (step < 0 and limit > start):
        raise FunctionError("range: the step moves away from the limit")
    out: list = []
    value = exact(start)
    while (value < exact(limit)) if step > 0 else (value > exact(limit)):
        out.append(decimal_result(value))
        if len(out) > 1024:
            raise FunctionError("range: more than 1024 elements")
        value += exact(step)
    return out


def _slice(items: list, start: Any, end: Any) -> list:
    items, start, end = _as_list(items, "slice"), to_integer(start), to_integer(end)
    if start < 0 or end > len(items) or start > end:
        raise FunctionError(f"slice: indices {start}..{end} are out of range for {len(items)} elements")
    return items[start:end]


def _sort(items: list) -> list:
    values = _as_list(items, "sort")
    if any(v is None for v in values):
        raise FunctionError("sort: an element is null")
    return sorted(_as_string(v, "sort") for v in values)


def _sum(items: list) -> int | float:
    values = _as_list(items, "sum")
    if not values:
        raise FunctionError("sum: cannot sum an empty list")
    total = Decimal(0)
    for value in values:
        number = to_number(value)
        if isinstance(number, float) and not math.isfinite(number):
            return float(sum(to_number(v) for v in values))
        total += exact(number)
    return decimal_result(total)


def _keys(mapping: dict) -> list:
    return sorted(_as_map(mapping, "keys"))


def _values(mapping: dict) -> list:
    mapping = _as_map(mapping, "values")
    return [mapping[k] for k in sorted(mapping)]


def _zipmap(keys: list, values: list) -> dict:
    keys, values = _as_list(keys, "zipmap"), _as_list(values, "zipmap")
    if len(keys) != len(values):
        raise FunctionError(f"zipmap: {len(keys)} keys but {len(values)} values")
    return {_as_string(k, "zipmap"): v for k, v in zip(keys, values)}


def _matchkeys(values: list, keys: list, searchset: list) -> list:
    values, keys = _as_list(values, "matchkeys"), _as_list(keys, "matchkeys")
    if len(values) != len(keys):
        raise FunctionError("matchkeys: the values and keys lists must have the same length")
    wanted = _as_list(searchset, "matchkeys")
    return [v for v, k in zip(values, keys) if any(_same(k, w) for w in wanted)]


def _transpose(mapping: dict) -> dict:
    out: dict[str, list[str]] = {}
    for key in sorted(_as_map(mapping, "transpose")):
        for item in _as_list(mapping[key], "transpose"):
            out.setdefault(_as_string(item, "transpose"), []).append(key)
    return {k: sorted(v) for k, v in out.items()}


def _alltrue(items: list) -> bool:
    return all(v is not None and to_bool(v) for v in _as_list(items, "alltrue"))


def _anytrue(items: list) -> bool:
    return any(v is not None and to_bool(v) for v in _as_list(items, "anytrue"))


def _setunion(*sets: list) -> list:
    return _set_order([i for s in sets for i in _as_list(s, "setunion")])


def _setintersection(first: list, *others: list) -> list:
    kept = [i for i in _as_list(first, "setintersection")
            if all(any(_same(i, o) for o in _as_list(other, "setintersection")) for other in others)]
    return _set_order(kept)


def _setsubtract(first: list, second: list) -> list:
    removed = _as_list(second, "setsubtract")
    return _set_order([i for i in _as_list(first, "setsubtract") if not any(_same(i, r) for r in removed)])


def _setproduct(*sets: list) -> list:
    if len(sets) < 2:
        raise FunctionError("setproduct: needs at least two arguments")
    product: list[list] = [[]]
    for items in sets:
        product = [prefix + [item] for prefix in product for item in _unify(_as_list(items, "setproduct"))]
    return product


def _reverse(items: list) -> list:
    return list(reversed(_as_list(items, "reverse")))


# ----------------------------------------------------------------- type conversion


def _convert_tostring(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        raise FunctionError(f"tostring: cannot convert {_describe(value)} to string")
    return to_string(value)


def _convert_tonumber(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise FunctionError(f"tonumber: cannot convert {_describe(value)} to number")
    return to_number(value)


def _convert_tobool(value: Any) -> bool | None:
    return None if value is None else to_bool(value)


def _convert_tolist(value: Any) -> list | None:
    if value is None:
        return None
    return _unify(_as_list(value, "tolist"))


def _convert_toset(value: Any) -> list | None:
    if value is None:
        return None
    return _set_order(_as_list(value, "toset"))


def _convert_tomap(value: Any) -> dict | None:
    if value is None:
        return None
    mapping = _as_map(value, "tomap")
    return dict(zip(mapping.keys(), _unify(list(mapping.values()))))


def _not_static(reason: str) -> Callable[..., Any]:
    def unknown(*_args: Any) -> Any:
        raise NotStatic(reason)
    return unknown


def _removed(name: str, instead: str) -> Callable[..., Any]:
    def fail(*_args: Any) -> Any:
        raise FunctionError(f"the {name}() function was removed in Terraform 0.12; use {instead}")
    return fail


# ----------------------------------------------------------------- numbers (functions)


def _log(number: Any, base: Any) -> float | int:
    number, base = to_number(number), to_number(base)
    try:
        return tidy(math.log(number) / math.log(base))
    except (ValueError, ZeroDivisionError):
        raise FunctionError(f"log: undefined for {number_text(number)} in base {number_text(base)}") from None


def _pow(base: Any, exponent: Any) -> int | float:
    base, exponent = to_number(base), to_number(exponent)
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        return base ** exponent
    try:
        return tidy(math.pow(base, exponent))
    except (OverflowError, ValueError):
        raise FunctionError("pow: result is not a number") from None


def _signum(number: Any) -> int:
    number = to_number(number)
    return (number > 0) - (number < 0)


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _parseint(text: Any, base: Any) -> int:
    text, base = _as_string(text, "parseint"), to_integer(base)
    if not 2 <= base <= 62:
        raise FunctionError("parseint: base must be between 2 and 62")
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[:1] in "+-" else text
    if not digits:
        raise FunctionError(f"parseint: cannot parse {text!r} as a base {base} integer")
    value = 0
    for char in digits:
        if base <= 36:
            digit = _DIGITS.find(char.lower())
        elif char.islower():
            digit = _DIGITS.find(char)
        elif char.isupper() and char.isascii():
            digit = 36 + ord(char) - ord("A")
        else:
            digit = _DIGITS.find(char)
        if not 0 <= digit < base:
            raise FunctionError(f"parseint: cannot parse {text!r} as a base {base} integer")
        value = value * base + digit
    return sign * value


def _minmax(pick: Callable, name: str) -> Callable[..., Any]:
    def choose(*numbers: Any) -> int | float:
        if not numbers:
            raise FunctionError(f"{name}: needs at least one number")
        return pick(to_number(n) for n in numbers)
    return choose


def _ceil(number: Any) -> int | float:
    number = to_number(number)
    return number if isinstance(number, int) or math.isinf(number) else math.ceil(number)


def _floor(number: Any) -> int | float:
    number = to_number(number)
    return number if isinstance(number, int) or math.isinf(number) else math.floor(number)


# ----------------------------------------------------------------- IP networks


def _network(prefix: Any, function: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_as_string(prefix, function), strict=False)
    except ValueError as exc:
        raise FunctionError(f"{function}: invalid CIDR expression: {exc}") from None


def _cidrsubnet(prefix: str, newbits: Any, netnum: Any) -> str:
    network = _network(prefix, "cidrsubnet")
    newbits, netnum = to_integer(newbits), to_integer(netnum)
    new_prefix = network.prefixlen + newbits
    if newbits < 0 or new_prefix > network.max_prefixlen:
        raise FunctionError(f"cidrsubnet: {prefix} has no room for {newbits} more bits")
    if not 0 <= netnum < 2 ** newbits:
        raise FunctionError(f"cidrsubnet: netnum {netnum} does not fit in {newbits} bits")
    size = 2 ** (network.max_prefixlen - new_prefix)
    base = int(network.network_address) + netnum * size
    return str(ipaddress.ip_network((base, new_prefix)))


def _cidrsubnets(prefix: str, *newbits: Any) -> list[str]:
    network = _network(prefix, "cidrsubnets")
    out: list[str] = []
    cursor = int(network.network_address)
    end = int(network.broadcast_address) + 1
    for bits in newbits:
        bits = to_integer(bits)
        length = network.prefixlen + bits
        if bits < 1 or length > network.max_prefixlen:
            raise FunctionError(f"cidrsubnets: cannot add {bits} bits to {prefix}")
        size = 2 ** (network.max_prefixlen - length)
        cursor = -(-cursor // size) * size  # align up to the new block size
        if cursor + size > end:
            raise FunctionError(f"cidrsubnets: not enough remaining address space in {prefix}")
        out.append(str(ipaddress.ip_network((cursor, length))))
        cursor += size
    return out


def _cidrhost(prefix: str, hostnum: Any) -> str:
    network = _network(prefix, "cidrhost")
    hostnum = to_integer(hostnum)
    if hostnum < 0:
        hostnum += network.num_addresses
    if not 0 <= hostnum < network.num_addresses:
        raise FunctionError(f"cidrhost: host {hostnum} is outside {prefix}")
    return str(network.network_address + hostnum)


def _cidrnetmask(prefix: str) -> str:
    network = _network(prefix, "cidrnetmask")
    if network.version != 4:
        raise FunctionError("cidrnetmask: only IPv4 networks have a netmask")
    return str(network.netmask)


# ----------------------------------------------------------------- encodings


def json_encode(value: Any) -> str:
    """Terraform's jsonencode(): compact, keys sorted, <>& escaped like Go."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return number_text(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                             ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
            text = text.replace(char, escape)
        return text
    if isinstance(value, list):
        return "[" + ",".join(json_encode(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_encode(str(k))}:{json_encode(value[k])}" for k in sorted(value)) + "}"
    raise FunctionError(f"jsonencode: cannot encode {_describe(value)}")


def _jsondecode(text: str) -> Any:
    try:
        return json.loads(_as_string(text, "jsondecode"), parse_float=lambda t: decimal_result(Decimal(t)),
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FunctionError(f"jsondecode: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise FunctionError(f"jsondecode: {name} is not JSON")


def _base64encode(text: str) -> str:
    return base64.b64encode(_as_string(text, "base64encode").encode("utf-8")).decode("ascii")


def _decode_base64(text: str, function: str) -> bytes:
    try:
        return base64.b64decode(_as_string(text, function), validate=True)
    except ValueError:
        raise FunctionError(f"{function}: the string is not valid base64") from None


def _base64decode(text: str) -> str:
    try:
        return _decode_base64(text, "base64decode").decode("utf-8")
    except UnicodeDecodeError:
        raise FunctionError("base64decode: the decoded bytes are not UTF-8") from None


def _python_codec(encoding: str, function: str) -> str:
    try:
        return codecs.lookup(_as_string(encoding, function)).name
    except LookupError:
        raise FunctionError(f"{function}: {encoding!r} is not a supported character encoding") from None


def _textencodebase64(text: str, encoding: str) -> str:
    codec = _python_codec(encoding, "textencodebase64")
    try:
        return base64.b64encode(_as_string(text, "textencodebase64").encode(codec)).decode("ascii")
    except UnicodeEncodeError:
        raise FunctionError(f"textencodebase64: the text cannot be encoded as {encoding}") from None


def _textdecodebase64(text: str, encoding: str) -> str:
    codec = _python_codec(encoding, "textdecodebase64")
    try:
        return _decode_base64(text, "textdecodebase64").decode(codec)
    except UnicodeDecodeError:
        raise FunctionError(f"textdecodebase64: the bytes are not valid {encoding}") from None


def _urlencode(text: str) -> str:
    return quote_plus(_as_string(text, "urlencode"), safe="")


def _csvdecode(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(_as_string(text, "csvdecode")), strict=True))
    if not rows:
        raise FunctionError("csvdecode: missing header line")
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise FunctionError(f"csvdecode: line {number}: wrong number of fields")
    return [dict(zip(header, row)) for row in body]


class _TerraformYamlLoader(yaml.SafeLoader):
    """Scalars resolved as Terraform's yamldecode (go-cty-yaml) resolves them:
    y/yes/on and n/no/off are bools, 0o/0x integers, dates become RFC 3339
    strings, ``.nan`` and sexagesimal numbers stay strings."""


_TerraformYamlLoader.yaml_implicit_resolvers = {}
_YAML_BOOLS = {**dict.fromkeys("y Y yes Yes YES true True TRUE on On ON".split(), True),
               **dict.fromkeys("n N no No NO false False FALSE off Off OFF".split(), False)}
_YAML_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))"
    r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?))?")
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", "^(?:" + "|".join(_YAML_BOOLS) + ")$", "yYnNtTfFoO"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", r"^\d{4}-\d{1,2}-\d{1,2}(?:[Tt ].*)?$", list("0123456789")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF))$",
     list("-+.0123456789")),
    ("tag:yaml.org,2002:merge", r"^<<$", ["<"]),
):
    _TerraformYamlLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _yaml_number(loader: yaml.SafeLoader, node: yaml.Node) -> int | float | str:
    text = loader.construct_scalar(node).replace("_", "")
    if text.lstrip("+-") in (".inf", ".Inf", ".INF"):
        return -math.inf if text.startswith("-") else math.inf
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    try:
        return decimal_result(Decimal(text))
    except InvalidOperation:
        raise FunctionError(f"yamldecode: cannot parse {text!r} as a number") from None


def _yaml_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    text = loader.construct_scalar(node)
    if text not in _YAML_BOOLS:
        raise FunctionError(f"yamldecode: cannot parse {text!r} as a bool")
    return _YAML_BOOLS[text]


def _yaml_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    text = loader.construct_scalar(node)
    match = _YAML_TIMESTAMP.fullmatch(text)
    if match is None:
        if node.tag == "tag:yaml.org,2002:timestamp" and not node.style and not re.fullmatch(r"[-+]?\d+", text):
            return text  # a plain scalar that only looked like a date stays a string
        raise FunctionError(f"yamldecode: cannot parse {text!r} as a timestamp")
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    hour, minute, second = (int(match[i] or match[i + 5] or 0) for i in (4, 5, 6))
    zone = match[8]
    offset = timedelta(0) if not zone or zone == "Z" else (1 if zone[0] == "+" else -1) * timedelta(
        hours=int(zone[1:3]), minutes=int(zone[4:6]))
    try:
        return _rfc3339(datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset)))
    except ValueError:
        raise FunctionError(f"yamldecode: {text!r} is not a valid date") from None


def _yaml_binary(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    text = loader.construct_scalar(node)
    _decode_base64("".join(text.split()), "yamldecode")
    return text


_TerraformYamlLoader.add_constructor("tag:yaml.org,2002:int", _yaml_number)
_TerraformYamlLoader.add_constructor("tag:yaml.org,2002:float", _yaml_number)
_TerraformYamlLoader.add_constructor("tag:yaml.org,2002:bool", _yaml_bool)
_TerraformYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _yaml_timestamp)
_TerraformYamlLoader.add_constructor("tag:yaml.org,2002:binary", _yaml_binary)


def _has_cycle(value: Any, inside: frozenset = frozenset()) -> bool:
    if not isinstance(value, (list, dict)):
        return False
    if id(value) in inside:
        return True
    inside = inside | {id(value)}
    return any(_has_cycle(v, inside) for v in (value.values() if isinstance(value, dict) else value))


def _yamldecode(text: str) -> Any:
    try:
        documents = list(yaml.load_all(_as_string(text, "yamldecode"), Loader=_TerraformYamlLoader))
    except yaml.YAMLError as exc:
        raise FunctionError(f"yamldecode: {exc}") from None
    if len(documents) > 1:
        raise FunctionError("yamldecode: only one YAML document is allowed")
    value = documents[0] if documents else None
    if _has_cycle(value):
        raise FunctionError("yamldecode: an anchor is referred to from inside its own definition")
    return _string_keys(value)


def _string_keys(value: Any) -> Any:
    """Mapping keys as Terraform object attribute names: ``{on: 1}`` has key "true"."""
    if isinstance(value, dict):
        return {("null" if k is None else to_string(k)): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


class _TerraformYamlDumper(yaml.SafeDumper):
    """Emits as Terraform's yamlencode: block style, strings double-quoted (or a
    literal block when multi-line), numbers as Terraform prints them."""


def _dump_string(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else '"')


def _dump_number(dumper: yaml.SafeDumper, number: int | float) -> yaml.Node:
    text = number_text(number)
    return dumper.represent_scalar(dumper.resolve(yaml.ScalarNode, text, (True, False)), text, style="")


def _dump_list(dumper: yaml.SafeDumper, items: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=not items)


def _dump_map(dumper: yaml.SafeDumper, mapping: dict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", dict(sorted(mapping.items())), flow_style=not mapping)


_TerraformYamlDumper.add_representer(str, _dump_string)
_TerraformYamlDumper.add_representer(int, _dump_number)
_TerraformYamlDumper.add_representer(float, _dump_number)
_TerraformYamlDumper.add_representer(list, _dump_list)
_TerraformYamlDumper.add_representer(dict, _dump_map)
_TerraformYamlDumper.ignore_aliases = lambda self, data: True


def yaml_encode(value: Any) -> str:
    """Terraform's yamlencode(): block style, strings double-quoted, keys sorted."""
    try:
        return yaml.dump(value, Dumper=_TerraformYamlDumper, allow_unicode=True, sort_keys=False,
                         default_flow_style=False)
    except yaml.representer.RepresenterError:
        raise FunctionError(f"yamlencode: cannot encode {_describe(value)}") from None


# ----------------------------------------------------------------- hashes


def _digest(algorithm: str, as_base64: bool = False) -> Callable[[Any], str]:
    def digest(text: Any) -> str:
        raw = hashlib.new(algorithm, _as_string(text, algorithm).encode("utf-8")).digest()
        return base64.b64encode(raw).decode("ascii") if as_base64 else raw.hex()
    return digest


_UUID_NAMESPACES = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL,
                    "oid": uuid.NAMESPACE_OID, "x500": uuid.NAMESPACE_X500}


def _uuidv5(namespace: str, name: str) -> str:
    namespace = _as_string(namespace, "uuidv5")
    space = _UUID_NAMESPACES.get(namespace)
    if space is None:
        try:
            space = uuid.UUID(namespace)
        except ValueError:
            raise FunctionError(f"uuidv5: {namespace!r} is not a UUID or a known namespace") from None
    return str(uuid.uuid5(space, _as_string(name, "uuidv5")))


# ----------------------------------------------------------------- date and time

_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))")


def parse_timestamp(text: Any) -> datetime:
    """An RFC 3339 timestamp ("2018-01-02T23:12:01Z") as an aware datetime."""
    match = _RFC3339.fullmatch(_as_string(text, "timestamp"))
    if match is None:
        raise FunctionError(f"not a valid RFC3339 timestamp: {text!r}")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    offset = timedelta(0) if match[8] else (1 if match[9] == "+" else -1) * timedelta(
        hours=int(match[10]), minutes=int(match[11]))
    fraction = Decimal(match[7]) if match[7] else Decimal(0)
    try:
        return datetime(year, month, day, hour, minute, second, int(fraction * 1_000_000), timezone(offset))
    except ValueError as exc:
        raise FunctionError(f"not a valid RFC3339 timestamp: {exc}") from None


def _rfc3339(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if not offset:
        return base + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{base}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


_DURATION_UNITS = {"ns": Decimal("1e-9"), "us": Decimal("1e-6"), "µs": Decimal("1e-6"), "μs": Decimal("1e-6"),
                   "ms": Decimal("1e-3"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600)}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: Any) -> timedelta:
    """A Go duration ("1h30m", "-2.5h", "300ms") as a timedelta."""
    text = _as_string(text, "duration")
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return timedelta(0)
    seconds, position = Decimal(0), 0
    for part in _DURATION_PART.finditer(body):
        if part.start() != position:
            break
        seconds += Decimal(part[1]) * _DURATION_UNITS[part[2]]
        position = part.end()
    if not body or position != len(body):
        raise FunctionError(f"invalid duration {text!r}")
    return sign * timedelta(seconds=float(seconds))


def _timeadd(timestamp: Any, duration: Any) -> str:
    return _rfc3339(parse_timestamp(timestamp) + parse_duration(duration))


def _timecmp(first: Any, second: Any) -> int:
    a, b = parse_timestamp(first), parse_timestamp(second)
    return (a > b) - (a < b)


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DATE_TOKEN = re.compile(r"'(?:[^']|'')*'?|([A-Za-z])\1*|.", re.S)


def _formatdate(spec: Any, timestamp: Any) -> str:
    """Terraform's formatdate(): YYYY MM DD hh mm ss ZZZ ... and 'quoted' literals."""
    moment = parse_timestamp(timestamp)
    out: list[str] = []
    for token in _DATE_TOKEN.finditer(_as_string(spec, "formatdate")):
        text = token.group(0)
        if text.startswith("'"):
            if len(text) < 2 or not text.endswith("'"):
                raise FunctionError("formatdate: unterminated literal '")
            out.append("'" if text == "''" else text[1:-1].replace("''", "'"))
        elif text[0].isascii() and text[0].isalpha():
            out.append(_date_verb(text, moment))
        else:
            out.append(text)
    return "".join(out)


def _date_verb(verb: str, moment: datetime) -> str:
    offset = int((moment.utcoffset() or timedelta(0)).total_seconds()) // 60
    numeric = f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    hour12 = moment.hour % 12 or 12
    table = {
        "YYYY": f"{moment.year:04d}", "YY": f"{moment.year % 100:02d}",
        "MMMM": _MONTHS[moment.month - 1], "MMM": _MONTHS[moment.month - 1][:3],
        "MM": f"{moment.month:02d}", "M": str(moment.month),
        "DD": f"{moment.day:02d}", "D": str(moment.day),
        "EEEE": _WEEKDAYS[moment.weekday()], "EEE": _WEEKDAYS[moment.weekday()][:3],
        "hh": f"{moment.hour:02d}", "h": str(moment.hour), "HH": f"{hour12:02d}", "H": str(hour12),
        "AA": "AM" if moment.hour < 12 else "PM", "aa": "am" if moment.hour < 12 else "pm",
        "mm": f"{moment.minute:02d}", "m": str(moment.minute),
        "ss": f"{moment.second:02d}", "s": str(moment.second),
        "ZZZZZ": f"{numeric[:3]}:{numeric[3:]}", "ZZZZ": numeric,
        "ZZZ": "UTC" if offset == 0 else numeric, "Z": "Z" if offset == 0 else f"{numeric[:3]}:{numeric[3:]}",
    }
    if verb not in table:
        raise FunctionError(f"formatdate: invalid date format verb {verb!r}")
    return table[verb]


# ----------------------------------------------------------------- paths and files


def _dirname(path: Any) -> str:
    path = _as_string(path, "dirname")
    return posixpath.normpath(posixpath.dirname(path)) if path else "."


def _basename(path: Any) -> str:
    path = _as_string(path, "basename")
    stripped = path.rstrip("/")
    if not path:
        return "."
    return posixpath.basename(stripped) if stripped else "/"


def _pathexpand(path: Any) -> str:
    path = _as_string(path, "pathexpand")
    if path.startswith("~"):
        raise NotStatic("the home directory is that of the machine running Terraform")
    return path


class Files:
    """Where filesystem functions may read: relative paths start at ``base``
    (Terraform's working directory, the root module); nothing outside
    ``root`` is read."""

    def __init__(self, base: str, root: str):
        self.base = Path(base)
        self.root = Path(os.path.realpath(root))

    def locate(self, path: Any, function: str) -> Path:
        """The real path for ``path``, or NotStatic when it leaves the root."""
        text = str(path) if isinstance(path, Path) else _as_string(path, function)
        if text.startswith("~"):
            raise NotStatic("the home directory is that of the machine running Terraform")
        resolved = Path(os.path.realpath(self.base / text))
        if resolved != self.root and self.root not in resolved.parents:
            raise NotStatic(f"{text} is outside the Terraform root")
        return resolved

    def read_bytes(self, path: Any, function: str) -> bytes:
        located = self.locate(path, function)
        if located.is_dir():
            raise FunctionError(f"{function}: {path} is a directory, not a file")
        try:
            return located.read_bytes()
        except FileNotFoundError:
            raise FunctionError(f"{function}: no file exists at {path}") from None
        except OSError as exc:
            raise FunctionError(f"{function}: cannot read {path}: {exc.strerror}") from None

    def read_text(self, path: Any, function: str) -> str:
        try:
            return self.read_bytes(path, function).decode("utf-8")
        except UnicodeDecodeError:
            raise FunctionError(f"{function}: {path} is not UTF-8 text; use filebase64") from None


def _file(files: Files, path: Any) -> str:
    return files.read_text(path, "file")


def _filebase64(files: Files, path: Any) -> str:
    return base64.b64encode(files.read_bytes(path, "filebase64")).decode("ascii")


def _fileexists(files: Files, path: Any) -> bool:
    located = files.locate(path, "fileexists")
    if located.is_dir():
        raise FunctionError(f"fileexists: {path} is a directory, not a file")
    return located.is_file()


def _file_digest(algorithm: str, as_base64: bool = False) -> Callable[[Files, Any], str]:
    def digest(files: Files, path: Any) -> str:
        raw = hashlib.new(algorithm, files.read_bytes(path, f"file{algorithm}")).digest()
        return base64.b64encode(raw).decode("ascii") if as_base64 else raw.hex()
    return digest


def _abspath(files: Files, path: Any) -> str:
    text = _as_string(path, "abspath")
    if text.startswith("~"):
        raise NotStatic("the home directory is that of the machine running Terraform")
    return posixpath.normpath(posixpath.join(str(files.base), text))


def _glob_regex(pattern: str) -> re.Pattern:
    """A doublestar glob (``*``, ``**``, ``?``, ``[abc]``, ``{a,b}``) as a regex."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                raise FunctionError(f"fileset: invalid pattern {pattern!r}")
            body = pattern[index + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith(("!", "^")) else body) + "]")
            index = end
        elif char == "{":
            end = pattern.find("}", index + 1)
            if end < 0:
                raise FunctionError(f"fileset: invalid pattern {pattern!r}")
            out.append("(?:" + "|".join(re.escape(p) for p in pattern[index + 1:end].split(",")) + ")")
            index = end
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


def _fileset(files: Files, path: Any, pattern: Any) -> list[str]:
    top = files.locate(path, "fileset")
    matcher = _glob_regex(_as_string(pattern, "fileset"))
    found: list[str] = []
    for folder, _dirs, names in os.walk(top):
        for name in names:
            relative = Path(folder, name).relative_to(top).as_posix()
            if matcher.fullmatch(relative) and Path(folder, name).is_file():
                files.locate(Path(folder, name), "fileset")
                found.append(relative)
    return sorted(found)


FILE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "file": _file,
    "filebase64": _filebase64,
    "fileexists": _fileexists,
    "fileset": _fileset,
    "filemd5": _file_digest("md5"),
    "filesha1": _file_digest("sha1"),
    "filesha256": _file_digest("sha256"),
    "filesha512": _file_digest("sha512"),
    "filebase64sha256": _file_digest("sha256", as_base64=True),
    "filebase64sha512": _file_digest("sha512", as_base64=True),
    "abspath": _abspath,
}
"""Functions that read the filesystem: each takes a :class:`Files` first.
``templatefile`` also reads a file; the evaluator renders it."""


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # numbers
    "abs": lambda n: abs(to_number(n)),
    "ceil": _ceil,
    "floor": _floor,
    "log": _log,
    "max": _minmax(max, "max"),
    "min": _minmax(min, "min"),
    "parseint": _parseint,
    "pow": _pow,
    "signum": _signum,
    # strings
    "chomp": lambda s: _as_string(s, "chomp").rstrip("\r\n"),
    "endswith": lambda s, suffix: _as_string(s, "endswith").endswith(_as_string(suffix, "endswith")),
    "format": _format,
    "formatlist": _formatlist,
    "indent": lambda n, s: _as_string(s, "indent").replace("\n", "\n" + " " * to_integer(n)),
    "join": _join,
    "lower": lambda s: _as_string(s, "lower").lower(),
    "regex": _regex,
    "regexall": _regexall,
    "replace": _replace,
    "split": _split,
    "startswith": lambda s, prefix: _as_string(s, "startswith").startswith(_as_string(prefix, "startswith")),
    "strcontains": lambda s, part: _as_string(part, "strcontains") in _as_string(s, "strcontains"),
    "strrev": _strrev,
    "substr": _substr,
    "title": lambda s: _title(_as_string(s, "title")),
    "trim": _trim,
    "trimprefix": lambda s, p: s[len(p):] if _as_string(s, "trimprefix").startswith(_as_string(p, "trimprefix")) else s,
    "trimsuffix": lambda s, p: s[:-len(p)] if p and _as_string(s, "trimsuffix").endswith(_as_string(p, "trimsuffix")) else s,
    "trimspace": lambda s: _as_string(s, "trimspace").strip(),
    "upper": lambda s: _as_string(s, "upper").upper(),
    # collections
    "alltrue": _alltrue,
    "anytrue": _anytrue,
    "chunklist": _chunklist,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "compact": _compact,
    "concat": _concat,
    "contains": _contains,
    "distinct": lambda items: _distinct(_as_list(items, "distinct")),
    "element": _element,
    "flatten": _flatten,
    "index": _index,
    "keys": _keys,
    "length": _length,
    "list": _removed("list", "tolist([...])"),
    "lookup": _lookup,
    "map": _removed("map", "tomap({...})"),
    "matchkeys": _matchkeys,
    "merge": _merge,
    "one": _one,
    "range": _range,
    "reverse": _reverse,
    "setintersection": _setintersection,
    "setproduct": _setproduct,
    "setsubtract": _setsubtract,
    "setunion": _setunion,
    "slice": _slice,
    "sort": _sort,
    "sum": _sum,
    "transpose": _transpose,
    "values": _values,
    "zipmap": _zipmap,
    # encodings
    "base64decode": _base64decode,
    "base64encode": _base64encode,
    "base64gzip": _not_static("base64gzip() output depends on Go's compressor, which is not reproduced"),
    "csvdecode": _csvdecode,
    "jsondecode": _jsondecode,
    "jsonencode": json_encode,
    "textdecodebase64": _textdecodebase64,
    "textencodebase64": _textencodebase64,
    "urlencode": _urlencode,
    "yamldecode": _yamldecode,
    "yamlencode": yaml_encode,
    # paths that read nothing
    "basename": _basename,
    "dirname": _dirname,
    "pathexpand": _pathexpand,
    # date and time
    "formatdate": _formatdate,
    "plantimestamp": _not_static(f"plantimestamp() is {APPLY_TIME} (the time of the plan)"),
    "timeadd": _timeadd,
    "timecmp": _timecmp,
    "timestamp": _not_static(f"timestamp() is {APPLY_TIME}"),
    # hashes and crypto
    "base64sha256": _digest("sha256", as_base64=True),
    "base64sha512": _digest("sha512", as_base64=True),
    "bcrypt": _not_static(f"bcrypt() uses a random salt: {APPLY_TIME}"),
    "md5": _digest("md5"),
    "rsadecrypt": _not_static("rsadecrypt() needs a private key; the audit does not decrypt secrets"),
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "sha512": _digest("sha512"),
    "uuid": _not_static(f"uuid() is random: {APPLY_TIME}"),
    "uuidv5": _uuidv5,
    # IP networks
    "cidrhost": _cidrhost,
    "cidrnetmask": _cidrnetmask,
    "cidrsubnet": _cidrsubnet,
    "cidrsubnets": _cidrsubnets,
    # type conversion and sensitivity
    "ephemeralasnull": _not_static(f"ephemeral values are {APPLY_TIME}"),
    "issensitive": _not_static("sensitivity is not tracked by the static evaluator"),
    "nonsensitive": lambda v: v,
    "sensitive": lambda v: v,
    "tobool": _convert_tobool,
    "tolist": _convert_tolist,
    "tomap": _convert_tomap,
    "tonumber": _convert_tonumber,
    "toset": _convert_toset,
    "tostring": _convert_tostring,
    "type": _not_static("type() exists only in terraform console"),
}
"""Pure functions of their (evaluated) arguments, by Terraform name."""
