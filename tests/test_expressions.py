"""The HCL expression evaluator: every supported function and construct, and
what becomes Unknown (with the expression and the reason)."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest

from dr_audit.terraform.expressions import Evaluator, Scope, SourceText, subtrees
from dr_audit.terraform.functions import FILE_FUNCTIONS, FUNCTIONS
from dr_audit.terraform.values import Ref, Unknown


class FakeModule:
    """A resolver with fixed variables, locals and one resource instance."""

    def __init__(self):
        self.vars = {"cidr": "10.10.0.0/16", "azs": ["ap-northeast-2a", "ap-northeast-2c"],
                     "tags": {"Team": "infra"}, "n": 3, "flag": True, "name": "portforge",
                     "hosts": {"api": {"type": "A"}, "bot": {"type": "CNAME"}}}

    def variable(self, name):
        return self.vars.get(name, Unknown(f"var.{name}", "not declared"))

    def local(self, name):
        return {"prefix": "pf"}.get(name, Unknown(f"local.{name}", "not defined"))

    def module_outputs(self, name):
        return Unknown(f"module.{name}", "no modules here")

    def resource(self, type_, name):
        instance = type("Instance", (), {"address": f"{type_}.{name}",
                                         "get_attribute": lambda self, attr: "10.0.0.0/8" if attr == "cidr_block"
                                         else Ref(self.address, attr)})()
        return instance

    def data(self, type_, name):
        return Unknown(f"data.{type_}.{name}", "no data")

    def path(self, name):
        return "/mod"


def evaluate(expression: str, **names):
    text = f"x = {expression}\n"
    tree = hcl2.parses_to_tree(text)
    attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
    return Evaluator(SourceText("t.tf", text)).evaluate(subtrees(attribute)[-1], Scope(FakeModule(), names))


@pytest.mark.parametrize("expression, expected", [
    ('cidrsubnet(var.cidr, 8, 1)', "10.10.1.0/24"),
    ('cidrsubnet(var.cidr, 8, 1 + 10 * 1)', "10.10.11.0/24"),
    ('cidrsubnet("10.20.0.0/16", 4, 15)', "10.20.240.0/20"),
    ('cidrhost("10.10.1.0/24", 5)', "10.10.1.5"),
    ('cidrnetmask("10.0.0.0/12")', "255.240.0.0"),
    ('merge(var.tags, { Name = "x" })', {"Team": "infra", "Name": "x"}),
    ('format("%s-%02d-%v", "a", 7, true)', "a-07-true"),
    ('format("%q", "v")', '"v"'),
    ('lookup({ a = 1 }, "b", 2)', 2),
    ('lookup({ a = 1 }, "a")', 1),
    ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
    ('jsonencode({ b = 1, a = [true] })', '{"a":[true],"b":1}'),
    ('jsondecode("{\\"a\\": 1}")', {"a": 1}),
    ('length(var.azs)', 2),
    ('upper("a")', "A"), ('lower("A")', "a"), ('title("ab cd")', "Ab Cd"),
    ('join(",", ["a", "b"])', "a,b"), ('split(",", "a,b")', ["a", "b"]),
    ('replace("a-b", "-", "_")', "a_b"), ('replace("a1b2", "/[0-9]/", "")', "ab"),
    ('trimspace("  a ")', "a"), ('trimprefix("https://x", "https://")', "x"), ('trimsuffix("a.tf", ".tf")', "a"),
    ('startswith("abc", "ab")', True), ('endswith("abc", "bc")', True),
    ('substr("ap-northeast-2a", -1, 1)', "a"), ('substr("hello", 1, 3)', "ell"),
    ('element(var.azs, 3)', "ap-northeast-2c"), ('one(["x"])', "x"),
    ('tolist(["a"])', ["a"]), ('toset(["b", "a", "b"])', ["a", "b"]), ('tomap({ a = 1 })', {"a": 1}),
    ('tostring(5)', "5"), ('tonumber("42")', 42), ('tobool("true")', True),
    ('keys({ b = 1, a = 2 })', ["a", "b"]), ('values({ b = 1, a = 2 })', [2, 1]),
    ('flatten([["a"], ["b", ["c"]]])', ["a", "b", "c"]), ('distinct(["a", "a", "b"])', ["a", "b"]),
    ('compact(["a", "", null])', ["a"]), ('coalesce("", "b")', "b"), ('contains(var.azs, "x")', False),
    ('zipmap(["a"], [1])', {"a": 1}), ('range(3)', [0, 1, 2]), ('sort(["b", "a"])', ["a", "b"]),
    ('reverse([1, 2])', [2, 1]), ('slice(["a", "b", "c"], 1, 3)', ["b", "c"]), ('index(["a", "b"], "b")', 1),
    ('sum([1, 2])', 3), ('abs(-3)', 3), ('ceil(1.2)', 2), ('floor(1.8)', 1), ('max(1, 5)', 5), ('min(1, 5)', 1),
])
def test_supported_function(expression, expected):
    assert evaluate(expression) == expected


def test_every_function_in_the_table_is_exercised():
    here = Path(__file__).parent
    source = "".join((here / name).read_text(encoding="utf-8") for name in ("test_expressions.py", "test_functions.py"))
    names = [*FUNCTIONS, *FILE_FUNCTIONS, "templatefile", "templatestring", "try", "can", "convert"]
    missing = [name for name in names if f"'{name}(" not in source]
    assert not missing, f"functions without a test: {missing}"


@pytest.mark.parametrize("expression, expected", [
    ('var.flag ? "yes" : "no"', "yes"),
    ('var.n > 2 && !false', True),
    ('var.n % 2 == 1 || false', True),
    ('(var.n + 1) * 2 - 3 / 3', 7.0),
    ('-var.n', -3),
    ('"${var.name}-${local.prefix}"', "portforge-pf"),
    ('"${var.n}"', 3),
    ('"literal $${not_interpolated}"', "literal ${not_interpolated}"),
    ('"tab\\tquote\\"nl\\n"', 'tab\tquote"nl\n'),
    ('[for az in var.azs : substr(az, -1, 1)]', ["a", "c"]),
    ('[for i, az in var.azs : "${i}:${az}" if i > 0]', ["1:ap-northeast-2c"]),
    ('{ for k, v in var.hosts : k => v.type }', {"api": "A", "bot": "CNAME"}),
    ('{ for k, v in var.hosts : v.type => k... }', {"A": ["api"], "CNAME": ["bot"]}),
    ('[{ a = 1 }, { a = 2 }][*].a', [1, 2]),
    ('var.hosts["api"].type', "A"),
    ('var.azs.1', "ap-northeast-2c"),
    ('aws_vpc.main.cidr_block', "10.0.0.0/8"),
    ('try(var.hosts["none"].type, "fallback")', "fallback"),
    ('can(var.hosts["none"])', False),
    ('can(var.hosts["api"])', True),
    ('path.module', "/mod"),
    ('each.key', "k"),
])
def test_supported_construct(expression, expected):
    assert evaluate(expression, each={"key": "k"}) == expected


def test_heredoc_with_interpolation_and_trim():
    text = 'x = <<-EOT\n    name: ${var.name}\n      nested\n    EOT\n'
    tree = hcl2.parses_to_tree(text)
    attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
    value = Evaluator(SourceText("t.tf", text)).evaluate(subtrees(attribute)[-1], Scope(FakeModule()))
    assert value == "name: portforge\n  nested\n"


def test_resource_computed_attribute_is_a_ref():
    assert evaluate("aws_vpc.main.id") == Ref("aws_vpc.main", "id")


@pytest.mark.parametrize("expression, reason_part", [
    ("var.missing", "not declared"),
    ('timestamp()', "known only at apply time"),
    ('"${aws_vpc.main.id}-x"', "only known after apply"),
    ('var.missing == "a" ? 1 : 2', "not declared"),
    ('cidrsubnet("10.0.0.0/30", 8, 1)', "no room"),
    ('lookup({}, "k")', "not found"),
    ('"%{ endif }"', "without its opening"),
    ('[for x in var.missing : x]', "not declared"),
    ("unknown_name", "not a name in scope"),
])
def test_unresolvable_becomes_unknown_with_expression(expression, reason_part):
    value = evaluate(expression)
    assert isinstance(value, Unknown), value
    assert reason_part in value.reason
    assert value.expression  # the text an auditor sees


def test_conditional_with_unknown_condition_but_equal_branches_is_known():
    assert evaluate('var.missing ? "same" : "same"') == "same"


# ----- which instances an unresolved pick may name ---------------------------

@pytest.mark.parametrize("expression, among", [
    ('element([aws_x.a.id, aws_x.b.id], var.unset)', ("aws_x.a", "aws_x.b")),
    ('[aws_x.a.id, aws_x.b.id][var.unset]', ("aws_x.a", "aws_x.b")),
    ('var.unset ? aws_x.a.id : aws_x.b.id', ("aws_x.a", "aws_x.b")),
    ('try(var.unset ? aws_x.a.id : aws_x.b.id, "")', ("aws_x.a", "aws_x.b")),
    ('coalesce(var.unset ? aws_x.a.id : aws_x.b.id, aws_x.c.id)', ("aws_x.a", "aws_x.b", "aws_x.c")),
])
def test_an_unresolved_pick_among_references_remembers_them(expression, among):
    value = evaluate(expression)
    assert isinstance(value, Unknown) and value.among == among


@pytest.mark.parametrize("expression", [
    'element([aws_x.a.id, "literal"], var.unset)',  # the literal may be any table's id
    'upper(element([aws_x.a.id, aws_x.b.id], var.unset))',  # computed from it, not it
    '"${var.unset ? aws_x.a.id : aws_x.b.id}-x"',
    'var.unset ? aws_x.a.id : var.other',
    'length(element([aws_x.a.id, aws_x.b.id], var.unset))',
])
def test_a_value_that_may_be_anything_remembers_no_references(expression):
    value = evaluate(expression)
    assert isinstance(value, Unknown) and value.among is None
