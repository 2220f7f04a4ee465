"""The normalized inventory both collectors produce, and selection over it.

A :class:`Resource` is one thing of a kind (see :mod:`dr_audit.kinds`) as one source
saw it, with an :class:`AttributeValue` per attribute carrying provenance.
Selection answers which resources a row means, keeping "definitely" apart
from "maybe" (a selector attribute that could not be resolved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dr_audit.errors import SourceError
from dr_audit.terraform.values import Unknown, is_known


#: "resources of every account": what a selection means when the source is one account
ANY_ACCOUNT = "*"


@dataclass(frozen=True)
class Unreadable(Unknown):
    """A value that exists but could not be read: the API call for it failed.

    Rows that need it are ERROR, never UNKNOWN and never PASS.
    """


def unreadable(value: Any) -> bool:
    return isinstance(value, Unreadable)


@dataclass(frozen=True)
class AttributeValue:
    """A normalized attribute value and where it came from.

    ``value`` is plain data or :class:`Unknown`. For Terraform, ``file`` and
    ``line`` locate the argument (or the block, for defaults, with a
    ``note``); ``expression`` is the text as written.
    """

    value: Any
    file: str | None = None
    line: int | None = None
    expression: str | None = None
    note: str | None = None

    @property
    def known(self) -> bool:
        return is_known(self.value)


@dataclass
class Resource:
    """One resource of a kind, as one source (terraform or aws) saw it."""

    kind: str
    source: str
    address: str
    region: Any
    attributes: dict[str, AttributeValue]
    mode: str = "managed"
    file: str | None = None
    line: int | None = None
    root: str | None = None
    presence: Unknown | None = None
    #: the AWS account the resource was read from (live evidence; None for Terraform)
    account: str | None = None
    #: live only: why the resource cannot meet any row although it exists, from its state
    #: ("status CREATING", "disabled"); selection leaves it out and says why (see ``not_counted``)
    out_of_service: str | None = None

    def value(self, attribute: str) -> Any:
        found = self.attributes.get(attribute)
        return found.value if found is not None else Unknown(
            f"{self.address}.{attribute}", "attribute not collected")

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.file else self.address


@dataclass
class Selection:
    """Which resources a selector matched: surely, and possibly."""

    matched: list[Resource]
    possible: list[Resource]
    reasons: list[str] = field(default_factory=list)
    unreadable: bool = False  # a candidate could not be told apart because a read failed
    #: "address: why" for resources that match but are out of service (failed, transitional, disabled)
    not_counted: list[str] = field(default_factory=list)

    def not_counted_text(self) -> str:
        """``"; present but not counted: <address>: <state>"`` when something matched out of service, else ""."""
        return f"; present but not counted: {'; '.join(self.not_counted[:3])}" if self.not_counted else ""


@dataclass
class Inventory:
    """All resources one source produced, and the errors met producing them."""

    source: str
    resources: list[Resource] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)
    #: values the source holds that must never be printed (see dr_audit.secrets)
    secrets: set[str] = field(default_factory=set)
    #: what parsing cost (Terraform only): trees parsed, and reused from memory or disk
    parse_stats: dict[str, int] = field(default_factory=dict)
    #: places whose resources could not be seen although nothing failed to read
    #: (Terraform: a remote module without ``.terraform/modules``): rows whose evidence
    #: could lie there are UNKNOWN, never ERROR and never PASS (see ``gaps_for``)
    gaps: list = field(default_factory=list)
    #: live only: the measured rows' CloudWatch series (dr_audit.measured.MeasurementSet), None when
    #: the policy has no measured row or the account was not read
    measurements: Any = None

    def gaps_for(self, kind: str, region: str | None) -> list:
        """The gaps that could hide a ``kind`` resource in ``region`` (a gap with ``affects`` decides)."""
        return [g for g in self.gaps if not hasattr(g, "affects") or g.affects(kind, region)]

    #: live, when the policy names accounts: policy role (None: rows naming none) -> the account its
    #: rows read; empty when the source is one account (Terraform, or a live run naming none)
    role_accounts: dict = field(default_factory=dict)

    def account_for(self, role: str | None) -> str | None:
        """The account ``role``'s evidence must come from; ANY_ACCOUNT when the source is one account."""
        if not self.role_accounts:
            return ANY_ACCOUNT
        return self.role_accounts.get(role, self.role_accounts.get(None))

    def errors_for(self, kind: str, region: str | None, account: str | None = ANY_ACCOUNT) -> list:
        """The read errors that could hide a ``kind`` resource in ``region`` (of ``account``, when
        given: an error that names another account hides nothing there).

        Terraform errors (an unreadable file) may hide anything; an AWS error
        names the kind and region it failed for (``affects``).
        """
        return [e for e in self.errors if (not hasattr(e, "affects") or e.affects(kind, region))
                and (account == ANY_ACCOUNT or getattr(e, "account", account) == account)]

    def of_kind(self, kind: str) -> list[Resource]:
        """The resources of ``kind``, in collection order (indexed once the list stops growing)."""
        index = self.__dict__.get("_index")
        if index is None or index[0] != len(self.resources):
            by_kind: dict[str, list[Resource]] = {}
            for resource in self.resources:
                by_kind.setdefault(resource.kind, []).append(resource)
            index = self.__dict__["_index"] = (len(self.resources), by_kind)
        return index[1].get(kind, [])

    def _candidates(self, kind: str, select: dict[str, Any]) -> list[Resource]:
        """The resources of ``kind`` that can match ``select``: those whose first selector
        attribute equals it (by index), plus every one where that attribute is a list or unresolved."""
        if not select:
            return self.of_kind(kind)
        attribute, wanted = next(iter(select.items()))
        if not isinstance(wanted, (str, int, bool)) or isinstance(wanted, bool):
            return self.of_kind(kind)
        indexes = self.__dict__.setdefault("_value_index", {})
        stamp = (kind, attribute, len(self.resources))
        if stamp not in indexes:
            exact: dict[Any, list[Resource]] = {}
            always: list[Resource] = []
            for resource in self.of_kind(kind):
                value = resource.value(attribute)
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    exact.setdefault(value, []).append(resource)
                else:  # a list (matched by membership), None, or unresolved: judged one by one
                    always.append(resource)
            order = {id(r): n for n, r in enumerate(self.of_kind(kind))}
            indexes[stamp] = (exact, always, order)
        exact, always, order = indexes[stamp]
        if not always:
            return exact.get(wanted, [])
        return sorted(exact.get(wanted, []) + always, key=lambda r: order[id(r)])

    def select(self, kind: str, region: str | None, select: dict[str, Any],
               mode: str = "managed", global_kind: bool = False, account: str | None = ANY_ACCOUNT) -> Selection:
        """Resources of ``kind`` in ``region`` (of ``account``) whose attributes equal ``select``.

        Global kinds ignore the region. A candidate whose region or selector
        attribute is unresolved is *possible*, never *matched*.
        """
        matched, possible, reasons, not_counted = [], [], [], []
        unread = False
        for resource in self._candidates(kind, select):
            if resource.mode != mode or (account != ANY_ACCOUNT and resource.account != account):
                continue
            verdict = _matches(resource, region, select, global_kind)
            if verdict is True and resource.out_of_service:
                not_counted.append(f"{resource.address}: {resource.out_of_service}")
            elif verdict is True:
                (possible if resource.presence is not None else matched).append(resource)
                if resource.presence is not None:
                    reasons.append(f"{resource.address}: {resource.presence.reason}")
            elif verdict is not False:
                possible.append(resource)
                reasons.append(f"{resource.address}: {verdict}")
                unread = unread or "could not be read" in verdict
        return Selection(matched, possible, reasons, unread, not_counted)


def _matches(resource: Resource, region: str | None, select: dict[str, Any], global_kind: bool) -> bool | str:
    if not global_kind and region is not None:
        if not is_known(resource.region):
            if unreadable(resource.region):
                return f"region could not be read ({resource.region.reason})"
            return f"region unresolved ({resource.region.reason})" if isinstance(resource.region, Unknown) else "region unresolved"
        if resource.region != region:
            return False
    for attribute, wanted in select.items():
        actual = resource.value(attribute)
        if not is_known(actual):
            reason = actual.reason if isinstance(actual, Unknown) else "unresolved"
            if unreadable(actual):
                return f"{attribute} could not be read ({reason})"
            return f"{attribute} unresolved ({reason})"
        if isinstance(actual, list) and not isinstance(wanted, list):
            if wanted not in actual:
                return False
        elif actual != wanted:
            return False
    return True
