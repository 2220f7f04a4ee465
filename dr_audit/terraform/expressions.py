"""Evaluate HCL expressions from python-hcl2's parse tree.

In: a Lark subtree of an expression, a :class:`Scope` and the file's
:class:`SourceText`. Out: a Python value (str, int, float, bool, None, list,
dict), a :class:`Ref` (a computed resource attribute) or an :class:`Unknown`
that carries the expression text and the reason. Nothing here raises on
unresolvable input; only genuine bugs do.

Example: ``cidrsubnet(var.cidr, 8, count.index + 1)`` with ``var.cidr`` =
"10.10.0.0/16" and ``count.index`` = 0 evaluates to "10.10.1.0/24".
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any, Protocol

from lark import Token, Tree

from dr_audit.terraform.functions import FUNCTIONS, FunctionError, _tostring
from dr_audit.terraform.values import Ref, Unknown, as_unknown, is_known

_SKIP = "new_line_or_comment"


@dataclass(frozen=True)
class SourceText:
    """A file's path and text, so Unknowns can quote the expression."""

    path: str
    text: str

    def of(self, node: Tree | Token) -> str:
        start, end = _span(node)
        if start is None:
            return str(node)
        return " ".join(self.text[start:end].split())


def _span(node: Tree | Token) -> tuple[int | None, int | None]:
    if isinstance(node, Token):
        return node.start_pos, node.end_pos
    meta = node.meta
    if getattr(meta, "empty", True):
        return None, None
    return meta.start_pos, meta.end_pos


def line_of(node: Tree | Token) -> int | None:
    """1-based line where a node starts."""
    if isinstance(node, Token):
        return node.line
    return None if getattr(node.meta, "empty", True) else node.meta.line


class Instance(Protocol):
    """A resource or data-source instance as seen from an expression."""

    address: str

    def get_attribute(self, name: str) -> Any: ...


class Resolver(Protocol):
    """What a module offers expressions: its variables, locals and objects."""

    def variable(self, name: str) -> Any: ...
    def local(self, name: str) -> Any: ...
    def module_outputs(self, name: str) -> Any: ...
    def resource(self, type_: str, name: str) -> Any: ...
    def data(self, type_: str, name: str) -> Any: ...
    def path(self, name: str) -> Any: ...


class NoReferences:
    """Resolver for places that may not reference anything (variable defaults,
    tfvars): every lookup is Unknown, saying why."""

    def __init__(self, where: str):
        self.where = where

    def __getattr__(self, name: str):
        return lambda *args: Unknown(".".join(map(str, args)), f"{self.where} cannot reference other objects")


class Scope:
    """Names visible to an expression: iteration names over a module resolver."""

    def __init__(self, resolver: Resolver, names: dict[str, Any] | None = None):
        self.resolver = resolver
        self.names = names or {}

    def child(self, **names: Any) -> "Scope":
        return Scope(self.resolver, {**self.names, **names})


def subtrees(node: Tree) -> list[Tree]:
    """Children that are rules, without newline/comment noise."""
    return [c for c in node.children if isinstance(c, Tree) and c.data != _SKIP]


def identifier_name(node: Tree | Token) -> str:
    """The text of an identifier/keyword/literal name node or token."""
    if isinstance(node, Token):
        return str(node)
    return str(node.children[0])


def string_literal(node: Tree, source: SourceText) -> str | None:
    """The value of a quoted string with no interpolation (block labels)."""
    if node.data != "string":
        return None
    parts = []
    for part in node.children:
        if isinstance(part, Tree) and part.data == "string_part":
            inner = part.children[0]
            if isinstance(inner, Token) and inner.type == "STRING_CHARS":
                parts.append(_unescape(str(inner)))
            else:
                return None
    return "".join(parts)


def _unescape(chars: str) -> str:
    if "\\" not in chars:
        return chars
    try:
        return codecs.decode(chars.encode("utf-8").replace(b"\\/", b"/"), "unicode_escape").encode(
            "latin-1").decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return chars


class Evaluator:
    """Evaluates expression trees of one file."""

    def __init__(self, source: SourceText):
        self.source = source

    def evaluate(self, node: Tree | Token, scope: Scope) -> Any:
        """Value of ``node`` in ``scope`` (see module docstring)."""
        method = getattr(self, f"_eval_{node.data}", None) if isinstance(node, Tree) else None
        if method is None:
            return Unknown(self.source.of(node), f"unsupported construct {getattr(node, 'data', node)}")
        return method(node, scope)

    # ----- terms -------------------------------------------------------
    def _eval_expr_term(self, node: Tree, scope: Scope) -> Any:
        inner = subtrees(node)
        return self.evaluate(inner[0], scope)

    def _eval_int_lit(self, node: Tree, scope: Scope) -> int:
        return int(str(node.children[0]))

    def _eval_float_lit(self, node: Tree, scope: Scope) -> float:
        return float(str(node.children[0]))

    def _eval_literal_value(self, node: Tree, scope: Scope) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _eval_identifier(self, node: Tree, scope: Scope) -> Any:
        name = identifier_name(node)
        if name in scope.names:
            return scope.names[name]
        return Unknown(name, f"{name!r} is not a name in scope")

    def _eval_tuple(self, node: Tree, scope: Scope) -> list:
        return [self.evaluate(child, scope) for child in subtrees(node)]

    def _eval_object(self, node: Tree, scope: Scope) -> Any:
        result: dict[str, Any] = {}
        for elem in subtrees(node):
            key_node, value_node = subtrees(elem)
            key = self._object_key(key_node, scope)
            if not isinstance(key, str):
                return Unknown(self.source.of(node), f"object key {self.source.of(key_node)} is unresolved")
            result[key] = self.evaluate(value_node, scope)
        return result

    def _object_key(self, key_node: Tree, scope: Scope) -> Any:
        inner = key_node.children[0]
        if isinstance(inner, Tree) and inner.data == "keyword":
            return identifier_name(inner)
        # A bare identifier key is a literal name, as in Terraform.
        bare = inner
        while isinstance(bare, Tree) and bare.data == "expr_term" and len(subtrees(bare)) == 1:
            bare = subtrees(bare)[0]
        if isinstance(bare, Tree) and bare.data == "identifier":
            return identifier_name(bare)
        key = self.evaluate(inner, scope)
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            return _tostring(key)
        return key

    # ----- strings -----------------------------------------------------
    def _eval_string(self, node: Tree, scope: Scope) -> Any:
        parts = [c for c in node.children if isinstance(c, Tree) and c.data == "string_part"]
        pieces: list[Any] = []
        for part in parts:
            inner = part.children[0]
            if isinstance(inner, Token):
                text = str(inner)
                if inner.type == "ESCAPED_INTERPOLATION":
                    pieces.append(text[1:])
                elif inner.type == "ESCAPED_DIRECTIVE":
                    pieces.append(text[1:])
                else:
                    pieces.append(_unescape(text))
            elif inner.data == "interpolation":
                pieces.append(self.evaluate(subtrees(inner)[0], scope))
            else:
                return Unknown(self.source.of(node), "template directives (%{if}/%{for}) are not evaluated")
        return self._join_template(pieces, node)

    def _join_template(self, pieces: list[Any], node: Tree | Token) -> Any:
        if len(pieces) == 1 and not isinstance(pieces[0], str):
            return pieces[0]  # "${x}" keeps x's type, as Terraform does
        if not all(is_known(p) for p in pieces):
            return as_unknown(pieces, self.source.of(node))
        try:
            return "".join(_tostring(p) for p in pieces)
        except FunctionError as exc:
            return Unknown(self.source.of(node), str(exc))

    def _eval_template_string(self, node: Tree, scope: Scope) -> Any:
        return _unescape(str(node.children[0])[2:-2])

    def _eval_heredoc_template(self, node: Tree, scope: Scope) -> Any:
        return self._heredoc(node, scope, trim=False)

    def _eval_heredoc_template_trim(self, node: Tree, scope: Scope) -> Any:
        return self._heredoc(node, scope, trim=True)

    def _heredoc(self, node: Tree, scope: Scope, trim: bool) -> Any:
        raw = str(node.children[0])
        match = re.match(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n", raw)
        body = raw[match.end():] if match else raw
        body = body.rstrip("\r\n")
        body = body[: body.rfind("\n") + 1] if "\n" in body else ""
        if trim:
            lines = body.split("\n")
            indents = [len(l) - len(l.lstrip(" \t")) for l in lines if l.strip()]
            cut = min(indents) if indents else 0
            body = "\n".join(l[cut:] for l in lines)
        if "%{" in body.replace("%%{", ""):
            return Unknown(self.source.of(node), "template directives (%{if}/%{for}) are not evaluated")
        return self._join_template(self._heredoc_pieces(body, scope, node), node)

    def _heredoc_pieces(self, body: str, scope: Scope, node: Tree) -> list[Any]:
        from hcl2 import parses_to_tree  # local: only heredocs with interpolation need it

        pieces: list[Any] = []
        index = 0
        while True:
            start = body.find("${", index)
            while start > 0 and body[start - 1] == "$":
                start = body.find("${", start + 2)
            if start < 0:
                pieces.append(body[index:].replace("$${", "${").replace("%%{", "%{"))
                break
            pieces.append(body[index:start].replace("$${", "${").replace("%%{", "%{"))
            end = _matching_brace(body, start + 2)
            if end < 0:
                return [Unknown(self.source.of(node), "unterminated ${ in heredoc")]
            inner = body[start + 2:end]
            try:
                tree = parses_to_tree(f"x = {inner}\n")
            except Exception:  # noqa: BLE001 - any parse failure is an unresolved value
                pieces.append(Unknown(inner, "cannot parse the interpolation"))
            else:
                attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
                sub = Evaluator(SourceText(self.source.path, f"x = {inner}\n"))
                pieces.append(sub.evaluate(subtrees(attribute)[-1], scope))
            index = end + 1
        return [p for p in pieces if p != ""] or [""]

    # ----- operators ---------------------------------------------------
    def _eval_conditional(self, node: Tree, scope: Scope) -> Any:
        cond_node, true_node, false_node = subtrees(node)
        cond = self.evaluate(cond_node, scope)
        if not is_known(cond):
            yes, no = self.evaluate(true_node, scope), self.evaluate(false_node, scope)
            if is_known(yes) and yes == no:
                return yes
            return as_unknown(cond, self.source.of(node))
        if not isinstance(cond, bool):
            return Unknown(self.source.of(node), f"condition is {cond!r}, not a boolean")
        return self.evaluate(true_node if cond else false_node, scope)

    def _eval_unary_op(self, node: Tree, scope: Scope) -> Any:
        operator = str(node.children[0])
        value = self.evaluate(subtrees(node)[0], scope)
        if not is_known(value):
            return as_unknown(value, self.source.of(node))
        if operator == "!":
            return not value
        return -value

    def _eval_binary_op(self, node: Tree, scope: Scope) -> Any:
        left_node, term = subtrees(node)
        operator_node, right_node = subtrees(term)
        operator = str(operator_node.children[0])
        left = self.evaluate(left_node, scope)
        if operator in ("&&", "||") and isinstance(left, bool):
            if (operator == "&&" and not left) or (operator == "||" and left):
                return left
        right = self.evaluate(right_node, scope)
        if not (is_known(left) and is_known(right)):
            return as_unknown([left, right], self.source.of(node))
        try:
            return _BINARY[operator](left, right)
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            return Unknown(self.source.of(node), f"cannot apply {operator}: {exc}")

    # ----- function calls ----------------------------------------------
    def _eval_function_call(self, node: Tree, scope: Scope) -> Any:
        parts = subtrees(node)
        name = identifier_name(parts[0])
        if len([p for p in parts if p.data == "identifier"]) > 1:
            return Unknown(self.source.of(node), "provider-defined functions are not evaluated")
        arg_nodes = subtrees(parts[-1]) if parts[-1].data == "arguments" else []
        expand = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in
                     (parts[-1].children if parts[-1].data == "arguments" else []))
        if name in ("try", "can"):
            return self._try_or_can(name, arg_nodes, scope, node)
        if name not in FUNCTIONS:
            return Unknown(self.source.of(node), f"function {name}() is not evaluated statically")
        args = [self.evaluate(a, scope) for a in arg_nodes]
        if expand and args:
            if not isinstance(args[-1], list):
                return Unknown(self.source.of(node), "... expansion needs a list")
            args = args[:-1] + list(args[-1])
        if name == "coalesce":
            for arg in args:
                if not is_known(arg):
                    return as_unknown(arg, self.source.of(node))
                if arg is not None and arg != "":
                    return arg
        unknown = next((a for a in args if not is_known(a) and not _tolerates_unknown(name, a)), None)
        if unknown is not None:
            return as_unknown(unknown, self.source.of(node))
        try:
            return FUNCTIONS[name](*args)
        except FunctionError as exc:
            return Unknown(self.source.of(node), str(exc))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            return Unknown(self.source.of(node), f"{name}() cannot take these arguments: {exc}")

    def _try_or_can(self, name: str, arg_nodes: list[Tree], scope: Scope, node: Tree) -> Any:
        for arg_node in arg_nodes:
            value = self.evaluate(arg_node, scope)
            failed = isinstance(value, Unknown) and value.reason.startswith(("no attribute", "no key", "index"))
            if name == "can":
                return Unknown(self.source.of(node), value.reason) if (
                    not is_known(value) and not failed) else not failed
            if not failed:
                return value
        return Unknown(self.source.of(node), "try(): every argument failed")

    # ----- traversals --------------------------------------------------
    def _eval_get_attr_expr_term(self, node: Tree, scope: Scope) -> Any:
        return self._traverse(node, scope)

    _eval_index_expr_term = _eval_get_attr_expr_term
    _eval_attr_splat_expr_term = _eval_get_attr_expr_term
    _eval_full_splat_expr_term = _eval_get_attr_expr_term

    def _traverse(self, node: Tree, scope: Scope) -> Any:
        root, steps = self._flatten(node)
        text = self.source.of(node)
        value, steps = self._resolve_root(root, steps, scope, text)
        return self._apply_steps(value, steps, scope, text)

    def _flatten(self, node: Tree) -> tuple[Tree, list[tuple[str, Any]]]:
        steps: list[tuple[str, Any]] = []
        while node.data in ("get_attr_expr_term", "index_expr_term", "attr_splat_expr_term",
                            "full_splat_expr_term", "expr_term"):
            inner = subtrees(node)
            if node.data == "expr_term":
                if len(inner) != 1 or inner[0].data not in (
                        "get_attr_expr_term", "index_expr_term", "attr_splat_expr_term",
                        "full_splat_expr_term"):
                    break
                node = inner[0]
                continue
            base, step = inner
            steps[:0] = self._steps_of(step)
            node = base
        return node, steps

    def _steps_of(self, step: Tree) -> list[tuple[str, Any]]:
        if step.data == "get_attr":
            return [("attr", identifier_name(subtrees(step)[0]))]
        if step.data == "short_index":
            return [("index_literal", int(str(step.children[-1])))]
        if step.data == "braces_index":
            return [("index", subtrees(step)[0])]
        # splats: the following get_attr/index steps apply to each element
        rest: list[tuple[str, Any]] = []
        for child in subtrees(step):
            rest.extend(self._steps_of(child))
        return [("splat", rest)]

    def _resolve_root(self, root: Tree, steps: list, scope: Scope, text: str) -> tuple[Any, list]:
        inner = root
        while isinstance(inner, Tree) and inner.data == "expr_term" and len(subtrees(inner)) == 1:
            inner = subtrees(inner)[0]
        if not (isinstance(inner, Tree) and inner.data == "identifier"):
            return self.evaluate(root, scope), steps
        name = identifier_name(inner)
        if name in scope.names:
            return scope.names[name], steps
        resolver = scope.resolver
        attr_names = [s[1] for s in steps[:2] if s[0] == "attr"]
        if name in ("var", "local", "module", "path") and attr_names:
            lookup = {"var": resolver.variable, "local": resolver.local,
                      "module": resolver.module_outputs, "path": resolver.path}[name]
            return lookup(attr_names[0]), steps[1:]
        if name == "data" and len(attr_names) == 2:
            return resolver.data(attr_names[0], attr_names[1]), steps[2:]
        if name in ("count", "each", "self", "terraform"):
            return Unknown(text, f"{name} is not available here"), []
        if attr_names:
            return resolver.resource(name, attr_names[0]), steps[1:]
        return Unknown(text, f"{name!r} is not a name in scope"), []

    def _apply_steps(self, value: Any, steps: list, scope: Scope, text: str) -> Any:
        for position, (kind, arg) in enumerate(steps):
            if isinstance(value, Unknown):
                return Unknown(text, value.reason)
            if kind == "splat":
                items = value if isinstance(value, list) else ([] if value is None else [value])
                mapped = [self._apply_steps(item, arg, scope, text) for item in items]
                return self._apply_steps(mapped, steps[position + 1:], scope, text)
            if kind == "attr":
                value = self._get_attr(value, arg, text)
            else:
                key = arg if kind == "index_literal" else self.evaluate(arg, scope)
                value = self._index(value, key, text)
        if isinstance(value, Unknown) and value.expression != text:
            return Unknown(text, value.reason)
        return value

    @staticmethod
    def _get_attr(value: Any, name: str, text: str) -> Any:
        if isinstance(value, Ref):
            return Ref(value.address, f"{value.attribute}.{name}")
        if isinstance(value, dict):
            if name in value:
                return value[name]
            return Unknown(text, f"no attribute {name!r}")
        getter = getattr(value, "get_attribute", None)
        if getter is not None:
            return getter(name)
        return Unknown(text, f"no attribute {name!r} on {type(value).__name__}")

    @staticmethod
    def _index(value: Any, key: Any, text: str) -> Any:
        if not is_known(key):
            return as_unknown(key, text)
        if isinstance(value, Ref):
            return Ref(value.address, f"{value.attribute}[{key!r}]")
        if isinstance(value, list):
            try:
                return value[int(key)]
            except (IndexError, ValueError, TypeError):
                return Unknown(text, f"index {key!r} out of range")
        if isinstance(value, dict):
            if str(key) in value:
                return value[str(key)]
            return Unknown(text, f"no key {key!r}")
        return Unknown(text, f"index {key!r} on a {type(value).__name__}")

    # ----- for expressions ---------------------------------------------
    def _for_parts(self, node: Tree) -> tuple[list[str], Tree, list[Tree], Tree | None, bool]:
        intro = next(c for c in subtrees(node) if c.data == "for_intro")
        names = [identifier_name(c) for c in subtrees(intro) if c.data == "identifier"]
        collection = [c for c in subtrees(intro) if c.data != "identifier"][0]
        cond = next((c for c in subtrees(node) if c.data == "for_cond"), None)
        bodies = [c for c in subtrees(node) if c.data not in ("for_intro", "for_cond")]
        grouped = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        return names, collection, bodies, cond, grouped

    def _iterate(self, node: Tree, scope: Scope):
        names, collection_node, bodies, cond, grouped = self._for_parts(node)
        collection = self.evaluate(collection_node, scope)
        if not is_known(collection) and not isinstance(collection, (list, dict)):
            return None, bodies, grouped, as_unknown(collection, self.source.of(node))
        pairs = (list(collection.items()) if isinstance(collection, dict)
                 else list(enumerate(collection)) if isinstance(collection, list) else None)
        if pairs is None:
            return None, bodies, grouped, Unknown(self.source.of(node), "for over a non-collection")
        scopes = []
        for key, item in pairs:
            inner = scope.child(**({names[0]: key, names[1]: item} if len(names) == 2 else {names[0]: item}))
            if cond is not None:
                keep = self.evaluate(subtrees(cond)[0], inner)
                if not is_known(keep):
                    return None, bodies, grouped, as_unknown(keep, self.source.of(node))
                if not keep:
                    continue
            scopes.append(inner)
        return scopes, bodies, grouped, None

    def _eval_for_tuple_expr(self, node: Tree, scope: Scope) -> Any:
        scopes, bodies, _, unknown = self._iterate(node, scope)
        if unknown is not None:
            return unknown
        return [self.evaluate(bodies[0], inner) for inner in scopes]

    def _eval_for_object_expr(self, node: Tree, scope: Scope) -> Any:
        scopes, bodies, grouped, unknown = self._iterate(node, scope)
        if unknown is not None:
            return unknown
        result: dict[str, Any] = {}
        for inner in scopes:
            key = self.evaluate(bodies[0], inner)
            if not is_known(key):
                return as_unknown(key, self.source.of(node))
            key = _tostring(key)
            value = self.evaluate(bodies[1], inner)
            if grouped:
                result.setdefault(key, []).append(value)
            else:
                result[key] = value
        return result


_ELEMENT_TOLERANT = frozenset({"length", "concat", "merge", "flatten", "compact", "tolist", "keys"})


def _tolerates_unknown(function: str, value: Any) -> bool:
    """Collection functions keep partly unknown elements instead of failing."""
    return function in _ELEMENT_TOLERANT and isinstance(value, (list, dict))


def _add(a: Any, b: Any) -> Any:
    return _numeric(a) + _numeric(b)


def _numeric(value: Any) -> int | float:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def _equals(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


_BINARY = {
    "+": _add,
    "-": lambda a, b: _numeric(a) - _numeric(b),
    "*": lambda a, b: _numeric(a) * _numeric(b),
    "/": lambda a, b: _numeric(a) / _numeric(b),
    "%": lambda a, b: _numeric(a) % _numeric(b),
    "==": _equals,
    "!=": lambda a, b: not _equals(a, b),
    "<": lambda a, b: _numeric(a) < _numeric(b),
    ">": lambda a, b: _numeric(a) > _numeric(b),
    "<=": lambda a, b: _numeric(a) <= _numeric(b),
    ">=": lambda a, b: _numeric(a) >= _numeric(b),
    "&&": lambda a, b: bool(a) and bool(b),
    "||": lambda a, b: bool(a) or bool(b),
}


def _matching_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing an interpolation opened just before ``start``,
    skipping braces inside quoted strings; -1 when there is none."""
    depth, index, quoted = 1, start, False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1
