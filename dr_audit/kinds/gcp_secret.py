"""The ``gcp_secret`` kind. A Secret Manager secret: its name, never its data.

Its attributes, how Terraform declares it and (Terraform only: no account is read).
"""

from __future__ import annotations

from dr_audit.kinds.spec import MAP, STR, declare_kind
from dr_audit.terraform.reading import Reader


# ----- Terraform ---------------------------------------------------------------

def gcp_secret(r: Reader) -> dict:
    replication = ("automatic" if r.blocks("replication") and r.blocks("replication")[0].blocks("auto")
                   else "user_managed" if r.blocks("replication") and r.blocks("replication")[0].blocks("user_managed")
                   else None)
    return {"name": r.arg("secret_id"), "labels": r.arg("labels", {}),
            "replication": r.at_block(replication, "from the replication block" if replication else
                                      "no auto or user_managed replication block")}


KIND = declare_kind(
    "gcp_secret", "global", "A Secret Manager secret: its name, never its data.",
    provider="google",
    attributes={"name": (STR, "secret id"),
                "labels": (MAP, "labels as written (the provider's default_labels are not read)"),
                "replication": (STR, "automatic (Google picks the regions) or user_managed")},
    terraform={"google_secret_manager_secret": gcp_secret},
)
