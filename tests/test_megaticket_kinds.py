"""The kinds MegaTicket's Pilot Light needs (issue 20): security groups, launch templates, listeners
and their rules, instance profiles, key pairs and AMIs, and the attributes added to VPCs, Auto Scaling
groups, target groups, load balancers and IAM roles. Terraform (inline blocks and split resources,
documented defaults, null as not set), the collectors against AWS's response shapes (Stubber: every
page, a failed or transitional member, a detail read that fails) and the sandbox."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import boto3
from botocore.stub import Stubber

from dr_audit.aws.collect import collect_aws
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Unreadable
from dr_audit.kinds.autoscaling_group import autoscaling_groups
from dr_audit.kinds.ec2_image import images
from dr_audit.kinds.iam_instance_profile import iam_instance_profiles
from dr_audit.kinds.iam_role import iam_roles
from dr_audit.kinds.launch_template import launch_templates
from dr_audit.kinds.lb_listener import lb_listeners
from dr_audit.kinds.lb_listener_rule import lb_listener_rules
from dr_audit.kinds.load_balancer import load_balancers
from dr_audit.kinds.security_group import security_groups
from dr_audit.terraform.values import Unknown
from tests.conftest import one

REGION = "ap-northeast-1"
ACCOUNT = "123456789012"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
SSM = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def rule(protocol, low, high, cidrs=(), sources=()):
    return {"protocol": protocol, "from_port": low, "to_port": high, "cidr_blocks": list(cidrs),
            "source_security_groups": list(sources)}


ALL_OUT = rule("-1", 0, 0, ["0.0.0.0/0"])

# ----- Terraform -------------------------------------------------------------------

NETWORK_TF = '''
    provider "aws" {
      region = "ap-northeast-1"
    }
    resource "aws_vpc" "dr" {
      cidr_block         = "10.1.0.0/16"
      enable_dns_support = false
      tags = { Name = "dr-vpc" }
    }
    resource "aws_subnet" "a" {
      vpc_id     = aws_vpc.dr.id
      cidr_block = "10.1.1.0/24"
      tags = { Name = "public-a" }
    }
    resource "aws_subnet" "c" {
      vpc_id     = aws_vpc.dr.id
      cidr_block = "10.1.2.0/24"
      tags = { Name = "public-c" }
    }
'''

GROUPS_TF = {"main.tf": NETWORK_TF + '''
    resource "aws_security_group" "alb" {
      name   = "alb-sg"
      vpc_id = aws_vpc.dr.id
      ingress {
        from_port   = 80
        to_port     = 80
        protocol    = "tcp"
        cidr_blocks = ["0.0.0.0/0"]
      }
      ingress {
        from_port        = 80
        to_port          = 80
        protocol         = "6"
        ipv6_cidr_blocks = ["::/0"]
      }
      egress {
        from_port   = 0
        to_port     = 0
        protocol    = "-1"
        cidr_blocks = ["0.0.0.0/0"]
      }
    }
    resource "aws_security_group" "web" {
      name   = "web-sg"
      vpc_id = aws_vpc.dr.id
    }
    resource "aws_security_group_rule" "web_from_alb" {
      type                     = "ingress"
      security_group_id        = aws_security_group.web.id
      from_port                = 3000
      to_port                  = 3000
      protocol                 = "tcp"
      source_security_group_id = aws_security_group.alb.id
    }
    resource "aws_security_group_rule" "web_self" {
      type              = "ingress"
      security_group_id = aws_security_group.web.id
      from_port         = 3000
      to_port           = 3000
      protocol          = "tcp"
      self              = true
    }
    resource "aws_vpc_security_group_ingress_rule" "web_admin" {
      security_group_id = aws_security_group.web.id
      ip_protocol       = "tcp"
      from_port         = 22
      to_port           = 22
      cidr_ipv4         = "10.1.0.0/16"
    }
    resource "aws_vpc_security_group_egress_rule" "web_out" {
      security_group_id = aws_security_group.web.id
      ip_protocol       = "-1"
      cidr_ipv4         = "0.0.0.0/0"
    }
'''}
UNSURE_TF = {"main.tf": GROUPS_TF["main.tf"] + '''
    resource "aws_security_group" "unsure" {
      name   = "unsure-sg"
      vpc_id = aws_vpc.dr.id
    }
    resource "aws_security_group_rule" "somewhere" {
      type              = "ingress"
      security_group_id = var.some_group
      from_port         = 443
      to_port           = 443
      protocol          = "tcp"
      cidr_blocks       = ["0.0.0.0/0"]
    }
    variable "some_group" {}
'''}


def test_inline_and_split_rules_merge_per_port_range_with_sources_by_name(tree):
    inventory = tree(GROUPS_TF)
    alb = one(inventory, "security_group", name="alb-sg")
    # protocol 6 is tcp: the IPv4 and IPv6 ranges on tcp 80 are one rule, as AWS groups them
    assert alb.value("ingress") == [rule("tcp", 80, 80, ["0.0.0.0/0", "::/0"])]
    assert alb.value("egress") == [ALL_OUT] and alb.value("vpc") == "dr-vpc"
    web = one(inventory, "security_group", name="web-sg")
    assert web.value("ingress") == [rule("tcp", 22, 22, ["10.1.0.0/16"]), rule("tcp", 3000, 3000, [], ["alb-sg", "web-sg"])]
    assert web.value("egress") == [ALL_OUT]


def test_a_rule_that_may_belong_to_a_group_makes_its_rules_unknown(tree):
    unsure = one(tree(UNSURE_TF), "security_group", name="unsure-sg")
    assert isinstance(unsure.value("ingress"), Unknown)
    assert "may add an ingress rule" in unsure.value("ingress").reason
    # no egress written anywhere: Terraform removes AWS's default allow-all rule
    assert unsure.value("egress") == []


TEMPLATES_TF = {"main.tf": NETWORK_TF + '''
    resource "aws_security_group" "web" {
      name   = "web-sg"
      vpc_id = aws_vpc.dr.id
    }
    resource "aws_iam_role" "ec2" {
      name               = "ec2-role"
      assume_role_policy = jsonencode({
        Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = ["ec2.amazonaws.com", "ssm.amazonaws.com"] } },
                     { Effect = "Deny", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
      })
    }
    resource "aws_iam_role_policy_attachment" "ssm" {
      role       = aws_iam_role.ec2.name
      policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    }
    resource "aws_iam_instance_profile" "ec2" {
      name = "ec2-profile"
      role = aws_iam_role.ec2.name
    }
    resource "aws_launch_template" "web" {
      name_prefix            = "web-lt-"
      image_id               = "ami-0123456789abcdef0"
      instance_type          = "t2.small"
      key_name               = null
      vpc_security_group_ids = [aws_security_group.web.id]
      user_data              = base64encode("export DR_RECOVERY_MODE=true")
      iam_instance_profile {
        arn = aws_iam_instance_profile.ec2.arn
      }
    }
    resource "aws_launch_template" "spare" {
      name = "spare-lt"
    }
    resource "aws_lb" "dr" {
      name               = "dr-alb"
      security_groups    = [aws_security_group.web.id]
      subnets            = [aws_subnet.c.id, aws_subnet.a.id]
    }
    resource "aws_lb_target_group" "web" {
      name     = "web-tg"
      port     = 3000
      protocol = "HTTP"
      health_check {
        timeout = null
      }
    }
    resource "aws_lb_target_group" "lambda" {
      name        = "fn-tg"
      target_type = "lambda"
    }
    resource "aws_autoscaling_group" "web" {
      name                = "web-asg"
      min_size            = 0
      max_size            = 3
      vpc_zone_identifier = [aws_subnet.a.id, aws_subnet.c.id]
      launch_template {
        id = aws_launch_template.web.id
      }
    }
    resource "aws_autoscaling_group" "literal" {
      name                = "literal-asg"
      min_size            = 0
      max_size            = 1
      vpc_zone_identifier = ["subnet-0abc"]
      mixed_instances_policy {
        launch_template {
          launch_template_specification {
            launch_template_name = "spare-lt"
            version              = "$Latest"
          }
        }
      }
    }
'''}


def test_a_launch_template_is_found_by_the_groups_that_launch_it_and_reads_its_links_by_name(tree):
    inventory = tree(TEMPLATES_TF)
    web = one(inventory, "launch_template", autoscaling_groups=["web-asg"])
    assert isinstance(web.value("name"), Unknown)  # name_prefix: generated at apply time
    assert [web.value(a) for a in ("image", "instance_type", "key_name", "iam_instance_profile", "security_groups",
                                   "user_data")] == [
        "ami-0123456789abcdef0", "t2.small", None, "ec2-profile", ["web-sg"], "export DR_RECOVERY_MODE=true"]
    # the mixed instances policy names the template by launch_template_name, not by id: not counted as its own
    spare = one(inventory, "launch_template", name="spare-lt")
    assert spare.value("autoscaling_groups") == [] and spare.value("instance_type") is None


def test_the_groups_launch_template_version_defaults_to_default_and_subnets_are_names(tree):
    inventory = tree(TEMPLATES_TF)
    web = one(inventory, "autoscaling_group", name="web-asg")
    assert (web.value("launch_template_version"), web.value("health_check_grace_period"), web.value("subnets")) == (
        "$Default", 300, ["public-a", "public-c"])
    literal = one(inventory, "autoscaling_group", name="literal-asg")
    assert literal.value("launch_template_version") == "$Latest"
    assert isinstance(literal.value("subnets"), Unknown)  # a subnet id in text: its Name tag is in the account only


def test_roles_profiles_balancers_target_groups_and_vpcs_get_their_new_attributes(tree):
    inventory = tree(TEMPLATES_TF)
    role = one(inventory, "iam_role", name="ec2-role")
    assert role.value("trusted_services") == ["ec2.amazonaws.com", "ssm.amazonaws.com"]  # a Deny trusts no one
    assert role.value("managed_policy_arns") == [SSM]
    assert one(inventory, "iam_instance_profile", name="ec2-profile").value("role") == "ec2-role"
    balancer = one(inventory, "load_balancer", name="dr-alb")
    assert (balancer.value("subnets"), balancer.value("security_groups"), balancer.value("deletion_protection")) == (
        ["public-a", "public-c"], ["web-sg"], False)
    web = one(inventory, "lb_target_group", name="web-tg")
    # timeout = null is not set: AWS's default for HTTP (6), not the 5 of an HTTPS-less guess
    assert (web.value("health_check_timeout"), web.value("health_check_enabled")) == (6, True)
    assert one(inventory, "lb_target_group", name="fn-tg").value("health_check_timeout") == 30
    assert one(inventory, "vpc", name="dr-vpc").value("enable_dns_support") is False


LISTENERS_TF = {"main.tf": '''
    provider "aws" {
      region = "ap-northeast-1"
    }
    resource "aws_lb" "dr" {
      name = "dr-alb"
    }
    resource "aws_lb_target_group" "web" {
      name = "web-tg"
    }
    resource "aws_lb_target_group" "app" {
      name = "app-tg"
    }
    resource "aws_acm_certificate" "site" {
      domain_name       = "example.org"
      validation_method = "DNS"
    }
    resource "aws_acm_certificate_validation" "site" {
      certificate_arn = aws_acm_certificate.site.arn
    }
    resource "aws_lb_listener" "http" {
      load_balancer_arn = aws_lb.dr.arn
      port              = 80
      default_action {
        type             = "forward"
        target_group_arn = aws_lb_target_group.web.arn
      }
    }
    resource "aws_lb_listener" "https" {
      load_balancer_arn = aws_lb.dr.arn
      port              = 443
      protocol          = "HTTPS"
      certificate_arn   = aws_acm_certificate_validation.site.certificate_arn
      default_action {
        type = "forward"
        forward {
          target_group {
            arn = aws_lb_target_group.app.arn
          }
          target_group {
            arn = aws_lb_target_group.web.arn
          }
        }
      }
    }
    resource "aws_lb_listener_rule" "api" {
      listener_arn = aws_lb_listener.http.arn
      priority     = 1
      action {
        type             = "forward"
        target_group_arn = aws_lb_target_group.app.arn
      }
      condition {
        path_pattern {
          values = ["/v1/*", "/api/*"]
        }
      }
    }
'''}


def test_listeners_and_rules_name_their_balancer_target_groups_and_certificate_domain(tree):
    inventory = tree(LISTENERS_TF)
    http = one(inventory, "lb_listener", port=80)
    # protocol unset on an application load balancer: the provider's HTTP
    assert [http.value(a) for a in ("load_balancer", "protocol", "default_action_type", "default_target_group",
                                    "certificate_domain")] == ["dr-alb", "HTTP", "forward", "web-tg", None]
    https = one(inventory, "lb_listener", port=443)
    assert (https.value("default_target_group"), https.value("certificate_domain")) == ("app-tg,web-tg", "example.org")
    api = one(inventory, "lb_listener_rule", listener="dr-alb:80", priority=1)
    assert (api.value("path_patterns"), api.value("target_group"), api.value("action_type")) == (
        ["/api/*", "/v1/*"], "app-tg", "forward")


# ----- the account: AWS's response shapes (Stubber) -----------------------------------

def stubbed(*services):
    reader = AwsReader(boto3.Session(aws_access_key_id="stub", aws_secret_access_key="stub"))
    return reader, [Stubber(reader.client(service, REGION if service != "iam" else reader.global_region))
                    for service in services]


def _group(group_id, name, vpc, ingress=(), egress=()):
    return {"GroupId": group_id, "GroupName": name, "VpcId": vpc, "OwnerId": ACCOUNT, "Description": name,
            "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress)}


def test_security_groups_are_read_from_every_page_with_sources_named_across_pages():
    reader, (ec2,) = stubbed("ec2")
    ec2.add_response("describe_security_groups", {"SecurityGroups": [_group(
        "sg-web", "web-sg", "vpc-1",
        ingress=[{"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
                  "UserIdGroupPairs": [{"GroupId": "sg-alb", "UserId": ACCOUNT}]},
                 {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}],
        egress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])], "NextToken": "p2"}, {})
    ec2.add_response("describe_security_groups", {"SecurityGroups": [_group(
        "sg-alb", "alb-sg", "vpc-1", ingress=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                               "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])]}, {"NextToken": "p2"})
    ec2.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1", "Tags": [{"Key": "Name", "Value": "dr-vpc"}]}]}, {})
    with ec2:
        found = {r.value("name"): r for r in security_groups(reader, REGION)}
    assert found["web-sg"].value("ingress") == [rule("tcp", 3000, 3000, ["10.1.0.0/16"], ["alb-sg"])]
    assert found["web-sg"].value("egress") == [ALL_OUT] and found["web-sg"].value("vpc") == "dr-vpc"
    assert found["alb-sg"].value("ingress") == [rule("tcp", 443, 443, ["::/0"])] and found["alb-sg"].value("egress") == []


def _template(template_id, name):
    return {"LaunchTemplateId": template_id, "LaunchTemplateName": name, "LatestVersionNumber": 2,
            "DefaultVersionNumber": 1}


def _asg(name, **more):
    return {"AutoScalingGroupName": name, "MinSize": 0, "MaxSize": 3, "DesiredCapacity": 0, "DefaultCooldown": 300,
            "AvailabilityZones": [f"{REGION}a"], "HealthCheckType": "ELB", "CreatedTime": NOW, **more}


def test_launch_templates_read_their_latest_version_on_every_page_and_a_failed_version_read_is_unreadable():
    reader, (ec2, autoscaling) = stubbed("ec2", "autoscaling")
    ec2.add_response("describe_launch_templates", {"LaunchTemplates": [_template("lt-web", "web-lt-1")],
                                                   "NextToken": "p2"}, {})
    ec2.add_response("describe_launch_templates", {"LaunchTemplates": [_template("lt-app", "app-lt-1")]},
                     {"NextToken": "p2"})
    autoscaling.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [
        _asg("web-asg", LaunchTemplate={"LaunchTemplateId": "lt-web", "LaunchTemplateName": "web-lt-1",
                                        "Version": "$Latest"}),
        _asg("app-asg", MixedInstancesPolicy={"LaunchTemplate": {"LaunchTemplateSpecification": {
            "LaunchTemplateId": "lt-app"}}})]}, {})
    ec2.add_response("describe_security_groups", {"SecurityGroups": [_group("sg-web", "web-sg", "vpc-1")]}, {})
    ec2.add_response("describe_launch_template_versions", {"LaunchTemplateVersions": [{
        "LaunchTemplateId": "lt-web", "VersionNumber": 2, "LaunchTemplateData": {
            "ImageId": "ami-1", "InstanceType": "t2.small", "KeyName": "tokyo-key",
            "IamInstanceProfile": {"Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/ec2-profile"},
            "NetworkInterfaces": [{"DeviceIndex": 0, "Groups": ["sg-web"]}], "UserData": "ZXhwb3J0IFg9MQ=="}}]},
        {"LaunchTemplateId": "lt-web", "Versions": ["$Latest"]})
    ec2.add_client_error("describe_launch_template_versions", "UnauthorizedOperation", http_status_code=403,
                         expected_params={"LaunchTemplateId": "lt-app", "Versions": ["$Latest"]})
    with ec2, autoscaling:
        found = {r.value("name"): r for r in launch_templates(reader, REGION)}
    web = found["web-lt-1"]
    assert [web.value(a) for a in ("autoscaling_groups", "image", "instance_type", "key_name", "iam_instance_profile",
                                   "security_groups", "user_data")] == [
        ["web-asg"], "ami-1", "t2.small", "tokyo-key", "ec2-profile", ["web-sg"], "export X=1"]
    app = found["app-lt-1"]
    assert app.value("autoscaling_groups") == ["app-asg"]
    assert isinstance(app.value("instance_type"), Unreadable) and isinstance(app.value("security_groups"), Unreadable)


def test_auto_scaling_groups_read_grace_subnets_and_version_and_a_failed_subnet_list_is_unreadable():
    reader, (autoscaling, ec2) = stubbed("autoscaling", "ec2")
    autoscaling.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [
        _asg("web-asg", HealthCheckGracePeriod=300, VPCZoneIdentifier="subnet-a,subnet-c",
             LaunchTemplate={"LaunchTemplateId": "lt-web"})], "NextToken": "p2"}, {})
    autoscaling.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [
        _asg("old-asg", LaunchConfigurationName="old-lc")]}, {"NextToken": "p2"})
    ec2.add_client_error("describe_subnets", "UnauthorizedOperation", http_status_code=403)
    with autoscaling, ec2:
        found = {r.value("name"): r for r in autoscaling_groups(reader, REGION)}
    web = found["web-asg"]
    # no Version in the specification: the group launches $Default
    assert (web.value("health_check_grace_period"), web.value("launch_template_version")) == (300, "$Default")
    assert isinstance(web.value("subnets"), Unreadable)
    assert found["old-asg"].value("launch_template_version") is None


def test_load_balancers_read_subnets_groups_and_deletion_protection():
    reader, (elbv2, ec2) = stubbed("elbv2", "ec2")
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/dr-alb/1"
    elbv2.add_response("describe_load_balancers", {"LoadBalancers": [{
        "LoadBalancerArn": arn, "LoadBalancerName": "dr-alb", "Type": "application", "Scheme": "internet-facing",
        "SecurityGroups": ["sg-alb"], "AvailabilityZones": [{"ZoneName": f"{REGION}c", "SubnetId": "subnet-c"},
                                                            {"ZoneName": f"{REGION}a", "SubnetId": "subnet-a"}]}]}, {})
    ec2.add_response("describe_subnets", {"Subnets": [
        {"SubnetId": "subnet-a", "Tags": [{"Key": "Name", "Value": "public-a"}]},
        {"SubnetId": "subnet-c", "Tags": [{"Key": "Name", "Value": "public-c"}]}]}, {})
    ec2.add_response("describe_security_groups", {"SecurityGroups": [_group("sg-alb", "alb-sg", "vpc-1")]}, {})
    elbv2.add_response("describe_load_balancer_attributes", {"Attributes": [
        {"Key": "deletion_protection.enabled", "Value": "true"}]}, {"LoadBalancerArn": arn})
    with elbv2, ec2:
        [balancer] = load_balancers(reader, REGION)
    assert (balancer.value("subnets"), balancer.value("security_groups"), balancer.value("deletion_protection")) == (
        ["public-a", "public-c"], ["alb-sg"], True)


BALANCER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/dr-alb/1"


def _listener(number, port, **more):
    return {"ListenerArn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/dr-alb/1/{number}",
            "LoadBalancerArn": BALANCER, "Port": port, **more}


def _target_group(name):
    return f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{name}/9"


def _stub_listeners(elbv2):
    elbv2.add_response("describe_load_balancers", {"LoadBalancers": [{"LoadBalancerArn": BALANCER,
                                                                      "LoadBalancerName": "dr-alb"}]}, {})
    elbv2.add_response("describe_listeners", {"Listeners": [_listener(1, 80, Protocol="HTTP", DefaultActions=[
        {"Type": "forward", "TargetGroupArn": _target_group("web-tg")}])], "NextMarker": "p2"},
        {"LoadBalancerArn": BALANCER})
    certificate = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/c-1"
    elbv2.add_response("describe_listeners", {"Listeners": [_listener(2, 443, Protocol="HTTPS", Certificates=[
        {"CertificateArn": certificate, "IsDefault": True}], DefaultActions=[{"Type": "redirect", "Order": 1}])]},
        {"LoadBalancerArn": BALANCER, "Marker": "p2"})
    return certificate


def test_listeners_are_read_from_every_page_with_their_certificate_domain():
    reader, (elbv2, acm) = stubbed("elbv2", "acm")
    certificate = _stub_listeners(elbv2)
    acm.add_response("describe_certificate", {"Certificate": {"CertificateArn": certificate,
                                                              "DomainName": "example.org"}},
                     {"CertificateArn": certificate})
    with elbv2, acm:
        found = {r.value("port"): r for r in lb_listeners(reader, REGION)}
    assert [found[80].value(a) for a in ("load_balancer", "protocol", "default_target_group", "certificate_domain")] == [
        "dr-alb", "HTTP", "web-tg", None]
    assert (found[443].value("default_action_type"), found[443].value("default_target_group"),
            found[443].value("certificate_domain")) == ("redirect", None, "example.org")


def test_listener_rules_leave_out_the_default_rule_and_read_every_page():
    reader, (elbv2,) = stubbed("elbv2")
    _stub_listeners(elbv2)
    first = _listener(1, 80)["ListenerArn"]
    elbv2.add_response("describe_rules", {"Rules": [
        {"RuleArn": f"{first}/default", "Priority": "default", "IsDefault": True, "Conditions": [],
         "Actions": [{"Type": "forward", "TargetGroupArn": _target_group("web-tg")}]}], "NextMarker": "p2"},
        {"ListenerArn": first})
    elbv2.add_response("describe_rules", {"Rules": [
        {"RuleArn": f"{first}/r1", "Priority": "1", "IsDefault": False,
         "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
         "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
             {"TargetGroupArn": _target_group("app-tg"), "Weight": 1}]}}]}]},
        {"ListenerArn": first, "Marker": "p2"})
    elbv2.add_response("describe_rules", {"Rules": []}, {"ListenerArn": _listener(2, 443)["ListenerArn"]})
    with elbv2:
        [api] = lb_listener_rules(reader, REGION)
    assert [api.value(a) for a in ("listener", "priority", "path_patterns", "target_group")] == [
        "dr-alb:80", 1, ["/api/*"], "app-tg"]


def test_roles_are_read_from_every_page_of_one_authorization_listing():
    reader, (iam,) = stubbed("iam")
    trust = quote('{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}')

    def role(name, attached, tags=()):
        return {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLE0000000001", "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                "CreateDate": NOW, "AssumeRolePolicyDocument": trust,
                "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
                "Tags": [{"Key": k, "Value": v} for k, v in tags]}
    iam.add_response("get_account_authorization_details", {
        "RoleDetailList": [role("ec2-role", [SSM, f"arn:aws:iam::{ACCOUNT}:policy/logs"], [("Name", "ec2")])],
        "IsTruncated": True, "Marker": "p2"}, {"Filter": ["Role"]})
    iam.add_response("get_account_authorization_details", {
        "RoleDetailList": [role("AWSServiceRoleForSupport", [])], "IsTruncated": False},
        {"Filter": ["Role"], "Marker": "p2"})
    with iam:
        roles = {r.value("name"): r for r in iam_roles(reader, REGION)}
    assert set(roles) == {"ec2-role", "AWSServiceRoleForSupport"}  # the second page is read
    assert roles["ec2-role"].value("trusted_services") == ["ec2.amazonaws.com"]
    assert roles["ec2-role"].value("managed_policy_arns") == sorted([SSM, f"arn:aws:iam::{ACCOUNT}:policy/logs"])
    assert roles["ec2-role"].value("tags") == {"Name": "ec2"}
    assert roles["AWSServiceRoleForSupport"].value("managed_policy_arns") == []


def test_instance_profiles_are_read_from_every_page():
    reader, (iam,) = stubbed("iam")
    def profile(name, roles):
        return {"Path": "/", "InstanceProfileName": name, "InstanceProfileId": "AIPAEXAMPLE0000000001",
                "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}", "CreateDate": NOW,
                "Roles": [{"Path": "/", "RoleName": r, "RoleId": "AROAEXAMPLE0000000001",
                           "Arn": f"arn:aws:iam::{ACCOUNT}:role/{r}", "CreateDate": NOW} for r in roles]}
    iam.add_response("list_instance_profiles", {"InstanceProfiles": [profile("ec2-profile", ["ec2-role"])],
                                                "IsTruncated": True, "Marker": "p2"}, {})
    iam.add_response("list_instance_profiles", {"InstanceProfiles": [profile("empty-profile", [])],
                                                "IsTruncated": False}, {"Marker": "p2"})
    with iam:
        found = {r.value("name"): r.value("role") for r in iam_instance_profiles(reader, REGION)}
    assert found == {"ec2-profile": "ec2-role", "empty-profile": None}


def test_only_an_available_image_counts_and_every_page_is_read():
    reader, (ec2,) = stubbed("ec2")
    ec2.add_response("describe_images", {"Images": [{"ImageId": "ami-1", "Name": "web-golden", "State": "available"}],
                                         "NextToken": "p2"}, {"Owners": ["self"]})
    ec2.add_response("describe_images", {"Images": [{"ImageId": "ami-2", "Name": "app-golden", "State": "pending"}]},
                     {"Owners": ["self"], "NextToken": "p2"})
    with ec2:
        found = {r.value("name"): r for r in images(reader, REGION)}
    assert found["web-golden"].out_of_service is None
    assert found["app-golden"].out_of_service.startswith("State pending")


# ----- the sandbox -----------------------------------------------------------------

def test_the_megaticket_estate_is_collected_with_the_new_kinds(reader_for):
    kinds = ("security_group", "launch_template", "lb_listener", "lb_listener_rule", "iam_instance_profile",
             "ec2_key_pair", "ec2_image", "eip")
    inventory = collect_aws(reader_for("megaticket-as-found"), {kind: {REGION, "us-east-1"} for kind in kinds})
    assert inventory.errors == []
    app = one(inventory, "security_group", name="MegaTicket-DR-App-SG")
    assert app.value("ingress") == [rule("tcp", 3001, 3001, [], ["MegaTicket-DR-ALB-SG", "MegaTicket-DR-Web-SG"])]
    web = one(inventory, "launch_template", autoscaling_groups=["MegaTicket-DR-Web-ASG"])
    assert (web.value("instance_type"), web.value("security_groups")) == ("t2.small", ["MegaTicket-DR-Web-SG"])
    assert web.value("name_stem") == "MegaTicket-DR-Web-LT-"  # the estate names it as Terraform does
    nat_address = one(inventory, "eip", name="MegaTicket-DR-NAT-EIP")
    assert (nat_address.value("domain"), nat_address.value("nat_gateway")) == ("vpc", "MegaTicket-DR-NAT-GW")
    assert one(inventory, "lb_listener_rule", listener="MegaTicket-DR-ALB:80").value("target_group") == \
        "MegaTicket-DR-App-TG"
    assert one(inventory, "iam_instance_profile", name="MegaTicket-DR-EC2-Profile").value("role") == \
        "MegaTicket-DR-EC2-Role"
    assert one(inventory, "ec2_image", name="MegaTicket-Web-GoldenAMI-DR").out_of_service is None
