"""Terraform's built-in functions, checked against the examples in Terraform's
function documentation (developer.hashicorp.com/terraform/language/functions),
plus the null, error and template semantics of the evaluator.

Each row is expression text → the value ``terraform console`` prints for it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import hcl2
import pytest

from dr_audit.terraform.expressions import Evaluator, NoReferences, Scope, SourceText, subtrees
from dr_audit.terraform.values import Ref, Unknown, as_unknown, failure, first_error


class Module:
    """A resolver rooted at ``root``: a few variables, one resource with a computed id."""

    def __init__(self, root: Path | str = "/nonexistent-root"):
        self.root = str(root)
        self.vars = {"nothing": None, "tags": {"Team": "infra"}, "list": ["a", "b"], "flag": True,
                     "greeting": "Hello, ${name}!"}

    def variable(self, name):
        return self.vars.get(name, Unknown(f"var.{name}", "not declared"))

    def local(self, name):
        return {"foo": {"bar": "baz"}}.get(name, Unknown(f"local.{name}", "not defined"))

    def module_outputs(self, name):
        return Unknown(f"module.{name}", "no modules here")

    def resource(self, type_, name):
        return {"id": Ref(f"{type_}.{name}", "id"), "tags": None}

    def data(self, type_, name):
        return Unknown(f"data.{type_}.{name}", "no data")

    def path(self, name):
        return self.root


def value_of(expression: str, resolver=None, **names):
    """The value of one HCL expression, as the evaluator computes it."""
    text = f"x = {expression}\n"
    tree = hcl2.parses_to_tree(text)
    attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
    return Evaluator(SourceText("t.tf", text)).evaluate(subtrees(attribute)[-1], Scope(resolver or Module(), names))


DOCUMENTED = [
    # numeric
    ('abs(23)', 23), ('abs(0)', 0), ('abs(-12.4)', 12.4),
    ('ceil(5)', 5), ('ceil(5.1)', 6), ('floor(5)', 5), ('floor(4.9)', 4),
    ('log(50, 10)', 1.6989700043360185), ('log(16, 2)', 4), ('log(1, 10)', 0),
    ('max(12, 54, 3)', 54), ('max([12, 54, 3]...)', 54), ('min(12, 54, 3)', 3), ('min([12, 54, 3]...)', 3),
    ('parseint("100", 10)', 100), ('parseint("FF", 16)', 255), ('parseint("-10", 16)', -16),
    ('parseint("1011111011101111", 2)', 48879), ('parseint("aA", 62)', 656),
    ('pow(3, 2)', 9), ('pow(4, 0)', 1),
    ('signum(-13)', -1), ('signum(0)', 0), ('signum(344)', 1),
    # string
    ('chomp("hello\\n")', "hello"), ('chomp("hello\\r\\n")', "hello"), ('chomp("hello\\n\\n")', "hello"),
    ('endswith("hello world", "world")', True), ('endswith("hello world", "hello")', False),
    ('format("Hello, %s!", "Ander")', "Hello, Ander!"), ('format("There are %d lights", 4)', "There are 4 lights"),
    ('format("%[1]s%[2]s%[1]s%[3]s", "/", "path", "file.tf")', "/path/file.tf"),
    ('format("%#v", "hello")', '"hello"'), ('format("%#v", true)', "true"), ('format("%#v", 1)', "1"),
    ('format("%#v", {a = 1})', '{"a":1}'), ('format("%#v", [true])', "[true]"), ('format("%#v", null)', "null"),
    ('formatlist("Hello, %s!", ["Valentina", "Ander", "Olivia", "Sam"])',
     ["Hello, Valentina!", "Hello, Ander!", "Hello, Olivia!", "Hello, Sam!"]),
    ('formatlist("%s, %s!", "Salutations", ["Valentina", "Ander", "Olivia", "Sam"])',
     ["Salutations, Valentina!", "Salutations, Ander!", "Salutations, Olivia!", "Salutations, Sam!"]),
    ('"  items: ${indent(2, "[\\n  foo,\\n  bar,\\n]\\n")}"', "  items: [\n    foo,\n    bar,\n  ]\n  "),
    ('indent(2, "a\nb\n")', "a\n  b\n  "),
    ('join(", ", ["foo", "bar", "baz"])', "foo, bar, baz"), ('join(", ", ["foo"])', "foo"),
    ('lower("HELLO")', "hello"), ('lower("АЛЛО!")', "алло!"),
    ('regex("[a-z]+", "53453453.345345aaabbbccc23454")', "aaabbbccc"),
    ('regex("(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)-(\\\\d\\\\d)", "2019-02-01")', ["2019", "02", "01"]),
    ('regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")',
     {"authority": "terraform.io", "scheme": "https"}),
    ('regexall("[a-z]+", "1234abcd5678efgh9")', ["abcd", "efgh"]),
    ('length(regexall("[a-z]+", "1234abcd5678efgh9"))', 2), ('length(regexall("[a-z]+", "123456789")) > 0', False),
    ('replace("1 + 2 + 3", "+", "-")', "1 - 2 - 3"), ('replace("hello world", "/w.*d/", "everybody")', "hello everybody"),
    ('split(",", "foo,bar,baz")', ["foo", "bar", "baz"]), ('split(",", "foo")', ["foo"]), ('split(",", "")', [""]),
    ('startswith("hello world", "hello")', True), ('startswith("hello world", "world")', False),
    ('strcontains("hello world", "wor")', True), ('strcontains("hello world", "wod")', False),
    ('strrev("hello")', "olleh"), ('strrev("a ☃")', "☃ a"),
    ('substr("hello world", 1, 4)', "ello"), ('substr("🤔🤷", 0, 1)', "🤔"), ('substr("hello world", -5, -1)', "world"),
    ('substr("hello world", 6, 10)', "world"),
    ('title("hello world")', "Hello World"),
    ('trim("?!hello?!", "!?")', "hello"), ('trim("foobar", "far")', "oob"), ('trim("   hello! world.!  ", "! ")', "hello! world."),
    ('trimprefix("helloworld", "hello")', "world"), ('trimprefix("helloworld", "cat")', "helloworld"),
    ('trimsuffix("helloworld", "world")', "hello"), ('trimspace("  hello\\n\\n")', "hello"),
    ('upper("hello")', "HELLO"), ('upper("алло!")', "АЛЛО!"),
    # collections
    ('alltrue(["true", true])', True), ('alltrue([true, false])', False),
    ('anytrue(["true"])', True), ('anytrue([true])', True), ('anytrue([true, false])', True), ('anytrue([])', False),
    ('chunklist(["a", "b", "c", "d", "e"], 2)', [["a", "b"], ["c", "d"], ["e"]]),
    ('chunklist(["a", "b", "c", "d", "e"], 1)', [["a"], ["b"], ["c"], ["d"], ["e"]]),
    ('coalesce("a", "b")', "a"), ('coalesce("", "b")', "b"), ('coalesce(1, 2)', 1), ('coalesce(["", "b"]...)', "b"),
    ('coalesce(1, "hello")', "1"), ('coalesce(true, "hello")', "true"),
    ('coalescelist(["a", "b"], ["c", "d"])', ["a", "b"]), ('coalescelist([], ["c", "d"])', ["c", "d"]),
    ('coalescelist([[], ["c", "d"]]...)', ["c", "d"]),
    ('compact(["a", "", "b", null, "c"])', ["a", "b", "c"]),
    ('concat(["a", ""], ["b", "c"])', ["a", "", "b", "c"]),
    ('contains(["a", "b", "c"], "a")', True), ('contains(["a", "b", "c"], "d")', False),
    ('distinct(["a", "b", "a", "c", "d", "b"])', ["a", "b", "c", "d"]),
    ('element(["a", "b", "c"], 1)', "b"), ('element(["a", "b", "c"], 3)', "a"), ('element(["a", "b", "c"], -1)', "c"),
    ('flatten([["a", "b"], [], ["c"]])', ["a", "b", "c"]), ('flatten([[["a", "b"], []], ["c"]])', ["a", "b", "c"]),
    ('index(["a", "b", "c"], "b")', 1), ('index(["one", "two", "two"], "two")', 1),
    ('keys({a=1, c=2, d=3})', ["a", "c", "d"]),
    ('length([])', 0), ('length(["a", "b"])', 2), ('length({"a" = "b"})', 1), ('length("hello")', 5),
    ('length("👾🕹️")', 2),
    ('lookup({a="ay", b="bee"}, "a", "what?")', "ay"), ('lookup({a="ay", b="bee"}, "c", "what?")', "what?"),
    ('matchkeys(["i-123", "i-abc", "i-def"], ["us-west", "us-east", "us-east"], ["us-east"])', ["i-abc", "i-def"]),
    ('merge({a="b", c="d"}, {e="f", c="z"})', {"a": "b", "c": "z", "e": "f"}),
    ('merge({a="b"}, {a=[1,2], c="z"}, {d=3})', {"a": [1, 2], "c": "z", "d": 3}),
    ('one([])', None), ('one(["hello"])', "hello"), ('one(toset([]))', None), ('one(toset(["hello"]))', "hello"),
    ('range(3)', [0, 1, 2]), ('range(1, 4)', [1, 2, 3]), ('range(1, 8, 2)', [1, 3, 5, 7]),
    ('range(1, 4, 0.5)', [1, 1.5, 2, 2.5, 3, 3.5]), ('range(4, 1)', [4, 3, 2]), ('range(10, 5, -2)', [10, 8, 6]),
    ('reverse([1, 2, 3])', [3, 2, 1]),
    ('setintersection(["a", "b"], ["b", "c"], ["b", "d"])', ["b"]),
    ('setproduct(["development", "staging", "production"], ["app1", "app2"])',
     [["development", "app1"], ["development", "app2"], ["staging", "app1"], ["staging", "app2"],
      ["production", "app1"], ["production", "app2"]]),
    ('setproduct(["development", "staging", "production"], [])', []),
    ('setproduct(["a"], ["b"])', [["a", "b"]]),
    ('setproduct(["staging", "production"], ["a", 2])',
     [["staging", "a"], ["staging", "2"], ["production", "a"], ["production", "2"]]),
    ('setsubtract(["a", "b", "c"], ["a", "c"])', ["b"]),
    ('setunion(setsubtract(["a", "b", "c"], ["a", "d"]), setsubtract(["a", "d"], ["a", "b", "c"]))', ["b", "c", "d"]),
    ('setunion(["a", "b"], ["b", "c"], ["d"])', ["a", "b", "c", "d"]),
    ('slice(["a", "b", "c", "d"], 1, 3)', ["b", "c"]),
    ('sort(["e", "d", "a", "x"])', ["a", "d", "e", "x"]),
    ('sum([10, 13, 6, 2])', 31),
    ('transpose({"a" = ["1", "2"], "b" = ["2", "3"]})', {"1": ["a"], "2": ["a", "b"], "3": ["b"]}),
    ('values({a=3, c=2, d=1})', [3, 2, 1]),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    # encodings
    ('base64decode("SGVsbG8gV29ybGQ=")', "Hello World"), ('base64encode("Hello World")', "SGVsbG8gV29ybGQ="),
    ('csvdecode("a,b,c\\n1,2,3\\n4,5,6")', [{"a": "1", "b": "2", "c": "3"}, {"a": "4", "b": "5", "c": "6"}]),
    ('jsondecode("{\\"hello\\": \\"world\\"}")', {"hello": "world"}), ('jsondecode("true")', True),
    ('jsonencode({"hello"="world"})', '{"hello":"world"}'),
    ('textencodebase64("Hello World", "UTF-16LE")', "SABlAGwAbABvACAAVwBvAHIAbABkAA=="),
    ('textdecodebase64("SABlAGwAbABvACAAVwBvAHIAbABkAA==", "UTF-16LE")', "Hello World"),
    ('urlencode("Hello World!")', "Hello+World%21"), ('urlencode("☃")', "%E2%98%83"),
    ('urlencode("foo:bar@localhost?foo=bar&bar=baz")', "foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz"),
    ('yamldecode("hello: world")', {"hello": "world"}), ('yamldecode("true")', True),
    ('yamldecode("{a: &foo [1, 2, 3], b: *foo}")', {"a": [1, 2, 3], "b": [1, 2, 3]}),
    ('yamlencode({"a":"b", "c":"d"})', '"a": "b"\n"c": "d"\n'),
    ('yamlencode({"foo":[1, 2, 3], "bar": "baz"})', '"bar": "baz"\n"foo":\n- 1\n- 2\n- 3\n'),
    ('yamlencode({"foo":[1, {"a":"b","c":"d"}, 3], "bar": "baz"})',
     '"bar": "baz"\n"foo":\n- 1\n- "a": "b"\n  "c": "d"\n- 3\n'),
    # paths that read nothing
    ('basename("foo/bar/baz.txt")', "baz.txt"), ('dirname("foo/bar/baz.txt")', "foo/bar"),
    ('pathexpand("/etc/resolv.conf")', "/etc/resolv.conf"),
    # date and time
    ('formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")', "02 Jan 2018 23:12 UTC"),
    ('formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z")', "Tuesday, 02-Jan-18 23:12:01 UTC"),
    ('formatdate("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00")', "Tue, 02 Jan 2018 23:12:01 -0800"),
    ('formatdate("MMM DD, YYYY", "2018-01-02T23:12:01Z")', "Jan 02, 2018"),
    ('formatdate("HH:mmaa", "2018-01-02T23:12:01Z")', "11:12pm"),
    ('timeadd("2017-11-22T00:00:00Z", "10m")', "2017-11-22T00:10:00Z"),
    ('timecmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z")', 0),
    ('timecmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00Z")', -1),
    ('timecmp("2017-11-22T01:00:00Z", "2017-11-22T00:00:00Z")', 1),
    ('timecmp("2017-11-22T01:00:00Z", "2017-11-22T00:00:00-01:00")', 0),
    # hashes
    ('base64sha256("hello world")', "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
    ('base64sha512("hello world")',
     "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=="),
    ('md5("hello world")', "5eb63bbbe01eeed093cb22bb8f5acdc3"),
    ('sha1("hello world")', "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
    ('sha256("hello world")', "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
    ('sha512("hello world")', "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f"
                              "989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"),
    ('uuidv5("dns", "www.terraform.io")', "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
    ('uuidv5("url", "https://www.terraform.io/")', "9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"),
    ('uuidv5("oid", "1.3.6.1.4")', "af9d40a5-7a36-5c07-b23a-851cd99fbfa5"),
    ('uuidv5("x500", "CN=Example,C=GB")', "84e09961-4aa4-57f8-95b7-03edb1073253"),
    ('uuidv5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.terraform.io")', "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
    # IP networks
    ('cidrhost("10.12.112.0/20", 16)', "10.12.112.16"), ('cidrhost("10.12.112.0/20", 268)', "10.12.113.12"),
    ('cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)', "fd00:fd12:3456:7890::22"),
    ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
    ('cidrsubnet("172.16.0.0/12", 4, 2)', "172.18.0.0/16"), ('cidrsubnet("10.1.2.0/24", 4, 15)', "10.1.2.240/28"),
    ('cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)', "fd00:fd12:3456:7800:a200::/72"),
    ('cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)', ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]),
    ('cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)',
     ["fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72",
      "fd00:fd12:3456:7800:300::/88"]),
    # type conversion
    ('tobool(true)', True), ('tobool("true")', True), ('tobool(null)', None),
    ('tolist(["a", "b", "c"])', ["a", "b", "c"]), ('tolist(["a", "b", 3])', ["a", "b", "3"]),
    ('tomap({"a" = 1, "b" = 2})', {"a": 1, "b": 2}), ('tomap({"a" = "foo", "b" = true})', {"a": "foo", "b": "true"}),
    ('tonumber(1)', 1), ('tonumber("1")', 1), ('tonumber(null)', None),
    ('toset(["a", "b", "c"])', ["a", "b", "c"]), ('toset(["a", "b", 3])', ["3", "a", "b"]), ('toset(["c", "b", "b"])', ["b", "c"]),
    ('tostring("hello")', "hello"), ('tostring(1)', "1"), ('tostring(true)', "true"), ('tostring(null)', None),
    ('convert([], list(string))', []),
    ('convert({test = {}}, map(object({attr = optional(string), with_default = optional(string, "default")})))',
     {"test": {"attr": None, "with_default": "default"}}),
    ('convert(["a", 1], set(string))', ["1", "a"]), ('convert("5", number)', 5), ('convert(null, string)', None),
    ('yamldecode("{on: 1}")', {"true": 1}), ('yamldecode("{\\"on\\": 1}")', {"on": 1}),
    ('sensitive("secret")', "secret"), ('nonsensitive(sensitive("x"))', "x"),
    ('templatestring(var.greeting, { name = "Ander" })', "Hello, Ander!"),
]


@pytest.mark.parametrize("expression, expected", DOCUMENTED, ids=[e for e, _ in DOCUMENTED])
def test_documented_example(expression, expected):
    value = value_of(expression)
    assert value == expected
    assert type(value) is type(expected) or {type(value), type(expected)} <= {int, float}


FAILING = [
    ('parseint("12", 2)', "cannot parse"),
    ('regex("[a-z]+", "53453453.34534523454")', "did not match"),
    ('one(["hello", "goodbye"])', "one:"), ('one(toset(["hello", "goodbye"]))', "one:"),
    ('index(["a"], "z")', "not in the list"),
    ('yamldecode("{a: &foo [1, *foo, 3]}")', "its own definition"),
    ('yamldecode("{a: !not-supported foo}")', "not-supported"),
    ('coalesce({}, "hello")', "no common type"),
    ('tobool("no")', "not a bool"), ('tonumber("no")', "not a number"), ('tostring([])', "cannot convert"),
    ('list("a")', "removed"), ('map("a", 1)', "removed"),
    ('zipmap(["a"], [])', "1 keys but 0 values"),
    ('cidrnetmask("fd00::/8")', "only IPv4"),
    ('lookup({a = 1}, "b")', "not found"),
    ('slice(["a"], 0, 2)', "out of range"),
    ('sum([])', "empty"),
    ('element([], 0)', "empty list"),
    ('sort(["a", null])', "null"),
    ('timeadd("2017-11-22", "1h")', "RFC3339"),
    ('formatdate("YYY", "2018-01-02T23:12:01Z")', "invalid date format verb"),
    ('format("%d", 1.5)', "integer"),
    ('format("%s")', "not enough arguments"),
    ('base64decode("not base64!")', "not valid base64"),
    ('csvdecode("a,b\\n1")', "wrong number of fields"),
    ('range(0, 10, 0)', "zero"),
    ('join("-", ["a", null])', "null"),
    ('convert("x", number)', "not a number"),
    ('convert("x", list(string))', "cannot convert"),
]


@pytest.mark.parametrize("expression, reason_part", FAILING, ids=[e for e, _ in FAILING])
def test_a_failing_call_is_an_evaluation_error(expression, reason_part):
    value = value_of(expression)
    assert isinstance(value, Unknown) and value.error, value
    assert reason_part in value.reason
    assert value_of(f"can({expression})") is False
    assert value_of(f'try({expression}, "fallback")') == "fallback"


NOT_STATIC = [
    ('timestamp()', "known only at apply time"),
    ('plantimestamp()', "known only at apply time"),
    ('uuid()', "known only at apply time"),
    ('bcrypt("hello world")', "known only at apply time"),
    ('ephemeralasnull("x")', "known only at apply time"),
    ('base64gzip("test")', "compressor"),
    ('rsadecrypt("x", "y")', "does not decrypt"),
    ('issensitive("x")', "sensitivity"),
    ('type("x")', "console"),
    ('pathexpand("~/.ssh/id_rsa")', "home directory"),
    ('provider::aws::arn_parse("arn:aws:iam::444455556666:role/example")', "provider-defined functions"),
    ('some_future_function(1)', "not evaluated statically"),
]


@pytest.mark.parametrize("expression, reason_part", NOT_STATIC, ids=[e for e, _ in NOT_STATIC])
def test_a_value_the_code_does_not_determine_is_unknown_not_an_error(expression, reason_part):
    value = value_of(expression)
    assert isinstance(value, Unknown) and not value.error, value
    assert reason_part in value.reason
    assert isinstance(value_of(f'try({expression}, "fallback")'), Unknown)  # try() cannot decide
    assert isinstance(value_of(f"can({expression})"), Unknown)


def test_every_documented_function_is_known_to_the_evaluator():
    documented = {
        "abs", "ceil", "floor", "log", "max", "min", "parseint", "pow", "signum", "chomp", "endswith", "format",
        "formatlist", "indent", "join", "lower", "regex", "regexall", "replace", "split", "startswith",
        "strcontains", "strrev", "substr", "templatestring", "title", "trim", "trimprefix", "trimsuffix",
        "trimspace", "upper", "alltrue", "anytrue", "chunklist", "coalesce", "coalescelist", "compact", "concat",
        "contains", "distinct", "element", "flatten", "index", "keys", "length", "lookup", "matchkeys", "merge",
        "one", "range", "reverse", "setintersection", "setproduct", "setsubtract", "setunion", "slice", "sort",
        "sum", "transpose", "values", "zipmap", "base64decode", "base64encode", "base64gzip", "csvdecode",
        "jsondecode", "jsonencode", "textdecodebase64", "textencodebase64", "urlencode", "yamldecode",
        "yamlencode", "abspath", "dirname", "pathexpand", "basename", "file", "fileexists", "fileset",
        "filebase64", "templatefile", "formatdate", "plantimestamp", "timeadd", "timecmp", "timestamp",
        "base64sha256", "base64sha512", "bcrypt", "filebase64sha256", "filebase64sha512", "filemd5", "filesha1",
        "filesha256", "filesha512", "md5", "rsadecrypt", "sha1", "sha256", "sha512", "uuid", "uuidv5",
        "cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "can", "ephemeralasnull", "issensitive",
        "nonsensitive", "sensitive", "tobool", "tolist", "tomap", "tonumber", "toset", "tostring", "try", "type",
        "convert",
    }
    unknown = sorted(name for name in documented
                     if "not evaluated statically" in getattr(value_of(f"{name}()"), "reason", ""))
    assert not unknown


# ----- numbers and strings as Terraform has them -------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('5 / 2', 2.5), ('4 / 2', 2), ('0.1 + 0.2', 0.3), ('sum([0.1, 0.2])', 0.3), ('-7 % 3', -1), ('7 % -3', 1),
    ('"${5 / 2}"', 2.5), ('"n=${4 / 2}"', "n=2"), ('"n=${1.5 * 2}"', "n=3"), ('"${0.0000001}-x"', "0.0000001-x"),
    ('format("%v", 1000000)', "1e+06"), ('format("%v", 1.5)', "1.5"), ('"${1000000}-x"', "1000000-x"),
    ('jsonencode({a = "<b>", n = 1e21})', '{"a":"\\u003cb\\u003e","n":1000000000000000000000}'),
    ('1 == "1"', False), ('1 == 1.0', True), ('true == "true"', False),
    ('"tab\\tq\\"\\u2603\\U0001F600\\\\"', 'tab\tq"☃😀\\'),
    ('sort([3, 1, 20])', ["1", "20", "3"]), ('keys({b = 1, a = 2})', ["a", "b"]), ('values({b = 1, a = 2})', [2, 1]),
    ('lookup({a = {b = 1}}, "a")', {"b": 1}), ('lookup({a = {b = 1}}, "a").b', 1),
    ('split("", "abc")', ["a", "b", "c"]), ('split(",", "a,")', ["a", ""]), ('join("-", ["a"], ["b", "c"])', "a-b-c"),
    ('join("-", [1, true])', "1-true"), ('title("hELLO wORLD-foo_bar")', "HELLO WORLD-Foo_bar"),
    ('format("%5s|%-5s|%05d|%+d|%x|%#x|%o|%b", "ab", "cd", 42, 3, 255, 255, 8, 5)', "   ab|cd   |00042|+3|ff|0xff|10|101"),
    ('format("%e|%.2e|%g|%.3f|%t", 1234.5678, 1234.5678, 0.000012345, 2.5, "true")',
     "1.234568e+03|1.23e+03|1.2345e-05|2.500|true"),
    ('format("%.3s|%q", "abcdef", "a\\"b")', 'abc|"a\\"b"'), ('format("%08.2f|%-6.1f|", -1.5, 2)', "-0001.50|2.0   |"),
    ('replace("abc", "/(b)/", "[$1$${1}x$$]")', "a[bbx$]c"), ('replace("abc", "/(b)/", "[$1${1}x]")', "a[]c"),
])
def test_terraform_number_and_string_semantics(expression, expected):
    value = value_of(expression)
    assert value == expected and type(value) is type(expected)


# ----- null, errors, try() and can() ---------------------------------------------------------

@pytest.mark.parametrize("expression", [
    'var.nothing.y',              # attribute of null
    'var.nothing[0]',             # indexing null
    'var.tags["missing"]',        # missing key
    'var.tags.missing',           # missing attribute
    'var.list[5]',                # index out of range
    'var.list[-1]',               # no negative indexes in Terraform
    'var.list["a"]',              # not a number
    'lookup(var.tags, "nope")',   # function error
    '1 + "a"',                    # type error
    '"a-${null}"',                # null in a template
    '"a-${var.list}"',            # a list in a template
    '!"x"',                       # not a bool
    'var.nothing ? 1 : 2',        # null condition
    '[for x in var.nothing : x]',  # iterating null
    '{for x in ["a", "a"] : x => x}',  # duplicate key without ...
])
def test_try_and_can_catch_evaluation_errors(expression):
    value = value_of(expression)
    assert isinstance(value, Unknown) and value.error, value
    assert value_of(f'try({expression}, "fallback")') == "fallback"
    assert value_of(f"can({expression})") is False


def test_documented_try_and_can_examples():
    assert value_of('can(local.foo.bar)') is True
    assert value_of('can(local.foo.boop)') is False
    assert value_of('try(local.foo.bar, "fallback")') == "baz"
    assert value_of('try(local.foo.boop, "fallback")') == "fallback"
    # an undeclared name is a configuration error, which neither function catches
    assert isinstance(value_of('can(local.nonexist)'), Unknown)
    assert isinstance(value_of('try(local.nonexist, "fallback")'), Unknown)


def test_try_returns_the_first_argument_that_succeeds():
    assert value_of('try(var.nothing.y, var.tags.missing, var.tags.Team, "last")') == "infra"
    assert value_of('try(var.tags.Team, "fallback")') == "infra"
    assert value_of('can(var.tags.Team)') is True


def test_try_with_every_argument_failing_is_an_error():
    value = value_of('try(var.nothing.y, var.tags.missing)')
    assert isinstance(value, Unknown) and value.error and "no expression succeeded" in value.reason


def test_try_keeps_an_apply_time_value_and_can_is_true_for_it():
    assert value_of('try(aws_vpc.main.id, "x")') == Ref("aws_vpc.main", "id")
    assert value_of('can(aws_vpc.main.id)') is True


def test_try_does_not_hide_an_unresolved_value():
    value = value_of('try(var.undeclared, "fallback")')
    assert isinstance(value, Unknown) and not value.error and "not declared" in value.reason
    assert isinstance(value_of('can(var.undeclared)'), Unknown)


def test_an_error_inside_a_collection_fails_the_whole_argument():
    assert value_of('try([var.nothing.y, 1], ["ok"])') == ["ok"]


@pytest.mark.parametrize("expression, expected", [
    ('"${null}"', None),                       # a lone interpolation keeps its value, null included
    ('var.nothing == null ? "a" : "b"', "a"),
    ('var.flag == null ? "a" : null', None),   # a null branch yields null
    ('var.flag ? null : "b"', None),
    ('coalesce(null, "", "x")', "x"),
    ('coalescelist(null, [], ["y"])', ["y"]),
    ('compact([null, "a"])', ["a"]),
    ('merge(null, {a = 1})', {"a": 1}),
    ('null[*]', []),
    ('var.nothing[*]', []),
])
def test_null_semantics(expression, expected):
    assert value_of(expression) == expected


def test_a_function_given_an_unresolved_argument_is_unknown_not_an_error():
    value = value_of('upper(var.undeclared)')
    assert isinstance(value, Unknown) and not value.error


def test_coalesce_needs_only_the_arguments_before_its_answer():
    assert value_of('coalesce(null, "a", var.undeclared)') == "a"
    assert isinstance(value_of('coalesce(null, var.undeclared, "a")'), Unknown)


def test_collection_functions_keep_elements_known_only_at_apply_time():
    assert value_of('length([aws_vpc.main.id, "b"])') == 2
    assert value_of('element([aws_vpc.main.id, "b"], 1)') == "b"
    assert value_of('lookup({a = aws_vpc.main.id, b = "x"}, "b")') == "x"


# ----- template directives ---------------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('"%{ if var.flag }yes%{ else }no%{ endif }"', "yes"),
    ('"%{ if !var.flag }yes%{ else }no%{ endif }"', "no"),
    ('"%{ if false }y%{ endif }"', ""),
    ('"a %{~ if true ~} b %{~ endif ~} c"', "abc"),
    ('"%{ for x in ["a", "b"] }<${x}>%{ endfor }"', "<a><b>"),
    ('"%{ for i, x in ["a", "b"] }${i}=${x};%{ endfor }"', "0=a;1=b;"),
    ('"%{ for k, v in {b = 2, a = 1} }${k}=${v} %{ endfor }"', "a=1 b=2 "),
    ('"%{ for x in toset(["b", "a"]) }${x}%{ endfor }"', "ab"),
    ('"%{ for x in [1, 2] }%{ if x > 1 }${x}%{ endif }%{ endfor }"', "2"),
    ('"%{ if true }${5}%{ endif }"', "5"),
    ('"$${literal} %%{literal}"', "${literal} %{literal}"),
])
def test_template_directives_in_quoted_strings(expression, expected):
    assert value_of(expression) == expected


def heredoc_value(body: str, trim: bool = False):
    marker = "<<-EOT" if trim else "<<EOT"
    text = f"x = {marker}\n{body}EOT\n"
    tree = hcl2.parses_to_tree(text)
    attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
    return Evaluator(SourceText("t.tf", text)).evaluate(subtrees(attribute)[-1], Scope(Module()))


def test_template_directives_and_strip_markers_in_heredocs():
    body = '%{ for name in var.list ~}\nhost ${name}\n%{ endfor ~}\n%{ if var.flag }on%{ else }off%{ endif }\n'
    assert heredoc_value(body) == "host a\nhost b\non\n"


def test_heredoc_interpolation_strip_markers_and_escapes():
    assert heredoc_value("a  ${~ var.tags.Team ~}  b $${x} %%{y}\n") == "ainfrab ${x} %{y}\n"


def test_indented_heredoc_with_a_loop():
    body = '    %{~ for x in [1, 2] ~}\n    - ${x}\n    %{~ endfor ~}\n'
    assert heredoc_value(body, trim=True) == "- 1- 2"


@pytest.mark.parametrize("expression, reason_part", [
    ('"%{ if var.flag }y"', "without %{endif}"),
    ('"%{ for x in [1] }y"', "without %{endfor}"),
    ('"%{ if "x" }y%{ endif }"', "not a bool"),
    ('"%{ for x in null }y%{ endfor }"', "null"),
])
def test_invalid_template_is_an_error(expression, reason_part):
    value = value_of(expression)
    assert isinstance(value, Unknown) and value.error and reason_part in value.reason


def test_a_template_over_an_unresolved_collection_is_unknown():
    value = value_of('"%{ for x in var.undeclared }${x}%{ endfor }"')
    assert isinstance(value, Unknown) and not value.error and "not declared" in value.reason


# ----- splats and for expressions ---------------------------------------------------------------

@pytest.mark.parametrize("expression, expected", [
    ('[{a = [1, 2]}, {a = [3]}][*].a[0]', [1, 3]),    # full splat: the index applies to each element
    ('[{a = [1, 2]}, {a = [3]}].*.a[0]', [1, 2]),     # attribute splat: the index applies to the result
    ('[{a = 1}, {a = 2}].*.a', [1, 2]),
    ('{a = 1}[*].a', [1]),                            # a single object becomes a one-element list
    ('var.tags[*]', [{"Team": "infra"}]),
    ('[for k, v in {b = 1, a = 2} : k]', ["a", "b"]),  # maps iterate in key order
    ('{for k, v in {b = 1, a = 2} : v => k}', {"1": "b", "2": "a"}),
    ('{for s in ["a1", "b1", "a2"] : substr(s, 0, 1) => s...}', {"a": ["a1", "a2"], "b": ["b1"]}),
    ('[for x in toset(["b", "a", "b"]) : upper(x)]', ["A", "B"]),
    ('[for i, x in ["a", "b", "c"] : x if i != 1]', ["a", "c"]),
    ('{for k, v in {a = 1, b = 2} : k => v if v > 1}', {"b": 2}),
])
def test_splats_and_for_expressions(expression, expected):
    assert value_of(expression) == expected


# ----- the filesystem, inside the Terraform root only --------------------------------------------

@pytest.fixture
def module_dir(tmp_path):
    root = tmp_path / "root"
    (root / "files" / "subdirectory").mkdir(parents=True)
    (root / "files" / "hello.txt").write_text("Hello World", encoding="utf-8")
    (root / "files" / "world.txt").write_text("World", encoding="utf-8")
    (root / "files" / "subdirectory" / "anotherfile.txt").write_text("x", encoding="utf-8")
    (root / "backends.tftpl").write_text(
        "%{ for addr in ip_addrs ~}\nbackend ${addr}:${port}\n%{ endfor ~}\n", encoding="utf-8")
    (root / "json.tftpl").write_text('${jsonencode({\n  "backends": [for addr in ip_addrs : "${addr}:${port}"],\n})}',
                                     encoding="utf-8")
    (root / "binary.bin").write_bytes(b"\xff\xfe")
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    return root


def test_file_functions_read_inside_the_root(module_dir):
    module = Module(module_dir)
    hello = b"Hello World"
    assert value_of('file("${path.module}/files/hello.txt")', module) == "Hello World"
    assert value_of('file("files/hello.txt")', module) == "Hello World"  # relative to the root module
    assert value_of('fileexists("${path.module}/files/hello.txt")', module) is True
    assert value_of('fileexists("${path.module}/files/none.txt")', module) is False
    assert value_of('filebase64("files/hello.txt")', module) == "SGVsbG8gV29ybGQ="
    assert value_of('filemd5("files/hello.txt")', module) == hashlib.md5(hello).hexdigest()
    assert value_of('filesha1("files/hello.txt")', module) == hashlib.sha1(hello).hexdigest()
    assert value_of('filesha256("files/hello.txt")', module) == hashlib.sha256(hello).hexdigest()
    assert value_of('filesha512("files/hello.txt")', module) == hashlib.sha512(hello).hexdigest()
    assert value_of('filebase64sha256("files/hello.txt")', module) == value_of('base64sha256("Hello World")')
    assert value_of('filebase64sha512("files/hello.txt")', module) == value_of('base64sha512("Hello World")')
    assert value_of('abspath("files/hello.txt")', module) == str(module_dir / "files" / "hello.txt")


def test_fileset_examples(module_dir):
    module = Module(module_dir)
    assert value_of('fileset(path.module, "files/*.txt")', module) == ["files/hello.txt", "files/world.txt"]
    assert value_of('fileset(path.module, "files/{hello,world}.txt")', module) == ["files/hello.txt", "files/world.txt"]
    assert value_of('fileset("${path.module}/files", "*")', module) == ["hello.txt", "world.txt"]
    assert value_of('fileset("${path.module}/files", "**")', module) == [
        "hello.txt", "subdirectory/anotherfile.txt", "world.txt"]


def test_templatefile_examples(module_dir):
    module = Module(module_dir)
    rendered = value_of('templatefile("${path.module}/backends.tftpl", { port = 8080, ip_addrs = ["10.0.0.1", "10.0.0.2"] })',
                        module)
    assert rendered == "backend 10.0.0.1:8080\nbackend 10.0.0.2:8080\n"
    rendered = value_of('templatefile("json.tftpl", { port = 8080, ip_addrs = ["10.0.0.1", "10.0.0.2"] })', module)
    assert rendered == '{"backends":["10.0.0.1:8080","10.0.0.2:8080"]}'


def test_a_template_sees_only_its_variables(module_dir):
    (module_dir / "var.tftpl").write_text("${var.flag}", encoding="utf-8")
    value = value_of('templatefile("var.tftpl", {})', Module(module_dir))
    assert isinstance(value, Unknown) and value.error


@pytest.mark.parametrize("expression", [
    'file("../secret.txt")', 'file("${path.module}/../secret.txt")', 'fileexists("/etc/passwd")',
    'templatefile("../secret.txt", {})', 'fileset("..", "*")', 'filemd5("../secret.txt")',
])
def test_a_path_outside_the_root_is_unknown_and_never_read(module_dir, expression):
    value = value_of(expression, Module(module_dir))
    assert isinstance(value, Unknown) and not value.error
    assert "outside the Terraform root" in value.reason


def test_a_symlink_out_of_the_root_is_outside_it(module_dir):
    (module_dir / "link.txt").symlink_to(module_dir.parent / "secret.txt")
    value = value_of('file("link.txt")', Module(module_dir))
    assert isinstance(value, Unknown) and "outside the Terraform root" in value.reason


@pytest.mark.parametrize("expression, reason_part", [
    ('file("files/none.txt")', "no file exists"),
    ('file("binary.bin")', "not UTF-8"),
    ('file("files")', "is a directory"),
])
def test_an_unreadable_file_is_an_evaluation_error(module_dir, expression, reason_part):
    value = value_of(expression, Module(module_dir))
    assert isinstance(value, Unknown) and value.error and reason_part in value.reason


def test_file_functions_where_references_are_not_allowed_are_unknown():
    text = 'x = file("a.txt")\n'
    tree = hcl2.parses_to_tree(text)
    attribute = next(t for t in tree.iter_subtrees_topdown() if t.data == "attribute")
    value = Evaluator(SourceText("t.tf", text)).evaluate(subtrees(attribute)[-1], Scope(NoReferences("a tfvars file")))
    assert isinstance(value, Unknown) and "cannot reference" in value.reason


# ----- the Unknown value itself ------------------------------------------------------------------

def test_unknown_keeps_its_two_argument_constructor_and_defaults_to_not_an_error():
    plain = Unknown("var.x", "not declared")
    assert plain.error is False and plain == Unknown("var.x", "not declared", error=True)
    assert failure("a.b", "no attribute").error is True
    assert plain.at("other").expression == "other" and failure("a", "b").at("c").error


def test_an_error_inside_a_value_wins_over_an_apply_time_part():
    mixed = [Ref("aws_vpc.main", "id"), failure("var.x.y", "cannot read attribute 'y' of a null value")]
    assert first_error(mixed) is mixed[1]
    combined = as_unknown(mixed, "[aws_vpc.main.id, var.x.y]")
    assert combined.error and "null" in combined.reason
