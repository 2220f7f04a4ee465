"""Reading one evaluated Terraform instance as normalized attribute values.

A kind's Terraform mapping (in its kind module) reads the instance through a
:class:`Reader` and returns ``{attribute: AttributeValue}``. A value not
written in code is the provider's documented default (with a note saying so)
or Unknown when AWS chooses it at apply time. An argument written as ``null``
(or as an expression that evaluates to null) is not set, exactly as
Terraform treats it. A Reader follows references to other instances of the
same tree, so attributes other resources set (split resources such as
``aws_s3_bucket_versioning``) are read there too.
"""

from __future__ import annotations

from typing import Any, Callable

from dr_audit import arns
from dr_audit.inventory import AttributeValue
from dr_audit.terraform.expressions import Evaluator, identifier_name, subtrees
from dr_audit.terraform.module import BlockInstance, Evidence, ResourceInstance
from dr_audit.terraform.parsing import attribute_expression
from dr_audit.terraform.values import Ref, Unknown, is_known, may_name

_NOT_SET = object()


def given(block: BlockInstance, name: str) -> Evidence | None:
    """Argument ``name`` of ``block`` as evaluated; None when unwritten or null.

    Terraform treats ``x = null`` (and ``x = var.y`` with ``y`` null) as if
    ``x`` were not written, so a null value is never evidence of anything.
    """
    evidence = block.evidence(name)
    return evidence if evidence is not None and evidence.value is not None else None


def has_uncertain_block(blocks: list) -> bool:
    """True when a ``dynamic`` block among ``blocks`` could not be expanded."""
    return any(getattr(b, "uncertain", False) for b in blocks)


class Reader:
    """Reads one instance's arguments as AttributeValues, following links.

    ``by_address`` indexes every instance of the tree so a ``Ref`` such as
    ``aws_vpc.main.id`` can be followed to the VPC it names. ``tags_of`` gives an
    instance's tags as Terraform does (its ``tags`` over its provider's
    ``default_tags``; the collector supplies it, see :meth:`tags`).
    """

    def __init__(self, instance: ResourceInstance, by_address: dict[str, ResourceInstance],
                 by_type: dict[str, list[ResourceInstance]],
                 tags_of: Callable[["Reader"], AttributeValue] | None = None):
        self.instance = instance
        self.by_address = by_address
        self.by_type = by_type
        self._tags_of = tags_of

    def at_block(self, value: Any, note: str) -> AttributeValue:
        """``value`` located at the instance's own block (for defaults and derived values), with ``note``."""
        return AttributeValue(value, self.instance.file, self.instance.line, None, note)

    def reader(self, instance: ResourceInstance) -> "Reader":
        """A Reader of another instance of the same tree."""
        return Reader(instance, self.by_address, self.by_type, self._tags_of)

    def tags(self) -> AttributeValue:
        """The instance's tags as Terraform gives them: its ``tags`` over its provider's
        ``default_tags`` (Unknown when this Reader was made without the tree's defaults)."""
        if self._tags_of is None:
            return self.at_block(Unknown(f"{self.instance.address}.tags", "the provider's default_tags are not read here"),
                                 "no default_tags")
        return self._tags_of(self)

    def given(self, name: str) -> Evidence | None:
        """The argument ``name`` as evaluated, or None when unwritten or null."""
        return given(self.instance, name)

    def arg(self, name: str, default: Any = _NOT_SET, unset_reason: str = "not set in code") -> AttributeValue:
        """The argument ``name``; when unwritten or null, ``default`` (noted) or Unknown."""
        evidence = self.given(name)
        if evidence is not None:
            return value_of(evidence)
        if default is not _NOT_SET:
            return self.at_block(default, f"{name} not set: provider default")
        return self.at_block(Unknown(f"{self.instance.address}.{name}", unset_reason), f"{name} not set")

    def call_argument(self, name: str, function: str) -> Any:
        """The evaluated argument of ``name = function(x)`` (one argument), before the function
        is applied: where ``jsonencode({...})`` is unknown as a whole because one part is known
        only after apply, the object still shows its other parts. None when ``name`` is written
        otherwise (or not at all)."""
        node = self.instance.node
        attribute = node.attributes().get(name)
        if attribute is None:
            return None
        expression = attribute_expression(attribute)
        call = subtrees(expression)[0] if expression.data == "expr_term" and subtrees(expression) else expression
        if call.data != "function_call" or identifier_name(subtrees(call)[0]) != function:
            return None
        arguments = [part for part in subtrees(call) if part.data == "arguments"]
        values = subtrees(arguments[0]) if arguments else []
        return Evaluator(node.source).evaluate(values[0], self.instance.scope) if len(values) == 1 else None

    def nested(self, path: str, default: Any = _NOT_SET, unset_reason: str = "not set in code") -> AttributeValue:
        """An argument inside nested blocks: ``"scaling_config.min_size"`` (first block)."""
        *blocks, name = path.split(".")
        holder = self.instance
        for block_type in blocks:
            found = holder.blocks(block_type)
            if not found:
                holder = None
                break
            holder = found[0]
        if holder is not None:
            evidence = given(holder, name)
            if evidence is not None:
                return value_of(evidence)
        if default is not _NOT_SET:
            return self.at_block(default, f"{path} not set: provider default")
        return self.at_block(Unknown(f"{self.instance.address}.{path}", unset_reason), f"{path} not set")

    def blocks(self, block_type: str) -> list:
        return self.instance.blocks(block_type)

    def tag(self, key: str) -> AttributeValue:
        tags = self.given("tags")
        if tags is None:
            return self.at_block(None, "no tags")
        value = tags.value
        if isinstance(value, dict):
            found = value.get(key)
            return AttributeValue(plain(found, tags.expression) if found is not None else None,
                                  tags.file, tags.line, tags.expression)
        why = value.reason if isinstance(value, Unknown) else f"not a map: {value!r}"
        return AttributeValue(Unknown(tags.expression or "tags", f"tags are unresolved: {why}"), tags.file, tags.line,
                              tags.expression)

    def follow(self, name: str) -> tuple["Reader | None", AttributeValue]:
        """Follow the argument ``name`` (a reference) to the instance it names."""
        evidence = self.given(name)
        if evidence is None:
            return None, self.at_block(Unknown(f"{self.instance.address}.{name}", "not set in code"), f"{name} not set")
        value = evidence.value
        where = AttributeValue(value, evidence.file, evidence.line, evidence.expression)
        if isinstance(value, Ref) and value.address in self.by_address:
            return self.reader(self.by_address[value.address]), where
        return None, where

    def linked(self, name: str, read: Callable[["Reader"], AttributeValue]) -> AttributeValue:
        """An attribute of the instance that argument ``name`` refers to."""
        other, where = self.follow(name)
        if other is None:
            reason = ("refers to something not declared in this code" if is_known(where.value) or isinstance(where.value, Ref)
                      else getattr(where.value, "reason", "unresolved"))
            return AttributeValue(Unknown(where.expression or name, reason), where.file, where.line, where.expression)
        found = read(other)
        return AttributeValue(found.value, where.file, where.line, where.expression,
                              f"via {other.instance.address} ({found.file}:{found.line})")

    def linked_names(self, name: str, read: Callable[["Reader"], AttributeValue]) -> AttributeValue:
        """``read`` over every instance a list argument refers to: ``[aws_lb_target_group.web.arn]``."""
        evidence = self.given(name)
        if evidence is None:
            return self.at_block([], f"{name} not set")
        items = evidence.value if isinstance(evidence.value, list) else [evidence.value]
        names = []
        for item in items:
            if isinstance(item, Ref) and item.address in self.by_address:
                found = read(self.reader(self.by_address[item.address]))
                if not found.known:
                    return AttributeValue(found.value, evidence.file, evidence.line, evidence.expression)
                names.append(found.value)
            elif is_known(item) and not isinstance(item, Ref):
                names.append(item.rsplit("/", 2)[-2] if isinstance(item, str) and item.count("/") >= 2 else item)
            else:
                reason = "refers to something not declared in this code" if isinstance(item, Ref) else getattr(
                    item, "reason", "unresolved")
                return AttributeValue(Unknown(evidence.expression or name, reason), evidence.file, evidence.line,
                                      evidence.expression)
        return AttributeValue(names, evidence.file, evidence.line, evidence.expression)

    def region_of_reference(self, name: str) -> AttributeValue:
        """The region of what argument ``name`` names: a declared resource's provider region, or an ARN's."""
        evidence = self.given(name)
        if evidence is None:
            return self.at_block(None, f"{name} not set")
        value = evidence.value
        where = (evidence.file, evidence.line, evidence.expression)
        if isinstance(value, Ref) and value.address in self.by_address:
            other = self.by_address[value.address]
            return AttributeValue(other.region, *where, f"via {other.address} ({other.file}:{other.line})")
        if arns.region(value):
            return AttributeValue(arns.region(value), *where)
        reason = "refers to something not declared in this code" if isinstance(value, Ref) else getattr(
            value, "reason", f"not an ARN: {value!r}")
        return AttributeValue(Unknown(evidence.expression or name, reason), *where)

    def attached(self, type_: str, argument: str) -> list["Reader"]:
        """Instances of ``type_`` whose ``argument`` refers to this instance (or its name)."""
        return [self.reader(other) for other in self.by_type.get(type_, [])
                if self._names_me(given(other, argument))]

    def maybe_attached(self, type_: str, argument: str) -> list["Reader"]:
        """Instances of ``type_`` whose ``argument`` is unresolved and may refer to this instance
        (not those certainly referring to other instances: ``element(aws_x.other[*].id, var.i)``)."""
        found = []
        for other in self.by_type.get(type_, []):
            evidence = given(other, argument)
            if (evidence is not None and isinstance(evidence.value, Unknown)
                    and may_name(evidence.value, self.instance.address)):
                found.append(self.reader(other))
        return found

    def may_refer_here(self, other: "Reader", argument: str, what: str) -> AttributeValue:
        """Unknown: ``other`` (from :meth:`maybe_attached`) may ``what`` this instance, since its
        ``argument`` is unresolved; located where that argument is written."""
        evidence = other.given(argument)
        return AttributeValue(Unknown(evidence.expression or argument,
                                      f"{other.instance.address} may {what}: {evidence.value.reason}"),
                              evidence.file, evidence.line, evidence.expression)

    def _names_me(self, evidence: Evidence | None) -> bool:
        if evidence is None:
            return False
        value = evidence.value
        if isinstance(value, Ref):
            return value.address == self.instance.address
        own = _own_name(self.instance)
        return isinstance(value, str) and own is not None and value == own


def _own_name(instance: ResourceInstance) -> Any:
    evidence = given(instance, "bucket") or given(instance, "name")
    return evidence.value if evidence is not None else None


def value_of(evidence: Evidence) -> AttributeValue:
    return AttributeValue(plain(evidence.value, evidence.expression), evidence.file, evidence.line,
                          evidence.expression)


def plain(value: Any, expression: str | None) -> Any:
    """Refs do not survive into the inventory: they are values known after apply."""
    if isinstance(value, Ref):
        return Unknown(expression or str(value), f"{value} is only known after apply")
    if isinstance(value, list):
        return [plain(v, expression) for v in value]
    if isinstance(value, dict):
        return {k: plain(v, expression) for k, v in value.items()}
    return value


def derived_from(value: Any, *sources: AttributeValue, note: str | None = None) -> AttributeValue:
    first = sources[0] if sources else AttributeValue(None)
    for source in sources:
        if not source.known:
            return source
    return AttributeValue(value, first.file, first.line, first.expression, note)


def value_without_dot(value: AttributeValue) -> AttributeValue:
    if isinstance(value.value, str):
        return AttributeValue(value.value.rstrip(".").lower(), value.file, value.line, value.expression, value.note)
    return value


def is_set(r: Reader, name: str) -> AttributeValue:
    """Whether argument ``name`` evaluates to a value (null is not set; unresolved is Unknown)."""
    evidence = r.given(name)
    if evidence is None:
        return r.at_block(False, f"{name} not set")
    if isinstance(evidence.value, Unknown):  # it may evaluate to null
        return AttributeValue(evidence.value, evidence.file, evidence.line, evidence.expression)
    return AttributeValue(True, evidence.file, evidence.line, evidence.expression)


def names_instance(evidence: Evidence | None, r: Reader, own_argument: str) -> bool | None:
    """Whether an argument of another instance (``evidence``) names ``r``'s instance: by reference,
    or by the literal value of ``r``'s ``own_argument`` (an identifier). True, False (unwritten or
    another one), or None when either side is unresolved."""
    if evidence is None:
        return False
    if isinstance(evidence.value, Ref):
        return evidence.value.address == r.instance.address
    own = r.given(own_argument)
    if isinstance(evidence.value, str) and own is not None and isinstance(own.value, str):
        return evidence.value == own.value
    return None
