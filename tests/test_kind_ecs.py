"""The ``ecs_cluster``, ``ecs_service`` and ``ssm_parameter`` kinds: Terraform (the provider's
defaults: desired_count 0, launch type EC2 unless a capacity provider strategy chooses), the
collectors against AWS's response shapes (Stubber: ListServices' pages, DescribeServices 10 at a
time, a failed member, DRAINING and INACTIVE states, DescribeParameters' pages, no value read) and
the sandbox."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds import KINDS
from tests.conftest import one

DR = "ap-northeast-1"
ACCOUNT = "123456789012"
CLUSTER = f"arn:aws:ecs:{DR}:{ACCOUNT}:cluster/fileflow-dr-cluster"

ECS_TF = {"main.tf": f'''
    provider "aws" {{
      region = "{DR}"
    }}
    resource "aws_ecs_cluster" "dr" {{
      name = "fileflow-dr-cluster"
    }}
    resource "aws_ecs_service" "dr" {{
      name          = "fileflow-dr-service"
      cluster       = aws_ecs_cluster.dr.id
      launch_type   = "FARGATE"
      desired_count = 0
    }}
    resource "aws_ecs_service" "spot" {{
      name    = "spot-service"
      cluster = "arn:aws:ecs:{DR}:{ACCOUNT}:cluster/other"
      capacity_provider_strategy {{
        capacity_provider = "FARGATE_SPOT"
        weight            = 1
      }}
    }}
    resource "aws_ecs_service" "plain" {{
      name    = "plain-service"
      cluster = "other"
    }}
    resource "aws_ssm_parameter" "endpoint" {{
      name  = "/shared/rds/dr/endpoint"
      type  = "SecureString"
      value = "do-not-read"
    }}
'''}


# ----- Terraform ---------------------------------------------------------------------

def test_services_read_their_cluster_count_and_launch_type_with_the_providers_defaults(tree):
    inventory = tree(ECS_TF)
    assert one(inventory, "ecs_cluster").value("name") == "fileflow-dr-cluster"
    dr = one(inventory, "ecs_service", name="fileflow-dr-service")
    assert [dr.value(n) for n in ("cluster", "desired_count", "launch_type")] == ["fileflow-dr-cluster", 0, "FARGATE"]
    spot = one(inventory, "ecs_service", name="spot-service")
    assert [spot.value(n) for n in ("cluster", "desired_count", "launch_type")] == ["other", 0, None]
    assert one(inventory, "ecs_service", name="plain-service").value("launch_type") == "EC2"


def test_a_parameter_maps_its_name_and_type_and_never_its_value(tree):
    parameter = one(tree(ECS_TF), "ssm_parameter")
    assert [parameter.value("name"), parameter.value("type")] == ["/shared/rds/dr/endpoint", "SecureString"]
    assert "do-not-read" not in repr(parameter.attributes)


# ----- the account: AWS's response shapes ------------------------------------------------

def stubbed(service: str):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, Stubber(reader.client(service, DR))


def _service_arn(name: str) -> str:
    return f"arn:aws:ecs:{DR}:{ACCOUNT}:service/fileflow-dr-cluster/{name}"


def _service(name: str, status: str = "ACTIVE", **more) -> dict:
    return {"serviceArn": _service_arn(name), "serviceName": name, "clusterArn": CLUSTER, "status": status,
            "desiredCount": 0, "launchType": "FARGATE", **more}


def test_services_are_listed_on_every_page_and_described_ten_at_a_time():
    reader, stub = stubbed("ecs")
    names = [f"svc-{i:02d}" for i in range(12)]
    stub.add_response("list_clusters", {"clusterArns": [CLUSTER]})
    stub.add_response("list_services", {"serviceArns": [_service_arn(n) for n in names[:7]], "nextToken": "p2"},
                      {"cluster": CLUSTER})
    stub.add_response("list_services", {"serviceArns": [_service_arn(n) for n in names[7:]]},
                      {"cluster": CLUSTER, "nextToken": "p2"})
    first = [_service(n) for n in names[:10] if n != "svc-03"]
    first[0] = _service("svc-00", "DRAINING")
    stub.add_response("describe_services",
                      {"services": first, "failures": [{"arn": _service_arn("svc-03"), "reason": "MISSING"}]},
                      {"cluster": CLUSTER, "services": [_service_arn(n) for n in names[:10]]})
    stub.add_response("describe_services", {"services": [_service(n, desiredCount=4) for n in names[10:]]},
                      {"cluster": CLUSTER, "services": [_service_arn(n) for n in names[10:]]})
    with stub:
        found = {r.value("name"): r for r in KINDS["ecs_service"].collect(reader, DR)}
    stub.assert_no_pending_responses()
    assert sorted(found) == names
    assert found["svc-00"].out_of_service.startswith("status DRAINING")
    assert found["svc-01"].out_of_service is None
    assert [found["svc-11"].value(n) for n in ("cluster", "desired_count", "launch_type")] == [
        "fileflow-dr-cluster", 4, "FARGATE"]
    # a member ECS could not describe is unreadable, never a service with no tasks
    failed = found["svc-03"].value("desired_count")
    assert isinstance(failed, Unreadable) and "MISSING" in failed.reason


def test_a_describe_services_failure_leaves_that_batch_unreadable():
    reader, stub = stubbed("ecs")
    stub.add_response("list_clusters", {"clusterArns": [CLUSTER]})
    stub.add_response("list_services", {"serviceArns": [_service_arn("a")]}, {"cluster": CLUSTER})
    stub.add_client_error("describe_services", "AccessDeniedException", "denied", 400)
    with stub:
        (service,) = KINDS["ecs_service"].collect(reader, DR)
    assert service.value("name") == "a" and isinstance(service.value("desired_count"), Unreadable)


def test_clusters_are_listed_on_every_page_and_only_active_ones_count():
    reader, stub = stubbed("ecs")
    other = CLUSTER.replace("fileflow-dr-cluster", "old")
    stub.add_response("list_clusters", {"clusterArns": [CLUSTER], "nextToken": "p2"})
    stub.add_response("list_clusters", {"clusterArns": [other]}, {"nextToken": "p2"})
    stub.add_response("describe_clusters", {"clusters": [
        {"clusterArn": CLUSTER, "clusterName": "fileflow-dr-cluster", "status": "ACTIVE"},
        {"clusterArn": other, "clusterName": "old", "status": "INACTIVE"}]}, {"clusters": [CLUSTER, other]})
    with stub:
        found = {r.value("name"): r for r in KINDS["ecs_cluster"].collect(reader, DR)}
    stub.assert_no_pending_responses()
    assert found["fileflow-dr-cluster"].out_of_service is None
    assert found["old"].out_of_service.startswith("status INACTIVE")


def test_parameters_are_listed_on_every_page_without_reading_a_value():
    reader, stub = stubbed("ssm")
    stub.add_response("describe_parameters", {"Parameters": [
        {"Name": "/shared/rds/dr/endpoint", "Type": "String",
         "ARN": f"arn:aws:ssm:{DR}:{ACCOUNT}:parameter/shared/rds/dr/endpoint"}], "NextToken": "p2"})
    stub.add_response("describe_parameters", {"Parameters": [{"Name": "/secret", "Type": "SecureString"}]},
                      {"NextToken": "p2"})
    with stub:  # a GetParameter call would find no stubbed response and fail
        found = {r.value("name"): r.value("type") for r in KINDS["ssm_parameter"].collect(reader, DR)}
    stub.assert_no_pending_responses()
    assert found == {"/shared/rds/dr/endpoint": "String", "/secret": "SecureString"}
    assert "ssm:GetParameter" not in {a for ops in KINDS["ssm_parameter"].reads.values() for a in ops.values()}


def test_the_sandbox_shows_a_standby_service_at_zero_tasks_and_its_parameter(reader_for, sandbox):
    ecs = sandbox.session().client("ecs", region_name=DR, endpoint_url=sandbox.url)
    ecs.create_cluster(clusterName="fileflow-dr-cluster")
    ecs.register_task_definition(family="dr", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256",
                                 memory="512", containerDefinitions=[{"name": "app", "image": "app", "essential": True}])
    ecs.create_service(cluster="fileflow-dr-cluster", serviceName="fileflow-dr-service", taskDefinition="dr",
                       desiredCount=0, launchType="FARGATE")
    sandbox.session().client("ssm", region_name=DR, endpoint_url=sandbox.url).put_parameter(
        Name="/shared/rds/dr/endpoint", Type="String", Value="sandbox-endpoint")
    reader = reader_for()
    (cluster,) = KINDS["ecs_cluster"].collect(reader, DR)
    (service,) = KINDS["ecs_service"].collect(reader, DR)
    (parameter,) = KINDS["ssm_parameter"].collect(reader, DR)
    assert cluster.value("name") == "fileflow-dr-cluster" and cluster.out_of_service is None
    assert [service.value(n) for n in ("cluster", "desired_count", "launch_type")] == [
        "fileflow-dr-cluster", 0, "FARGATE"]
    assert parameter.value("type") == "String" and "sandbox-endpoint" not in repr(parameter.attributes)
