"""The validated policy: roles, facts, problem items and rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low")
MANAGED_BY = ("terraform", "data", "manual")
AGGREGATES = ("count", "distinct")
#: what an all-of-a-kind row (no ``select``) says when the kind has no resource at all
WHEN_ABSENT = ("fail", "not_applicable")


@dataclass(frozen=True)
class Role:
    """A named place the policy talks about: its region, Terraform root and AWS account.

    ``account`` (12 digits) and ``role_arn`` (with an optional ``external_id``)
    say which account the role's rows read and with which credentials; a role
    without them reads through the run's own credentials.
    """

    name: str
    region: str | None
    terraform_root: str | None = None
    account: str | None = None
    role_arn: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Target:
    """One side of a cross-resource row: a role and a selector."""

    role: str | None
    select: dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One checkable promise of the written policy.

    Exactly one of four shapes: an attribute check (``attribute``/``op``/
    ``value``, optionally over an ``aggregate``), an existence check
    (``op: exists``), a named ``comparator`` with ``args``, or a measured row
    (``measure``: a CloudWatch statistic over a window, account only). A row without
    ``select`` covers every resource of its kind in its role's region; with
    ``when_absent: not_applicable`` it is NOT_APPLICABLE where the kind has none.
    """

    id: str
    clause: str
    title: str
    kind: str
    severity: str
    managed_by: str | None
    line: int
    role: str | None = None
    select: dict[str, Any] = field(default_factory=dict)
    attribute: str | None = None
    op: str | None = None
    value: Any = None
    aggregate: str | None = None
    comparator: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    problem: int | None = None
    unknown_ok: str | None = None
    when_absent: str = "fail"
    #: a measured row's CloudWatch metric, statistic and window (dr_audit.measured.Measure), else None
    measure: Any = None
    #: the facts path ``value`` was read from (``value: {fact: objectives.rpo_seconds}``), else None
    value_fact: str | None = None
    #: why the row's requirement or identifier is not in the cited clause's text (None: it is)
    derived: str | None = None

    @property
    def section(self) -> str:
        """The top-level section of the clause: '2.3' -> '2'."""
        return self.clause.split(".")[0]

    @property
    def all_of_kind(self) -> bool:
        """True when the row covers every resource of its kind (no ``select``, no comparator)."""
        return not self.select and not self.comparator

    def resource_label(self) -> str:
        """What the row selects, for people: 'identifier=orders-db'."""
        if self.comparator:
            return self.comparator
        return ", ".join(f"{k}={v}" for k, v in self.select.items()) or f"every {self.kind}"


@dataclass(frozen=True)
class Problem:
    """A known problem item of the written policy, linked to its rows."""

    id: int
    title: str
    severity: str
    remediation: str
    rows: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy file."""

    path: str
    sha256: str
    name: str
    title: str
    roles: dict[str, Role]
    terraform_root: str | None
    facts: dict[str, Any]
    problems: dict[int, Problem]
    rows: tuple[Row, ...]
    sandbox_estate: str | None = None  # the estate the sandbox target seeds unless --dr-estate says
    version: str | None = None  # the header's version (required by the loader; shown in every report)
    #: the clauses whose text states its rows' requirements verbatim (header ``verbatim_clauses``);
    #: None when the header does not say, and then no row has to explain itself
    verbatim_clauses: tuple[str, ...] | None = None

    def row(self, row_id: str) -> Row:
        return next(r for r in self.rows if r.id == row_id)

    def region_of(self, role: str | None) -> str | None:
        return self.roles[role].region if role in self.roles else None
