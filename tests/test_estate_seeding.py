"""The estate seeder: ``${account_id}`` is the account being seeded, so one estate written with
it holds in every account of a multi-account sandbox; an unsaved name is an error at its line."""

from __future__ import annotations

import pytest

from dr_audit.errors import EstateError
from dr_audit.sandbox.estate import load_estate, seed

OTHER_ACCOUNT = "210987654321"

ESTATE = """\
description: one role whose description names the account it lives in
steps:
  - {call: iam.create_role, region: us-east-1, args: {RoleName: replicator, AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}', Description: "arn:aws:iam::${account_id}:role/replicator"}}
"""


def estate_in(tmp_path, text: str):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "estate.yaml").write_text(text, encoding="utf-8")
    return load_estate(tmp_path, "one")


def described(server, account_id: str) -> str:
    client = server.session_in(account_id).client("iam", region_name="us-east-1", endpoint_url=server.url)
    return client.get_role(RoleName="replicator")["Role"]["Description"]


def test_account_id_is_the_account_each_seeding_lands_in(sandbox, tmp_path):
    estate = estate_in(tmp_path, ESTATE)
    seed(sandbox, estate)
    seed(sandbox, estate, sandbox.session_in(OTHER_ACCOUNT), OTHER_ACCOUNT)
    from dr_audit.sandbox.server import SANDBOX_ACCOUNT

    assert described(sandbox, SANDBOX_ACCOUNT) == f"arn:aws:iam::{SANDBOX_ACCOUNT}:role/replicator"
    assert described(sandbox, OTHER_ACCOUNT) == f"arn:aws:iam::{OTHER_ACCOUNT}:role/replicator"


def test_a_name_no_step_saved_is_an_error_at_its_line(sandbox, tmp_path):
    estate = estate_in(tmp_path, ESTATE.replace("${account_id}", "${acount_id}"))
    with pytest.raises(EstateError) as raised:
        seed(sandbox, estate)
    assert "${acount_id} is not saved by an earlier step" in str(raised.value)
    assert ":3" in str(raised.value)
