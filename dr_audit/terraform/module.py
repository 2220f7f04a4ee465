"""Terraform modules as evaluated objects: variables, locals, resources, calls.

In: a parsed directory plus the inputs its caller gives (or tfvars for a
root). Out, through :meth:`ModuleInstance.all_instances`: every resource and
data-source instance with count/for_each expanded, its full address, region
and the file and line it was declared at. Values are resolved on demand, so
declaration order never matters; cycles become Unknown instead of recursion.
"""

from __future__ import annotations

import os

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from lark import Tree

from dr_audit.errors import TerraformError
from dr_audit.terraform.expressions import Evaluator, NoReferences, Scope, SourceText, line_of, subtrees
from dr_audit.terraform.types import apply_type
from dr_audit.terraform.parsing import BlockNode, ParsedDirectory, attribute_expression, parse_directory
from dr_audit.terraform.values import Ref, Unknown, is_known

#: arguments that are Terraform meta-arguments, never resource attributes
META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "providers", "source", "version"})


@dataclass(frozen=True)
class Evidence:
    """One evaluated argument: value, where it was written, and how."""

    value: Any
    file: str | None
    line: int | None
    expression: str | None = None
    note: str | None = None


class _Cycle:
    """Marks a value being computed, to turn self-reference into Unknown."""


_IN_PROGRESS = _Cycle()


class BlockInstance:
    """One expanded block (a resource instance or a nested block) with its scope."""

    def __init__(self, node: BlockNode, scope: Scope, address: str):
        self.node = node
        self.scope = scope
        self.address = address
        self._values: dict[str, Any] = {}
        self._evaluator = Evaluator(node.source)

    @property
    def file(self) -> str:
        return self.node.file

    @property
    def line(self) -> int:
        return self.node.line

    def has(self, name: str) -> bool:
        return name in self.node.attributes()

    def evidence(self, name: str) -> Evidence | None:
        """The argument ``name`` evaluated, or None when it is not written."""
        attribute = self.node.attributes().get(name)
        if attribute is None:
            return None
        expression = attribute_expression(attribute)
        return Evidence(self._value(name, expression), self.file, line_of(attribute),
                        self.node.source.of(expression))

    def _value(self, name: str, expression: Tree) -> Any:
        cached = self._values.get(name)
        if cached is _IN_PROGRESS:
            return Unknown(self.node.source.of(expression), f"{self.address}.{name} refers to itself")
        if name not in self._values:
            self._values[name] = _IN_PROGRESS
            self._values[name] = self._evaluator.evaluate(expression, self.scope)
        return self._values[name]

    def blocks(self, block_type: str) -> list["BlockInstance"]:
        """Nested blocks of a type, with ``dynamic`` blocks expanded."""
        result = [BlockInstance(b, self.scope, self.address) for b in self.node.blocks(block_type)]
        for dynamic in self.node.blocks("dynamic"):
            if dynamic.labels[:1] == [block_type]:
                result.extend(self._expand_dynamic(dynamic))
        return result

    def _expand_dynamic(self, dynamic: BlockNode) -> list["BlockInstance"]:
        attributes = dynamic.attributes()
        iterator = dynamic.labels[0]
        if "iterator" in attributes:
            iterator = dynamic.source.of(attribute_expression(attributes["iterator"]))
        content = dynamic.blocks("content")
        if "for_each" not in attributes or not content:
            return []
        collection = Evaluator(dynamic.source).evaluate(attribute_expression(attributes["for_each"]), self.scope)
        pairs = _iteration_pairs(collection)
        if pairs is None:
            unknown = Unknown(dynamic.source.of(attribute_expression(attributes["for_each"])),
                              "dynamic block for_each is unresolved")
            return [_UnknownBlock(content[0], self.scope.child(**{iterator: {"key": unknown, "value": unknown}}),
                                  self.address)]
        return [BlockInstance(content[0], self.scope.child(**{iterator: {"key": k, "value": v}}), self.address)
                for k, v in pairs]

    def get_attribute(self, name: str) -> Any:
        """Expression access (``aws_vpc.main.cidr_block``): written value, else a Ref."""
        evidence = self.evidence(name) if name not in META_ARGUMENTS else None
        if evidence is not None:
            return evidence.value
        nested = self.blocks(name)
        if nested:
            return [{k: b.get_attribute(k) for k in b.node.attributes()} for b in nested]
        return Ref(self.address, name)


class _UnknownBlock(BlockInstance):
    """A dynamic block whose repetitions could not be counted."""

    uncertain = True


def _iteration_pairs(collection: Any) -> list[tuple[Any, Any]] | None:
    if isinstance(collection, dict) and is_known(list(collection.keys())):
        return list(collection.items())
    if isinstance(collection, list) and all(isinstance(i, (str, int, float)) for i in collection):
        return [(i, i) for i in collection]
    if isinstance(collection, list) and is_known(collection):
        return list(enumerate(collection))
    return None


class ResourceInstance(BlockInstance):
    """Declared resource or data instance, with its mode, type, name and region."""

    def __init__(self, node: BlockNode, scope: Scope, address: str, mode: str, region: Any,
                 presence: Unknown | None = None):
        super().__init__(node, scope, address)
        self.mode = mode
        self.type = node.labels[0]
        self.name = node.labels[1]
        self.region = region
        self.presence = presence  # set when count/for_each could not be resolved


class ModuleOutputs:
    """``module.NAME`` seen from expressions: outputs evaluated on demand."""

    def __init__(self, module: "ModuleInstance"):
        self.module = module
        self.address = module.prefix.rstrip(".")

    def get_attribute(self, name: str) -> Any:
        return self.module.output(name)


class ModuleInstance:
    """One instance of a module (the root or a call), resolving names lazily."""

    def __init__(self, parsed: ParsedDirectory, prefix: str, inputs: dict[str, Any],
                 providers: dict[str, Any], base: Path, errors: list[TerraformError],
                 root_dir: Path, depth: int = 0):
        self.parsed = parsed
        self.prefix = prefix
        self.inputs = inputs
        self.base = base
        self.errors = errors
        self.root_dir = root_dir
        self.depth = depth
        self._cache: dict[tuple[str, str], Any] = {}
        self._children: dict[str, Any] = {}
        self._index_blocks()
        # A root's providers are read on first use, after its tfvars are set.
        self._providers: dict[str, Any] | None = providers if prefix else None

    @property
    def providers(self) -> dict[str, Any]:
        if self._providers is None:
            self._providers = self._root_providers()
        return self._providers

    # ----- indexing ----------------------------------------------------
    def _index_blocks(self) -> None:
        self.variables: dict[str, BlockNode] = {}
        self.locals: dict[str, tuple[Tree, SourceText]] = {}
        self.resources: dict[tuple[str, str], BlockNode] = {}
        self.data_blocks: dict[tuple[str, str], BlockNode] = {}
        self.module_calls: dict[str, BlockNode] = {}
        self.outputs: dict[str, BlockNode] = {}
        self.provider_blocks: list[BlockNode] = []
        for block in self.parsed.blocks:
            table, key = self._slot(block)
            if table is None:
                continue
            if key in table:
                first = table[key]
                first_line = first.line if isinstance(first, BlockNode) else line_of(first[0])
                self.errors.append(TerraformError(block.file, f"duplicate {block.type} {'.'.join(map(str, key)) if isinstance(key, tuple) else key} (first declared at line {first_line})", block.line))
                continue
            table[key] = block
        for block in self.parsed.blocks:
            if block.type == "locals":
                for name, attribute in block.attributes().items():
                    self.locals[name] = (attribute, block.source)

    def _slot(self, block: BlockNode) -> tuple[dict | None, Any]:
        labels = block.labels
        if block.type == "variable" and len(labels) == 1:
            return self.variables, labels[0]
        if block.type == "resource" and len(labels) == 2:
            return self.resources, (labels[0], labels[1])
        if block.type == "data" and len(labels) == 2:
            return self.data_blocks, (labels[0], labels[1])
        if block.type == "module" and len(labels) == 1:
            return self.module_calls, labels[0]
        if block.type == "output" and len(labels) == 1:
            return self.outputs, labels[0]
        if block.type == "provider":
            self.provider_blocks.append(block)
        return None, None

    def _scope(self) -> Scope:
        return Scope(self)

    def _root_providers(self) -> dict[str, Any]:
        providers: dict[str, Any] = {}
        for block in self.provider_blocks:
            attributes = block.attributes()
            evaluator = Evaluator(block.source)
            alias = attributes.get("alias")
            name = block.labels[0] if block.labels else "?"
            if alias is not None:
                name = f"{name}.{evaluator.evaluate(attribute_expression(alias), self._scope())}"
            region = attributes.get("region")
            providers[name] = (evaluator.evaluate(attribute_expression(region), self._scope())
                               if region is not None else Unknown(f"provider {name}", "provider sets no region"))
        return providers

    # ----- Resolver protocol -------------------------------------------
    def variable(self, name: str) -> Any:
        block = self.variables.get(name)
        if block is None:
            if name in self.inputs:
                return self.inputs[name]
            return Unknown(f"var.{name}", f"variable {name!r} is not declared in {self.parsed.path.name}")
        return self._memo(("var", name), lambda: self._variable_value(name, block), f"var.{name}")

    def _variable_value(self, name: str, block: BlockNode) -> Any:
        attributes = block.attributes()
        evaluator = Evaluator(block.source)
        if name in self.inputs:
            value = self.inputs[name]
        elif "default" in attributes:
            value = evaluator.evaluate(attribute_expression(attributes["default"]), Scope(NoReferences("a variable default")))
        else:
            return Unknown(f"var.{name}", f"variable {name!r} has no default and no value was given")
        if "type" in attributes:
            value = apply_type(value, attribute_expression(attributes["type"]), evaluator, Scope(NoReferences("a variable default")))
        return value

    def local(self, name: str) -> Any:
        if name not in self.locals:
            return Unknown(f"local.{name}", f"local {name!r} is not defined")
        attribute, source = self.locals[name]
        return self._memo(("local", name), lambda: Evaluator(source).evaluate(
            attribute_expression(attribute), self._scope()), f"local.{name}")

    def path(self, name: str) -> Any:
        if name == "module":
            return str(self.parsed.path)
        if name in ("root", "cwd"):
            return str(self.root_dir)
        return Unknown(f"path.{name}", "unknown path attribute")

    def resource(self, type_: str, name: str) -> Any:
        if (type_, name) not in self.resources:
            return Unknown(f"{type_}.{name}", f"resource {type_}.{name} is not declared")
        return self._memo(("resource", f"{type_}.{name}"),
                          lambda: self._expand(self.resources[(type_, name)], "managed").value)

    def data(self, type_: str, name: str) -> Any:
        if (type_, name) not in self.data_blocks:
            return Unknown(f"data.{type_}.{name}", f"data source {type_}.{name} is not declared")
        return self._memo(("data", f"{type_}.{name}"),
                          lambda: self._expand(self.data_blocks[(type_, name)], "data").value)

    def module_outputs(self, name: str) -> Any:
        child = self.child(name)
        if child is None:
            return Unknown(f"module.{name}", f"module {name!r} is not declared or not loadable")
        if isinstance(child, Unknown):
            return child
        if isinstance(child, dict):
            return {k: ModuleOutputs(m) for k, m in child.items()}
        if isinstance(child, list):
            return [ModuleOutputs(m) for m in child]
        return ModuleOutputs(child)

    def output(self, name: str) -> Any:
        block = self.outputs.get(name)
        if block is None or "value" not in block.attributes():
            return Unknown(f"{self.prefix}{name}", f"output {name!r} is not declared")
        return self._memo(("output", name), lambda: Evaluator(block.source).evaluate(
            attribute_expression(block.attributes()["value"]), self._scope()))

    def _memo(self, key: tuple[str, str], compute, label: str | None = None) -> Any:
        cached = self._cache.get(key)
        if cached is _IN_PROGRESS:
            return Unknown(label or key[1], "refers to itself (cycle)")
        if key not in self._cache:
            self._cache[key] = _IN_PROGRESS
            self._cache[key] = compute()
        return self._cache[key]

    # ----- expansion ---------------------------------------------------
    @dataclass
    class _Expanded:
        value: Any
        instances: list[ResourceInstance]

    def _expand(self, block: BlockNode, mode: str) -> "_Expanded":
        key = ("expanded", f"{mode}.{block.labels[0]}.{block.labels[1]}")
        if key in self._cache and self._cache[key] is not _IN_PROGRESS:
            return self._cache[key]
        self._cache[key] = _IN_PROGRESS
        self._cache[key] = expanded = self._do_expand(block, mode)
        return expanded

    def _do_expand(self, block: BlockNode, mode: str) -> "_Expanded":
        type_, name = block.labels
        base = f"{self.prefix}{'data.' if mode == 'data' else ''}{type_}.{name}"
        region = self._region_of(block)
        attributes = block.attributes()
        evaluator = Evaluator(block.source)
        scope = self._scope()

        def make(address: str, names: dict[str, Any], presence: Unknown | None = None) -> ResourceInstance:
            instance_region = region
            if "region" in attributes and type_.startswith("aws_") and mode in ("managed", "data"):
                # AWS provider v6: a per-resource region overrides the provider's
                instance_region = evaluator.evaluate(attribute_expression(attributes["region"]), scope.child(**names))
            return ResourceInstance(block, scope.child(**names), address, mode, instance_region, presence)

        if "count" in attributes:
            count = evaluator.evaluate(attribute_expression(attributes["count"]), scope)
            if isinstance(count, bool) or not isinstance(count, (int, float)):
                unknown = count if isinstance(count, Unknown) else Unknown(block.source.of(attribute_expression(attributes["count"])), "count is not a number")
                instance = make(f"{base}[?]", {"count": {"index": unknown}}, presence=unknown)
                return self._Expanded(Unknown(base, unknown.reason), [instance])
            instances = [make(f"{base}[{i}]", {"count": {"index": i}}) for i in range(int(count))]
            return self._Expanded(instances, instances)
        if "for_each" in attributes:
            expression = attribute_expression(attributes["for_each"])
            collection = evaluator.evaluate(expression, scope)
            pairs = _iteration_pairs(collection) if isinstance(collection, dict) or (
                isinstance(collection, list) and all(isinstance(i, str) for i in collection)) else None
            if pairs is None:
                unknown = Unknown(block.source.of(expression), "for_each is unresolved" if not isinstance(
                    collection, Unknown) else collection.reason)
                instance = make(f"{base}[?]", {"each": {"key": unknown, "value": unknown}}, presence=unknown)
                return self._Expanded(Unknown(base, unknown.reason), [instance])
            instances = {str(k): make(f'{base}["{k}"]', {"each": {"key": k, "value": v}}) for k, v in pairs}
            return self._Expanded(instances, list(instances.values()))
        instance = make(base, {})
        return self._Expanded(instance, [instance])

    def _region_of(self, block: BlockNode) -> Any:
        provider_attr = block.attributes().get("provider")
        provider = block.labels[0].split("_")[0]
        if provider_attr is not None:
            provider = block.source.of(attribute_expression(provider_attr))
        if provider in self.providers:
            return self.providers[provider]
        default = provider.split(".")[0]
        if "." not in provider and default in self.providers:
            return self.providers[default]
        return Unknown(provider, f"provider {provider} has no configuration in {self.parsed.path.name}")

    # ----- module calls ------------------------------------------------
    def child(self, name: str) -> Any:
        if name in self._children:
            return self._children[name]
        block = self.module_calls.get(name)
        if block is None:
            return None
        self._children[name] = Unknown(f"module.{name}", "module refers to itself")
        self._children[name] = self._instantiate_call(name, block)
        return self._children[name]

    def _instantiate_call(self, name: str, block: BlockNode) -> Any:
        attributes = block.attributes()
        evaluator = Evaluator(block.source)
        source_attr = attributes.get("source")
        source = evaluator.evaluate(attribute_expression(source_attr), self._scope()) if source_attr is not None else None
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            self.errors.append(TerraformError(block.file, f"module {name!r}: source {source!r} is not a local path; its resources are not audited", block.line))
            return Unknown(f"module.{name}", f"module source {source!r} is not local")
        if self.depth > 20:
            self.errors.append(TerraformError(block.file, f"module {name!r}: nesting deeper than 20", block.line))
            return Unknown(f"module.{name}", "module nesting too deep")
        # lexical, not resolve(): a symlinked module keeps the path it is used by
        directory = Path(os.path.normpath(self.parsed.path / source))
        parsed = parse_directory(directory, self.base, self.parsed.cache)
        self.errors.extend(parsed.errors)
        if not parsed.files and not parsed.errors:
            self.errors.append(TerraformError(block.file, f"module {name!r}: {source} has no .tf files", block.line))
        providers = dict(self.providers)
        if "providers" in attributes:
            mapping_node = attribute_expression(attributes["providers"])
            for elem in mapping_node.iter_subtrees_topdown():
                if elem.data == "object_elem":
                    key_node, value_node = subtrees(elem)
                    child_name, parent_name = block.source.of(key_node), block.source.of(value_node)
                    providers[child_name] = self.providers.get(parent_name, Unknown(parent_name, "provider not configured"))

        def instantiate(suffix: str, names: dict[str, Any]) -> ModuleInstance:
            scope = self._scope().child(**names)
            inputs = {k: evaluator.evaluate(attribute_expression(v), scope)
                      for k, v in attributes.items() if k not in META_ARGUMENTS}
            return ModuleInstance(parsed, f"{self.prefix}module.{name}{suffix}.", inputs, providers,
                                  self.base, self.errors, self.root_dir, self.depth + 1)

        if "count" in attributes:
            count = evaluator.evaluate(attribute_expression(attributes["count"]), self._scope())
            if not isinstance(count, int) or isinstance(count, bool):
                self.errors.append(TerraformError(block.file, f"module {name!r}: count is unresolved; its resources are not audited", block.line))
                return Unknown(f"module.{name}", "module count is unresolved")
            return [instantiate(f"[{i}]", {"count": {"index": i}}) for i in range(count)]
        if "for_each" in attributes:
            collection = evaluator.evaluate(attribute_expression(attributes["for_each"]), self._scope())
            pairs = _iteration_pairs(collection)
            if pairs is None:
                self.errors.append(TerraformError(block.file, f"module {name!r}: for_each is unresolved; its resources are not audited", block.line))
                return Unknown(f"module.{name}", "module for_each is unresolved")
            return {str(k): instantiate(f'["{k}"]', {"each": {"key": k, "value": v}}) for k, v in pairs}
        return instantiate("", {})

    def modules(self) -> Iterator["ModuleInstance"]:
        """This module and every module instance below it."""
        yield self
        for name in self.module_calls:
            child = self.child(name)
            children = child.values() if isinstance(child, dict) else child if isinstance(child, list) else [child]
            for module in children:
                if isinstance(module, ModuleInstance):
                    yield from module.modules()

    def all_instances(self) -> Iterator[ResourceInstance]:
        """Every resource and data instance in this module tree."""
        for module in self.modules():
            for block in module.resources.values():
                yield from module._expand(block, "managed").instances
            for block in module.data_blocks.values():
                yield from module._expand(block, "data").instances
