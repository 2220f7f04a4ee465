"""A first policy drafted from an existing Terraform tree (``python -m dr_audit init``).

In: the directory the Terraform roots are in and the policy's roles (name, region and
the root below the directory that declares it). Out: the text of a policy whose rows
state what the code declares today for the DR-relevant resources it finds (Multi-AZ,
backup retention, read replicas, DynamoDB streams and replicas, S3 and secret
replication, ECR replication, Route 53 health checks and failover records, CloudWatch
alarms), every row ``derived: scaffold``. The tree is read by the project's own
Terraform collector; a value it cannot resolve is never proposed: the resource gets an
existence row and a comment says why.

    text, summary = scaffold_policy(Path("infra"), [RoleSpec("primary", "REGION-A", "primary"),
                                                    RoleSpec("dr", "REGION-B", "dr")],
                                    name="team-dr", policy_dir=Path("policies"))
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from dr_audit.inventory import Inventory, Resource
from dr_audit.kinds import KINDS
from dr_audit.partitions import aws_regions
from dr_audit.policy import did_you_mean
from dr_audit.secrets import Redactor
from dr_audit.terraform.collector import collect_terraform
from dr_audit.terraform.values import Unknown, is_known

#: a role name as written on the command line and in the policy's ``roles:``
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
#: what the written policy has not said yet: every scaffolded row shares this clause
CLAUSE = "scaffold"
SEVERITY = "medium"


class ScaffoldError(Exception):
    """Input that cannot be scaffolded (a missing directory, a region AWS does not have): exit 4."""


@dataclass(frozen=True)
class RoleSpec:
    """One policy role: its name, its region, and its Terraform root below the tree ('.': the tree itself)."""

    name: str
    region: str
    root: str = "."


@dataclass(frozen=True)
class Check:
    """One attribute the scaffold proposes a row for, and how it turns the code's value into a row.

    ``rule`` is one of:
      ``true``     eq true when the code says true; a comment when it says false
      ``flag``     eq true when the code says true; nothing when false (false is ordinary there)
      ``equal``    eq the code's value when it is set
      ``at_least`` gte the code's value when it is above zero; a comment at zero
      ``at_most``  lte the code's value when it is set
      ``all_of``   contains_all the code's list when it is not empty
    """

    attribute: str
    rule: str


@dataclass(frozen=True)
class KindPlan:
    """What the scaffold writes for one kind: the selector attributes (the first ones, then more
    only when needed to tell resources apart), whether every resource also gets an existence row,
    which attribute checks follow, and which resources count as DR-relevant at all."""

    selectors: tuple[str, ...]
    checks: tuple[Check, ...] = ()
    always_exists: bool = False
    relevant: Callable[[Resource], bool] = lambda resource: True
    base_selectors: int = 1


def _has_list(attribute: str) -> Callable[[Resource], bool]:
    """True for a resource whose ``attribute`` is a non-empty list, or unresolved (it may be one)."""
    def relevant(resource: Resource) -> bool:
        value = resource.value(attribute)
        return not is_known(value) or bool(value)
    return relevant


def _is_failover_record(resource: Resource) -> bool:
    value = resource.value("failover_role")
    return not is_known(value) or value is not None


PLANS: dict[str, KindPlan] = {
    "rds_instance": KindPlan(("identifier",), (
        Check("multi_az", "true"), Check("backup_retention_period", "at_least"),
        Check("is_read_replica", "flag"), Check("replicate_source_identifier", "equal"),
        Check("replicate_source_region", "equal"), Check("deletion_protection", "true"))),
    "elasticache_replication_group": KindPlan(("id",), (
        Check("multi_az", "true"), Check("automatic_failover", "true"),
        Check("snapshot_retention_limit", "at_least"))),
    "dynamodb_table": KindPlan(("name",), (
        Check("stream_enabled", "true"), Check("stream_view_type", "equal"),
        Check("replica_regions", "all_of"), Check("point_in_time_recovery", "true"))),
    "s3_bucket": KindPlan(("name",), (
        Check("versioning", "equal"), Check("replication_destination_buckets", "all_of"), Check("replication_time_minutes", "at_most"),
        Check("delete_marker_replication", "flag")),
        relevant=_has_list("replication_destination_buckets")),
    "secretsmanager_secret": KindPlan(("name",), (Check("replica_regions", "all_of"),),
                                      relevant=_has_list("replica_regions")),
    "ecr_replication": KindPlan((), (Check("destination_regions", "all_of"),), base_selectors=0),
    "route53_health_check": KindPlan(("name", "fqdn", "type", "port"), (
        Check("type", "equal"), Check("resource_path", "equal"), Check("request_interval", "equal"),
        Check("failure_threshold", "equal")), always_exists=True),
    "route53_record": KindPlan(("name", "failover_role", "type", "set_identifier"),
                               (Check("has_health_check", "flag"),), always_exists=True,
                               relevant=_is_failover_record, base_selectors=2),
    "cloudwatch_alarm": KindPlan(("name",), (Check("has_actions", "true"),), always_exists=True),
}


@dataclass
class Draft:
    """The rows and comments proposed so far, and the roles they need."""

    roles: list[RoleSpec]
    lines: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    extra_regions: set[str] = field(default_factory=set)
    rows: int = 0
    not_proposed: int = 0


# ---- input


def parse_role(text: str) -> RoleSpec:
    """``NAME=REGION[:SUBDIR]`` from the command line -> a :class:`RoleSpec` (SUBDIR defaults to '.')."""
    name, sep, rest = text.partition("=")
    region, _, root = rest.partition(":")
    if not sep or not ROLE_NAME.match(name) or not region:
        raise ScaffoldError(f"--role {text!r}: write NAME=REGION[:SUBDIR], NAME in lower case "
                            f"(letters, digits, - or _), e.g. --role dr=REGION:dr")
    return RoleSpec(name, region, root or ".")


def check_inputs(terraform_root: Path, roles: list[RoleSpec]) -> None:
    """Raise :class:`ScaffoldError` naming the path or region that is wrong (exit 4)."""
    if not roles:
        raise ScaffoldError("give at least one --role NAME=REGION[:SUBDIR]")
    if not terraform_root.is_dir():
        raise ScaffoldError(f"--terraform-root {terraform_root.resolve()}: not a directory")
    seen: set[str] = set()
    for role in roles:
        if role.name in seen:
            raise ScaffoldError(f"role {role.name!r} is given twice")
        seen.add(role.name)
        if role.region not in aws_regions():
            raise ScaffoldError(f"role {role.name!r}: {role.region!r} is not an AWS region"
                                f"{did_you_mean(role.region, aws_regions())}")
        directory = terraform_root / role.root
        if not directory.is_dir():
            raise ScaffoldError(f"role {role.name!r}: Terraform root {directory.resolve()} is not a directory")
        if not any(directory.glob("*.tf")):
            raise ScaffoldError(f"role {role.name!r}: Terraform root {directory.resolve()} has no .tf files")


# ---- proposing rows


def scaffold_policy(terraform_root: Path, roles: list[RoleSpec], name: str, policy_dir: Path) -> tuple[str, dict]:
    """The policy text for the tree at ``terraform_root``, to be written into ``policy_dir``
    (its ``terraform.root`` is relative to it), and a summary {rows, not_proposed, errors, gaps}."""
    check_inputs(terraform_root, roles)
    inventory = collect_terraform(terraform_root, {role.name: role.root for role in roles})
    draft = Draft(list(roles))
    redactor = Redactor(inventory.secrets)
    for kind, plan in PLANS.items():
        resources = [r for r in inventory.of_kind(kind) if plan.relevant(r)]
        if resources:
            draft.lines.append(f"\n  # ---- {kind}")
        for resource in sorted(resources, key=lambda r: (r.file or "", r.line or 0, r.address)):
            _propose(draft, inventory, plan, resource, redactor)
    if not draft.rows:
        raise ScaffoldError(f"{terraform_root.resolve()}: no DR-relevant resource found in the roots "
                            f"{', '.join(sorted({r.root for r in roles}))} (kinds looked for: {', '.join(PLANS)})")
    problems = [redactor.text(str(error)) for error in inventory.errors]
    gaps = [redactor.text(str(gap)) for gap in inventory.gaps]
    text = _header(draft, name, terraform_root, policy_dir, problems, gaps) + "\n".join(draft.lines) + "\n"
    return text, {"rows": draft.rows, "not_proposed": draft.not_proposed, "errors": problems, "gaps": gaps}


def _propose(draft: Draft, inventory: Inventory, plan: KindPlan, resource: Resource, redactor: Redactor) -> None:
    """Add the rows (or the comments saying why none) for one resource."""
    where = redactor.text(f"{resource.address} ({resource.file}:{resource.line})")
    role, why_not = _role_for(draft, resource)
    select, why_not = (None, why_not) if why_not else _selector(inventory, plan, resource)
    if why_not:
        draft.lines.append(f"  # {where}: no row proposed: {' '.join(redactor.text(why_not).split())}")
        draft.not_proposed += 1
        return
    label = ", ".join(f"{k}={v}" for k, v in select.items()) or f"every {resource.kind}"
    draft.lines.append(f"  # {where}")
    if resource.mode == "data":
        _comment(draft, "read by a data source: its values come from the account at plan time, so only "
                        "its presence in the code is proposed", counted=False)
        _row(draft, resource, role, select, label, None, "exists", None, "data")
        return
    if resource.presence is not None:
        _comment(draft, f"whether it is created is unresolved ({redactor.text(str(resource.presence.reason))}): "
                        f"only its existence row is proposed")
        _row(draft, resource, role, select, label, None, "exists", None, "terraform")
        return
    proposals, comments = _checks(plan, resource, redactor)
    for text in comments:
        _comment(draft, text)
    if plan.always_exists or not proposals:
        _row(draft, resource, role, select, label, None, "exists", None, "terraform")
    for attribute, op, value in proposals:
        _row(draft, resource, role, select, label, attribute, op, value, "terraform")


def _role_for(draft: Draft, resource: Resource) -> tuple[str | None, str | None]:
    """(the role a row on ``resource`` names, why no row can be written); a global kind names none.

    A regional resource in a region no role gives (a provider alias) gets a role of its own,
    named after its region, so its rows select it there."""
    if KINDS[resource.kind].scope == "global":
        return None, None
    region = resource.region
    if not is_known(region) or region is None:
        reason = region.reason if isinstance(region, Unknown) else "no provider region"
        return None, f"its region is unresolved ({reason}), so no role can select it"
    if region not in aws_regions():
        return None, f"its provider region {region!r} is not an AWS region"
    own = [r for r in draft.roles if r.region == region]
    if own:
        return next((r.name for r in own if r.name == resource.root), own[0].name), None
    draft.extra_regions.add(region)
    return region, None


def _selector(inventory: Inventory, plan: KindPlan, resource: Resource) -> tuple[dict | None, str | None]:
    """The smallest selector (by the plan's identifier attributes, in order; one not set is passed
    over) that picks ``resource`` alone, or why there is none (an unresolved identifier, no
    identifier at all, or another resource with the same ones)."""
    pending = list(plan.selectors)
    select: dict[str, Any] = {}
    while pending and len(select) < plan.base_selectors:
        attribute = pending.pop(0)
        value = resource.value(attribute)
        if not is_known(value):
            return None, f"its {attribute} is unresolved ({getattr(value, 'reason', 'unresolved')})"
        if value is not None:
            select[attribute] = value
    if len(select) < plan.base_selectors:
        return None, f"it has no {' or '.join(plan.selectors)} to select it by"
    while True:
        others = _others(inventory, resource, select)
        if not others:
            return select, None
        attribute = _next_known(resource, pending)
        if attribute is None:
            return None, (f"{', '.join(o.address for o in others[:3])} has the same "
                          f"{', '.join(select) or 'kind and region'}: write its row by hand")
        select[attribute] = resource.value(attribute)


def _next_known(resource: Resource, spare: list[str]) -> str | None:
    """The next spare selector attribute with a known, set value (consumed from ``spare``)."""
    while spare:
        attribute = spare.pop(0)
        value = resource.value(attribute)
        if is_known(value) and value is not None:
            return attribute
    return None


def _others(inventory: Inventory, resource: Resource, select: dict) -> list[Resource]:
    """The other resources a row with ``select`` would surely match beside ``resource``."""
    kind = KINDS[resource.kind]
    region = None if kind.scope == "global" else resource.region
    chosen = inventory.select(resource.kind, region, select, mode=resource.mode, global_kind=kind.scope == "global")
    return [r for r in chosen.matched if r is not resource]


def _checks(plan: KindPlan, resource: Resource, redactor: Redactor) -> tuple[list[tuple], list[str]]:
    """The (attribute, op, value) rows the code's values give, and comments for those not proposed."""
    proposals: list[tuple] = []
    comments: list[str] = []
    for check in plan.checks:
        value = resource.value(check.attribute)
        if not is_known(value):
            reason = value.reason if isinstance(value, Unknown) else "unresolved"
            comments.append(f"{check.attribute}: not proposed, the code's value is unresolved "
                            f"({redactor.text(str(reason))})")
            continue
        if _secret(value, redactor):
            comments.append(f"{check.attribute}: not proposed, the value is sensitive")
            continue
        proposal, comment = RULES[check.rule](check.attribute, value)
        if proposal:
            proposals.append(proposal)
        if comment:
            comments.append(comment)
    return proposals, comments


def _secret(value: Any, redactor: Redactor) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and redactor.text(v) != v for v in values)


def _true(attribute: str, value: Any) -> tuple[tuple | None, str | None]:
    if value is True:
        return (attribute, "eq", True), None
    said = "leaves it unset" if value is None else f"says {_yaml(value)}"
    return None, f"{attribute}: not proposed, the code {said} (a DR policy usually wants true: " \
                 f"write eq true if yours does)"


def _flag(attribute: str, value: Any) -> tuple[tuple | None, str | None]:
    return ((attribute, "eq", True), None) if value is True else (None, None)


def _equal(attribute: str, value: Any) -> tuple[tuple | None, str | None]:
    return ((attribute, "eq", value), None) if value is not None else (None, None)


def _at_least(attribute: str, value: Any) -> tuple[tuple | None, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return (attribute, "gte", value), None
    said = "leaves it unset" if value is None else f"says {_yaml(value)}"
    return None, f"{attribute}: not proposed, the code {said} (off)"


def _at_most(attribute: str, value: Any) -> tuple[tuple | None, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (attribute, "lte", value), None
    return None, None


def _all_of(attribute: str, value: Any) -> tuple[tuple | None, str | None]:
    if isinstance(value, list) and value:
        return (attribute, "contains_all", sorted(value, key=str)), None
    return None, f"{attribute}: not proposed, the code declares none"


RULES = {"true": _true, "flag": _flag, "equal": _equal, "at_least": _at_least, "at_most": _at_most,
         "all_of": _all_of}


# ---- writing


def _row(draft: Draft, resource: Resource, role: str | None, select: dict, label: str, attribute: str | None,
         op: str, value: Any, managed_by: str) -> None:
    row_id = _row_id(draft, resource.kind, select, attribute, role)
    title = f"{label}: {attribute} {op} {_yaml(value)} (as the code says today)" if attribute else \
        f"{label} is declared (as the code says today)"
    lines = [f"  - id: {row_id}", f"    clause: {CLAUSE}", f"    title: {_yaml(title)}",
             f"    kind: {resource.kind}"]
    lines += [f"    role: {_yaml(role)}"] if role else []
    lines += [f"    select: {_yaml(select)}"] if select else []
    lines += [f"    attribute: {attribute}"] if attribute else []
    lines += [f"    op: {op}"]
    lines += [f"    value: {_yaml(value)}"] if attribute else []
    lines += [f"    managed_by: {managed_by}", f"    severity: {SEVERITY}", "    derived: scaffold"]
    draft.lines.extend(lines)
    draft.rows += 1


def _row_id(draft: Draft, kind: str, select: dict, attribute: str | None, role: str | None) -> str:
    """An UPPER-KEBAB-CASE id from the kind, the selected values, the attribute and the role, unique."""
    words = [kind, *[str(v) for v in select.values()], attribute or "exists", role or ""]
    base = re.sub(r"[^A-Z0-9]+", "-", "-".join(words).upper()).strip("-")
    row_id, n = base, 2
    while row_id in draft.ids:
        row_id, n = f"{base}-{n}", n + 1
    draft.ids.add(row_id)
    return row_id


def _comment(draft: Draft, text: str, counted: bool = True) -> None:
    draft.lines.append("  #   " + " ".join(text.split()))
    draft.not_proposed += counted


_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./@*-]*$")


def _yaml(value: Any) -> str:
    """``value`` as a one-line YAML flow value: plain when YAML reads it back unchanged, else JSON."""
    if isinstance(value, str) and _PLAIN.match(value) and yaml.safe_load(value) == value:
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_yaml(k)}: {_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _header(draft: Draft, name: str, terraform_root: Path, policy_dir: Path, problems: list[str],
            gaps: list[str]) -> str:
    root = _relative(terraform_root, policy_dir)
    lines = [
        f"# {name}: a DRAFT policy written by `python -m dr_audit init` from {_yaml(str(terraform_root))}.",
        "# Every row states what the code declares today (derived: scaffold), not what the written",
        "# policy requires: replace clause, title and severity with the policy's own, delete rows it",
        "# does not promise, and tighten values where it asks for more.",
        *[f"# NOT READ: {' '.join(p.split())}" for p in problems],
        *[f"# NOT SEEN: {' '.join(g.split())}" for g in gaps],
        "policy:",
        f"  name: {_yaml(name)}",
        '  version: "0.1"',
        f"  title: {_yaml(f'{name} (draft from the Terraform)')}",
        "  source: python -m dr_audit init",
        "",
        "roles:",
        *[f"  {r.name}: {{region: {r.region}, terraform_root: {_yaml(r.root)}}}" for r in draft.roles],
        *[f"  {region}: {{region: {region}}}  # a provider alias of the code reads this region"
          for region in sorted(draft.extra_regions)],
        "",
        "terraform:",
        f"  root: {_yaml(root)}",
        "",
        "# the sandbox estate for a full run (see the README, \"Your first policy\"):",
        "# sandbox: {estate: NAME}",
        "",
        "rows:",
    ]
    return "\n".join(lines) + "\n"


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` when they share a directory below the filesystem's root
    (a policy beside the tree can move with it), else absolute."""
    path, start = path.resolve(), start.resolve()
    try:
        common = Path(os.path.commonpath([path, start]))
    except ValueError:  # different drives
        return path.as_posix()
    if common == Path(common.anchor):
        return path.as_posix()
    return Path(os.path.relpath(path, start)).as_posix()
