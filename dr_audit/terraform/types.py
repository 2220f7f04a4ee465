"""Apply a variable's declared type to its value, as Terraform does.

Only what changes values matters here: ``optional(T, default)`` attributes of
``object({...})`` types are filled in (with the default or null) when absent or
given as null, through ``map``/``list``/``set``/``tuple``/``object`` nesting and
inside the defaults themselves, and numbers given as strings become numbers.

Example: type ``map(object({netnum = number, public = optional(bool, false)}))``
turns ``{"db": {"netnum": 3}}`` into ``{"db": {"netnum": 3, "public": False}}``.
"""

from __future__ import annotations

from typing import Any

from lark import Tree

from dr_audit.terraform.expressions import Evaluator, Scope, identifier_name, subtrees
from dr_audit.terraform.values import is_known


def _unwrap(node: Tree) -> Tree:
    while isinstance(node, Tree) and node.data == "expr_term" and len(subtrees(node)) == 1:
        node = subtrees(node)[0]
    return node


def apply_type(value: Any, type_node: Tree, evaluator: Evaluator, scope: Scope) -> Any:
    """``value`` converted to the type written at ``type_node``."""
    if not is_known(value) and not isinstance(value, (dict, list)):
        return value
    node = _unwrap(type_node)
    if isinstance(node, Tree) and node.data == "identifier":
        name = identifier_name(node)
        if name == "number" and isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return value
            return int(number) if number.is_integer() else number
        return value
    if not (isinstance(node, Tree) and node.data == "function_call"):
        return value
    parts = subtrees(node)
    function = identifier_name(parts[0])
    args = subtrees(parts[-1]) if parts[-1].data == "arguments" else []
    if function in ("map",) and args and isinstance(value, dict):
        return {k: apply_type(v, args[0], evaluator, scope) for k, v in value.items()}
    if function in ("list", "set") and args and isinstance(value, list):
        return [apply_type(v, args[0], evaluator, scope) for v in value]
    if function == "tuple" and args and isinstance(value, list):
        element_types = subtrees(_unwrap(args[0]))
        if len(element_types) == len(value):
            return [apply_type(v, t, evaluator, scope) for v, t in zip(value, element_types)]
        return value
    if function == "object" and args and isinstance(value, dict):
        return _apply_object(value, _unwrap(args[0]), evaluator, scope)
    return value


def _apply_object(value: dict, spec: Tree, evaluator: Evaluator, scope: Scope) -> dict:
    if not (isinstance(spec, Tree) and spec.data == "object"):
        return value
    result = dict(value)
    for elem in subtrees(spec):
        key_node, attr_type = subtrees(elem)
        key = evaluator.source.of(key_node).strip('"')
        attr_type = _unwrap(attr_type)
        optional = (isinstance(attr_type, Tree) and attr_type.data == "function_call"
                    and identifier_name(subtrees(attr_type)[0]) == "optional")
        if optional:
            opt_args = subtrees(subtrees(attr_type)[-1])
            inner_type = opt_args[0]
            if result.get(key) is None:  # absent or null: Terraform substitutes the default
                result[key] = evaluator.evaluate(opt_args[1], scope) if len(opt_args) > 1 else None
            if result[key] is not None:
                result[key] = apply_type(result[key], inner_type, evaluator, scope)
        elif key in result:
            result[key] = apply_type(result[key], attr_type, evaluator, scope)
    return result
