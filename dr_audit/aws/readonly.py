"""The read-only allowlist, enforced on every client before a request is built.

:func:`read_operations` maps each (service, operation) the audit may call to
the IAM action it needs: the audit's own reads, the reads each registered
kind declares, and read sets registered with :func:`register_reads`; anything
else is refused by :func:`guard` with :class:`ReadOnlyViolation` before
botocore serializes or sends it. The same table is what ``policies/iam/``
grants (``python -m dr_audit.iam`` prints it), so a test can compare the two.
"""

from __future__ import annotations

from typing import Any, Callable

#: botocore operation-name prefixes of read operations; anything else is refused at registration
READ_PREFIXES = ("Describe", "Get", "List", "BatchGet", "Search", "Lookup")


#: reads the audit itself makes whatever kinds are registered (who am I)
BASE_READS: dict[str, dict[str, str]] = {"sts": {"GetCallerIdentity": "sts:GetCallerIdentity"}}

#: read sets registered besides the kinds': (purpose, {service: {operation: IAM action}}, needed_by)
_EXTRA_READS: list[tuple[str, dict[str, dict[str, str]], Callable[[Any], bool] | None]] = []
_cached: tuple[tuple, dict[str, dict[str, str]]] | None = None


def register_reads(purpose: str, table: dict[str, dict[str, str]],
                   needed_by: Callable[[Any], bool] | None = None) -> None:
    """Allow the read operations in ``table`` (``{service: {operation: IAM action}}``) for ``purpose``.

    For reads that belong to no kind (measurements, for example). ``needed_by``
    tells from a loaded policy whether its audit makes these reads (None: every
    audit may), so the least-privilege IAM policy of a policy that does not
    need them leaves them out. Raises ValueError for an operation whose name
    says it writes: the allowlist only ever grows by reads.
    """
    for service, operations in table.items():
        for operation, action in operations.items():
            if not operation.startswith(READ_PREFIXES) or ":" not in action:
                raise ValueError(f"{purpose}: {service}:{operation} ({action}) is not a read operation")
    if not any(p == purpose and t == table for p, t, _ in _EXTRA_READS):
        _EXTRA_READS.append((purpose, table, needed_by))


def extra_reads(policies: list | None = None) -> list[dict[str, dict[str, str]]]:
    """The read sets registered with :func:`register_reads`, in registration order: all of them,
    or (given loaded policies) those some of these policies need."""
    return [table for _, table, needed_by in _EXTRA_READS
            if policies is None or needed_by is None or any(needed_by(p) for p in policies)]


def read_operations() -> dict[str, dict[str, str]]:
    """Every read the audit may call: its own, every registered kind's, every registered read set.

    In: nothing (the kind registry and :func:`register_reads`). Out: ``{service:
    {botocore operation name: IAM action}}``, the table :func:`guard` enforces
    and ``policies/iam/`` grants.
    """
    global _cached
    from dr_audit.kinds.registry import kind_reads, version  # the registry's kinds import the reader, which imports this

    key = (version(), len(_EXTRA_READS))
    if _cached is None or _cached[0] != key:
        merged: dict[str, dict[str, str]] = {}
        for table in [BASE_READS, kind_reads(), *extra_reads()]:
            for service, operations in table.items():
                merged.setdefault(service, {}).update(operations)
        _cached = (key, {service: merged[service] for service in sorted(merged)})
    return _cached[1]


#: operations only the credential set-up may call (never a collector)
CREDENTIAL_OPERATIONS: dict[str, dict[str, str]] = {"sts": {"AssumeRole": "sts:AssumeRole"}}

#: reads only the account listing of ``--dr-organization`` may call, in the management account (never a
#: collector): its client is guarded with this table alone, and policies/iam/dr-audit-organization.json
#: grants it to that account's role, so the audit role in each audited account never holds them
ORGANIZATION_READS: dict[str, dict[str, str]] = {"organizations": {
    "ListAccounts": "organizations:ListAccounts", "ListAccountsForParent": "organizations:ListAccountsForParent",
    "ListOrganizationalUnitsForParent": "organizations:ListOrganizationalUnitsForParent",
    "ListTagsForResource": "organizations:ListTagsForResource"}}


class ReadOnlyViolation(RuntimeError):
    """A client was asked for an operation outside the read-only allowlist."""


def is_allowed(service: str, operation: str, allowlist: dict[str, dict[str, str]] | None = None) -> bool:
    """True when ``allowlist`` (default: :func:`read_operations`) has ``service:operation``."""
    return operation in (read_operations() if allowlist is None else allowlist).get(service, {})


def iam_action(service: str, operation: str) -> str:
    """The IAM action an allowed operation needs: ('s3', 'ListBuckets') -> 's3:ListAllMyBuckets'."""
    for table in (read_operations(), CREDENTIAL_OPERATIONS, ORGANIZATION_READS):
        if operation in table.get(service, {}):
            return table[service][operation]
    raise KeyError(f"{service}:{operation} is not an allowed operation")


def guard(client: Any, allowlist: dict[str, dict[str, str]] | None = None) -> Any:
    """Make ``client`` refuse every operation outside ``allowlist``; returns the client.

    Without ``allowlist`` the check reads :func:`read_operations` at each call,
    so kinds and read sets registered later are allowed too, and nothing else.

    The check runs on botocore's ``before-parameter-build`` event, the first
    thing a call does, so a refused call is never serialized, signed or sent.
    """
    service = client.meta.service_model.service_name

    def refuse_writes(model, **_):
        if not is_allowed(service, model.name, allowlist):
            raise ReadOnlyViolation(f"{service}:{model.name} is not a read-only operation: refused before sending")

    client.meta.events.register("before-parameter-build", refuse_writes, unique_id="dr-audit-read-only")
    return client
