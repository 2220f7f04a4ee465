"""The reader under failures no botocore retry covers, and the partition it reads in."""

from __future__ import annotations

import threading

import pytest

from dr_audit.aws.reader import AwsReadError
from dr_audit.partitions import global_region_of, partition_of_arn, partition_of_region

REGION = "eu-west-1"


def _ask(reader, results: list, operation: str = "list_tables") -> threading.Thread:
    """Read ``operation`` on a thread (daemon: a hung read must not hang the test run)."""

    def run():
        try:
            results.append(reader.call("dynamodb", REGION, operation))
        except Exception as error:  # noqa: BLE001 - the test inspects whatever came back
            results.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_shared_read_that_raises_anything_releases_every_waiter(reader_for):
    reader = reader_for()
    client = reader.client("dynamodb", REGION)
    entered, release = threading.Event(), threading.Event()

    def broken(**_):
        entered.set()
        release.wait(30)
        raise RuntimeError("the connection pool is broken")

    client.list_tables = broken  # not a botocore error: no retry and no AwsReadError from botocore
    results: list = []
    owner = _ask(reader, results)
    assert entered.wait(30)
    waiter = _ask(reader, results)  # asks for the same read while the owner is inside it
    release.set()
    owner.join(30)
    waiter.join(30)
    assert not owner.is_alive() and not waiter.is_alive(), "a reader of the shared read hung"
    assert len(results) == 2 and all(isinstance(r, AwsReadError) for r in results), results
    assert {(r.code, r.operation, r.region) for r in results} == {("RuntimeError", "ListTables", REGION)}
    assert "the connection pool is broken" in str(results[0])
    late: list = []
    _ask(reader, late).join(30)  # a later asker gets the same answer without a second read
    assert isinstance(late[0], AwsReadError) and late[0].code == "RuntimeError"


def test_a_paginated_read_that_raises_anything_is_an_error_for_every_asker(reader_for):
    reader = reader_for()
    client = reader.client("dynamodb", REGION)
    client.get_paginator = lambda _: (_ for _ in ()).throw(KeyError("no paginator"))
    with pytest.raises(AwsReadError, match="KeyError"):
        reader.paginate("dynamodb", REGION, "list_tables", "TableNames")
    with pytest.raises(AwsReadError, match="KeyError"):
        reader.paginate("dynamodb", REGION, "list_tables", "TableNames")


@pytest.mark.parametrize("partition, region", [("aws", "us-east-1"), ("aws-cn", "cn-northwest-1"),
                                               ("aws-us-gov", "us-gov-west-1")])
def test_each_partition_has_the_global_region_its_route53_and_cloudfront_answer_in(partition, region):
    assert global_region_of(partition) == region
    assert partition_of_region(region) == partition


def test_the_partition_comes_from_an_arn_and_regions_of_other_clouds_have_none():
    assert partition_of_arn("arn:aws-cn:sts::123456789012:assumed-role/audit/s") == "aws-cn"
    assert partition_of_arn("arn:aws-us-gov:iam::123456789012:user/u") == "aws-us-gov"
    assert partition_of_region("ap-northeast-2") == "aws"
    assert partition_of_region("asia-northeast3") is None  # a Google Cloud region
    with pytest.raises(ValueError):
        partition_of_arn("not-an-arn")
    with pytest.raises(ValueError):
        global_region_of("aws-mars")


def test_identify_sets_account_partition_and_global_region_from_sts(reader_for):
    reader = reader_for()
    assert reader.identify(REGION) == "123456789012"
    assert (reader.account_id, reader.partition, reader.global_region) == ("123456789012", "aws", "us-east-1")


def test_identify_reads_the_partition_of_the_caller_arn(reader_for, monkeypatch):
    reader = reader_for()
    client = reader.client("sts", "cn-north-1")
    client.get_caller_identity = lambda **_: {"Account": "123456789012", "UserId": "x",
                                              "Arn": "arn:aws-cn:iam::123456789012:user/audit"}
    assert reader.identify("cn-north-1") == "123456789012"
    assert (reader.partition, reader.global_region) == ("aws-cn", "cn-northwest-1")
