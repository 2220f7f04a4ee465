"""Evaluate HCL expressions from python-hcl2's parse tree.

In: a Lark subtree of an expression, a :class:`Scope` and the file's
:class:`SourceText`. Out: a Python value (str, int, float, bool, None, list,
dict), a :class:`Ref` (a computed resource attribute) or an :class:`Unknown`
that carries the expression text and the reason. An Unknown whose ``error`` is
set is an evaluation error Terraform would report (an attribute of null, a
missing key, a failing function); ``try()`` and ``can()`` catch exactly those.
Nothing here raises on unresolvable input; only genuine bugs do.

Example: ``cidrsubnet(var.cidr, 8, count.index + 1)`` with ``var.cidr`` =
"10.10.0.0/16" and ``count.index`` = 0 evaluates to "10.10.1.0/24".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import lru_cache
from typing import Any, Protocol

from lark import Token, Tree

from dr_audit.terraform.functions import (
    FILE_FUNCTIONS, FUNCTIONS, Files, FunctionError, NotStatic, _same, decimal_result, exact, to_bool, to_number,
    to_string,
)
from dr_audit.terraform.values import (Ref, Unknown, as_unknown, candidates, failure, first_error, first_unknown,
                                      is_known, one_of)

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


class TemplateReferences:
    """Resolver inside ``templatefile()``: only the given variables are names;
    file functions still read relative to the calling module's root."""

    def __init__(self, outer: Resolver):
        self.outer = outer

    def path(self, name: str) -> Any:
        return self.outer.path(name)

    def __getattr__(self, name: str):
        return lambda *args: failure(".".join(map(str, args)), "a template can only use the variables given to it")


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


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "/": "/"}


def _unescape(chars: str) -> str:
    """A quoted string's characters with HCL escapes (\\n, \\", \\u00e9, \\U0001F600) applied."""
    if "\\" not in chars:
        return chars

    def one(match: re.Match) -> str:
        code = match[1] or match[2]
        if code:
            return chr(int(code, 16))
        return _SIMPLE_ESCAPES.get(match[3], "\\" + match[3])

    return _ESCAPE.sub(one, chars)


@dataclass
class _TemplatePart:
    """One token of a string template: literal text, an interpolation or a directive."""

    kind: str  # text | interp | if | else | endif | for | endfor
    text: str = ""
    evaluator: "Evaluator | None" = None
    node: Tree | None = None
    names: tuple[str, ...] = ()
    strip_before: bool = False
    strip_after: bool = False


_TEMPLATE_OPEN = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_FOR_DIRECTIVE = re.compile(r"for\s+([A-Za-z_][\w-]*)\s*(?:,\s*([A-Za-z_][\w-]*)\s*)?\s+in\s+(.+)", re.S)


@lru_cache(maxsize=512)
def _parse_snippet(expression: str) -> Tree:
    """The parse tree of one expression found inside a template."""
    from hcl2 import parses_to_tree  # local: only templates outside quoted strings need it

    tree = parses_to_tree(f"x = {expression}\n")
    attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
    return subtrees(attribute)[-1]


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
            if key is None:
                return failure(self.source.of(node), f"object key {self.source.of(key_node)} is null")
            if not isinstance(key, str):
                return as_unknown(key, self.source.of(node)) if not is_known(key) else failure(
                    self.source.of(node), f"object key {self.source.of(key_node)} is not a string")
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
        if isinstance(key, (int, float, bool)):
            return to_string(key)
        return key

    # ----- strings and templates ---------------------------------------
    def _eval_string(self, node: Tree, scope: Scope) -> Any:
        parts = [c for c in node.children if isinstance(c, Tree) and c.data == "string_part"]
        pieces: list[Any] = []
        for part in parts:
            inner = part.children[0]
            if isinstance(inner, Token):
                text = str(inner)
                if inner.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                    pieces.append(text[1:])
                else:
                    pieces.append(_unescape(text))
            elif inner.data == "interpolation":
                pieces.append(self.evaluate(subtrees(inner)[0], scope))
            else:
                return self._render(self._quoted_template_parts(parts), scope, node)
        return self._join_template(pieces, node, wrap=len(parts) == 1)

    def _join_template(self, pieces: list[Any], node: Tree | Token, wrap: bool = False) -> Any:
        """The string a template's pieces make. ``wrap``: the template is a
        single interpolation ("${x}"), whose value keeps its type, null included."""
        if wrap and len(pieces) == 1 and not isinstance(pieces[0], str):
            return pieces[0]
        if all(type(piece) is str for piece in pieces):
            return "".join(pieces)
        text = self.source.of(node)
        for piece in pieces:
            if piece is None:
                return failure(text, "a null value cannot be interpolated into a string")
            if isinstance(piece, (list, dict)) and is_known(piece):
                return failure(text, "a list or map cannot be interpolated into a string")
        if not all(is_known(p) for p in pieces):
            return as_unknown(pieces, text)
        try:
            return "".join(to_string(p) for p in pieces)
        except FunctionError as exc:
            return failure(text, str(exc))

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
        return self.render_template_text(body, scope, node)

    def render_template_text(self, body: str, scope: Scope, node: Tree | Token) -> Any:
        """The value of template source text (a heredoc body or a template file)."""
        if "{" not in body:
            return body
        parts = self._raw_template_parts(body, node)
        if isinstance(parts, Unknown):
            return parts
        return self._render(parts, scope, node)

    def _quoted_template_parts(self, parts: list[Tree]) -> list[_TemplatePart]:
        """Template tokens of a quoted string, from python-hcl2's flat string_part list."""
        tokens: list[_TemplatePart] = []
        for part in parts:
            inner = part.children[0]
            if isinstance(inner, Token):
                text = str(inner)
                literal = text[1:] if inner.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE") else _unescape(text)
                tokens.append(_TemplatePart("text", literal))
                continue
            if inner.data == "interpolation":
                tokens.append(_TemplatePart("interp", evaluator=self, node=subtrees(inner)[0]))
                continue
            marks = [c for c in inner.children if isinstance(c, Token)]
            kind = inner.data.removeprefix("template_").removesuffix("_start")
            strip_before = len(marks) > 1 and marks[1].type == "STRIP_MARKER"
            strip_after = len(marks) > 1 and marks[-2].type == "STRIP_MARKER"
            rules = subtrees(inner)
            names = tuple(identifier_name(r) for r in rules if r.data == "identifier") if kind == "for" else ()
            expression = rules[-1] if kind in ("if", "for") else None
            tokens.append(_TemplatePart(kind, evaluator=self, node=expression, names=names,
                                        strip_before=strip_before, strip_after=strip_after))
        return tokens

    def _raw_template_parts(self, body: str, node: Tree | Token) -> list[_TemplatePart] | Unknown:
        """Template tokens of raw template text: ``${...}``, ``%{...}``, ``$${`` and ``%%{`` escapes."""
        tokens: list[_TemplatePart] = []
        literal: list[str] = []
        position = 0
        while (opening := _TEMPLATE_OPEN.search(body, position)) is not None:
            literal.append(body[position:opening.start()])
            sigil = opening.group(0)
            if sigil in ("$${", "%%{"):
                literal.append(sigil[1:])
                position = opening.end()
                continue
            end = _matching_brace(body, opening.end())
            if end < 0:
                return failure(self.source.of(node), f"unterminated {sigil} in a template")
            tokens.append(_TemplatePart("text", "".join(literal)))
            literal = []
            token = self._raw_token(sigil, body[opening.end():end])
            if isinstance(token, Unknown):
                return token
            tokens.append(token)
            position = end + 1
        literal.append(body[position:])
        tokens.append(_TemplatePart("text", "".join(literal)))
        return tokens

    def _raw_token(self, sigil: str, inner: str) -> _TemplatePart | Unknown:
        """The token for ``${inner}`` or ``%{inner}``, with its ``~`` strip markers."""
        strip_before, strip_after = inner.startswith("~"), inner.endswith("~")
        inner = inner[1 if strip_before else 0:len(inner) - (1 if strip_after else 0)].strip()
        marks = {"strip_before": strip_before, "strip_after": strip_after}
        if sigil == "${":
            return self._snippet_token("interp", inner, (), marks)
        word = inner.split(None, 1)[0] if inner else ""
        if word in ("else", "endif", "endfor") and inner == word:
            return _TemplatePart(word, **marks)
        if word == "if":
            return self._snippet_token("if", inner[2:].strip(), (), marks)
        loop = _FOR_DIRECTIVE.fullmatch(inner)
        if word == "for" and loop:
            names = tuple(n for n in (loop[1], loop[2]) if n)
            return self._snippet_token("for", loop[3].strip(), names, marks)
        return failure(f"%{{{inner}}}", "not a template directive (if, else, endif, for, endfor)")

    def _snippet_token(self, kind: str, expression: str, names: tuple, marks: dict) -> _TemplatePart | Unknown:
        """A token whose expression is parsed from template text, or the parse failure."""
        try:
            tree = _parse_snippet(expression)
        except Exception:  # noqa: BLE001 - any parse failure is an invalid template
            return failure(expression, "cannot parse this expression in a template")
        sub = Evaluator(SourceText(self.source.path, f"x = {expression}\n"))
        return _TemplatePart(kind, evaluator=sub, node=tree, names=names, **marks)

    def _render(self, tokens: list[_TemplatePart], scope: Scope, node: Tree | Token) -> Any:
        _apply_strip_markers(tokens)
        try:
            tree, _ = _template_tree(tokens, 0, ())
        except ValueError as exc:
            return failure(self.source.of(node), str(exc))
        pieces: list[Any] = []
        problem = self._template_pieces(tree, scope, pieces)
        if problem is not None:
            return problem.at(self.source.of(node))
        return self._join_template([p for p in pieces if p != ""] or [""], node)

    def _template_pieces(self, tree: list, scope: Scope, pieces: list) -> Unknown | None:
        """Append the pieces ``tree`` renders to in ``scope``; an Unknown when a
        directive's condition or collection is unresolved or invalid."""
        for item in tree:
            kind = item[0]
            if kind == "text":
                pieces.append(item[1])
            elif kind == "interp":
                pieces.append(item[1].evaluator.evaluate(item[1].node, scope))
            elif kind == "if":
                token, then_tree, else_tree = item[1:]
                condition = token.evaluator._condition(token.evaluator.evaluate(token.node, scope), token.node)
                if isinstance(condition, Unknown):
                    return condition
                problem = self._template_pieces(then_tree if condition else else_tree, scope, pieces)
                if problem is not None:
                    return problem
            else:
                problem = self._template_loop(item[1], item[2], scope, pieces)
                if problem is not None:
                    return problem
        return None

    def _template_loop(self, token: _TemplatePart, body: list, scope: Scope, pieces: list) -> Unknown | None:
        collection = token.evaluator.evaluate(token.node, scope)
        pairs = _iteration_pairs(collection) or _not_iterable(collection, token.evaluator.source.of(token.node))
        if isinstance(pairs, Unknown):
            return pairs
        for key, value in pairs:
            names = {token.names[0]: key, token.names[1]: value} if len(token.names) == 2 else {token.names[0]: value}
            problem = self._template_pieces(body, scope.child(**names), pieces)
            if problem is not None:
                return problem
        return None

    # ----- operators ---------------------------------------------------
    def _condition(self, value: Any, node: Tree) -> bool | Unknown:
        """The bool a condition written at ``node`` has, or the Unknown saying why there is none."""
        if isinstance(value, bool):
            return value
        text = self.source.of(node)
        if not is_known(value):
            return as_unknown(value, text)
        if value is None:
            return failure(text, "the condition is null")
        try:
            return to_bool(value)
        except FunctionError:
            return failure(text, f"the condition is {value!r}, not a bool")

    def _eval_conditional(self, node: Tree, scope: Scope) -> Any:
        cond_node, true_node, false_node = subtrees(node)
        cond = self._condition(self.evaluate(cond_node, scope), cond_node)
        if isinstance(cond, Unknown):
            if cond.error:
                return cond.at(self.source.of(node))
            yes, no = self.evaluate(true_node, scope), self.evaluate(false_node, scope)
            if is_known(yes) and yes == no:
                return yes
            return _unknown_choice(cond.at(self.source.of(node)), [yes, no])
        return self.evaluate(true_node if cond else false_node, scope)

    def _eval_unary_op(self, node: Tree, scope: Scope) -> Any:
        operator = str(node.children[0])
        value = self.evaluate(subtrees(node)[0], scope)
        if not is_known(value):
            return as_unknown(value, self.source.of(node))
        try:
            if operator == "!":
                return not to_bool(value)
            return -to_number(value)
        except FunctionError as exc:
            return failure(self.source.of(node), f"cannot apply {operator}: {exc}")

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
        except (FunctionError, TypeError, ValueError, ArithmeticError) as exc:
            return failure(self.source.of(node), f"cannot apply {operator}: {exc}")

    # ----- function calls ----------------------------------------------
    def _eval_function_call(self, node: Tree, scope: Scope) -> Any:
        parts = subtrees(node)
        name = identifier_name(parts[0])
        if len([p for p in parts if p.data == "identifier"]) > 1:
            return Unknown(self.source.of(node), "provider-defined functions are not evaluated")
        arguments = parts[-1] if parts[-1].data == "arguments" else None
        arg_nodes = subtrees(arguments) if arguments is not None else []
        if name in _LAZY_FUNCTIONS:
            return getattr(self, _LAZY_FUNCTIONS[name])(arg_nodes, scope, node)
        if name not in FUNCTIONS and name not in FILE_FUNCTIONS and name not in _TEMPLATE_FUNCTIONS:
            return Unknown(self.source.of(node), f"function {name}() is not evaluated statically")
        args = [self.evaluate(a, scope) for a in arg_nodes]
        if arguments is not None and args and any(
                isinstance(c, Token) and c.type == "ELLIPSIS" for c in arguments.children):
            if not isinstance(args[-1], list):
                text = self.source.of(node)
                return failure(text, "... expansion needs a list") if is_known(args[-1]) else as_unknown(args[-1], text)
            args = args[:-1] + list(args[-1])
        unknown = _blocking_unknown(name, args)
        if unknown is not None:
            return _unknown_choice(as_unknown(unknown, self.source.of(node)), _chosen_from(name, args))
        return self._call(name, args, scope, node)

    def _call(self, name: str, args: list, scope: Scope, node: Tree) -> Any:
        try:
            if name in _TEMPLATE_FUNCTIONS:
                return getattr(self, _TEMPLATE_FUNCTIONS[name])(args, scope, self.source.of(node))
            if name in FILE_FUNCTIONS:
                files = _files(scope, self.source.of(node))
                return files if isinstance(files, Unknown) else FILE_FUNCTIONS[name](files, *args)
            return FUNCTIONS[name](*args)
        except FunctionError as exc:
            return failure(self.source.of(node), str(exc))
        except NotStatic as exc:
            return Unknown(self.source.of(node), str(exc))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError) as exc:
            return failure(self.source.of(node), f"{name}() cannot take these arguments: {exc}")

    def _templatefile(self, args: list, scope: Scope, text: str) -> Any:
        if len(args) != 2:
            raise FunctionError("templatefile: takes a path and a map of variables")
        if isinstance(scope.resolver, TemplateReferences):
            raise FunctionError("templatefile: cannot be called from inside a template")
        files = _files(scope, text)
        if isinstance(files, Unknown):
            return files
        body = files.read_text(args[0], "templatefile")
        return self._render_with(body, args[1], scope, text, "templatefile")

    def _templatestring(self, args: list, scope: Scope, text: str) -> Any:
        if len(args) != 2 or not isinstance(args[0], str):
            raise FunctionError("templatestring: takes a template string and a map of variables")
        return self._render_with(args[0], args[1], scope, text, "templatestring")

    def _render_with(self, body: str, variables: Any, scope: Scope, text: str, function: str) -> Any:
        if not isinstance(variables, dict):
            raise FunctionError(f"{function}: the variables must be a map or object")
        inner = Scope(TemplateReferences(scope.resolver), dict(variables))
        source = SourceText(self.source.path, body)
        rendered = Evaluator(source).render_template_text(body, inner, Token("TEMPLATE", text))
        return rendered.at(text) if isinstance(rendered, Unknown) else rendered

    def _convert_call(self, arg_nodes: list[Tree], scope: Scope, node: Tree) -> Any:
        """``convert(value, type)``: the type is a type expression, not a value."""
        text = self.source.of(node)
        if len(arg_nodes) != 2:
            return failure(text, "convert() takes a value and a type")
        value = self.evaluate(arg_nodes[0], scope)
        if not is_known(value):
            return as_unknown(value, text)
        try:
            return self._convert(value, arg_nodes[1], scope)
        except FunctionError as exc:
            return failure(text, f"convert: {exc}")

    def _convert(self, value: Any, type_node: Tree, scope: Scope) -> Any:
        """``value`` converted to the type written at ``type_node``, or FunctionError."""
        from dr_audit.terraform.types import apply_type  # types imports this module

        node = type_node
        while isinstance(node, Tree) and node.data == "expr_term" and len(subtrees(node)) == 1:
            node = subtrees(node)[0]
        if isinstance(node, Tree) and node.data == "identifier":
            primitive = {"string": "tostring", "number": "tonumber", "bool": "tobool"}.get(identifier_name(node))
            return FUNCTIONS[primitive](value) if primitive else value
        if not (isinstance(node, Tree) and node.data == "function_call"):
            raise FunctionError(f"{self.source.of(type_node)} is not a type")
        kind = identifier_name(subtrees(node)[0])
        arguments = subtrees(node)[-1]
        element = subtrees(arguments)[0] if arguments.data == "arguments" and subtrees(arguments) else None
        if value is None or element is None or kind in ("object", "tuple"):
            return apply_type(value, node, self, scope)
        if kind in ("list", "set"):
            if not isinstance(value, list):
                raise FunctionError(f"cannot convert {value!r} to {kind}")
            items = [self._convert(item, element, scope) for item in value]
            return FUNCTIONS["toset"](items) if kind == "set" else FUNCTIONS["tolist"](items)
        if kind == "map":
            if not isinstance(value, dict):
                raise FunctionError(f"cannot convert {value!r} to map")
            return FUNCTIONS["tomap"]({k: self._convert(v, element, scope) for k, v in value.items()})
        raise FunctionError(f"{kind}(...) is not a type")

    def _try(self, arg_nodes: list[Tree], scope: Scope, node: Tree) -> Any:
        """The first argument that evaluates without an error. An argument
        unknown until apply makes the result unknown, as in Terraform."""
        if not arg_nodes:
            return failure(self.source.of(node), "try() needs at least one argument")
        last = None
        for arg_node in arg_nodes:
            value = self.evaluate(arg_node, scope)
            last = first_error(value)
            if last is None:
                return value.selected_at(self.source.of(node)) if isinstance(value, Unknown) else value
        return failure(self.source.of(node), f"try(): no expression succeeded (last: {last.reason})")

    def _can(self, arg_nodes: list[Tree], scope: Scope, node: Tree) -> Any:
        """True when the argument evaluates without an error, False when it fails,
        Unknown when that is known only at apply time."""
        if len(arg_nodes) != 1:
            return failure(self.source.of(node), "can() takes exactly one argument")
        value = self.evaluate(arg_nodes[0], scope)
        if first_error(value) is not None:
            return False
        part = first_unknown(value)
        if isinstance(part, Unknown):
            return part.at(self.source.of(node))
        return True

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
        # A full splat ([*]) applies every following attribute and index to each
        # element; an attribute splat (.*) only the attributes, the rest apply to
        # the resulting list (HCL's splat rules).
        children = subtrees(step)
        per_element = len(children)
        if step.data == "attr_splat":
            per_element = next((i for i, c in enumerate(children) if c.data != "get_attr"), len(children))
        inner = [s for child in children[:per_element] for s in self._steps_of(child)]
        after = [s for child in children[per_element:] for s in self._steps_of(child)]
        return [("splat", inner)] + after

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
                return value.selected_at(text)
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
            return value.selected_at(text)
        return value

    @staticmethod
    def _get_attr(value: Any, name: str, text: str) -> Any:
        if isinstance(value, Ref):
            return Ref(value.address, f"{value.attribute}.{name}")
        if isinstance(value, dict):
            if name in value:
                return value[name]
            return failure(text, f"no attribute {name!r}")
        getter = getattr(value, "get_attribute", None)
        if getter is not None:
            return getter(name)
        if value is None:
            return failure(text, f"cannot read attribute {name!r} of a null value")
        return failure(text, f"no attribute {name!r} on {type(value).__name__}")

    @staticmethod
    def _index(value: Any, key: Any, text: str) -> Any:
        if not is_known(key):
            return _unknown_choice(as_unknown(key, text), value)
        if isinstance(value, Ref):
            return Ref(value.address, f"{value.attribute}[{key!r}]")
        if value is None:
            return failure(text, f"cannot index a null value with {key!r}")
        if key is None:
            return failure(text, "the index is null")
        if isinstance(value, list):
            try:
                position = int(to_number(key)) if not isinstance(key, bool) else None
            except FunctionError:
                position = None
            if position is None or position != to_number(key):
                return failure(text, f"index {key!r} is not a whole number")
            if not 0 <= position < len(value):
                return failure(text, f"index {key!r} out of range")
            return value[position]
        if isinstance(value, dict):
            name = to_string(key) if not isinstance(key, (list, dict)) else None
            if name in value:
                return value[name]
            return failure(text, f"no key {key!r}")
        return failure(text, f"index {key!r} on a {type(value).__name__}")

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
        pairs = _iteration_pairs(collection) or _not_iterable(collection, self.source.of(node))
        if isinstance(pairs, Unknown):
            return None, bodies, grouped, pairs
        scopes = []
        for key, item in pairs:
            inner = scope.child(**({names[0]: key, names[1]: item} if len(names) == 2 else {names[0]: item}))
            if cond is not None:
                keep = self._condition(self.evaluate(subtrees(cond)[0], inner), subtrees(cond)[0])
                if isinstance(keep, Unknown):
                    return None, bodies, grouped, keep
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
            if key is None or isinstance(key, (list, dict)):
                return failure(self.source.of(node), f"a for expression key must be a string, got {key!r}")
            key = to_string(key)
            value = self.evaluate(bodies[1], inner)
            if grouped:
                result.setdefault(key, []).append(value)
            elif key in result:
                return failure(self.source.of(node), f"duplicate key {key!r}; add ... to group the values")
            else:
                result[key] = value
        return result


_TEMPLATE_FUNCTIONS = {"templatefile": "_templatefile", "templatestring": "_templatestring"}
# Functions whose arguments are not plain values: evaluated (or not) by the evaluator itself.
_LAZY_FUNCTIONS = {"try": "_try", "can": "_can", "convert": "_convert_call"}


def _files(scope: Scope, text: str) -> Files | Unknown:
    """Where file functions may read: relative to ``path.cwd``, inside the audited tree (the
    resolver's ``audited_tree()``: modules beside the root read their own files) or, without
    one, inside ``path.root``."""
    root, base = scope.resolver.path("root"), scope.resolver.path("cwd")
    tree = getattr(scope.resolver, "audited_tree", None)
    boundary = tree() if callable(tree) else root
    for value in (boundary, base):
        if not isinstance(value, str):
            return as_unknown(value, text) if not is_known(value) else Unknown(text, "the Terraform root is unknown")
    return Files(base, boundary)


def _iteration_pairs(collection: Any) -> list[tuple[Any, Any]] | None:
    """(key, value) pairs a ``for`` walks: list positions, or map keys in
    lexical order as Terraform iterates maps and objects; None for anything else."""
    if isinstance(collection, list):
        return list(enumerate(collection))
    if isinstance(collection, dict):
        return sorted(collection.items())
    return None


def _not_iterable(collection: Any, text: str) -> list | Unknown:
    """Why ``collection`` cannot be walked (an empty list when it can, being empty)."""
    if isinstance(collection, (list, dict)):
        return []
    if not is_known(collection):
        return as_unknown(collection, text)
    if collection is None:
        return failure(text, "cannot iterate over a null value")
    return failure(text, f"cannot iterate over {collection!r}")


def _apply_strip_markers(tokens: list[_TemplatePart]) -> None:
    """Trim whitespace next to ``~`` markers from the neighbouring literal text."""
    for position, token in enumerate(tokens):
        if token.strip_before and position > 0 and tokens[position - 1].kind == "text":
            tokens[position - 1].text = tokens[position - 1].text.rstrip()
        if token.strip_after and position + 1 < len(tokens) and tokens[position + 1].kind == "text":
            tokens[position + 1].text = tokens[position + 1].text.lstrip()


def _template_tree(tokens: list[_TemplatePart], position: int, until: tuple[str, ...]) -> tuple[list, int]:
    """Nest flat template tokens: ``("text", s)``, ``("interp", token)``,
    ``("if", token, then, else)``, ``("for", token, body)``. Stops at a token
    kind in ``until`` and returns the position of that token."""
    tree: list = []
    while position < len(tokens):
        token = tokens[position]
        if token.kind in until:
            return tree, position
        if token.kind == "text":
            tree.append(("text", token.text))
        elif token.kind == "interp":
            tree.append(("interp", token))
        elif token.kind == "if":
            then_tree, position = _template_tree(tokens, position + 1, ("else", "endif"))
            else_tree: list = []
            if tokens[position].kind == "else":
                else_tree, position = _template_tree(tokens, position + 1, ("endif",))
            tree.append(("if", token, then_tree, else_tree))
        elif token.kind == "for":
            body, position = _template_tree(tokens, position + 1, ("endfor",))
            tree.append(("for", token, body))
        else:
            raise ValueError(f"%{{{token.kind}}} without its opening directive")
        position += 1
    if until:
        raise ValueError(f"the template ends without %{{{until[-1]}}}")
    return tree, position


_ELEMENT_TOLERANT = frozenset({"length", "concat", "merge", "flatten", "compact", "tolist", "keys", "element",
                               "slice", "reverse", "values", "chunklist", "coalescelist", "one", "lookup"})


def _tolerates_unknown(function: str, value: Any) -> bool:
    """Collection functions keep partly unknown elements instead of failing."""
    return function in _ELEMENT_TOLERANT and isinstance(value, (list, dict))


def _blocking_unknown(function: str, args: list) -> Any:
    """The unresolved argument that makes a call unresolved, or None. ``coalesce``
    only needs the arguments up to the first non-null, non-empty one."""
    if function == "coalesce":
        for arg in args:
            if not is_known(arg):
                return arg
            if arg is not None and arg != "":
                return None
    return next((a for a in args if not is_known(a) and not _tolerates_unknown(function, a)), None)


#: functions whose result is one of the values in their arguments: the list's items for
#: ``element`` and ``one``, the arguments themselves for ``coalesce`` and ``coalescelist``
_SELECTING = {"element": lambda args: args[0] if args else None, "one": lambda args: args[0] if args else None,
              "coalesce": lambda args: [a for a in args if a is not None],
              "coalescelist": lambda args: [a for a in args if a is not None]}


def _chosen_from(function: str, args: list) -> Any:
    """What a call to ``function`` picks its result from (None when it computes something new)."""
    pick = _SELECTING.get(function)
    return pick(args) if pick is not None else None


def _unknown_choice(unknown: Unknown, choices: Any) -> Unknown:
    """``unknown`` (an unresolved pick from ``choices``: a list or map) remembering which
    instances every choice refers to, when each one is a reference; an error stays an error."""
    if unknown.error:
        return unknown
    if isinstance(choices, dict):
        choices = list(choices.values())
    found = candidates(choices) if isinstance(choices, list) or isinstance(choices, Unknown) else None
    return one_of(unknown.expression, unknown.reason, found) if found else unknown


def _arithmetic(operator: str, a: Any, b: Any) -> int | float:
    """Terraform arithmetic: exact for whole numbers and decimal fractions,
    ``/`` gives 2.5 for 5/2, ``%`` keeps the dividend's sign."""
    a, b = to_number(a), to_number(b)
    if isinstance(a, int) and isinstance(b, int):
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        if b == 0:
            raise FunctionError("division by zero")
        if operator == "%":
            remainder = abs(a) % abs(b)
            return remainder if a >= 0 else -remainder
        if a % b == 0:
            return a // b
        return decimal_result(Decimal(a) / Decimal(b))
    try:
        x, y = exact(a), exact(b)
        result = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y,
                  "/": lambda: x / y, "%": lambda: x % y}[operator]()
    except (DivisionByZero, InvalidOperation):
        raise FunctionError("division by zero") from None
    return decimal_result(result)


def _compare(operator: str, a: Any, b: Any) -> bool:
    x, y = to_number(a), to_number(b)
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[operator]


def _logical(operator: str, a: Any, b: Any) -> bool:
    x, y = to_bool(a), to_bool(b)
    return (x and y) if operator == "&&" else (x or y)


_BINARY = {
    **{op: (lambda op: lambda a, b: _arithmetic(op, a, b))(op) for op in "+-*/%"},
    **{op: (lambda op: lambda a, b: _compare(op, a, b))(op) for op in ("<", ">", "<=", ">=")},
    "==": _same,
    "!=": lambda a, b: not _same(a, b),
    "&&": lambda a, b: _logical("&&", a, b),
    "||": lambda a, b: _logical("||", a, b),
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
