"""Print the Terraform root directories a policy audits, one per line.

In: a policy file and, optionally, the directory its roots are in (what
``--dr-terraform-root`` gives the audit; default: the policy's
``terraform.root``). Out: each distinct root directory, so a workflow can run
``terraform init -backend=false`` in each before the audit reads the modules
it installs. A bad policy is reported with file and line, exit status 4.

    python -m dr_audit.terraform_roots policies/my-dr.yaml --terraform-root infra/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dr_audit.errors import PolicyError, PolicyErrors, policy_problems_text
from dr_audit.policy import load_policy
from dr_audit.model import Policy


def root_directories(policy: Policy, terraform_root: Path | None = None) -> list[Path]:
    """The distinct directories of the policy's role roots, below ``terraform_root``
    (else the policy's own ``terraform.root``), in a stable order."""
    base = terraform_root or (Path(policy.terraform_root) if policy.terraform_root else None)
    if base is None:
        raise ValueError(f"{policy.path}: no Terraform root: give --terraform-root or set terraform.root")
    return sorted({(base / role.terraform_root) for role in policy.roles.values() if role.terraform_root})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dr_audit.terraform_roots",
                                     description="The Terraform root directories a policy audits.")
    parser.add_argument("policy", type=Path)
    parser.add_argument("--terraform-root", type=Path, default=None,
                        help="the directory the roots are in (default: the policy's terraform.root)")
    arguments = parser.parse_args(argv)
    try:
        policy = load_policy(arguments.policy)
        directories = root_directories(policy, arguments.terraform_root)
    except PolicyErrors as errors:
        print(policy_problems_text(errors), file=sys.stderr)
        return 4
    except (PolicyError, ValueError, OSError) as error:
        print(str(error), file=sys.stderr)
        return 4
    for directory in directories:
        print(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
