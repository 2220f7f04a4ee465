"""Terraform modules as evaluated objects: variables, locals, resources, calls.

In: a parsed directory plus the inputs its caller gives (or tfvars for a
root). Out, through :meth:`ModuleInstance.all_instances`: every resource and
data-source instance with count/for_each expanded, its full address, region
and the file and line it was declared at. Values are resolved on demand, so
declaration order never matters; cycles become Unknown instead of recursion.

Local module sources are read beside their caller; any other source where
``terraform init`` installed it (``.terraform/modules/modules.json``). A call
that cannot be read that way, or whose count/for_each is unresolved, is a
:class:`ModuleGap`: nothing failed to read, but its resources are unseen.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from lark import Tree

from dr_audit.errors import TerraformError
from dr_audit.terraform.data_sources import NOT_COMPUTED, computed_attribute
from dr_audit.terraform.expressions import Evaluator, NoReferences, Scope, SourceText, line_of, subtrees
from dr_audit.terraform.types import apply_type
from dr_audit.terraform.parsing import BlockNode, ParsedDirectory, attribute_expression, parse_directory
from dr_audit.terraform.values import Ref, Unknown, as_unknown, is_known

#: arguments that are Terraform meta-arguments, never resource attributes
META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "providers", "source", "version"})

#: what makes remote modules readable, and where Terraform leaves them
INIT_REMEDY = "run `terraform init -backend=false` in the Terraform root"
MANIFEST = Path(".terraform") / "modules" / "modules.json"


@dataclass(frozen=True)
class ModuleGap:
    """A module call whose resources could not be seen, although nothing failed to read.

    In: the call's file and line, its address and source, why, and the remedy.
    ``affects`` answers whether a ``kind`` resource in ``region`` could hide in
    it: any kind when the module could not be read, else the kinds its tree
    declares (a call whose count is unresolved); in the regions of the AWS
    providers the call hands the module (any region when one is unresolved). str() is
    ``file:line: module.x (source ...): why; remedy``.
    """

    path: str
    line: int | None
    module: str
    source: str | None
    reason: str
    remedy: str = INIT_REMEDY
    #: the Terraform types ("managed"/"data", type) the module tree declares, when it could be read
    types: frozenset[tuple[str, str]] | None = None
    #: the kinds those types map to (set by the collector); None: any kind
    kinds: frozenset[str] | None = None
    #: the regions of the AWS provider configurations the call hands the module; None: any region
    regions: frozenset[str] | None = None

    def affects(self, kind: str, region: str | None) -> bool:
        """True when a ``kind`` resource in ``region`` (None: any region, or a global kind) could hide here."""
        if self.kinds is not None and kind not in self.kinds:
            return False
        return region is None or self.regions is None or region in self.regions

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        source = f" (source {self.source!r})" if self.source is not None else ""
        return f"{self.location()}: {self.module}{source} is not audited: {self.reason}; {self.remedy}"

    def to_dict(self) -> dict:
        return {"file": self.path, "line": self.line, "module": self.module, "source": self.source,
                "reason": self.reason, "remedy": self.remedy, "message": str(self)}


def _aws_regions(providers: dict[str, Any]) -> frozenset[str] | None:
    """The regions of the AWS provider configurations in ``providers``; None when one is unresolved
    or there is none (then a module's resources could be anywhere)."""
    regions = [value for name, value in providers.items() if name.split(".")[0] == "aws"]
    if not regions or not all(isinstance(r, str) for r in regions):
        return None
    return frozenset(regions)


class ModuleManifest:
    """``.terraform/modules/modules.json`` as ``terraform init`` leaves it: call key -> installed directory.

    Keys are module call names from the root joined by dots (``a.b``); ``Dir``
    is relative to the root and already includes a ``//subdir`` of the source.
    """

    def __init__(self, entries: dict[str, dict]):
        self.entries = entries

    @classmethod
    def load(cls, root_dir: Path, display: str, cache: Any) -> tuple["ModuleManifest | None", TerraformError | None]:
        """The root's manifest; (None, None) when there is none, (None, error) when it is unreadable."""
        path = root_dir / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if cache is not None:
                cache.note_absent(path)
            return None, None
        except (OSError, UnicodeDecodeError) as exc:
            return None, TerraformError(display, f"cannot read: {getattr(exc, 'strerror', None) or exc}")
        if cache is not None:
            cache.note_read(path, text)
        try:
            modules = json.loads(text).get("Modules")
            entries = {m["Key"]: m for m in modules if isinstance(m, dict) and isinstance(m.get("Key"), str)}
        except (ValueError, AttributeError, TypeError):
            return None, TerraformError(display, "not a Terraform module manifest (JSON with a Modules list)")
        return cls(entries), None

    def directory(self, key: str, root_dir: Path, source: str) -> tuple[Path | None, str | None]:
        """Where the call ``key`` (written with ``source``) was installed, or why it cannot be used."""
        entry = self.entries.get(key)
        if entry is None or not isinstance(entry.get("Dir"), str):
            return None, f"{MANIFEST} has no entry for module {key!r} (the module was added after init)"
        if _source_changed(source, entry.get("Source")):
            return None, f"its source changed since init ({MANIFEST} has {entry.get('Source')!r})"
        directory = Path(os.path.normpath(root_dir / entry["Dir"]))
        if not directory.is_dir():
            return None, f"{entry['Dir']} named by {MANIFEST} is absent"
        return directory, None


#: a registry address as written: [host/]namespace/name/provider[//subdir]
_REGISTRY_SOURCE = re.compile(r"^(?:[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?/)?[\w-]+/[\w-]+/[\w-]+(?://.*)?$", re.IGNORECASE)
_DEFAULT_REGISTRY = "registry.terraform.io/"
#: shorthand hosts Terraform turns into git sources, never registry addresses
_GIT_HOSTS = ("github.com/", "bitbucket.org/")


def _source_changed(written: str, recorded: Any) -> bool:
    """True only when the manifest surely describes another source than the one written
    (Terraform would refuse to plan until ``terraform init`` runs again).

    Registry addresses are compared with the default host made explicit; sources
    with an explicit getter (``git::``, ``s3::``, ``https://``...) must match as
    written; shorthand forms Terraform rewrites (``github.com/...``) are not judged.
    """
    if not isinstance(recorded, str):
        return False
    if _REGISTRY_SOURCE.match(written) and not written.lower().startswith(_GIT_HOSTS):
        return _with_registry_host(written) != _with_registry_host(recorded)
    if re.match(r"^[a-z0-9]+::|^https?://", written):
        return written != recorded
    return False


def _with_registry_host(address: str) -> str:
    address = address.lower()
    has_host = address.count("/") > 2 and "." in address.split("/")[0]
    return address if has_host else _DEFAULT_REGISTRY + address


@dataclass
class RootSettings:
    """What every module of one root shares: gaps met, the init manifest, the audited account."""

    gaps: list[ModuleGap] = field(default_factory=list)
    manifest: ModuleManifest | None = None
    account_id: str | None = None


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
_NOT_GIVEN = object()


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
        """One block per element of ``for_each`` (map, set or list); elements that are
        unknown become one uncertain block, the known ones stay definite."""
        attributes = dynamic.attributes()
        iterator = dynamic.labels[0]
        if "iterator" in attributes:  # a bare identifier naming the iteration variable
            iterator = dynamic.source.of(attribute_expression(attributes["iterator"]))
        content = dynamic.blocks("content")
        if "for_each" not in attributes or not content:
            return []
        expression = attribute_expression(attributes["for_each"])
        collection = Evaluator(dynamic.source).evaluate(expression, self.scope)
        pairs, unknown = _dynamic_pairs(collection, dynamic.source.of(expression))
        blocks: list[BlockInstance] = [
            BlockInstance(content[0], self.scope.child(**{iterator: {"key": k, "value": v}}), self.address)
            for k, v in pairs]
        if unknown is not None:
            blocks.append(_UnknownBlock(content[0], self.scope.child(**{iterator: {"key": unknown, "value": unknown}}),
                                        self.address))
        return blocks

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


_SET_INPUTS = "give the variables it depends on a value (tfvars or defaults)"


def _unresolved_because(argument: str, value: Any) -> str:
    why = (as_unknown(value, argument).reason if not is_known(value)
           else f"it is {type(value).__name__}, not a {'number' if argument == 'count' else 'map or set'}")
    return f"its {argument} is unresolved ({why})"


def _dynamic_pairs(collection: Any, expression: str) -> tuple[list[tuple[Any, Any]], Unknown | None]:
    """(key, value) pairs a dynamic block repeats over, and an Unknown standing for
    the elements that could not be counted (None when every element is known)."""
    if isinstance(collection, dict):
        return sorted(collection.items()), None  # Terraform walks a map in lexical key order
    if isinstance(collection, list):
        known = [item for item in collection if not isinstance(item, Unknown)]
        missing = next((item for item in collection if isinstance(item, Unknown)), None)
        unknown = None if missing is None else Unknown(expression, f"dynamic block for_each is partly unresolved ({missing.reason})")
        if all(isinstance(i, (str, int, float)) and not isinstance(i, bool) for i in known):
            return [(i, i) for i in known], unknown  # a set of primitives: key and value are the element
        return [(n, item) for n, item in enumerate(collection) if not isinstance(item, Unknown)], unknown
    if collection is None:
        return [], Unknown(expression, "dynamic block for_each is null, which Terraform refuses")
    return [], as_unknown(collection, expression) if not is_known(collection) else Unknown(
        expression, f"dynamic block for_each is a {type(collection).__name__}, not a collection")


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
                 presence: Unknown | None = None, account_id: str | None = None):
        super().__init__(node, scope, address)
        self.mode = mode
        self.type = node.labels[0]
        self.name = node.labels[1]
        self.region = region
        self.presence = presence  # set when count/for_each could not be resolved
        self.account_id = account_id

    def get_attribute(self, name: str) -> Any:
        """As :meth:`BlockInstance.get_attribute`, plus what Terraform computes for some data sources."""
        if self.mode == "data":
            computed = computed_attribute(self, name, self.account_id)
            if computed is not NOT_COMPUTED:
                return computed
        return super().get_attribute(name)


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
                 root_dir: Path, depth: int = 0, key: str = "", settings: RootSettings | None = None):
        self.parsed = parsed
        self.prefix = prefix
        self.inputs = inputs
        self.base = base
        self.errors = errors
        self.root_dir = root_dir
        self.depth = depth
        self.key = key  # the call names from the root, dotted: the modules.json key
        self.settings = settings if settings is not None else RootSettings()
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
        no_references = Scope(NoReferences("a variable block"))
        given = self.inputs.get(name, _NOT_GIVEN)
        if given is None and "nullable" in attributes:
            # nullable = false (Terraform 1.1+): a null from the caller means "use the default"
            nullable = evaluator.evaluate(attribute_expression(attributes["nullable"]), no_references)
            if nullable is False:
                given = _NOT_GIVEN
                if "default" not in attributes:
                    return Unknown(f"var.{name}", f"variable {name!r} is not nullable, has no default and was given null")
        if given is not _NOT_GIVEN:
            value = given
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

    def audited_tree(self) -> str:
        """The directory being audited: file functions read nothing outside it."""
        return str(self.base)

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
                # AWS provider v6: a per-resource region overrides the provider's; null means not set
                written = evaluator.evaluate(attribute_expression(attributes["region"]), scope.child(**names))
                instance_region = region if written is None else written
            return ResourceInstance(block, scope.child(**names), address, mode, instance_region, presence,
                                    self.settings.account_id)

        if "count" in attributes:
            count = evaluator.evaluate(attribute_expression(attributes["count"]), scope)
            if isinstance(count, bool) or not isinstance(count, (int, float)):
                unknown = count if isinstance(count, Unknown) else Unknown(block.source.of(attribute_expression(attributes["count"])), "count is not a number")
                instance = make(f"{base}[?]", {"count": {"index": unknown}}, presence=unknown)
                return self._Expanded(Unknown(base, unknown.reason, among=(base,)), [instance])
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
                return self._Expanded(Unknown(base, unknown.reason, among=(base,)), [instance])
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
        if self.depth > 20:
            self.errors.append(TerraformError(block.file, f"module {name!r}: nesting deeper than 20", block.line))
            return Unknown(f"module.{name}", "module nesting too deep")
        key = f"{self.key}.{name}" if self.key else name
        directory, why = self._module_directory(key, source)
        if directory is None:
            return self._gap(block, name, source, why)
        parsed = parse_directory(directory, self.base, self.parsed.cache)
        self.errors.extend(parsed.errors)
        if not parsed.files and not parsed.errors:
            self.errors.append(TerraformError(block.file, f"module {name!r}: {source} has no .tf files", block.line))
        providers = self._child_providers(block)

        def instantiate(suffix: str, names: dict[str, Any]) -> ModuleInstance:
            scope = self._scope().child(**names)
            inputs = {k: evaluator.evaluate(attribute_expression(v), scope)
                      for k, v in attributes.items() if k not in META_ARGUMENTS}
            return ModuleInstance(parsed, f"{self.prefix}module.{name}{suffix}.", inputs, providers,
                                  self.base, self.errors, self.root_dir, self.depth + 1, key, self.settings)

        if "count" in attributes:
            count = evaluator.evaluate(attribute_expression(attributes["count"]), self._scope())
            if not isinstance(count, int) or isinstance(count, bool):
                return self._gap(block, name, source, _unresolved_because("count", count), _SET_INPUTS,
                                 self._declared_types(parsed, key))
            return [instantiate(f"[{i}]", {"count": {"index": i}}) for i in range(count)]
        if "for_each" in attributes:
            collection = evaluator.evaluate(attribute_expression(attributes["for_each"]), self._scope())
            pairs = _iteration_pairs(collection)
            if pairs is None:
                return self._gap(block, name, source, _unresolved_because("for_each", collection), _SET_INPUTS,
                                 self._declared_types(parsed, key))
            return {str(k): instantiate(f'["{k}"]', {"each": {"key": k, "value": v}}) for k, v in pairs}
        return instantiate("", {})

    def _child_providers(self, block: BlockNode) -> dict[str, Any]:
        """The provider configurations a module call hands its module: the caller's, renamed
        by the call's ``providers`` map (``{aws = aws.dr}``)."""
        providers = dict(self.providers)
        attributes = block.attributes()
        if "providers" in attributes:
            mapping_node = attribute_expression(attributes["providers"])
            for elem in mapping_node.iter_subtrees_topdown():
                if elem.data == "object_elem":
                    key_node, value_node = subtrees(elem)
                    child_name, parent_name = block.source.of(key_node), block.source.of(value_node)
                    providers[child_name] = self.providers.get(parent_name, Unknown(parent_name, "provider not configured"))
        return providers

    def _module_directory(self, key: str, source: Any) -> tuple[Path | None, str | None]:
        return self._locate(self.settings, self.parsed.path, self.root_dir, key, source)

    @staticmethod
    def _locate(settings: RootSettings, caller: Path, root_dir: Path, key: str, source: Any) -> tuple[Path | None, str | None]:
        """Where a call's module lives: a local path beside the caller, else where ``terraform init`` put it."""
        if not isinstance(source, str):
            return None, f"its source {source!r} is not a string"
        if source.startswith(("./", "../")):
            # lexical, not resolve(): a symlinked module keeps the path it is used by
            return Path(os.path.normpath(caller / source)), None
        if settings.manifest is None:
            return None, f"it is not a local path and {MANIFEST} is absent (Terraform not initialised)"
        return settings.manifest.directory(key, root_dir, source)

    def _gap(self, block: BlockNode, name: str, source: Any, reason: str, remedy: str = INIT_REMEDY,
             types: frozenset[tuple[str, str]] | None = None) -> Unknown:
        """Record a module call that cannot be seen; its outputs are Unknown for the same reason."""
        address = f"{self.prefix}module.{name}"
        self.settings.gaps.append(ModuleGap(block.file, block.line, address,
                                            source if isinstance(source, str) else None, reason, remedy, types,
                                            regions=_aws_regions(self._child_providers(block))))
        return Unknown(address, f"module not audited: {reason}")

    def _declared_types(self, parsed: ParsedDirectory, key: str, depth: int = 0) -> frozenset[tuple[str, str]] | None:
        """Every (mode, type) a module's tree declares, read without evaluating it; None when
        part of the tree cannot be found (then anything could be in it)."""
        if parsed.errors or depth > 20:
            return None
        found: set[tuple[str, str]] = set()
        for block in parsed.blocks:
            if block.type in ("resource", "data") and len(block.labels) == 2:
                found.add(("managed" if block.type == "resource" else "data", block.labels[0]))
            elif block.type == "module" and block.labels:
                source_attr = block.attributes().get("source")
                source = (Evaluator(block.source).evaluate(attribute_expression(source_attr), Scope(NoReferences("a module source")))
                          if source_attr is not None else None)
                child_key = f"{key}.{block.labels[0]}"
                directory, _ = ModuleInstance._locate(self.settings, parsed.path, self.root_dir, child_key, source)
                if directory is None:
                    return None
                nested = self._declared_types(parse_directory(directory, self.base, parsed.cache), child_key, depth + 1)
                if nested is None:
                    return None
                found |= nested
        return frozenset(found)

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
