"""The hooks a ``conftest.py`` (or any pytest plugin) may implement for the DR audit."""

from __future__ import annotations

import pytest


@pytest.hookspec
def pytest_dr_audit_kinds():
    """Kinds to audit beyond the built-in ones, registered before the policy loads.

    Return a :class:`dr_audit.kinds.Kind` (from ``declare_kind``), a module
    defining ``KIND`` or ``KINDS``, or a list of those. A kind whose name or
    Terraform type another kind already has is a usage error naming both.
    """
