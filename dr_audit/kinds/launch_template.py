"""The ``launch_template`` kind. An EC2 launch template, as its latest version launches.

Its attributes, how Terraform declares it and how the account is read. Every
change Terraform makes to a template adds a version, so what the code writes
is the template's latest version: the account side reads ``$Latest``
(DescribeLaunchTemplateVersions), and ``autoscaling_group.launch_template_version``
says whether an Auto Scaling group launches that version.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from dr_audit.aws.collecting import FailedLookup, detail, live_resource
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource, Unreadable
from dr_audit.kinds.autoscaling_group import launch_template_block, launch_template_of
from dr_audit.kinds.security_group import declared_group_names, group_names_by_id, names_of_group_ids
from dr_audit.kinds.spec import STR, STR_LIST, declare_kind
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Ref, Unknown, is_known

#: the version the account side reads (see the module docstring)
VERSION_READ = "$Latest"
#: the unique suffix Terraform appends to a name_prefix (terraform-plugin-sdk helper/id PrefixedUniqueId,
#: since 2017): UTC time to 1/10000 s as 18 digits (yyyymmddhhmmss + 4), then an 8-hex-digit counter
GENERATED_SUFFIX = re.compile(r"[0-9]{18}[0-9a-f]{8}$")
#: the prefix the provider generates a name from when neither name nor name_prefix is written
DEFAULT_NAME_PREFIX = "terraform-"


# ----- Terraform ---------------------------------------------------------------

def launch_template(r: Reader) -> dict:
    return {"name": r.arg("name", unset_reason="not set: generated from name_prefix at apply time"),
            "name_stem": _name_stem(r), "autoscaling_groups": _autoscaling_groups(r),
            "image": r.arg("image_id", None), "instance_type": r.arg("instance_type", None),
            "key_name": r.arg("key_name", None), "iam_instance_profile": _instance_profile(r),
            "security_groups": _security_groups(r), "user_data": _user_data(r)}


def name_stem(name: Any) -> Any:
    """``name`` without the unique suffix Terraform generates after a name_prefix; a name
    without exactly that suffix (written by hand) is its own stem. Non-text passes through.

    >>> name_stem("web-lt-20251229083015123400000001")
    'web-lt-'
    >>> name_stem("web-lt-20251229")
    'web-lt-20251229'
    """
    if not isinstance(name, str):
        return name
    stem = GENERATED_SUFFIX.sub("", name)
    return stem if stem else name


def _name_stem(r: Reader) -> AttributeValue:
    """The stem of the name the template gets: ``name`` (its stem), else ``name_prefix``, else
    the provider's own prefix ``terraform-`` (it then generates the whole name)."""
    if r.given("name") is not None:
        written = r.arg("name")
        return AttributeValue(name_stem(written.value), written.file, written.line, written.expression, written.note)
    if r.given("name_prefix") is not None:
        return r.arg("name_prefix")
    return r.at_block(DEFAULT_NAME_PREFIX, "neither name nor name_prefix set: the provider generates "
                                           "terraform-<unique suffix>")


def _autoscaling_groups(r: Reader) -> AttributeValue:
    """Names of the Auto Scaling groups whose launch template (own or mixed instances) is this one."""
    names = []
    for group in r.by_type.get("aws_autoscaling_group", []):
        group_reader = r.reader(group)
        block = launch_template_block(group_reader)
        if block is None:
            continue
        mine = _names_this_template(r, given(block, "id") or given(block, "name"))
        if mine is None:
            return AttributeValue(Unknown(group.address, "its launch template is unresolved: it may launch from this "
                                                         "one"), block.file, block.line)
        if mine:
            name = group_reader.arg("name", unset_reason="a name is generated at apply time")
            if not name.known:
                return name
            names.append(name.value)
    return r.at_block(sorted(names), "the Auto Scaling groups of this code that launch from it")


def _names_this_template(r: Reader, evidence: Any) -> bool | None:
    if evidence is None:
        return False
    if isinstance(evidence.value, Ref):
        return evidence.value.address == r.instance.address
    own = r.given("name")
    if isinstance(evidence.value, str) and own is not None and isinstance(own.value, str):
        return evidence.value == own.value
    return None if not is_known(evidence.value) else False


def _instance_profile(r: Reader) -> AttributeValue:
    blocks = r.blocks("iam_instance_profile")
    if not blocks:
        return r.at_block(None, "no iam_instance_profile block")
    named = given(blocks[0], "name")
    if named is not None:
        return _plain_text(named)
    by_arn = given(blocks[0], "arn")
    if by_arn is None:
        return AttributeValue(None, blocks[0].file, blocks[0].line, None, "neither name nor arn set")
    if isinstance(by_arn.value, Ref) and by_arn.value.address in r.by_address:
        return _profile_name_via(r, by_arn)
    value = _plain_text(by_arn)
    if value.known:
        return AttributeValue(value.value.rsplit("/", 1)[-1], value.file, value.line, value.expression)
    return value


def _profile_name_via(r: Reader, evidence: Any) -> AttributeValue:
    profile = r.reader(r.by_address[evidence.value.address]).arg("name", unset_reason="a name is generated at apply time")
    return AttributeValue(profile.value, evidence.file, evidence.line, evidence.expression,
                          f"via {evidence.value.address}")


def _plain_text(evidence: Any) -> AttributeValue:
    if isinstance(evidence.value, Ref) or not is_known(evidence.value):
        reason = "only known after apply" if isinstance(evidence.value, Ref) else getattr(evidence.value, "reason", "")
        return AttributeValue(Unknown(evidence.expression or "value", reason), evidence.file, evidence.line,
                              evidence.expression)
    return AttributeValue(evidence.value, evidence.file, evidence.line, evidence.expression)


def _security_groups(r: Reader) -> AttributeValue:
    """Groups by name from ``vpc_security_group_ids``, ``security_groups`` and the network interfaces'."""
    found = [declared_group_names(r, "vpc_security_group_ids"), declared_group_names(r, "security_groups")]
    found += [declared_group_names(r, "security_groups", block) for block in r.blocks("network_interfaces")]
    unknown = next((value for value in found if not value.known), None)
    if unknown is not None:
        return unknown
    written = next((value for value in found if value.value), found[0])
    return AttributeValue(sorted({name for value in found for name in value.value}), written.file, written.line,
                          written.expression, written.note)


def _user_data(r: Reader) -> AttributeValue:
    """``user_data`` is base64 (the provider requires it): compared as the decoded text."""
    written = r.arg("user_data", None)
    if not written.known or written.value is None:
        return written
    return AttributeValue(decoded(written.value), written.file, written.line, written.expression, written.note)


def decoded(text: str) -> Any:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return Unknown("user_data", "not base64 text")


# ----- the account -------------------------------------------------------------

def _groups_by_template(reader: AwsReader, region: str) -> Any:
    """Launch template id -> names of the Auto Scaling groups launching from it (FailedLookup on failure)."""
    try:
        groups = reader.paginate("autoscaling", region, "describe_auto_scaling_groups", "AutoScalingGroups")
    except AwsReadError as error:
        return FailedLookup(error)
    by_template: dict[str, list[str]] = {}
    for group in groups:
        template = launch_template_of(group) or {}
        key = template.get("LaunchTemplateId") or template.get("LaunchTemplateName")
        if key:
            by_template.setdefault(key, []).append(group["AutoScalingGroupName"])
    return by_template


def _latest_data(reader: AwsReader, region: str, template_id: str) -> Any:
    versions = detail(lambda: reader.call("ec2", region, "describe_launch_template_versions",
                                          LaunchTemplateId=template_id, Versions=[VERSION_READ])
                      ["LaunchTemplateVersions"])
    if isinstance(versions, Unreadable):
        return versions
    return (versions[0].get("LaunchTemplateData") or {}) if versions else {}


def _data_attributes(data: Any, group_names: Any) -> dict:
    if isinstance(data, Unreadable):
        return {name: data for name in ("image", "instance_type", "key_name", "iam_instance_profile",
                                        "security_groups", "user_data")}
    profile = data.get("IamInstanceProfile") or {}
    ids = list(data.get("SecurityGroupIds") or [])
    ids += [g for interface in data.get("NetworkInterfaces") or [] for g in interface.get("Groups") or []]
    groups = names_of_group_ids(ids, group_names)
    if not isinstance(groups, Unreadable):
        groups = sorted(set(groups) | set(data.get("SecurityGroups") or []))
    user_data = data.get("UserData")
    return {"image": data.get("ImageId"), "instance_type": data.get("InstanceType"), "key_name": data.get("KeyName"),
            "iam_instance_profile": profile.get("Name") or (profile.get("Arn") or "").rsplit("/", 1)[-1] or None,
            "security_groups": groups, "user_data": decoded(user_data) if user_data else None}


def launch_templates(reader: AwsReader, region: str) -> list[Resource]:
    templates = reader.paginate("ec2", region, "describe_launch_templates", "LaunchTemplates")
    users = _groups_by_template(reader, region) if templates else {}
    group_names = group_names_by_id(reader, region) if templates else {}
    found = []
    for template in templates:
        template_id, name = template["LaunchTemplateId"], template.get("LaunchTemplateName")
        if isinstance(users, FailedLookup):
            groups: Any = users.get(None)
        else:
            groups = sorted(set(users.get(template_id, []) + users.get(name, [])))
        data = _latest_data(reader, region, template_id)
        found.append(live_resource("launch_template", region, template_id, name=name, name_stem=name_stem(name),
                                   autoscaling_groups=groups,
                                   **_data_attributes(data, group_names)))
    return found


KIND = declare_kind(
    "launch_template", "regional",
    "An EC2 launch template, as its latest version ($Latest) launches.",
    attributes={
        "name": (STR, "template name (Terraform: unknown when generated from name_prefix)"),
        "name_stem": (STR, "the name without the unique suffix Terraform appends to a name_prefix (18 digits of "
                           "UTC time, 8 hex digits of counter); any other name is its own stem (Terraform: "
                           "name_prefix, or name, or terraform- when neither is written)"),
        "autoscaling_groups": (STR_LIST, "names of the Auto Scaling groups launching from it, sorted (to select a "
                                         "template whose name is generated)"),
        "image": (STR, "AMI id"),
        "instance_type": (STR, "instance type, e.g. t3.small (null: not set in the template)"),
        "key_name": (STR, "EC2 key pair name (null: none)"),
        "iam_instance_profile": (STR, "instance profile name (null: none)"),
        "security_groups": (STR_LIST, "names of its security groups (its own and its network interfaces'), sorted"),
        "user_data": (STR, "user data, decoded from base64 (null: none)"),
    },
    terraform={"aws_launch_template": launch_template},
    service="ec2", collect=launch_templates,
    reads={
        "ec2": {"DescribeLaunchTemplates": "ec2:DescribeLaunchTemplates",
                "DescribeLaunchTemplateVersions": "ec2:DescribeLaunchTemplateVersions",
                "DescribeSecurityGroups": "ec2:DescribeSecurityGroups"},
        "autoscaling": {"DescribeAutoScalingGroups": "autoscaling:DescribeAutoScalingGroups"},
    },
)
