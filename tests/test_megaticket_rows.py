"""MegaTicket's rows for the values issue 20 found unchecked: each one fails on planted bad evidence
(the account changed by hand: DRIFT or FAIL; the code changed: FAIL), and the SECONDARY record's
alias accepts the ``dualstack.`` prefix AWS writes on load-balancer alias targets."""

from __future__ import annotations

import functools
import shutil

import pytest

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.target import read_plan_for
from dr_audit.evaluate import evaluate_full, evaluate_static
from dr_audit.findings import Status
from dr_audit.policy import load_policy
from dr_audit.terraform.collector import collect_terraform
from tests.conftest import REPO

POLICY = REPO / "policies" / "megaticket-pilot-light.yaml"
TERRAFORM = REPO / "fixtures" / "terraform" / "megaticket"
ROOTS = {"primary": "main-seoul", "dr": "dr-tokyo"}
DR, GLOBAL = "ap-northeast-1", "us-east-1"
SSM = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
#: the web launch template as the estate names it: its name_prefix and Terraform's unique suffix
WEB_TEMPLATE = "MegaTicket-DR-Web-LT-20251229083015123400000001"
#: the rows this file is about (issue 20's MegaTicket values)
NEW_ROWS = ["VPC-DNS-SUPPORT-DR", "ASG-WEB-GRACE-DR", "ASG-WEB-SUBNETS-DR", "ASG-WEB-LT-VERSION-DR",
            "SG-ALB-HTTPS-DR", "SG-WEB-INGRESS-DR", "LT-WEB-TYPE-DR", "TG-WEB-TIMEOUT-DR", "TG-WEB-HC-ENABLED-DR",
            "ALB-SUBNETS-DR", "ALB-SG-DR", "ALB-DELETION-PROTECTION-DR", "LISTENER-DEFAULT-WEB-DR", "RULE-API-PATH-DR",
            "IAM-ROLE-TRUST-DR", "IAM-ROLE-SSM-DR", "IAM-PROFILE-ROLE-DR", "KEYPAIR-TOKYO-DR", "AMI-WEB-GOLDEN-DR"]


@functools.lru_cache(maxsize=1)
def _policy():
    return load_policy(POLICY)


@functools.lru_cache(maxsize=1)
def _code():
    return collect_terraform(TERRAFORM, ROOTS)


def _findings(reader, row_ids, code=None):
    policy = _policy()
    live = collect_aws(reader, read_plan_for(policy))
    assert live.errors == []
    return {row_id: evaluate_full(policy.row(row_id), policy, code or _code(), live) for row_id in row_ids}


def test_the_as_found_account_meets_the_new_rows(reader_for):
    findings = _findings(reader_for("megaticket-as-found"), NEW_ROWS)
    assert {row_id: f.status for row_id, f in findings.items() if f.status is not Status.PASS} == {}


def _by_name(items, key, name):
    return next(item for item in items if item[key] == name)


def _change_the_account_by_hand(sandbox):
    """The web tier's settings changed in the console, one per new row."""
    client = functools.partial(sandbox.session().client, endpoint_url=sandbox.url)
    ec2, elbv2, autoscaling, iam = (client("ec2", region_name=DR), client("elbv2", region_name=DR),
                                    client("autoscaling", region_name=DR), client("iam", region_name=GLOBAL))
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["MegaTicket-DR-VPC"]}])["Vpcs"][0]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    groups = {g["GroupName"]: g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    ec2.revoke_security_group_ingress(GroupId=groups["MegaTicket-DR-ALB-SG"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=groups["MegaTicket-DR-Web-SG"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    subnets = {s["Tags"][0]["Value"]: s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s.get("Tags")}
    balancer = _by_name(elbv2.describe_load_balancers()["LoadBalancers"], "LoadBalancerName", "MegaTicket-DR-ALB")
    arn = balancer["LoadBalancerArn"]
    elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[groups["MegaTicket-DR-Web-SG"]])
    elbv2.set_subnets(LoadBalancerArn=arn, Subnets=[subnets["MegaTicket-DR-Public-Subnet-A"],
                                                    subnets["MegaTicket-DR-Private-Subnet-C"]])
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"}])
    target_groups = {t["TargetGroupName"]: t["TargetGroupArn"] for t in elbv2.describe_target_groups()["TargetGroups"]}
    elbv2.modify_target_group(TargetGroupArn=target_groups["MegaTicket-DR-Web-TG"], HealthCheckTimeoutSeconds=10,
                              HealthCheckEnabled=False)
    [listener] = elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[
        {"Type": "forward", "TargetGroupArn": target_groups["MegaTicket-DR-App-TG"]}])
    [api] = [r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]]
    elbv2.modify_rule(RuleArn=api["RuleArn"], Conditions=[{"Field": "path-pattern",
                                                           "PathPatternConfig": {"Values": ["/v2/*"]}}])
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="MegaTicket-DR-Web-ASG", HealthCheckGracePeriod=0,
        VPCZoneIdentifier=subnets["MegaTicket-DR-Private-Subnet-A"],
        LaunchTemplate={"LaunchTemplateName": WEB_TEMPLATE, "Version": "$Default"})
    ec2.create_launch_template_version(LaunchTemplateName=WEB_TEMPLATE, SourceVersion="1",
                                       LaunchTemplateData={"InstanceType": "t3.micro"})
    iam.detach_role_policy(RoleName="MegaTicket-DR-EC2-Role", PolicyArn=SSM)
    iam.update_assume_role_policy(RoleName="MegaTicket-DR-EC2-Role", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow",'
        '"Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]}}]}'))
    iam.remove_role_from_instance_profile(InstanceProfileName="MegaTicket-DR-EC2-Profile",
                                          RoleName="MegaTicket-DR-EC2-Role")
    ec2.delete_key_pair(KeyName="megaticket-tokyo-keypair")
    image = _by_name(ec2.describe_images(Owners=["self"])["Images"], "Name", "MegaTicket-Web-GoldenAMI-DR")
    ec2.deregister_image(ImageId=image["ImageId"])


def test_each_new_row_fails_when_the_account_was_changed_by_hand(sandbox, reader_for):
    reader = reader_for("megaticket-as-found")
    _change_the_account_by_hand(sandbox)
    findings = _findings(reader, NEW_ROWS + ["SG-APP-INGRESS-DR", "LT-APP-TYPE-DR", "RULE-API-TARGET-DR"])
    manual = {"KEYPAIR-TOKYO-DR", "AMI-WEB-GOLDEN-DR"}  # set by hand: the account is the only source
    for row_id in NEW_ROWS:
        expected = Status.FAIL if row_id in manual else Status.DRIFT
        assert findings[row_id].status is expected, (row_id, findings[row_id].message)
        if expected is Status.DRIFT:
            assert findings[row_id].message.startswith("code meets the policy, the account does not"), row_id
    # the app tier was left alone
    for row_id in ("SG-APP-INGRESS-DR", "LT-APP-TYPE-DR", "RULE-API-TARGET-DR"):
        assert findings[row_id].status is Status.PASS, (row_id, findings[row_id].message)
    assert findings["LT-WEB-TYPE-DR"].live.value == "t3.micro"  # the latest version is the one read
    assert findings["IAM-PROFILE-ROLE-DR"].live.value is None


#: Terraform edits that break one row each: (file, text, replacement, row)
CODE_CHANGES = [
    ("main.tf", "enable_dns_support   = true", "enable_dns_support   = null", None),
    ("terraform.tfvars", 'instance_type = "t2.small"', 'instance_type = "t3.large"', "LT-WEB-TYPE-DR"),
    ("security-groups.tf", "security_groups = [aws_security_group.alb.id]\n  }\n\n  egress",
     "security_groups = [aws_security_group.alb.id]\n    cidr_blocks     = [\"10.0.0.0/8\"]\n  }\n\n  egress",
     "SG-WEB-INGRESS-DR"),
    ("alb.tf", "enable_deletion_protection = false", "enable_deletion_protection = true",
     "ALB-DELETION-PROTECTION-DR"),
    ("alb.tf", "timeout             = 5\n    interval            = 30\n    path                = \"/\"",
     "timeout             = 6\n    interval            = 30\n    path                = \"/\"", "TG-WEB-TIMEOUT-DR"),
    ("alb.tf", 'values = ["/api/*"]', 'values = ["/api/v1/*"]', "RULE-API-PATH-DR"),
    ("iam.tf", 'policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"',
     'policy_arn = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"', "IAM-ROLE-SSM-DR"),
    ("main.tf", 'domain = "vpc"', "vpc = false", "EIP-NAT-DOMAIN-DR"),  # the deprecated flag, saying standard
    ("main.tf", 'resource "aws_nat_gateway" "dr" {\n  allocation_id = aws_eip.nat.id',
     'resource "aws_eip" "spare" {\n  domain = "vpc"\n}\n\nresource "aws_nat_gateway" "dr" {\n'
     '  allocation_id = aws_eip.spare.id', "EIP-NAT-GATEWAY-DR"),
    ("ec2.tf", 'name_prefix   = "${var.project_name}-DR-Web-LT-"', 'name          = "${var.project_name}-web"',
     "LT-WEB-NAME-PREFIX-DR"),
    ("ec2.tf", 'name_prefix   = "${var.project_name}-DR-App-LT-"', 'name_prefix   = "${var.project_name}-App-LT-"',
     "LT-APP-NAME-PREFIX-DR"),
]


@pytest.fixture(scope="module")
def changed_code(tmp_path_factory):
    root = tmp_path_factory.mktemp("megaticket") / "megaticket"
    shutil.copytree(TERRAFORM, root)
    for file, text, replacement, _ in CODE_CHANGES:
        path = root / "dr-tokyo" / file
        source = path.read_text()
        assert source.count(text) == 1, (file, text)
        path.write_text(source.replace(text, replacement))
    return collect_terraform(root, ROOTS)


@pytest.mark.parametrize("row_id", [row for *_, row in CODE_CHANGES if row])
def test_a_row_fails_on_code_that_breaks_it(changed_code, row_id):
    policy = _policy()
    assert evaluate_static(policy.row(row_id), policy, _code()).status is Status.PASS
    finding = evaluate_static(policy.row(row_id), policy, changed_code)
    assert finding.status is Status.FAIL, finding.message


def test_dns_support_written_as_null_is_the_providers_default(changed_code):
    # enable_dns_support = null is not set: the provider's default (true) still meets the row
    policy = _policy()
    finding = evaluate_static(policy.row("VPC-DNS-SUPPORT-DR"), policy, changed_code)
    assert finding.status is Status.PASS and finding.terraform.value is True


# ----- issue 20 item 3: the alias row and AWS's dualstack. prefix ------------------------------

def _secondary_alias(sandbox, reader, target):
    client = sandbox.session().client("route53", region_name=GLOBAL, endpoint_url=sandbox.url)
    zone = client.list_hosted_zones()["HostedZones"][0]["Id"]
    client.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE",
        "ResourceRecordSet": {"Name": "pilotlight-test.click", "Type": "A", "SetIdentifier": "tokyo",
                              "Failover": "SECONDARY", "AliasTarget": {"HostedZoneId": "Z14GRHDCWA56QT",
                                                                       "DNSName": target,
                                                                       "EvaluateTargetHealth": True}}}]})
    return _findings(reader, ["R53-SECONDARY-TOKYO"])["R53-SECONDARY-TOKYO"]


@pytest.mark.parametrize("target, status", [
    ("dualstack.MegaTicket-DR-ALB-1234567890.ap-northeast-1.elb.amazonaws.com", Status.PASS),
    ("MegaTicket-DR-ALB-1234567890.ap-northeast-1.elb.amazonaws.com.", Status.PASS),
    ("dualstack.megaticket-alb-1873526490.ap-northeast-2.elb.amazonaws.com", Status.FAIL),
    ("dualstack.other-dr-alb-1.ap-northeast-1.elb.amazonaws.com", Status.FAIL),
])
def test_the_secondary_alias_accepts_the_dualstack_prefix_and_only_the_tokyo_alb(sandbox, reader_for, target, status):
    finding = _secondary_alias(sandbox, reader_for("megaticket-as-found"), target)
    assert finding.status is status, finding.message


# ----- issue 20: the NAT gateway's Elastic IP and the launch templates' name prefixes ------------

#: the rows of the last three MegaTicket values (eip and launch_template.name_stem)
ADDRESS_AND_PREFIX_ROWS = ["EIP-NAT-DOMAIN-DR", "EIP-NAT-GATEWAY-DR", "LT-WEB-NAME-PREFIX-DR", "LT-APP-NAME-PREFIX-DR"]


def test_the_as_found_account_meets_the_address_and_prefix_rows(reader_for):
    findings = _findings(reader_for("megaticket-as-found"), ADDRESS_AND_PREFIX_ROWS)
    assert {row_id: f.status for row_id, f in findings.items() if f.status is not Status.PASS} == {}
    assert findings["LT-WEB-NAME-PREFIX-DR"].live.value == "MegaTicket-DR-Web-LT-"


def _replace_by_hand(sandbox):
    """The NAT gateway recreated on a fresh address, and the app tier moved to a template made in the console."""
    client = functools.partial(sandbox.session().client, endpoint_url=sandbox.url, region_name=DR)
    ec2, autoscaling = client("ec2"), client("autoscaling")
    [nat] = ec2.describe_nat_gateways(Filter=[{"Name": "tag:Name", "Values": ["MegaTicket-DR-NAT-GW"]}])["NatGateways"]
    fresh = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=nat["SubnetId"], AllocationId=fresh, TagSpecifications=[
        {"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "MegaTicket-DR-NAT-GW"}]}])
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    ec2.create_launch_template(LaunchTemplateName="MegaTicket-DR-App-LT-console",
                               LaunchTemplateData={"InstanceType": "t2.small"})
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="MegaTicket-DR-App-ASG", LaunchTemplate={
        "LaunchTemplateName": "MegaTicket-DR-App-LT-console", "Version": "$Latest"})


def test_the_address_and_prefix_rows_drift_when_the_account_was_changed_by_hand(sandbox, reader_for):
    reader = reader_for("megaticket-as-found")
    _replace_by_hand(sandbox)
    findings = _findings(reader, ADDRESS_AND_PREFIX_ROWS)
    for row_id in ("EIP-NAT-GATEWAY-DR", "LT-APP-NAME-PREFIX-DR"):
        assert findings[row_id].status is Status.DRIFT, (row_id, findings[row_id].message)
        assert findings[row_id].message.startswith("code meets the policy, the account does not"), row_id
    assert findings["EIP-NAT-GATEWAY-DR"].live.value is None  # the deleted gateway holds it no more
    assert findings["LT-APP-NAME-PREFIX-DR"].live.value == "MegaTicket-DR-App-LT-console"
    for row_id in ("EIP-NAT-DOMAIN-DR", "LT-WEB-NAME-PREFIX-DR"):
        assert findings[row_id].status is Status.PASS, (row_id, findings[row_id].message)
