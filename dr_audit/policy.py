"""Load and validate a policy file.

In: a YAML path. Out: a :class:`Policy`, or :class:`PolicyErrors` listing
every problem found, each naming file, line and row. Validation covers the
vocabulary (kinds, attributes, operators, comparators), value shapes (CIDRs,
regexes, types), ids (pattern, uniqueness) and references (roles, problems).
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import re
from pathlib import Path
from typing import Any

from dr_audit.comparators import COMPARATORS, fact
from dr_audit.errors import PolicyError, PolicyErrors
from dr_audit.findings import plain
from dr_audit.kinds import BOOL, CIDR, INT, INT_LIST, KINDS, NUMBER, POLICY_KIND, STR, STR_LIST
from dr_audit.kinds.spec import MAP
from dr_audit.measured import MEASURE_OPERATORS, Measure, parse_measure
from dr_audit.model import AGGREGATES, MANAGED_BY, SEVERITIES, WHEN_ABSENT, Policy, Problem, Role, Row
from dr_audit.operators import OPERATORS
from dr_audit.partitions import aws_regions
from dr_audit.yaml_lines import LineDict, LineList, load_yaml_with_lines

ROW_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
#: a cloud region name: AWS style (us-east-1) or Google Cloud style (asia-northeast3)
REGION = re.compile(r"^(?:[a-z]{2}(?:-[a-z]+)+-\d|[a-z]+-[a-z]+\d)$")
#: an AWS account id: twelve digits, kept as a string (leading zeros matter)
ACCOUNT_ID = re.compile(r"^\d{12}$")
#: an IAM role ARN in any partition: arn:aws:iam::123456789012:role/path/name
ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}$")
ROLE_KEYS = {"region", "terraform_root", "account", "role_arn", "external_id"}
TOP_KEYS = {"policy", "roles", "terraform", "sandbox", "facts", "problems", "rows"}
ROW_KEYS = {"id", "clause", "title", "kind", "role", "select", "attribute", "op", "value", "aggregate",
            "comparator", "args", "managed_by", "severity", "problem", "unknown_ok", "when_absent", "derived",
            "measure"}


class _Collector:
    """Accumulates errors so one run reports all of them."""

    def __init__(self, path: str):
        self.path = path
        self.errors: list[PolicyError] = []

    def add(self, message: str, line: int | None, row_id: str | None = None) -> None:
        self.errors.append(PolicyError(self.path, message, line, None, row_id))


def load_policy(path: str | Path) -> Policy:
    """Read and validate the policy at ``path`` (see module docstring)."""
    path = Path(path)
    document = load_yaml_with_lines(path)
    shown = str(path)
    errors = _Collector(shown)
    if not isinstance(document, LineDict):
        raise PolicyErrors([PolicyError(shown, "the policy must be a YAML mapping", 1)])
    for key in document:
        if key not in TOP_KEYS:
            errors.add(f"unknown top-level key {key!r} (expected one of {sorted(TOP_KEYS)})", document.line_of(key))
    header = document.get("policy")
    if not isinstance(header, LineDict) or not isinstance(header.get("name"), str):
        errors.add("'policy' must be a mapping with a 'name'", document.line_of("policy"))
        header = LineDict()
        header.line, header.key_lines = 1, {}
    elif not _version_text(header.get("version")):
        # every report names the version audited: an auditor must know which text was checked
        errors.add("policy.version is required: the version of this policy document, e.g. version: \"1.0\"",
                   header.line_of("version") if "version" in header else document.line_of("policy"))
    roles = _roles(document.get("roles"), document.line_of("roles"), errors)
    facts = document.get("facts") or {}
    if not isinstance(facts, dict):
        errors.add("'facts' must be a mapping", document.line_of("facts"))
        facts = {}
    problems_raw = _problems(document.get("problems"), document.line_of("problems"), errors)
    rows = _rows(document.get("rows"), document.line_of("rows"), roles, facts, problems_raw, errors)
    _check_role_regions(document.get("roles"), roles, document.get("rows"), errors)
    verbatim = _verbatim_clauses(header, errors)
    _check_derived(document.get("rows"), verbatim, errors)
    terraform = document.get("terraform") or {}
    root = terraform.get("root") if isinstance(terraform, dict) else None
    if root is not None and not isinstance(root, str):
        errors.add("terraform.root must be a path", document.line_of("terraform"))
    sandbox = document.get("sandbox") or {}
    estate = sandbox.get("estate") if isinstance(sandbox, dict) else None
    if not isinstance(sandbox, dict) or (estate is not None and not isinstance(estate, str)):
        errors.add("sandbox must be a mapping {estate: NAME}", document.line_of("sandbox"))
        estate = None
    if errors.errors:
        raise PolicyErrors(errors.errors)
    problems = {pid: Problem(pid, p["title"], p["severity"], p.get("remediation", ""),
                             tuple(r.id for r in rows if r.problem == pid))
                for pid, p in problems_raw.items()}
    for problem in problems.values():
        if not problem.rows:
            errors.add(f"problem {problem.id} is linked to no row", problems_raw[problem.id].line)
    if errors.errors:
        raise PolicyErrors(errors.errors)
    return Policy(path=shown, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), name=header["name"],
                  title=str(header.get("title", header["name"])), roles=roles,
                  terraform_root=str((path.parent / root).resolve()) if isinstance(root, str) else None,
                  facts=dict(facts), problems=problems, rows=tuple(rows), sandbox_estate=estate,
                  version=_version_text(header.get("version")), verbatim_clauses=verbatim)


def _verbatim_clauses(header: LineDict, errors: _Collector) -> tuple[str, ...] | None:
    """The header's ``verbatim_clauses``: the clauses whose text states requirements word for word.

    In: the ``policy:`` mapping. Out: the clauses as a tuple of strings, or None when the header
    does not list them. Each must be a quoted string: YAML reads an unquoted 2.10 as the number 2.1.
    """
    if "verbatim_clauses" not in header:
        return None
    raw = header["verbatim_clauses"]
    where = header.line_of("verbatim_clauses")
    if not isinstance(raw, list):
        errors.add("policy.verbatim_clauses must be a list of clauses, e.g. [\"2.3\", \"5\"]", where)
        return None
    clauses = []
    for entry in raw:
        if not isinstance(entry, str) or not entry.strip():
            errors.add(f"policy.verbatim_clauses: {plain(entry)} is not a clause written as a quoted string "
                       f"(YAML reads an unquoted 2.10 as the number 2.1)", where)
            continue
        clauses.append(entry.strip())
    return tuple(clauses)


def clause_is_verbatim(clause: str, verbatim: tuple[str, ...]) -> bool:
    """True when ``clause`` or a clause containing it is listed: "2" covers "2.3" and "2.3.1"."""
    parts = str(clause).split(".")
    return any(".".join(parts[:length]) in verbatim for length in range(1, len(parts) + 1))


def _check_derived(raw_rows: Any, verbatim: tuple[str, ...] | None, errors: _Collector) -> None:
    """``derived`` is the reason a row's requirement or identifier is not in its clause's text.

    It must be a non-empty string where given. When the header lists ``verbatim_clauses``, a row
    citing any other clause must carry one: the reader of the report has to see which promises
    the written policy makes and which the policy file's authors read into it.
    """
    for item in raw_rows if isinstance(raw_rows, list) else []:
        if not isinstance(item, LineDict):
            continue
        row_id = item.get("id") if isinstance(item.get("id"), str) else None
        derived = item.get("derived")
        if "derived" in item and not (isinstance(derived, str) and derived.strip()):
            errors.add("derived must say why the row is not in its clause's text, e.g. "
                       "derived: \"the name is the DR Terraform's, the document gives none\"",
                       item.line_of("derived"), row_id)
            continue
        clause = item.get("clause")
        if verbatim is None or derived is not None or clause is None or clause_is_verbatim(str(clause), verbatim):
            continue
        errors.add(f"clause {clause!r} is not one of policy.verbatim_clauses ({', '.join(verbatim) or 'none'}): "
                   f"the row must say why it is derived (derived: <why>), or cite the clause whose text "
                   f"states it", item.line_of("clause") if "clause" in item else item.line, row_id)


def _version_text(value: Any) -> str | None:
    """The policy header's ``version`` as text (``1.0``, ``"2026-12"``, ``3``); None when absent or empty."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text or None


def _roles(raw: Any, line: int, errors: _Collector) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    if not isinstance(raw, LineDict) or not raw:
        errors.add("'roles' must map role names to {region, terraform_root}", line)
        return roles
    for name, spec in raw.items():
        where = raw.line_of(name)
        # a role without a region names a Terraform root of a region-less provider (e.g. a global edge)
        if not isinstance(spec, dict) or not (isinstance(spec.get("region"), str) or spec.get("terraform_root")):
            errors.add(f"role {name!r} needs a region (or, for a region-less provider, a terraform_root)", where)
            continue
        region = spec.get("region")
        if region is not None and not (isinstance(region, str) and REGION.match(region)):
            errors.add(f"role {name!r}: {region!r} is not a region name (e.g. us-east-1, asia-northeast3)", where)
        root = spec.get("terraform_root")
        if root is not None and not isinstance(root, str):
            errors.add(f"role {name!r}: terraform_root must be a directory name", where)
        unknown = sorted(set(spec) - ROLE_KEYS)
        if unknown:
            errors.add(f"role {name!r}: unknown key(s) {unknown} (known: {sorted(ROLE_KEYS)})", where)
        account, role_arn, external_id = _role_account(name, spec, where, errors)
        roles[name] = Role(name, region, root, account, role_arn, external_id)
    return roles


def did_you_mean(word: str, known: Any) -> str:
    """'; did you mean 'x'?' when ``word`` is close to one of ``known``, else ''."""
    close = difflib.get_close_matches(str(word), sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _kinds_on_roles(raw_rows: Any) -> dict[str, set[str]]:
    """Role name -> the kinds of the rows that read through it (as ``role``, a target's role or
    ``destination_role``), from the raw rows so a role's use is seen even when its row is invalid."""
    used: dict[str, set[str]] = {}
    for item in raw_rows if isinstance(raw_rows, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
            continue
        args = item.get("args") if isinstance(item.get("args"), dict) else {}
        targets = args.get("targets") if isinstance(args.get("targets"), list) else []
        names = [item.get("role"), args.get("destination_role")] + [
            t.get("role") for t in targets if isinstance(t, dict)]
        for name in names:
            if isinstance(name, str):
                used.setdefault(name, set()).add(item["kind"])
    return used


def _check_role_regions(raw_roles: Any, roles: dict[str, Role], raw_rows: Any, errors: _Collector) -> None:
    """A role's region must be an AWS region, unless every row on the role is of a non-AWS kind
    (a Google Cloud region on a role whose rows are all gcp_*). A typo such as us-east1 would
    otherwise select nothing and be reported as a compliance failure."""
    kinds_on = _kinds_on_roles(raw_rows)
    for name, role in roles.items():
        if role.region is None or not REGION.match(role.region) or role.region in aws_regions():
            continue
        aws_kinds = sorted(k for k in kinds_on.get(name, ()) if k in KINDS and not KINDS[k].terraform_only)
        if not aws_kinds:
            continue
        errors.add(f"role {name!r}: {role.region!r} is not an AWS region{did_you_mean(role.region, aws_regions())} "
                   f"(rows of {', '.join(aws_kinds)} use this role; a non-AWS region is only accepted on a role "
                   f"whose rows are all of non-AWS kinds)", raw_roles.line_of(name))


def _role_account(name: str, spec: dict, where: int, errors: _Collector) -> tuple[str | None, ...]:
    """A role's (account, role_arn, external_id), each checked; the account defaults to the role ARN's."""
    account, role_arn, external_id = spec.get("account"), spec.get("role_arn"), spec.get("external_id")
    if account is not None and not (isinstance(account, str) and ACCOUNT_ID.match(account)):
        # an unquoted number loses leading zeros in YAML, so only a quoted string is an account id
        errors.add(f"role {name!r}: account must be a quoted 12-digit account id, e.g. \"123456789012\" "
                   f"(got {account!r})", where)
        account = None
    arn = ROLE_ARN.match(role_arn) if isinstance(role_arn, str) else None
    if role_arn is not None and arn is None:
        errors.add(f"role {name!r}: role_arn must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/dr-audit "
                   f"(got {role_arn!r})", where)
        role_arn = None
    if arn is not None and account is not None and arn.group("account") != account:
        errors.add(f"role {name!r}: role_arn is in account {arn.group('account')}, but account says {account}", where)
    if external_id is not None and (not isinstance(external_id, str) or not external_id or role_arn is None):
        errors.add(f"role {name!r}: external_id must be a string, given with a role_arn", where)
        external_id = None
    return (account or (arn.group("account") if arn else None)), role_arn, external_id


def _problems(raw: Any, line: int, errors: _Collector) -> dict[int, LineDict]:
    problems: dict[int, LineDict] = {}
    if raw is None:
        return problems
    if not isinstance(raw, LineList):
        errors.add("'problems' must be a list", line)
        return problems
    for item in raw:
        if not isinstance(item, LineDict):
            errors.add("a problem must be a mapping", line)
            continue
        pid = item.get("id")
        if not isinstance(pid, int) or isinstance(pid, bool):
            errors.add("a problem needs an integer id", item.line)
            continue
        if pid in problems:
            errors.add(f"duplicate problem id {pid}", item.line)
            continue
        for key in ("title", "severity"):
            if not isinstance(item.get(key), str):
                errors.add(f"problem {pid} needs a {key}", item.line)
        if item.get("severity") not in SEVERITIES:
            errors.add(f"problem {pid}: severity must be one of {SEVERITIES}", item.line_of("severity"))
        problems[pid] = item
    return problems


def _rows(raw: Any, line: int, roles: dict[str, Role], facts: dict, problems: dict,
          errors: _Collector) -> list[Row]:
    rows: list[Row] = []
    if not isinstance(raw, LineList) or not raw:
        errors.add("'rows' must be a non-empty list", line)
        return rows
    seen: dict[str, int] = {}
    for item in raw:
        if not isinstance(item, LineDict):
            errors.add("a row must be a mapping", line)
            continue
        row = _row(item, roles, facts, problems, errors)
        if row is None:
            continue
        if row.id in seen:
            errors.add(f"duplicate row id (first at line {seen[row.id]})", item.line_of("id"), row.id)
            continue
        seen[row.id] = item.line
        rows.append(row)
    return rows


def _row(item: LineDict, roles: dict[str, Role], facts: dict, problems: dict,
         errors: _Collector) -> Row | None:
    row_id = item.get("id")
    before = len(errors.errors)
    if row_id is None:
        errors.add("a row needs an id, UPPER-KEBAB-CASE, e.g. RDS-MULTIAZ-PRIMARY", item.line)
        row_id = f"(row at line {item.line})"
    elif not isinstance(row_id, str) or not ROW_ID.match(row_id):
        errors.add(f"row id {row_id!r} must be UPPER-KEBAB-CASE, e.g. RDS-MULTIAZ-PRIMARY", item.line_of("id"))
        row_id = str(row_id)

    def add(message: str, key: str | None = None) -> None:
        errors.add(message, item.line_of(key) if key else item.line, row_id)

    for key in item:
        if key not in ROW_KEYS:
            add(f"unknown key {key!r}", key)
    for key in ("clause", "title", "kind", "severity"):
        if not isinstance(item.get(key), str) and not (key == "clause" and isinstance(item.get(key), (int, float))):
            add(f"{key!r} is required", key if key in item else None)
    kind = item.get("kind")
    if item.get("severity") not in SEVERITIES:
        add(f"severity must be one of {list(SEVERITIES)}", "severity")
    managed_by = item.get("managed_by")
    if kind == POLICY_KIND:
        if managed_by is not None:
            add("a policy-coherence row has no managed_by", "managed_by")
    elif "measure" in item:
        if managed_by is not None:
            # a measurement exists only in the account: no Terraform declares a CloudWatch series
            add("a measured row has no managed_by: only the account's CloudWatch series are read", "managed_by")
    elif managed_by not in MANAGED_BY:
        add(f"managed_by must be one of {list(MANAGED_BY)}", "managed_by" if "managed_by" in item else None)
    if not isinstance(kind, str):
        return None  # reported above as required
    if kind != POLICY_KIND and kind not in KINDS:
        add(f"unknown kind {kind!r}{did_you_mean(kind, KINDS)} (known kinds: {', '.join(sorted(KINDS))}, "
            f"and {POLICY_KIND} for a comparator on the policy's own numbers)", "kind")
        return None
    role = item.get("role")
    if role is not None and not isinstance(role, str):
        add(f"role must be one role name of the policy header (policy roles: {sorted(roles)})", "role")
        role = None
    if role is not None and role not in roles:
        add(f"unknown role {role!r} (policy roles: {sorted(roles)})", "role")
    elif role is not None and kind in KINDS and _role_gives_only_a_region(KINDS[kind], roles[role], roles):
        add(f"kind {kind} is global: its rows have no region, and role {role!r} only gives one "
            f"({roles[role].region}): remove the role from the row", "role")
    if kind in KINDS and KINDS[kind].scope == "regional" and role is None and item.get("comparator") not in (
            "same_value", "disjoint_cidrs"):
        add(f"kind {kind} is regional: the row needs a role", None)
    problem = item.get("problem")
    if problem is not None and problem not in problems:
        add(f"problem {problem!r} is not one of the policy's problems {sorted(problems)}", "problem")
    unknown_ok = item.get("unknown_ok")
    if unknown_ok is not None and not isinstance(unknown_ok, str):
        add("unknown_ok must be the reason an unresolved value is acceptable", "unknown_ok")
    select = item.get("select") or {}
    if not isinstance(select, dict):
        add("select must map attributes to values", "select")
        select = {}
    if kind in KINDS:
        for attribute in select:
            if attribute not in KINDS[kind].attributes:
                add(f"select: {kind} has no attribute {attribute!r}", "select")
    for attribute, wanted in select.items():
        if isinstance(wanted, dict):
            add(f"select: {attribute} must be a plain value; operator maps such as "
                f"{{{', '.join(map(str, wanted))}: ...}} are not supported in select (it picks resources by "
                f"exact value): select by an exact value and check the pattern with op/value", "select")
    comparator = item.get("comparator")
    _check_when_absent(item, add)
    value_fact = _resolve_fact_value(item, facts, add)
    measure = None
    if comparator is not None:
        _check_comparator(item, kind, roles, facts, add)
        if "measure" in item:
            add("measure does not go with a comparator", "measure")
    elif kind == POLICY_KIND:
        add("a policy-coherence row needs a comparator", "kind")
    elif "measure" in item:
        measure = _check_measured_row(item, kind, add)
    else:
        _check_attribute_row(item, kind, add)
    if len(errors.errors) > before:
        return None
    return Row(id=row_id, clause=str(item["clause"]), title=item["title"], kind=kind,
               severity=item["severity"], managed_by=managed_by, line=item.line, role=role,
               select=dict(select), attribute=item.get("attribute"), op=item.get("op"),
               value=item.get("value"), aggregate=item.get("aggregate"), comparator=comparator,
               args=_plain(item.get("args") or {}), problem=problem, unknown_ok=unknown_ok,
               when_absent=item.get("when_absent", "fail"), derived=item.get("derived"), measure=measure,
               value_fact=value_fact)


def _resolve_fact_value(item: LineDict, facts: dict, add) -> str | None:
    """Replace ``value: {fact: a.b}`` by the fact's value; returns the path (None: a literal value).

    The row's own mapping is rewritten so every later check (and the Row) sees the number the
    fact holds, exactly as if it had been written there.
    """
    value = item.get("value")
    if not (isinstance(value, dict) and "fact" in value):
        return None
    path = value.get("fact")
    if set(value) != {"fact"} or not isinstance(path, str) or not path:
        add("value: {fact: PATH} takes one key, fact, naming a dotted path in facts, "
            "e.g. {fact: objectives.rpo_seconds}", "value")
        return None
    try:
        item["value"] = fact(facts, path)
    except KeyError:
        add(f"value: fact {path!r} is not defined in facts{did_you_mean(path, _fact_paths(facts))}", "value")
        item["value"] = _NO_FACT  # reported once: the shape checks pass over it
        return None
    return path


#: stands for a ``{fact: ...}`` value whose path is unknown (already reported)
_NO_FACT = object()


def _fact_paths(facts: Any, prefix: str = "") -> list[str]:
    """Every dotted path in ``facts``: ``objectives``, ``objectives.rpo_seconds``, ..."""
    paths = []
    for key, value in (facts.items() if isinstance(facts, dict) else []):
        path = f"{prefix}{key}"
        paths.append(path)
        paths += _fact_paths(value, f"{path}.")
    return paths


def _check_measured_row(item: LineDict, kind: str, add) -> Measure | None:
    """A measured row: a metric of its kind, a statistic and a window, compared with a number."""
    for key in ("attribute", "aggregate"):
        if key in item:
            add(f"{key!r} does not go with measure (the row compares the measured statistic)", key)
    measure = parse_measure(item["measure"], kind, lambda message: add(message, "measure"))
    op_name = item.get("op")
    if op_name not in MEASURE_OPERATORS:
        add(f"a measured row compares a number: op must be one of {', '.join(MEASURE_OPERATORS)} "
            f"(got {plain(op_name)})", "op" if "op" in item else None)
    value = item.get("value")
    if value is not _NO_FACT and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        add(f"a measured row needs a number as value (or {{fact: PATH}} naming one), not {plain(value)}",
            "value" if "value" in item else None)
    return measure


def _role_gives_only_a_region(kind: Any, role: Role, roles: dict[str, Role]) -> bool:
    """True when ``role`` on a row of global ``kind`` means nothing: the role only names a region
    (a global kind has none), no account to read and no region-less Terraform root. When any role of
    the policy names an account, every role picks one (a role without ``account`` picks the run's
    own), so the role is meaningful."""
    if any(other.account or other.role_arn for other in roles.values()):
        return False
    return kind.scope == "global" and role.region is not None and role.account is None and role.role_arn is None


def _check_when_absent(item: LineDict, add) -> None:
    """``when_absent`` belongs to rows that cover every resource of a kind and decide per resource."""
    if "when_absent" not in item:
        return
    value = item["when_absent"]
    if value not in WHEN_ABSENT:
        add(f"when_absent must be one of {list(WHEN_ABSENT)}, not {value!r}", "when_absent")
    elif item.get("select"):
        add("when_absent only goes with a row without select (a selected resource that is absent is "
            "always a failure)", "when_absent")
    elif item.get("comparator") is not None:
        add("when_absent does not go with a comparator (its targets are named resources)", "when_absent")
    elif item.get("op") == "exists" or item.get("aggregate") == "count":
        add("when_absent does not go with op: exists or aggregate: count (they decide themselves "
            "what no resource means)", "when_absent")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_comparator(item: LineDict, kind: str, roles: dict, facts: dict, add) -> None:
    name = item["comparator"]
    if not isinstance(name, str) or name not in COMPARATORS:
        add(f"unknown comparator {name!r} (known: {sorted(COMPARATORS)})", "comparator")
        return
    comparator = COMPARATORS[name]
    if comparator.needs_source == (kind == POLICY_KIND):
        add(f"comparator {name} {'needs a resource kind' if comparator.needs_source else 'only takes kind: policy'}",
            "kind")
        return
    for key in ("attribute", "op", "value", "aggregate"):
        if key in item:
            add(f"{key!r} does not go with a comparator (use args)", key)
    args = item.get("args") or {}
    if not isinstance(args, dict):
        add("args must be a mapping", "args")
        return
    for message in comparator.validate(args, facts):
        add(message, "args")
    if kind in KINDS:
        attribute = args.get("attribute")
        if isinstance(attribute, str) and attribute not in KINDS[kind].attributes:
            add(f"args.attribute: {kind} has no attribute {attribute!r}", "args")
        for target in args.get("targets") or []:
            if isinstance(target, dict):
                if target.get("role") is not None and target["role"] not in roles:
                    add(f"args.targets: unknown role {target['role']!r}", "args")
                for attribute in (target.get("select") or {}):
                    if attribute not in KINDS[kind].attributes:
                        add(f"args.targets: {kind} has no attribute {attribute!r}", "args")
                    elif isinstance(target["select"][attribute], dict):
                        add(f"args.targets: select: {attribute} must be a plain value; operator maps are not "
                            f"supported in select (it picks resources by exact value)", "args")
        if "destination_role" in args and args["destination_role"] not in roles:
            add(f"args.destination_role: unknown role {args['destination_role']!r}", "args")


_TYPE_CHECKS = {
    STR: lambda v: isinstance(v, str),
    INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    NUMBER: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    BOOL: lambda v: isinstance(v, bool),
    CIDR: lambda v: isinstance(v, str),
    STR_LIST: lambda v: isinstance(v, str),  # scalar ops on a list attribute compare an element
    INT_LIST: lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def _check_attribute_row(item: LineDict, kind: str, add) -> None:
    op_name = item.get("op")
    if not isinstance(op_name, str) or op_name not in OPERATORS:
        add(f"unknown operator {op_name!r} (known: {sorted(OPERATORS)})", "op" if "op" in item else None)
        return
    operator = OPERATORS[op_name]
    aggregate = item.get("aggregate")
    attribute = item.get("attribute")
    if aggregate is not None and aggregate not in AGGREGATES:
        add(f"unknown aggregate {aggregate!r} (known: {list(AGGREGATES)})", "aggregate")
        return
    if op_name == "exists":
        for key in ("attribute", "value", "aggregate"):
            if key in item:
                add(f"op exists takes no {key}", key)
        return
    if aggregate != "count":
        if not isinstance(attribute, str):
            add("attribute is required (or use op: exists / aggregate: count)", None)
            return
        if attribute not in KINDS[kind].attributes:
            add(f"{kind} has no attribute {attribute!r} (known: {sorted(KINDS[kind].attributes)})", "attribute")
            return
    elif attribute is not None:
        add("aggregate: count takes no attribute", "attribute")
    if "value" not in item:
        add("value is required", None)
        return
    value = item["value"]
    expects = operator.expects
    if value is _NO_FACT:
        return
    if expects == "list" and not isinstance(value, list):
        add(f"op {op_name} needs a list value", "value")
    elif expects == "number" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        add(f"op {op_name} needs a number", "value")
    elif expects in ("cidr", "regex") and not isinstance(value, str):
        add(f"op {op_name} needs a {'CIDR block' if expects == 'cidr' else 'regular expression'} written as "
            f"a string, not {plain(value)}", "value")
    elif expects == "cidr":
        try:
            network = ipaddress.ip_network(str(value), strict=True)
        except ValueError as exc:
            add(f"bad CIDR {value!r}: {exc}", "value")
        else:
            if str(network) != str(value):
                add(f"bad CIDR {value!r}: write it as {network}", "value")
    elif expects == "regex":
        try:
            re.compile(str(value))
        except re.error as exc:
            add(f"bad regular expression {value!r}: {exc}", "value")
    elif operator.value_problem is not None and operator.value_problem(value):
        add(f"op {op_name} {operator.value_problem(value)}, not {plain(value)}", "value")
    if aggregate is None and attribute is not None:
        _check_operator_fits(kind, attribute, op_name, add)
    if expects == "scalar" and aggregate is None and attribute is not None:
        attr_type = KINDS[kind].attributes[attribute].type
        check = _TYPE_CHECKS.get(attr_type)
        if check is not None and value is not None and not check(value):
            add(f"{kind}.{attribute} is {attr_type}; value {plain(value)} is not", "value")


_ANY_VALUE_OPS = {"eq", "ne", "in"}
_LIST_OPS = {"contains", "contains_all", "set_eq", "all_match", "subset_of"}
#: attribute type -> the operators that mean something on it (eq, ne and in fit every type)
OPERATORS_FOR_TYPE: dict[str, set[str]] = {
    STR: _ANY_VALUE_OPS | {"matches", "age_at_most"},  # age_at_most: a timestamp kept as ISO 8601 text
    INT: _ANY_VALUE_OPS | {"gte", "lte", "gt", "lt"},
    NUMBER: _ANY_VALUE_OPS | {"gte", "lte", "gt", "lt"},
    BOOL: set(_ANY_VALUE_OPS),
    CIDR: _ANY_VALUE_OPS | {"cidr_eq", "matches"},
    STR_LIST: _ANY_VALUE_OPS | _LIST_OPS,
    INT_LIST: _ANY_VALUE_OPS | _LIST_OPS - {"all_match"},
    MAP: {"has_key", "key_eq", "key_age_at_most"},  # key_age_at_most: a map of ISO 8601 timestamps
}


def _check_operator_fits(kind: str, attribute: str, op_name: str, add) -> None:
    """``op_name`` must make sense on the attribute's declared type (no ``contains`` on a string,
    ``gte`` on a bool, ``matches`` on a list): a misfit would be decided by accident."""
    attr_type = KINDS[kind].attributes[attribute].type
    fitting = OPERATORS_FOR_TYPE.get(attr_type)
    if fitting is not None and op_name not in fitting:
        add(f"op {op_name} does not apply to {kind}.{attribute}, which is {_TYPE_WORDS.get(attr_type, attr_type)} "
            f"(operators for it: {', '.join(sorted(fitting))})", "op")


_TYPE_WORDS = {STR: "a string", INT: "an integer", NUMBER: "a number", BOOL: "a boolean", CIDR: "a CIDR block",
               STR_LIST: "a list of strings", INT_LIST: "a list of integers", MAP: "a map"}
