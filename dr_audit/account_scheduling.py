"""Whole accounts per xdist worker (``-n N --dist loadgroup`` in a multi-account run).

xdist's own ``loadgroup`` groups items by an ``@group`` suffix it writes into each node id, which
pytest 9.2 no longer keeps (pytest-dev/pytest-xdist#1386): every item would be scheduled alone, so
both workers would read every account. This scheduler groups the row items by the account their
test id starts with instead, and leaves every other item to xdist's own scope rules.
"""

from __future__ import annotations

from typing import Iterable


def account_of(nodeid: str, names: Iterable[str]) -> str | None:
    """The account a row item of ``nodeid`` audits (its id is ``[<account>-<ROW-ID>]``), else None.

    >>> account_of("audits/test_policy_rows.py::test_policy_row[shop-a-VPC-CIDR]", ["shop", "shop-a"])
    'shop-a'
    """
    start = nodeid.rfind("[")
    if start < 0:
        return None
    parameters = nodeid[start + 1:]
    # the longest name first: "shop-a-ROW" belongs to shop-a, not to shop
    return next((name for name in sorted(names, key=len, reverse=True) if parameters.startswith(f"{name}-")),
                None)


def account_scheduler(config, log, names: list[str]):
    """An xdist LoadScope scheduler whose scopes are accounts (``names``)."""
    from xdist.scheduler import LoadScopeScheduling

    class AccountScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            account = account_of(nodeid, names)
            return f"account:{account}" if account is not None else super()._split_scope(nodeid)

    return AccountScheduling(config, log)
