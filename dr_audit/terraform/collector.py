"""The Terraform collector: roots on disk -> the normalized inventory.

In: a base directory and named roots below it (``{"primary": "primary"}``).
Out: an :class:`Inventory` of every mapped resource and data source with
file:line provenance, plus every error met (bad files, unusable modules,
tfvars of the wrong type), each naming its file and line, and every gap
(a remote module not installed by ``terraform init``, a module whose
count/for_each is unresolved): places that may hold resources nobody read.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from dr_audit.errors import TerraformError
from dr_audit.inventory import AttributeValue, Inventory, Resource
from dr_audit.kinds import BOOL, INT, INT_LIST, KINDS, NUMBER, STR, STR_LIST
from dr_audit.kinds.spec import TAGS
from dr_audit.secrets import MASK, looks_secret, named_secrets, secret_strings
from dr_audit.terraform.expressions import Evaluator, NoReferences, Scope, line_of, subtrees
from dr_audit.kinds.registry import terraform_mappings
from dr_audit.terraform.reading import Reader, given, has_uncertain_block, plain
from dr_audit.terraform.module import (MANIFEST, BlockInstance, ModuleGap, ModuleInstance, ModuleManifest,
                                       ResourceInstance, RootSettings)
from dr_audit.terraform.parse_cache import ParseCache
from dr_audit.terraform.parsing import attribute_expression, body_attributes, body_blocks, parse_body, parse_directory
from dr_audit.terraform.values import Unknown, as_unknown, is_known


def collect_terraform(base: Path, roots: dict[str, str], cache: ParseCache | None = None,
                      account_id: str | None = None) -> Inventory:
    """Collect every root in ``roots`` (name -> directory relative to ``base``).

    ``cache`` keeps parsed trees by content (a module called twice is parsed
    once; with a directory, across runs); by default one lives for this call.
    ``account_id`` is the audited account (full and live modes), which
    ``data.aws_caller_identity`` yields; without it that data source is Unknown.
    """
    base = Path(base).resolve()
    cache = cache if cache is not None else ParseCache()
    cache.prefetch(base)
    inventory = Inventory("terraform")
    for name, relative in sorted(roots.items(), key=lambda item: item[1]):
        if relative in inventory.roots.values():
            continue
        inventory.roots[name] = relative
        _collect_root(base, name, base / relative, inventory, cache, account_id)
    inventory.parse_stats = cache.stats.to_dict()
    return inventory


def _collect_root(base: Path, name: str, directory: Path, inventory: Inventory, cache: ParseCache,
                  account_id: str | None = None) -> None:
    if not directory.is_dir():
        inventory.errors.append(TerraformError(_rel(directory, base), f"Terraform root {name!r}: directory not found"))
        return
    key = cache.root_key(name, directory, base, account_id)
    evidence = cache.reuse_root(key)
    if evidence is None:
        cache.record_root()
        evidence = _evaluate_root(base, name, directory, cache, account_id)
        cache.keep_root(key, None if evidence["errors"] else evidence)
    inventory.files.extend(evidence["files"])
    inventory.resources.extend(evidence["resources"])
    inventory.secrets.update(evidence["secrets"])
    inventory.errors.extend(evidence["errors"])
    inventory.gaps.extend(evidence.get("gaps", []))


def _evaluate_root(base: Path, name: str, directory: Path, cache: ParseCache, account_id: str | None = None) -> dict:
    """Everything one root yields: its files, resources, secrets, errors and gaps."""
    errors: list[TerraformError] = []
    inventory = Inventory("terraform")
    parsed = parse_directory(directory, base, cache)
    errors.extend(parsed.errors)
    inventory.files.extend(parsed.files)
    if not parsed.files:
        errors.append(TerraformError(_rel(directory, base), f"Terraform root {name!r} has no .tf files"))
    manifest, manifest_error = ModuleManifest.load(directory, _rel(directory / MANIFEST, base), cache)
    if manifest_error is not None:
        errors.append(manifest_error)
    settings = RootSettings(manifest=manifest, account_id=account_id)
    root = ModuleInstance(parsed, "", {}, {}, base, errors, directory, settings=settings)
    root.inputs = _tfvars(directory, base, root, errors, inventory)
    instances = list(root.all_instances())
    inventory.secrets.update(_secrets(root, instances))
    by_address = {i.address: i for i in instances}
    by_type: dict[str, list[ResourceInstance]] = {}
    for instance in instances:
        by_type.setdefault(instance.type, []).append(instance)
    mappings = terraform_mappings()
    default_tags = DefaultTags(root)
    for instance in instances:
        mapping = mappings.get((instance.mode, instance.type))
        if mapping is None:
            continue
        kind, read = mapping
        reader = Reader(instance, by_address, by_type, lambda r: resource_tags(r, default_tags))
        attributes = read(reader)
        if KINDS[kind].tags and TAGS not in attributes:
            attributes[TAGS] = reader.tags()
        inventory.resources.append(Resource(
            kind=kind, source="terraform", address=instance.address, region=instance.region,
            attributes={k: _coerce(v, KINDS[kind].attributes[k].type) for k, v in attributes.items()},
            mode=instance.mode, file=instance.file, line=instance.line, root=name,
            presence=instance.presence))
    return {"files": inventory.files, "resources": inventory.resources, "secrets": inventory.secrets,
            "errors": errors, "gaps": [_with_kinds(gap) for gap in settings.gaps]}


#: Terraform types tagged with repeated ``tag`` blocks, to which the provider's default_tags do not apply
TAG_BLOCK_TYPES = frozenset({"aws_autoscaling_group"})


class DefaultTags:
    """The ``default_tags`` of the AWS provider configurations, as each module instance names them.

    In: the root module (its tfvars set). The root's ``provider "aws"`` blocks
    give each configuration's tags; a module call hands its module the
    caller's configurations, renamed by its ``providers`` map, exactly as the
    regions are handed down. Out, per resource: :meth:`of` its configuration's
    default tags as an AttributeValue (None when it has none).
    """

    def __init__(self, root: ModuleInstance):
        self._by_prefix: dict[str, dict[str, AttributeValue | None]] = {}
        self._walk(root, self._configured(root))

    @staticmethod
    def _configured(root: ModuleInstance) -> dict[str, AttributeValue | None]:
        found: dict[str, AttributeValue | None] = {}
        for block in root.provider_blocks:
            if not block.labels or block.labels[0] != "aws":
                continue
            provider = BlockInstance(block, Scope(root), "provider.aws")
            alias = given(provider, "alias")
            name = f"aws.{alias.value}" if alias is not None else "aws"
            blocks = provider.blocks("default_tags")
            tags = given(blocks[0], "tags") if blocks else None
            found[name] = (AttributeValue(plain(tags.value, tags.expression), tags.file, tags.line, tags.expression)
                           if tags is not None else None)
        return found

    def _walk(self, module: ModuleInstance, configurations: dict[str, AttributeValue | None]) -> None:
        self._by_prefix[module.prefix] = configurations
        for name, call in module.module_calls.items():
            handed = dict(configurations)
            providers = call.attributes().get("providers")
            if providers is not None:
                for element in attribute_expression(providers).iter_subtrees_topdown():
                    if element.data == "object_elem":
                        key_node, value_node = subtrees(element)
                        parent = call.source.of(value_node)
                        handed[call.source.of(key_node)] = configurations.get(parent, AttributeValue(
                            Unknown(parent, f"provider {parent} has no configuration"), call.file, call.line))
            child = module.child(name)
            children = child.values() if isinstance(child, dict) else child if isinstance(child, list) else [child]
            for instance in children:
                if isinstance(instance, ModuleInstance):
                    self._walk(instance, handed)

    def of(self, instance: ResourceInstance) -> AttributeValue | None:
        """The default tags of the provider configuration ``instance`` uses (None: it has none)."""
        prefix = max((p for p in self._by_prefix if instance.address.startswith(p)
                      and not instance.address[len(p):].startswith("module.")), key=len, default="")
        written = instance.node.attributes().get("provider")
        name = (instance.node.source.of(attribute_expression(written)) if written is not None
                else instance.type.split("_")[0])
        return self._by_prefix.get(prefix, {}).get(name)


def resource_tags(r: Reader, defaults: DefaultTags) -> AttributeValue:
    """The tags Terraform gives the instance: its ``tags`` over its provider's ``default_tags``.

    Null tags (a null map, a null value) are not set; anything unresolved
    makes the whole map Unknown; a data source's tags are whatever the
    account holds, so Unknown here.
    """
    instance = r.instance
    if instance.mode == "data":
        return r.at_block(Unknown(f"{instance.address}.{TAGS}", "a data source's tags come from the account"),
                          "data source")
    if instance.type in TAG_BLOCK_TYPES:
        return _tag_blocks(r)
    own = r.given(TAGS)
    default = defaults.of(instance)
    parts = [(p.value, p.expression or TAGS) for p in (default, own) if p is not None]
    merged: dict[str, Any] = {}
    for value, expression in parts:
        if not is_known(value):
            return _located(as_unknown(value, expression), own, default, r)
        if not isinstance(value, dict):
            return _located(Unknown(expression, f"tags are a {type(value).__name__}, not a map"), own, default, r)
        merged.update({key: _tag_text(v) for key, v in value.items() if v is not None})
    note = f"over default_tags ({default.file}:{default.line})" if default is not None and own is not None else (
        "the provider's default_tags" if default is not None else None if own is not None else "no tags")
    return _located(merged, own, default, r, note)


def _located(value: Any, own: AttributeValue | Any, default: AttributeValue | None, r: Reader,
             note: str | None = None) -> AttributeValue:
    """``value`` at the resource's ``tags`` argument, else at the default_tags, else at the block."""
    where = own if own is not None else default
    if where is None:
        return r.at_block(value, note or "no tags")
    return AttributeValue(value, where.file, where.line, where.expression, note)


def _tag_text(value: Any) -> Any:
    """A tag value as the map(string) Terraform converts it to: ``true`` -> "true", 3 -> "3"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float)) else value


def _tag_blocks(r: Reader) -> AttributeValue:
    """Tags written as ``tag { key = ..., value = ... }`` blocks (default_tags do not apply to these)."""
    blocks = r.blocks("tag")
    subject = f"{r.instance.address}.{TAGS}"
    if has_uncertain_block(blocks):
        return r.at_block(Unknown(subject, "a dynamic tag block could not be expanded"), "tag blocks")
    tags: dict[str, Any] = {}
    for block in blocks:
        key, value = given(block, "key"), given(block, "value")
        if key is None or value is None:
            continue
        if not is_known(key.value) or not is_known(value.value):
            unknown = key if not is_known(key.value) else value
            return AttributeValue(as_unknown(plain(unknown.value, unknown.expression), unknown.expression or subject),
                                  unknown.file, unknown.line, unknown.expression)
        tags[str(key.value)] = _tag_text(value.value)
    return r.at_block(tags, "tag blocks (the provider's default_tags do not apply to them)" if blocks else "no tags")


def _with_kinds(gap: ModuleGap) -> ModuleGap:
    """A gap whose module tree was read names the kinds it could hide (None: any kind)."""
    if gap.types is None:
        return gap
    mappings = terraform_mappings()
    kinds = frozenset(mappings[t][0] for t in gap.types if t in mappings)
    return replace(gap, kinds=kinds)


def _secrets(root: ModuleInstance, instances: list[ResourceInstance]) -> set[str]:
    """Every value of the tree that is or looks like a secret (never to be printed)."""
    found: set[str] = set()
    for module in root.modules():
        for name, block in module.variables.items():
            value = module.variable(name)
            if looks_secret(name) or _declared_sensitive(module, name):
                found.update(secret_strings(value))
            else:
                found.update(named_secrets(value))
    for name, value in root.inputs.items():  # tfvars, including names no block declares
        found.update(secret_strings(value) if looks_secret(name) else named_secrets(value))
    for instance in instances:
        for name in instance.node.attributes():
            if looks_secret(name):
                evidence = instance.evidence(name)
                found.update(secret_strings(evidence.value) if evidence is not None else [])
    return found


def _declared_sensitive(module: ModuleInstance, name: str) -> bool:
    attribute = module.variables[name].attributes().get("sensitive")
    if attribute is None:
        return False
    value = Evaluator(module.variables[name].source).evaluate(attribute_expression(attribute),
                                                              Scope(NoReferences("a variable block")))
    return value is True


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _tfvars(directory: Path, base: Path, root: ModuleInstance, errors: list, inventory: Inventory) -> dict[str, Any]:
    """terraform.tfvars then *.auto.tfvars (alphabetical), as Terraform loads them."""
    files = [directory / "terraform.tfvars"] if (directory / "terraform.tfvars").is_file() else []
    files += sorted(directory.glob("*.auto.tfvars"))
    values: dict[str, Any] = {}
    for path in files:
        display = _rel(path, base)
        inventory.files.append(display)
        body, source, error = parse_body(path, display, root.parsed.cache)
        if error is not None:
            errors.append(error)
            continue
        blocks = body_blocks(body, source)
        if blocks:
            errors.append(TerraformError(display, "a tfvars file may only assign variables, not declare blocks",
                                         blocks[0].line))
        for name, attribute in body_attributes(body).items():
            value = Evaluator(source).evaluate(attribute_expression(attribute), Scope(NoReferences("a tfvars file")))
            secret = looks_secret(name) or (name in root.variables and _declared_sensitive(root, name))
            problem = _type_problem(root, name, MASK if secret else value, value)
            if problem:
                errors.append(TerraformError(display, problem, line_of(attribute)))
                # Terraform would refuse the plan: the variable has no usable value, not its default
                values[name] = Unknown(f"var.{name}", f"{display}:{line_of(attribute)}: {problem}")
                continue
            values[name] = value
    return values


def _type_problem(root: ModuleInstance, name: str, shown: Any, value: Any) -> str | None:
    """Why ``value`` does not fit the declared type, quoting it as ``shown`` (masked when secret)."""
    block = root.variables.get(name)
    if block is None:
        return f"variable {name!r} is assigned but not declared in the root"
    type_attr = block.attributes().get("type")
    if type_attr is None or not is_known(value) or value is None:  # null fits every type
        return None
    declared = block.source.of(attribute_expression(type_attr))
    checks = {"string": lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "bool": lambda v: isinstance(v, bool)}
    base_type = declared.split("(")[0].strip()
    if base_type in checks and not checks[base_type](value):
        return f"variable {name!r} is declared {declared} but given {type(value).__name__} {shown!r}".replace(
            repr(MASK), MASK)
    if base_type in ("list", "set", "tuple") and not isinstance(value, list):
        return f"variable {name!r} is declared {declared} but given {type(value).__name__}"
    if base_type in ("map", "object") and not isinstance(value, dict):
        return f"variable {name!r} is declared {declared} but given {type(value).__name__}"
    return None


def _coerce(value: AttributeValue, type_: str) -> AttributeValue:
    """Give a value the kind's declared type where Terraform would convert it."""
    raw = value.value
    if not is_known(raw) or raw is None:
        return value
    try:
        if type_ == BOOL and isinstance(raw, str) and raw in ("true", "false"):
            raw = raw == "true"
        elif type_ == INT and isinstance(raw, (str, float)) and not isinstance(raw, bool):
            raw = int(float(raw))
        elif type_ == NUMBER and isinstance(raw, str):
            raw = float(raw)
        elif type_ == STR and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = str(raw)
        elif type_ == STR_LIST and isinstance(raw, list):
            raw = [str(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for x in raw]
        elif type_ == INT_LIST and isinstance(raw, list):
            raw = [int(float(x)) if isinstance(x, (str, float)) and not isinstance(x, bool) else x for x in raw]
    except ValueError:
        return AttributeValue(Unknown(value.expression or str(raw), f"{raw!r} is not a {type_}"),
                              value.file, value.line, value.expression, value.note)
    return AttributeValue(raw, value.file, value.line, value.expression, value.note)


def supported_attributes() -> dict[str, set[str]]:
    """kind -> attributes the Terraform collector produces, by running each
    mapping over an empty declaration of its Terraform type."""
    import tempfile

    supported: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        lines = ['provider "aws" {\n  region = "us-east-1"\n}']
        for index, (mode, type_) in enumerate(terraform_mappings()):
            keyword = "resource" if mode == "managed" else "data"
            lines.append(f'{keyword} "{type_}" "probe{index}" {{\n}}')
        Path(tmp, "main.tf").write_text("\n".join(lines) + "\n", encoding="utf-8")
        inventory = collect_terraform(Path(tmp), {"probe": "."})
    for resource in inventory.resources:
        supported.setdefault(resource.kind, set()).update(resource.attributes)
    return supported
