"""Turn a row and the evidence into a Finding.

``source_evidence(row, lookup)`` answers for one source (what it holds, and
whether that meets the row). ``evaluate_static`` combines it into the
row's status for the static (policy x Terraform) audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dr_audit.comparators import COMPARATORS, Verdict
from dr_audit.findings import Finding, SourceEvidence, SourceState, Status
from dr_audit.inventory import AttributeValue, Inventory, Resource, unreadable
from dr_audit.kinds import KINDS, POLICY_KIND
from dr_audit.model import Policy, Row
from dr_audit.operators import OPERATORS
from dr_audit.terraform.values import Unknown


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
        return self.inventory.select(kind, self.region_of(role), select, self.mode,
                                     KINDS[kind].scope == "global")

    def errors_for(self, kind: str, role: str | None) -> list:
        return self.inventory.errors_for(kind, self.region_of(role))

    def absent(self, kind: str, role: str | None, select: dict, selection) -> Verdict:
        """The verdict when nothing matched: unresolved, unreadable, or missing."""
        where = f"{kind} {_describe(select)}" + (f" in {self.region_of(role)}" if KINDS[kind].scope == "regional" else "")
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
        kind_of = "data source" if self.mode == "data" else "resource"
        return Verdict(SourceState.MISSING, None, f"no {kind_of} {where}")

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


def _unresolved_state(value: Any) -> SourceState:
    """A value that could not be read is an ERROR; one not resolvable is UNRESOLVED."""
    return SourceState.ERROR if unreadable(value) else SourceState.UNRESOLVED


def _unknown_text(value: Any) -> str:
    if unreadable(value):
        return f"could not be read ({value.reason}): {value.expression}"
    if isinstance(value, Unknown):
        return f"unresolved ({value.reason}): {value.expression}"
    return f"unresolved: {value!r}"


def attribute_verdict(row: Row, lookup: Lookup) -> Verdict:
    """Evaluate an attribute, aggregate or existence row on one source."""
    selection = lookup.select(row.kind, row.role, row.select)
    operator = OPERATORS[row.op]
    if row.aggregate is None and not selection.matched:
        return lookup.absent(row.kind, row.role, row.select, selection)
    if row.aggregate is not None and selection.possible:
        return Verdict(SourceState.ERROR if selection.unreadable else SourceState.UNRESOLVED, None,
                       f"cannot count {row.kind} {_describe(row.select)}: {'; '.join(selection.reasons[:3])}")
    matched = selection.matched
    pairs = [(r, r.attributes.get(row.attribute)) for r in matched] if row.attribute else [(r, None) for r in matched]
    if row.op == "exists":
        return Verdict(SourceState.MEETS, len(matched), f"{len(matched)} found: {matched[0].address}", pairs)
    if row.aggregate == "count":
        actual = len(matched)
        if actual == 0 and lookup.errors_for(row.kind, row.role):
            return lookup.absent(row.kind, row.role, row.select, selection)
        return _compare(operator, actual, row.value, f"count of {row.kind} {_describe(row.select)}", pairs)
    for resource, found in pairs:
        if found is None or not found.known:
            value = found.value if found is not None else Unknown(row.attribute, "attribute not collected")
            return Verdict(_unresolved_state(value), None, f"{resource.address}.{row.attribute}: {_unknown_text(value)}",
                           [(resource, found)])
    if row.aggregate == "distinct":
        values = sorted({str(found.value) for _, found in pairs})
        if not values and lookup.errors_for(row.kind, row.role):
            return lookup.absent(row.kind, row.role, row.select, selection)
        return _compare(operator, values, row.value, f"distinct {row.attribute} of {row.kind}", pairs)
    verdicts = [_compare(operator, found.value, row.value, f"{resource.address}.{row.attribute}", [(resource, found)])
                for resource, found in pairs]
    failing = [v for v in verdicts if v.state is not SourceState.MEETS]
    return failing[0] if failing else verdicts[0]


def _compare(operator, actual: Any, expected: Any, subject: str, pairs) -> Verdict:
    try:
        ok = operator.test(actual, expected)
    except (TypeError, ValueError) as exc:
        return Verdict(SourceState.UNRESOLVED, actual, f"{subject} = {actual!r} cannot be compared: {exc}", pairs)
    shown = "" if operator.expects == "none" else f" (expected {operator.symbol} {expected!r})"
    return Verdict(SourceState.MEETS if ok else SourceState.VIOLATES, actual, f"{subject} = {actual!r}{shown}", pairs)


def source_evidence(row: Row, lookup: Lookup) -> SourceEvidence:
    """What one source holds for ``row`` and whether it meets it."""
    if row.comparator:
        verdict = COMPARATORS[row.comparator].evaluate(row, lookup)
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
    if verdict.state is SourceState.ERROR:
        evidence.error = verdict.detail
    return evidence


def _not_consulted(why: str) -> SourceEvidence:
    return SourceEvidence(SourceState.NOT_CONSULTED, None, why)


def _policy_finding(row: Row, policy: Policy, live: SourceEvidence) -> Finding:
    verdict = COMPARATORS[row.comparator].evaluate(row, policy.facts)
    status = Status.PASS if verdict.state is SourceState.MEETS else Status.FAIL
    message = ("the written policy is consistent: " if status is Status.PASS
               else "the written policy contradicts itself: ") + verdict.detail
    return Finding(row.id, status, message, _not_consulted("a check of the policy's own numbers"), live)


def code_evidence(row: Row, policy: Policy, terraform: Inventory) -> SourceEvidence:
    """What the Terraform says for ``row``, or why it is not consulted."""
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
        reason = f"{code.detail}; static mode does not read the account" if row.managed_by == "manual" else code.detail
        return Finding(row.id, Status.UNKNOWN, reason, code, live, skip_reason=reason)
    status, message, skip = _static_status(row, code)
    return Finding(row.id, status, message, code, live, skip_reason=skip)


def _terraform_only(row: Row) -> str | None:
    """Why the account is never consulted for ``row`` (its kind has no live collector), else None."""
    kind = KINDS.get(row.kind)
    if kind is None or not kind.terraform_only:
        return None
    return f"Terraform only: no live collector reads {kind.provider} resources"


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
    return _one_source_finding(row, code, live)


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
