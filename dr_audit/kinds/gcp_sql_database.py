"""The ``gcp_sql_database`` kind. A database inside a Cloud SQL instance.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.gcp_network import referenced_name
from dr_audit.kinds.spec import STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_sql_database(r: Reader) -> dict:
    return {"name": r.arg("name"), "instance": referenced_name(r, "instance")}


KIND = declare_kind(
    "gcp_sql_database", "regional", "A database inside a Cloud SQL instance.",
    provider="google",
    attributes={"name": (STR, "database name"), "instance": (STR, "name of its Cloud SQL instance")},
    terraform={"google_sql_database": gcp_sql_database},
)
