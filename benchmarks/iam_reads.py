"""IAM role reads as an account's roles grow 1x, 10x and 100x (``python -m benchmarks.iam_reads``).

Each scale creates, in the embedded sandbox, ``BASE_ROLES * scale`` roles, each with one inline
policy and two attached managed policies (an account's service, SSO and workload roles), then
reads the ``iam_role`` and ``iam_role_policy`` kinds through one fresh :class:`AwsReader`,
exactly as a run does. The reader's ledger counts the calls: both kinds share one paginated
GetAccountAuthorizationDetails listing (100 roles a page), so the calls grow with the pages of
roles. The result sets beside it what one ListAttachedRolePolicies and one ListRolePolicies per
role and one GetRolePolicy per inline policy (the reads before) cost for the same roles. Writes
``benchmarks/results/iam_reads.json``.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

from benchmarks.measure import write_result
from dr_audit.aws.reader import AwsReader, ReaderSettings
from dr_audit.kinds import KINDS
from dr_audit.sandbox.server import SandboxServer

#: the 1x account's roles; 10x and 100x multiply it
BASE_ROLES = 5
SCALES = (1, 10, 100)
#: IAM's default page (MaxItems) for the role listings
PAGE = 100
GLOBAL = "us-east-1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "ec2.amazonaws.com"}}]})
INLINE = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                             "Resource": "arn:aws:s3:::logs/*"}]})
MANAGED = ("arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")


def seed_roles(server: SandboxServer, roles: int) -> None:
    iam = server.session().client("iam", region_name=GLOBAL, endpoint_url=server.url)
    for n in range(roles):
        name = f"role-{n:04}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
        iam.put_role_policy(RoleName=name, PolicyName="logs", PolicyDocument=INLINE)
        for arn in MANAGED:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)


def one_scale(server: SandboxServer, scale: int) -> dict:
    """Seed, collect and count for ``BASE_ROLES * scale`` roles."""
    server.reset()
    roles = BASE_ROLES * scale
    seed_roles(server, roles)
    reader = AwsReader(server.session(), ReaderSettings(endpoint_url=server.url))
    began = time.perf_counter()
    found = {kind: KINDS[kind].collect(reader, GLOBAL) for kind in ("iam_role", "iam_role_policy")}
    seconds = time.perf_counter() - began
    calls = Counter(c.operation for c in reader.calls())
    pages = -(-roles // PAGE)
    return {"scale": scale, "roles": roles, "inline_policies": roles,
            "collected": {kind: len(resources) for kind, resources in found.items()},
            "with_both_managed_policies": sum(1 for r in found["iam_role"]
                                              if set(MANAGED) <= set(r.value("managed_policy_arns") or [])),
            "api_calls": sum(calls.values()), "api_calls_by_operation": dict(sorted(calls.items())),
            "calls_expected": pages,
            "calls_reading_each_role": pages + roles + roles + roles,
            "seconds": round(seconds, 2)}


def scaling() -> dict:
    """Every scale's counts, in one sandbox."""
    with SandboxServer() as server:
        server.start()
        results = [one_scale(server, scale) for scale in SCALES]
    return {"benchmark": "iam_reads", "reads": "GetAccountAuthorizationDetails (Filter Role), every page, "
            "shared by iam_role and iam_role_policy", "page_size": PAGE, "scales": results}


def main() -> int:
    result = scaling()
    path = write_result("iam_reads", result)
    print(f"== iam_reads -> {path}")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
