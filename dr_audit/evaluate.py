"""Turn a row and the evidence into a Finding.

``source_evidence(row, lookup)`` answers for one source (what it holds, and
whether that meets the row). ``evaluate_static`` combines it into the
row's status for the static (policy x Terraform) audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dr_audit.comparators import COMPARATORS, Verdict
from dr_audit.findings import Finding, ResourceCheck, SourceEvidence, SourceState, Status, plain
from dr_audit.inventory import AttributeValue, Inventory, Resource, unreadable
from dr_audit.kinds import KINDS, POLICY_KIND
from dr_audit.measured import measurement_verdicts
from dr_audit.model import Policy, Row
from dr_audit.operators import OPERATORS
from dr_audit.terraform.values import Unknown, is_known


@dataclass
class ValueOutcome:
    """One resource's attribute for a comparator, or the verdict that ends the row."""

    value: Any = None
    attribute: AttributeValue | None = None
    resource: Resource | None = None
    label: str = ""
    stop: Verdict | None = None


class Lookup:
    """Selection over one source's inventory, in the policy's terms (roles)."""

    def __init__(self, policy: Policy, inventory: Inventory, mode: str = "managed"):
        self.policy = policy
        self.inventory = inventory
        self.mode = mode

    def region_of(self, role: str | None) -> str | None:
        return self.policy.region_of(role)

    def select(self, kind: str, role: str | None, select: dict):
        # a role in another account sees only that account's resources (one account: all of them)
        return self.inventory.select(kind, self.region_of(role), select, self.mode,
                                     KINDS[kind].scope == "global", self.inventory.account_for(role))

    def errors_for(self, kind: str, role: str | None) -> list:
        return self.inventory.errors_for(kind, self.region_of(role), self.inventory.account_for(role))

    def gaps_for(self, kind: str, role: str | None) -> list:
        """The places this source could not see that could hide a ``kind`` resource of ``role``."""
        return self.inventory.gaps_for(kind, self.region_of(role))

    def where(self, kind: str, role: str | None, select: dict) -> str:
        """What a row looks for, for people: 'rds_instance identifier=db in eu-west-1'."""
        subject = f"{kind} {_describe(select)}" if select else kind
        if KINDS[kind].scope != "regional":
            return subject
        region = self.region_of(role)
        return f"{subject} in {region}" if region is not None else f"{subject} in any region"

    def absent(self, kind: str, role: str | None, select: dict, selection) -> Verdict:
        """The verdict when nothing matched: unresolved, unreadable, hidden by a gap, or missing."""
        where = self.where(kind, role, select)
        if selection.unreadable:
            return Verdict(SourceState.ERROR, None,
                           f"{where}: cannot tell which resource is meant: {'; '.join(selection.reasons[:3])}")
        if selection.possible:
            return Verdict(SourceState.UNRESOLVED, None,
                           f"{where}: cannot tell which resource is meant: {'; '.join(selection.reasons[:3])}")
        errors = self.errors_for(kind, role)
        if errors:
            unread = "; ".join(str(e) for e in errors[:3])
            return Verdict(SourceState.ERROR, None,
                           f"{where} not found, and {len(errors)} input(s) could not be read: {unread}")
        gaps = self.gaps_for(kind, role)
        if gaps:
            return Verdict(SourceState.UNRESOLVED, None, f"{where} not found, but {_gap_text(gaps)}")
        kind_of = "data source" if self.mode == "data" else "resource"
        return Verdict(SourceState.MISSING, None, f"no {kind_of} {where}{selection.not_counted_text()}",
                       checks=_not_counted_checks(self.inventory.source, selection))

    def single_value(self, kind: str, role: str | None, select: dict, attribute: str) -> ValueOutcome:
        selection = self.select(kind, role, select)
        if not selection.matched:
            return ValueOutcome(stop=self.absent(kind, role, select, selection))
        if len(selection.matched) > 1:
            addresses = ", ".join(r.address for r in selection.matched[:4])
            return ValueOutcome(stop=Verdict(SourceState.UNRESOLVED, None,
                                             f"{kind} {_describe(select)} matches {len(selection.matched)} resources: {addresses}"))
        resource = selection.matched[0]
        found = resource.attributes.get(attribute) or AttributeValue(
            Unknown(f"{resource.address}.{attribute}", "attribute not collected"))
        if not found.known:
            return ValueOutcome(stop=Verdict(_unresolved_state(found.value), None,
                                             f"{resource.address}.{attribute}: {_unknown_text(found.value)}",
                                             [(resource, found)]))
        label = role or _describe(select)
        return ValueOutcome(found.value, found, resource, label)


def _describe(select: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in select.items()) or "(any)"


def _gap_text(gaps: list) -> str:
    """Why a source may not show every resource: its gaps, named (at most three)."""
    shown = "; ".join(str(g) for g in gaps[:3])
    more = f" (and {len(gaps) - 3} more)" if len(gaps) > 3 else ""
    return f"{len(gaps)} place(s) could not be seen and could hide one: {shown}{more}"


def _unresolved_state(value: Any) -> SourceState:
    """A value that could not be read is an ERROR; one not resolvable is UNRESOLVED."""
    return SourceState.ERROR if unreadable(value) else SourceState.UNRESOLVED


def _unknown_text(value: Any) -> str:
    if unreadable(value):
        return f"could not be read ({value.reason}): {value.expression}"
    if isinstance(value, Unknown):
        return f"unresolved ({value.reason}): {value.expression}"
    return f"unresolved: {plain(value)}"


def _check(resource: Resource, found: AttributeValue | None, state: SourceState, reason: str,
           value: Any = None) -> ResourceCheck:
    """One matched resource's line in the evidence: where it is, its value and its own verdict."""
    return ResourceCheck(
        source=resource.source, address=resource.address, verdict=state.value, reason=reason,
        value=value if is_known(value) else None,
        file=found.file if found is not None and found.file else resource.file,
        line=found.line if found is not None and found.line else resource.line,
        region=resource.region if isinstance(resource.region, str) else None,
        account=getattr(resource, "account", None))


def _not_counted_checks(source: str, selection) -> list[ResourceCheck]:
    """Resources that matched but are out of service: listed, as violating (they cannot meet a row)."""
    checks = []
    for entry in getattr(selection, "not_counted", None) or []:
        address, _, why = entry.rpartition(": ")
        checks.append(ResourceCheck(source, address or entry, SourceState.VIOLATES.value,
                                    f"present but not counted: {why}"))
    return checks


def attribute_verdict(row: Row, lookup: Lookup) -> Verdict:
    """Evaluate an attribute, aggregate or existence row on one source.

    Every matched resource gets its own verdict (``Verdict.checks``). The
    source violates when one visible resource does, even if others are
    unresolved; it is unresolved when nothing visible violates and a value, a
    possible match or (for a row without ``select``) a gap leaves it open.
    """
    selection = lookup.select(row.kind, row.role, row.select)
    if row.aggregate is not None:
        return _aggregate_verdict(row, lookup, selection)
    if not selection.matched:
        return lookup.absent(row.kind, row.role, row.select, selection)
    matched = selection.matched
    if row.op == "exists":
        checks = [_check(r, None, SourceState.MEETS, "present") for r in matched]
        return Verdict(SourceState.MEETS, len(matched), f"{len(matched)} found: {matched[0].address}",
                       [(r, None) for r in matched], checks)
    verdicts = [_resource_verdict(row, resource) for resource in matched]
    return _combined(row, verdicts, selection, _open_ends(row, lookup, selection))


def _open_ends(row: Row, lookup: Lookup, selection) -> list[str]:
    """What may hide a resource from an all-of-a-kind row: unresolved selections and module gaps."""
    if not row.all_of_kind:
        return []
    open_ends = list(selection.reasons[:3])
    gaps = lookup.gaps_for(row.kind, row.role)
    if gaps:
        open_ends.append(_gap_text(gaps))
    return open_ends


def measured_verdict(row: Row, lookup: Lookup) -> Verdict:
    """A measured row on the account: each selected resource's series against the row.

    Every series is one resource check (with its datapoints); they combine as
    an attribute row's resources do. The series were read before any row was
    evaluated (``dr_audit.measurements``) and ride on the inventory.
    """
    selection = lookup.select(row.kind, row.role, row.select)
    if not selection.matched:
        return lookup.absent(row.kind, row.role, row.select, selection)
    measurements = getattr(lookup.inventory, "measurements", None)
    verdicts = [v for resource in selection.matched for v in measurement_verdicts(row, resource, measurements)]
    return _combined(row, verdicts, selection, _open_ends(row, lookup, selection))


#: a measured row's code side: Terraform declares resources, never what they achieved
MEASURED_NOT_IN_CODE = ("a measurement: Terraform declares no CloudWatch series, so only the account can show "
                        "what was achieved (the row compares the account alone)")


def _resource_verdict(row: Row, resource: Resource) -> Verdict:
    """One resource's attribute against the row: meets, violates, unresolved or error."""
    found = resource.attributes.get(row.attribute)
    subject = f"{resource.address}.{row.attribute}"
    if found is None or not found.known:
        value = found.value if found is not None else Unknown(subject, "attribute not collected")
        detail = f"{subject}: {_unknown_text(value)}"
        state = _unresolved_state(value)
        return Verdict(state, None, detail, [(resource, found)], [_check(resource, found, state, _unknown_text(value))])
    verdict = _compare(OPERATORS[row.op], found.value, row.value, subject, [(resource, found)])
    reason = verdict.detail[len(subject):].lstrip(" =:") if verdict.detail.startswith(subject) else verdict.detail
    verdict.checks = [_check(resource, found, verdict.state, reason, found.value)]
    return verdict


#: which resource's verdict speaks for the source, most decisive first
_PRECEDENCE = (SourceState.VIOLATES, SourceState.ERROR, SourceState.UNRESOLVED, SourceState.MEETS)
_TALLY = {SourceState.VIOLATES: "violating", SourceState.ERROR: "unreadable", SourceState.UNRESOLVED: "unresolved"}


def _combined(row: Row, verdicts: list[Verdict], selection, open_ends: list[str]) -> Verdict:
    """The source's verdict over every matched resource (see ``attribute_verdict``).

    ``open_ends``: what could hide a further resource (possible matches, gaps);
    they leave a source that otherwise meets UNRESOLVED.
    """
    checks = [c for v in verdicts for c in v.checks]
    possible = selection.possible if row.all_of_kind else []
    checks += [_check(r, None, SourceState.UNRESOLVED, reason.partition(": ")[2] or reason)
               for r, reason in zip(possible, selection.reasons)]
    checks += _not_counted_checks(selection.matched[0].source, selection)
    total = len(verdicts)
    by_state = {state: [v for v in verdicts if v.state is state] for state in _PRECEDENCE}
    for state in _PRECEDENCE[:3]:
        if by_state[state]:
            first = by_state[state][0]
            tally = f" ({_TALLY[state]}: {len(by_state[state])} of {total} {row.kind} resources)" if total > 1 else ""
            return Verdict(state, first.value, first.detail + tally, first.evidence, checks)
    first = verdicts[0]
    if open_ends:
        return Verdict(SourceState.UNRESOLVED, None,
                       f"{first.detail}; every visible {row.kind} meets the policy ({total}), but "
                       + "; ".join(open_ends), first.evidence, checks)
    tally = f" (all {total} {row.kind} resources meet)" if total > 1 else ""
    return Verdict(SourceState.MEETS, _common_value([v.value for v in verdicts]), first.detail + tally,
                   first.evidence, checks)


def _common_value(values: list) -> Any:
    """One value when every resource has it, else the distinct values (so code and account compare as sets)."""
    distinct: dict[str, Any] = {}
    for value in values:
        distinct.setdefault(plain(value), value)
    return next(iter(distinct.values())) if len(distinct) == 1 else [distinct[k] for k in sorted(distinct)]


def _aggregate_verdict(row: Row, lookup: Lookup, selection) -> Verdict:
    """A count or distinct row: one verdict over every selected resource, each listed."""
    if selection.possible:
        return Verdict(SourceState.ERROR if selection.unreadable else SourceState.UNRESOLVED, None,
                       f"cannot count {lookup.where(row.kind, row.role, row.select)}: "
                       f"{'; '.join(selection.reasons[:3])}")
    matched = selection.matched
    errors = lookup.errors_for(row.kind, row.role)
    if not matched and (errors or row.when_absent == "not_applicable"):
        return lookup.absent(row.kind, row.role, row.select, selection)
    pairs = [(r, r.attributes.get(row.attribute) if row.attribute else None) for r in matched]
    gaps = lookup.gaps_for(row.kind, row.role)
    if row.aggregate == "count":
        verdict = _count_verdict(row, lookup, len(matched), pairs, gaps)
    else:
        verdict = _distinct_verdict(row, pairs, gaps)
    if not verdict.checks:
        verdict.checks = [_check(r, found, verdict.state, _aggregate_reason(row, found),
                                 found.value if found is not None else None) for r, found in pairs]
    verdict.checks += _not_counted_checks(lookup.inventory.source, selection)
    return verdict


def _aggregate_reason(row: Row, found: AttributeValue | None) -> str:
    """Why a resource is listed under an aggregate row: it was counted, or it gave this value."""
    if row.aggregate == "count":
        return "counted"
    if found is None or not found.known:
        return _unknown_text(found.value if found is not None else Unknown(row.attribute, "attribute not collected"))
    return f"{row.attribute} is not set" if found.value is None else f"{row.attribute} = {plain(found.value)}"


def _count_verdict(row: Row, lookup: Lookup, actual: int, pairs: list, gaps: list) -> Verdict:
    """The number of resources against the row; a gap could hide more, so it leaves the count open."""
    subject = f"count of {lookup.where(row.kind, row.role, row.select)}"
    if gaps:
        return Verdict(SourceState.UNRESOLVED, None, f"{subject}: {actual} visible, but {_gap_text(gaps)}", pairs)
    return _compare(OPERATORS[row.op], actual, row.value, f"count of {row.kind} {_describe(row.select)}", pairs)


def _distinct_verdict(row: Row, pairs: list, gaps: list) -> Verdict:
    """The set of the resources' values against the row (a null value is "not set")."""
    for resource, found in pairs:
        if found is None or not found.known:
            value = found.value if found is not None else Unknown(row.attribute, "attribute not collected")
            state = _unresolved_state(value)
            return Verdict(state, None, f"{resource.address}.{row.attribute}: {_unknown_text(value)}",
                           [(resource, found)])
    values = sorted({"not set" if found.value is None else str(found.value) for _, found in pairs})
    subject = f"distinct {row.attribute} of {row.kind}"
    if gaps:
        return Verdict(SourceState.UNRESOLVED, None, f"{subject}: {plain(values)} visible, but {_gap_text(gaps)}",
                       pairs)
    return _compare(OPERATORS[row.op], values, row.value, subject, pairs)


#: what an operator needs, for the message when a value is of another shape
_NEEDS = {"number": "a number", "list": "a list", "cidr": "a CIDR block", "regex": "text",
          "scalar": "a single value", "seconds": "an ISO 8601 timestamp with a time zone"}


def _compare(operator, actual: Any, expected: Any, subject: str, pairs) -> Verdict:
    """``subject = actual`` against the row's operator; a null actual is "not set" (see operators.py)."""
    shown = "" if operator.expects == "none" else f" (expected {operator.symbol} {plain(expected)})"
    if actual is None and operator.needs_value:
        return Verdict(SourceState.VIOLATES, None, f"{subject} is not set{shown}", pairs)
    try:
        ok = operator.test(actual, expected)
    except (TypeError, ValueError):
        return Verdict(SourceState.UNRESOLVED, actual,
                       f"{subject} = {plain(actual)} is not {_NEEDS.get(operator.expects, 'comparable')}{shown}", pairs)
    state = SourceState.MEETS if ok else SourceState.VIOLATES
    said = f"{subject} is not set" if actual is None else f"{subject} = {plain(actual)}"
    why = operator.explain(actual, expected) if not ok and operator.explain is not None else None
    return Verdict(state, actual, f"{said}{shown}" + (f": {why}" if why else ""), pairs)


def source_evidence(row: Row, lookup: Lookup) -> SourceEvidence:
    """What one source holds for ``row`` and whether it meets it, with every matched resource."""
    if row.comparator:
        verdict = COMPARATORS[row.comparator].evaluate(row, lookup)
    elif row.measure is not None:
        verdict = measured_verdict(row, lookup)
    else:
        verdict = attribute_verdict(row, lookup)
    evidence = SourceEvidence(verdict.state, verdict.value, verdict.detail)
    decided = [p for p in (verdict.evidence or []) if isinstance(p, tuple)]
    attrs = [p for p in (verdict.evidence or []) if isinstance(p, AttributeValue)]
    if decided:
        resource, found = decided[0]
        evidence.address = resource.address
        evidence.file = (found.file if found is not None and found.file else resource.file)
        evidence.line = (found.line if found is not None and found.line else resource.line)
        evidence.region = resource.region if isinstance(resource.region, str) else None
        if found is not None and found.note:
            evidence.detail += f" [{found.note}]"
    elif attrs:
        evidence.file, evidence.line = attrs[0].file, attrs[0].line
    evidence.resources = verdict.checks or [
        _check(resource, found, verdict.state, f"compared by {row.comparator}" if row.comparator else verdict.detail,
               found.value if found is not None else None)
        for resource, found in decided if resource is not None]
    if verdict.state is SourceState.ERROR:
        evidence.error = verdict.detail
    return evidence


def _not_applicable(row: Row, code: SourceEvidence, live: SourceEvidence) -> Finding | None:
    """NOT_APPLICABLE when an all-of-a-kind row with ``when_absent: not_applicable`` finds no
    resource of its kind in any consulted source (a read error or a gap is never "none"), else None."""
    if row.when_absent != "not_applicable" or not row.all_of_kind:
        return None
    consulted = [(name, e) for name, e in (("Terraform", code), ("account", live))
                 if e.state is not SourceState.NOT_CONSULTED]
    if not consulted or any(e.state is not SourceState.MISSING or e.resources for _, e in consulted):
        return None
    said = "; ".join(f"{name}: {e.detail}" for name, e in consulted)
    reason = f"the row covers every {row.kind} and there is none ({said}); when_absent: not_applicable"
    return Finding(row.id, Status.NOT_APPLICABLE, reason, code, live, skip_reason=reason)


def _not_consulted(why: str) -> SourceEvidence:
    return SourceEvidence(SourceState.NOT_CONSULTED, None, why)


def _policy_finding(row: Row, policy: Policy, live: SourceEvidence) -> Finding:
    verdict = COMPARATORS[row.comparator].evaluate(row, policy.facts)
    status = Status.PASS if verdict.state is SourceState.MEETS else Status.FAIL
    message = ("the written policy is consistent: " if status is Status.PASS
               else "the written policy contradicts itself: ") + verdict.detail
    return Finding(row.id, status, message, _not_consulted("a check of the policy's own numbers"), live)


def _account_only(row: Row) -> str | None:
    """Why the code is not consulted for a row of a kind no Terraform type declares (read from the
    account only, such as the jobs AWS Backup ran), else None."""
    kind = KINDS.get(row.kind)
    if kind is None or kind.terraform or kind.collect is None:
        return None
    return (f"{row.kind} is read from the account only: no Terraform resource type declares one, "
            f"so the row compares the account alone")


def code_evidence(row: Row, policy: Policy, terraform: Inventory) -> SourceEvidence:
    """What the Terraform says for ``row``, or why it is not consulted."""
    if row.measure is not None:
        return _not_consulted(MEASURED_NOT_IN_CODE)
    account_only = _account_only(row)
    if account_only:
        return _not_consulted(account_only)
    if row.managed_by == "manual":
        return _not_consulted("not declared in Terraform (managed_by: manual, set by hand or by another service): "
                              "only the account can show it")
    if row.managed_by == "data" and not (row.op == "exists" and not row.comparator):
        return _not_consulted("referenced as a Terraform data source: its values are read from the account at plan time")
    return source_evidence(row, Lookup(policy, terraform, "data" if row.managed_by == "data" else "managed"))


def live_evidence(row: Row, policy: Policy, live: Inventory) -> SourceEvidence:
    """What the account holds for ``row``; region and ARN/id as provenance."""
    evidence = source_evidence(row, Lookup(policy, live, "managed"))
    evidence.id, evidence.file, evidence.line = evidence.address, None, None
    return evidence


def evaluate_static(row: Row, policy: Policy, terraform: Inventory) -> Finding:
    """The static audit's verdict for ``row``: the policy against the code only."""
    live = _not_consulted("static mode: the account is not read")
    if row.kind == POLICY_KIND:
        return _policy_finding(row, policy, live)
    code = code_evidence(row, policy, terraform)
    if code.state is SourceState.NOT_CONSULTED:
        reason = (f"{code.detail}; static mode does not read the account"
                  if row.managed_by == "manual" or row.measure is not None or _account_only(row) else code.detail)
        return Finding(row.id, Status.UNKNOWN, reason, code, live, skip_reason=reason)
    not_applicable = _not_applicable(row, code, live)
    if not_applicable is not None:
        return not_applicable
    status, message, skip = _static_status(row, code)
    return Finding(row.id, status, message, code, live, skip_reason=skip)


def _terraform_only(row: Row) -> str | None:
    """Why the account is never consulted for ``row``, else None (see ``Kind.code_only_reason``)."""
    kind = KINDS.get(row.kind)
    return kind.code_only_reason(row.attribute) if kind is not None else None


def evaluate_live(row: Row, policy: Policy, live_inventory: Inventory) -> Finding:
    """``--dr-mode live``: the policy against the account alone."""
    if row.kind == POLICY_KIND:
        return _policy_finding(row, policy, _not_consulted("a check of the policy's own numbers"))
    only_code = _terraform_only(row)
    if only_code:
        reason = f"{only_code}; live mode does not read Terraform"
        return Finding(row.id, Status.UNKNOWN, reason, _not_consulted("live mode: Terraform is not read"),
                       _not_consulted(only_code), skip_reason=reason)
    live = live_evidence(row, policy, live_inventory)
    code = _not_consulted("live mode: Terraform is not read")
    return _not_applicable(row, code, live) or _one_source_finding(row, code, live)


def evaluate_full(row: Row, policy: Policy, terraform: Inventory, live_inventory: Inventory) -> Finding:
    """The three-way verdict: the policy against the code and the account."""
    if row.kind == POLICY_KIND:
        return _policy_finding(row, policy, _not_consulted("a check of the policy's own numbers"))
    only_code = _terraform_only(row)
    if only_code:
        finding = evaluate_static(row, policy, terraform)
        finding.live = _not_consulted(only_code)
        finding.message = f"{only_code}; {finding.message}"
        return finding
    code = code_evidence(row, policy, terraform)
    live = live_evidence(row, policy, live_inventory)
    not_applicable = _not_applicable(row, code, live)
    if not_applicable is not None:
        return not_applicable
    if code.state is SourceState.NOT_CONSULTED:
        return _one_source_finding(row, code, live)
    status, message, skip = _three_way_status(row, code, live)
    return Finding(row.id, status, message, code, live, skip_reason=skip)


def _at(evidence: SourceEvidence) -> str:
    where = evidence.location()
    if evidence.region and evidence.file is None:
        where = f"{where} in {evidence.region}" if where else evidence.region
    return f" at {where}" if where else ""


def _one_source_finding(row: Row, code: SourceEvidence, live: SourceEvidence) -> Finding:
    """The verdict when only the account is consulted (manual rows, live mode)."""
    at = _at(live)
    skip = None
    if live.state is SourceState.MEETS:
        status, message = Status.PASS, f"account meets the policy: {live.detail}{at}"
    elif live.state is SourceState.VIOLATES:
        status, message = Status.FAIL, f"account violates the policy: {live.detail}{at}"
    elif live.state is SourceState.MISSING:
        status, message = Status.FAIL, f"the policy requires it in the account, but: {live.detail}"
    elif live.state is SourceState.ERROR:
        status, message = Status.ERROR, f"the account could not be read: {live.detail}"
    else:
        status, message = Status.UNKNOWN, f"account value unresolved: {live.detail}{at}"
        skip = f"allowed by the policy: {row.unknown_ok}" if row.unknown_ok else None
    return Finding(row.id, status, message, code, live, skip_reason=skip)


_PRESENT = (SourceState.MEETS, SourceState.VIOLATES)


def _three_way_status(row: Row, code: SourceEvidence, live: SourceEvidence) -> tuple[Status, str, str | None]:
    """Combine the code's and the account's answers into DESIGN.md's status."""
    c, a = code.state, live.state
    code_says = f"code: {code.detail}{_at(code)}"
    live_says = f"account: {live.detail}{_at(live)}"
    if SourceState.ERROR in (c, a):
        unread = [f"Terraform: {code.detail}"] if c is SourceState.ERROR else []
        unread += [f"account: {live.detail}"] if a is SourceState.ERROR else []
        return Status.ERROR, "evidence could not be read: " + "; ".join(unread), None
    if c in _PRESENT and a is SourceState.MISSING:
        return Status.UNDEPLOYED, f"declared in Terraform, absent in the account: {live.detail} ({code_says})", None
    if c is SourceState.MISSING and a in _PRESENT:
        if row.managed_by == "terraform":
            return Status.UNMANAGED, f"present in the account, absent from Terraform: {code.detail} ({live_says})", None
    if c is SourceState.MISSING and a is SourceState.MISSING:
        return Status.FAIL, f"the policy requires it, but neither the code nor the account has it: {code.detail}", None
    if c in _PRESENT and a in _PRESENT:
        same = _same(code.value, live.value)
        if c is a and same:
            if c is SourceState.MEETS:
                return Status.PASS, f"code and account meet the policy: {live.detail}{_at(live)}; {code_says}", None
            return Status.FAIL, f"code and account violate the policy: {live_says}; {code_says}", None
        if c is SourceState.MEETS and a is SourceState.MEETS:
            return Status.DRIFT, f"code and account differ (both meet the policy): {code_says}; {live_says}", None
        if c is SourceState.MEETS:
            return Status.DRIFT, f"code meets the policy, the account does not: {code_says}; {live_says}", None
        if a is SourceState.MEETS:
            return Status.DRIFT, f"the account meets the policy, the code does not: {live_says}; {code_says}", None
        return Status.DRIFT, f"code and account differ and neither meets the policy: {code_says}; {live_says}", None
    if a is SourceState.VIOLATES:
        return Status.FAIL, f"account violates the policy ({live_says}); code unresolved: {code.detail}", None
    if c is SourceState.VIOLATES and a is not SourceState.UNRESOLVED:
        return Status.FAIL, f"code violates the policy ({code_says}); account: {live.detail}", None
    if a is SourceState.MEETS and c is SourceState.UNRESOLVED and row.unknown_ok:
        return Status.PASS, (f"account meets the policy: {live.detail}{_at(live)}; the code value is known only "
                             f"at apply time ({row.unknown_ok}): {code.detail}"), None
    message = f"unresolved: {code_says}; {live_says}"
    return Status.UNKNOWN, message, (f"allowed by the policy: {row.unknown_ok}" if row.unknown_ok else None)


def _same(left: Any, right: Any) -> bool:
    """Code and account values equal, ignoring int/float and list order."""
    if isinstance(left, list) and isinstance(right, list):
        try:
            return sorted(map(repr, left)) == sorted(map(repr, right))
        except TypeError:
            return left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)) and not isinstance(left, bool):
        return float(left) == float(right)
    return left == right
def _static_status(row: Row, code: SourceEvidence) -> tuple[Status, str, str | None]:
    where = f" at {code.location()}" if code.location() else ""
    if code.state is SourceState.MEETS:
        return Status.PASS, f"code meets the policy: {code.detail}{where}", None
    if code.state is SourceState.VIOLATES:
        return Status.FAIL, f"code violates the policy: {code.detail}{where}", None
    if code.state is SourceState.MISSING:
        return Status.FAIL, f"the policy requires it in Terraform, but: {code.detail}", None
    if code.state is SourceState.ERROR:
        return Status.ERROR, f"Terraform could not be fully read: {code.detail}", None
    message = f"code value unresolved: {code.detail}{where}"
    if row.unknown_ok:
        return Status.UNKNOWN, message, f"allowed by the policy: {row.unknown_ok}"
    return Status.UNKNOWN, message, None
