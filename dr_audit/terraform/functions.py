"""Terraform built-in functions the static evaluator supports.

Each takes already evaluated arguments. A function not listed here makes its
call UNKNOWN (with the expression); the evaluator handles the few whose
arguments must stay lazy (``try``, ``can``).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from typing import Any, Callable


class FunctionError(Exception):
    """A supported function was called with arguments it cannot take."""


def _cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    network = ipaddress.ip_network(prefix, strict=False)
    new_prefix = network.prefixlen + int(newbits)
    if new_prefix > network.max_prefixlen:
        raise FunctionError(f"cidrsubnet: {prefix} has no room for {newbits} more bits")
    size = 2 ** (network.max_prefixlen - new_prefix)
    if int(netnum) >= 2 ** int(newbits) or int(netnum) < 0:
        raise FunctionError(f"cidrsubnet: netnum {netnum} does not fit in {newbits} bits")
    base = int(network.network_address) + int(netnum) * size
    return str(ipaddress.ip_network((base, new_prefix)))


def _cidrhost(prefix: str, hostnum: int) -> str:
    network = ipaddress.ip_network(prefix, strict=False)
    hostnum = int(hostnum)
    if hostnum < 0:
        hostnum += network.num_addresses
    if not 0 <= hostnum < network.num_addresses:
        raise FunctionError(f"cidrhost: host {hostnum} is outside {prefix}")
    return str(network.network_address + hostnum)


_FORMAT_VERB = re.compile(r"%(?P<flags>[-+# 0]*)(?P<width>\d*)(?:\.(?P<prec>\d+))?(?P<verb>[sdvqtfbxXeEgGo%])")


def _format(spec: str, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match) -> str:
        verb = match["verb"]
        if verb == "%":
            return "%"
        try:
            value = next(values)
        except StopIteration:
            raise FunctionError(f"format: not enough arguments for {spec!r}") from None
        flags, width, prec = match["flags"], match["width"], match["prec"]
        if verb in ("s", "v"):
            text = _tostring(value) if not isinstance(value, (list, dict)) else json.dumps(value)
            return f"{text:{'<' if '-' in flags else '>'}{width}}" if width else text
        if verb == "q":
            return json.dumps(_tostring(value))
        if verb == "t":
            return "true" if value else "false"
        py_spec = flags.replace("#", "") + width + (f".{prec}" if prec else "")
        py_verb = {"d": "d", "f": "f", "b": "b", "x": "x", "X": "X", "e": "e", "E": "E",
                   "g": "g", "G": "G", "o": "o"}[verb]
        number = int(value) if py_verb in "dbxXo" else float(value)
        return format(number, py_spec + py_verb)

    return _FORMAT_VERB.sub(one, spec)


def _tostring(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        raise FunctionError("tostring: null has no string value")
    if isinstance(value, (list, dict)):
        raise FunctionError("tostring: a collection is not a string")
    return str(value)


def _tonumber(value: Any) -> int | float:
    if isinstance(value, bool):
        raise FunctionError("tonumber: a boolean is not a number")
    if isinstance(value, (int, float)):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FunctionError(f"tonumber: {value!r} is not a number") from None
    return int(number) if number.is_integer() and "." not in str(value) else number


def _lookup(mapping: dict, key: str, *default: Any) -> Any:
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
        if not isinstance(item, dict):
            raise FunctionError("merge: every argument must be a map or object")
        merged.update(item)
    return merged


def _concat(*lists: list) -> list:
    out: list = []
    for item in lists:
        if not isinstance(item, list):
            raise FunctionError("concat: every argument must be a list")
        out.extend(item)
    return out


def _flatten(value: list) -> list:
    out: list = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _distinct(value: list) -> list:
    out: list = []
    for item in value:
        if item not in out:
            out.append(item)
    return out


def _coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise FunctionError("coalesce: no non-null, non-empty argument")


def _element(value: list, index: int) -> Any:
    if not value:
        raise FunctionError("element: empty list")
    return value[int(index) % len(value)]


def _one(value: list) -> Any:
    if len(value) > 1:
        raise FunctionError("one: more than one element")
    return value[0] if value else None


def _length(value: Any) -> int:
    if isinstance(value, (list, dict, str)):
        return len(value)
    raise FunctionError("length: needs a string, list or map")


def _range(*args: Any) -> list:
    numbers = [int(a) for a in args]
    return list(range(*numbers))


def _substr(text: str, offset: int, length: int) -> str:
    offset, length = int(offset), int(length)
    if offset < 0:
        offset += len(text)
    return text[offset:] if length == -1 else text[offset:offset + length]


def _jsonencode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "ceil": lambda x: math.ceil(x),
    "floor": lambda x: math.floor(x),
    "max": lambda *xs: max(_flatten(list(xs))),
    "min": lambda *xs: min(_flatten(list(xs))),
    "cidrsubnet": _cidrsubnet,
    "cidrhost": _cidrhost,
    "cidrnetmask": lambda p: str(ipaddress.ip_network(p, strict=False).netmask),
    "merge": _merge,
    "format": _format,
    "lookup": _lookup,
    "concat": _concat,
    "jsonencode": _jsonencode,
    "jsondecode": json.loads,
    "length": _length,
    "upper": lambda s: s.upper(),
    "lower": lambda s: s.lower(),
    "title": lambda s: s.title(),
    "join": lambda sep, items: sep.join(_tostring(i) for i in items),
    "split": lambda sep, text: text.split(sep),
    "replace": lambda text, old, new: (re.sub(old[1:-1], new.replace("$", "\\"), text)
                                       if len(old) > 1 and old.startswith("/") and old.endswith("/")
                                       else text.replace(old, new)),
    "trimspace": lambda s: s.strip(),
    "trimprefix": lambda s, p: s[len(p):] if s.startswith(p) else s,
    "trimsuffix": lambda s, p: s[:-len(p)] if p and s.endswith(p) else s,
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "substr": _substr,
    "element": _element,
    "one": _one,
    "tolist": lambda v: list(v),
    "toset": lambda v: sorted(_distinct(list(v)), key=str),
    "tomap": lambda v: dict(v),
    "tostring": _tostring,
    "tonumber": _tonumber,
    "tobool": lambda v: v if isinstance(v, bool) else {"true": True, "false": False}[v],
    "keys": lambda m: sorted(m.keys()),
    "values": lambda m: [m[k] for k in sorted(m.keys())],
    "flatten": _flatten,
    "distinct": _distinct,
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "coalesce": _coalesce,
    "contains": lambda items, value: value in items,
    "zipmap": lambda ks, vs: dict(zip(ks, vs)),
    "range": _range,
    "sort": lambda items: sorted(items, key=str),
    "reverse": lambda items: list(reversed(items)),
    "slice": lambda items, start, end: items[int(start):int(end)],
    "index": lambda items, value: items.index(value),
    "sum": lambda items: sum(items),
}
