"""Named comparators: rows that compare several resources, or the policy's
own numbers, instead of one attribute against a literal.

Each comparator validates its ``args`` when the policy loads (returning error
strings) and evaluates to a :class:`Verdict`. Source comparators read one
inventory through a :class:`Lookup`; policy comparators read only ``facts``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable

from dr_audit.findings import SourceState, plain


@dataclass
class Verdict:
    """A comparator's answer for one source (or for the policy itself)."""

    state: SourceState
    value: Any
    detail: str
    evidence: list = None  # AttributeValue/Resource pairs that decided it
    #: every resource the row matched, each with its own verdict (findings.ResourceCheck)
    checks: list = field(default_factory=list)


@dataclass(frozen=True)
class Comparator:
    name: str
    needs_source: bool
    validate: Callable[[dict, dict], list[str]]
    evaluate: Callable[..., Verdict]
    doc: str


# ----- fact paths ------------------------------------------------------------

def fact(facts: dict, path: str) -> Any:
    """The value at a dotted path in the policy's facts: ``"rto.minutes"``."""
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(path)
        value = value[part]
    return value


def _numbers(value: Any) -> list[float] | None:
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else [value]
    if all(isinstance(i, (int, float)) and not isinstance(i, bool) for i in items):
        return [float(i) for i in items]
    return None


def _check_paths(args: dict, facts: dict, keys: list[str], many: tuple[str, ...] = ()) -> list[str]:
    errors = []
    for key in keys:
        if key not in args:
            errors.append(f"args.{key} is required")
            continue
        paths = args[key] if key in many else [args[key]]
        if not isinstance(paths, list) or not paths:
            errors.append(f"args.{key} must be a non-empty list of fact paths")
            continue
        for path in paths:
            try:
                found = fact(facts, str(path))
            except KeyError:
                errors.append(f"args.{key}: fact {path!r} is not defined in facts")
                continue
            if _numbers(found) is None:
                errors.append(f"args.{key}: fact {path!r} is not a number or a collection of numbers")
    return errors


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _sum_at_most(row, facts: dict) -> Verdict:
    terms = _numbers(fact(facts, row.args["terms"]))
    limit = _numbers(fact(facts, row.args["limit"]))[0]
    total = sum(terms)
    ok = total <= limit
    return Verdict(SourceState.MEETS if ok else SourceState.VIOLATES, total,
                   f"{' + '.join(_fmt(t) for t in terms)} = {_fmt(total)} {'<=' if ok else '>'} {_fmt(limit)} ({row.args['limit']})")


def _product_at_most(row, facts: dict) -> Verdict:
    factors = [_numbers(fact(facts, p))[0] for p in row.args["factors"]]
    limit = _numbers(fact(facts, row.args["limit"]))[0]
    product = 1.0
    for factor in factors:
        product *= factor
    ok = product <= limit
    return Verdict(SourceState.MEETS if ok else SourceState.VIOLATES, product,
                   f"{' x '.join(_fmt(f) for f in factors)} = {_fmt(product)} {'<=' if ok else '>'} {_fmt(limit)} ({row.args['limit']})")


def _at_most(row, facts: dict) -> Verdict:
    value = _numbers(fact(facts, row.args["value"]))[0]
    limit = _numbers(fact(facts, row.args["limit"]))[0]
    ok = value <= limit
    return Verdict(SourceState.MEETS if ok else SourceState.VIOLATES, value,
                   f"{row.args['value']} = {_fmt(value)} {'<=' if ok else '>'} {_fmt(limit)} ({row.args['limit']})")


def _less_than(row, facts: dict) -> Verdict:
    """Strictly below: a value that may reach the limit (a lag "normally up to" the RPO)
    leaves no margin for the first excursion, so equal is a violation here."""
    value = _numbers(fact(facts, row.args["value"]))[0]
    limit = _numbers(fact(facts, row.args["limit"]))[0]
    ok = value < limit
    return Verdict(SourceState.MEETS if ok else SourceState.VIOLATES, value,
                   f"{row.args['value']} = {_fmt(value)} {'<' if ok else '>='} {_fmt(limit)} ({row.args['limit']})")


# ----- source comparators ----------------------------------------------------

def _validate_targets(args: dict, facts: dict) -> list[str]:
    errors = []
    targets = args.get("targets")
    if not isinstance(targets, list) or len(targets) < 2:
        errors.append("args.targets must list at least two {role, select} entries")
    else:
        for index, target in enumerate(targets):
            if not isinstance(target, dict) or not isinstance(target.get("select"), dict):
                errors.append(f"args.targets[{index}] needs a select mapping")
    if not isinstance(args.get("attribute"), str):
        errors.append("args.attribute is required")
    return errors


def _target_values(row, lookup) -> tuple[list, Verdict | None]:
    """Each target's single attribute value, or the verdict that stops the row."""
    values = []
    for target in row.args["targets"]:
        outcome = lookup.single_value(row.kind, target.get("role"), target["select"], row.args["attribute"])
        if outcome.stop is not None:
            return [], outcome.stop
        values.append(outcome)
    return values, None


def _same_value(row, lookup) -> Verdict:
    values, stop = _target_values(row, lookup)
    if stop is not None:
        return stop
    distinct = {repr(v.value) for v in values}
    shown = ", ".join(f"{v.label}={plain(v.value)}" for v in values)
    return Verdict(SourceState.MEETS if len(distinct) == 1 else SourceState.VIOLATES,
                   [v.value for v in values], f"{row.args['attribute']}: {shown}",
                   [(v.resource, v.attribute) for v in values])


def _disjoint_cidrs(row, lookup) -> Verdict:
    values, stop = _target_values(row, lookup)
    if stop is not None:
        return stop
    unset = [v for v in values if v.value is None]
    if unset:
        return Verdict(SourceState.VIOLATES, None, f"{row.args['attribute']} of {unset[0].label} is not set",
                       [(v.resource, v.attribute) for v in values])
    try:
        networks = [ipaddress.ip_network(str(v.value), strict=False) for v in values]
    except ValueError:
        shown = ", ".join(f"{v.label}={plain(v.value)}" for v in values)
        return Verdict(SourceState.UNRESOLVED, None, f"not a CIDR block: {shown}",
                       [(v.resource, v.attribute) for v in values])
    overlaps = [(a, b) for i, a in enumerate(networks) for b in networks[i + 1:] if a.overlaps(b)]
    shown = ", ".join(f"{v.label}={v.value}" for v in values)
    if overlaps:
        return Verdict(SourceState.VIOLATES, [str(n) for n in networks],
                       f"overlap: {', '.join(f'{a} / {b}' for a, b in overlaps)} ({shown})",
                       [(v.resource, v.attribute) for v in values])
    return Verdict(SourceState.MEETS, [str(n) for n in networks], f"disjoint: {shown}",
                   [(v.resource, v.attribute) for v in values])


def _validate_ecr(args: dict, facts: dict) -> list[str]:
    errors = []
    if not isinstance(args.get("repository"), str):
        errors.append("args.repository (a repository name) is required")
    if not isinstance(args.get("destination_role"), str):
        errors.append("args.destination_role is required")
    return errors


def _ecr_replicates(row, lookup) -> Verdict:
    destination = lookup.region_of(row.args["destination_role"])
    repository = row.args["repository"]
    outcome = lookup.single_value(row.kind, row.role, row.select, "rules")
    if outcome.stop is not None and outcome.stop.state is SourceState.MISSING and lookup.inventory.source == "terraform":
        # Terraform's meaning: without an aws_ecr_replication_configuration the registry keeps
        # its default, no replication rules (the account always has that default to show)
        return Verdict(SourceState.VIOLATES, False,
                       f"no aws_ecr_replication_configuration for the registry in {lookup.region_of(row.role)}: "
                       f"the registry keeps its default of no replication rules, "
                       f"so {repository} is not replicated to {destination}")
    if outcome.stop is not None:
        return outcome.stop
    rules = outcome.value
    for rule in rules:
        prefixes = rule.get("prefixes") or []
        if destination in rule.get("destinations", []) and (not prefixes or any(
                repository.startswith(p) for p in prefixes)):
            matched = f"prefix {next((p for p in prefixes if repository.startswith(p)), '*')!r}"
            return Verdict(SourceState.MEETS, True, f"{repository} -> {destination} by a rule with {matched}",
                           [(outcome.resource, outcome.attribute)])
    return Verdict(SourceState.VIOLATES, False,
                   f"no replication rule sends {repository} to {destination} ({len(rules)} rule(s))",
                   [(outcome.resource, outcome.attribute)])


COMPARATORS: dict[str, Comparator] = {c.name: c for c in [
    Comparator("sum_at_most", False, lambda a, f: _check_paths(a, f, ["terms", "limit"]), _sum_at_most,
               "the facts at args.terms add up to at most args.limit"),
    Comparator("product_at_most", False, lambda a, f: _check_paths(a, f, ["factors", "limit"], many=("factors",)),
               _product_at_most, "the product of the facts at args.factors is at most args.limit"),
    Comparator("at_most", False, lambda a, f: _check_paths(a, f, ["value", "limit"]), _at_most,
               "the fact at args.value is at most the fact at args.limit"),
    Comparator("less_than", False, lambda a, f: _check_paths(a, f, ["value", "limit"]), _less_than,
               "the fact at args.value is less than the fact at args.limit (equal fails: no margin)"),
    Comparator("same_value", True, _validate_targets, _same_value,
               "args.attribute is equal on every args.targets resource"),
    Comparator("disjoint_cidrs", True, _validate_targets, _disjoint_cidrs,
               "the CIDR blocks (args.attribute) of args.targets do not overlap"),
    Comparator("ecr_replicates", True, _validate_ecr, _ecr_replicates,
               "the role's registry replication sends args.repository to args.destination_role's region"),
]}
