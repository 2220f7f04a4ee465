"""The ``gcp_sql_user`` kind. A Cloud SQL user: its name only, never its password.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.gcp_network import referenced_name
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_sql_user(r: Reader) -> dict:
    # the password argument is deliberately never read: evidence must not carry a secret
    return {"name": r.arg("name"), "instance": referenced_name(r, "instance")}


KIND = declare_kind(
    "gcp_sql_user", "regional", "A Cloud SQL user: its name only, never its password.",
    provider="google",
    attributes={"name": (STR, "user name"), "instance": (STR, "name of its Cloud SQL instance")},
    terraform={"google_sql_user": gcp_sql_user},
)
