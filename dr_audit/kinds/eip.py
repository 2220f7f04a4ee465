"""The ``eip`` kind. An Elastic IP address (an allocation), and the NAT gateway it serves.

Its attributes, how Terraform declares it and how the account is read. The
domain is ``vpc`` for every address today; ``standard`` was EC2-Classic's.
A NAT gateway holds its address by allocation id (``allocation_id``), so the
address names the NAT gateway that uses it, by the gateway's Name tag.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, live_resource, tag_map
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import STR, TAGS_COLLECTED, declare_kind
from dr_audit.terraform.module import Evidence
from dr_audit.terraform.reading import Reader, given
from dr_audit.terraform.values import Ref, Unknown

#: NAT gateway states in which it no longer holds its address (it is going or gone)
NAT_GATEWAY_GONE = ("deleted", "deleting", "failed")


# ----- Terraform ---------------------------------------------------------------

def eip(r: Reader) -> dict:
    return {"name": r.tag("Name"), "domain": _domain(r), "nat_gateway": _nat_gateway(r)}


def _domain(r: Reader) -> AttributeValue:
    """``domain``, else the deprecated ``vpc`` flag (true: "vpc", false: "standard").

    Neither written: Unknown. The provider documents no default for ``domain``
    (AWS picks it at allocation), and the deprecated ``vpc`` flag's default
    depends on whether the region supports EC2-Classic, which the code does not say.
    """
    if r.given("domain") is not None:
        return r.arg("domain")
    flag = r.given("vpc")
    if flag is None:
        return r.arg("domain", unset_reason="neither domain nor vpc is set: AWS chooses the domain at allocation")
    value = flag.value
    if isinstance(value, bool):
        value = "vpc" if value else "standard"
    elif not isinstance(value, Unknown):
        value = Unknown(flag.expression or "vpc", f"vpc is not a bool: {value!r}")
    return AttributeValue(value, flag.file, flag.line, flag.expression, "from the deprecated vpc argument")


def _nat_gateway(r: Reader) -> AttributeValue:
    """Name tag of the NAT gateway of this code that holds this address (None: none).

    A gateway holds it through ``allocation_id`` or ``secondary_allocation_ids``;
    one whose allocation is unresolved may hold it, which makes the answer Unknown.
    """
    holders, unsure = [], []
    for gateway in r.by_type.get("aws_nat_gateway", []):
        holds = _holds(r, gateway)
        if holds is None:
            unsure.append(gateway)
        elif holds:
            holders.append(gateway)
    if unsure:
        return r.at_block(Unknown(f"{r.instance.address}.nat_gateway",
                                  f"the allocation of {unsure[0].address} is unresolved: it may hold this address"),
                          "a NAT gateway may hold it")
    if not holders:
        return r.at_block(None, "no NAT gateway of this code holds it")
    if len(holders) > 1:
        names = ", ".join(sorted(gateway.address for gateway in holders))
        return r.at_block(Unknown(f"{r.instance.address}.nat_gateway", f"several NAT gateways name it: {names}"),
                          "an address serves one NAT gateway at a time")
    name = r.reader(holders[0]).tag("Name")
    return AttributeValue(name.value, name.file, name.line, name.expression, f"via {holders[0].address}")


def _holds(r: Reader, gateway: Any) -> bool | None:
    """Whether ``gateway`` names this address among its allocations; None when one is unresolved."""
    named = [given(gateway, "allocation_id")]
    secondary = given(gateway, "secondary_allocation_ids")
    if secondary is not None:
        if not isinstance(secondary.value, list):
            return None if isinstance(secondary.value, Unknown) else False
        named += [Evidence(item, secondary.file, secondary.line) for item in secondary.value]
    values = [evidence.value for evidence in named if evidence is not None]
    if any(isinstance(value, Ref) and value.address == r.instance.address for value in values):
        return True
    # an allocation id written as text is an address from outside this code, never this one
    return None if any(isinstance(value, Unknown) for value in values) else False


# ----- the account -------------------------------------------------------------

def _nat_gateways_by_allocation(reader: AwsReader, region: str) -> Any:
    """Allocation id -> Name tag of the NAT gateway holding it (FailedLookup when the listing fails)."""
    try:
        gateways = reader.paginate("ec2", region, "describe_nat_gateways", "NatGateways")
    except AwsReadError as error:
        return FailedLookup(error)
    holders = {}
    for gateway in gateways:
        if gateway.get("State") in NAT_GATEWAY_GONE:
            continue
        for address in gateway.get("NatGatewayAddresses") or []:
            if address.get("AllocationId"):
                holders[address["AllocationId"]] = tag_map(gateway.get("Tags")).get("Name")
    return holders


def eips(reader: AwsReader, region: str) -> list[Resource]:
    # DescribeAddresses has no pagination (no NextToken in the service model): one call lists every address
    addresses = reader.paginate("ec2", region, "describe_addresses", "Addresses")
    holders = _nat_gateways_by_allocation(reader, region) if addresses else {}
    found = []
    for address in addresses:
        # an EC2-Classic address had no allocation id: it is known by its public IP
        allocation = address.get("AllocationId") or address["PublicIp"]
        tags = tag_map(address.get("Tags"))
        found.append(live_resource("eip", region, allocation, name=tags.get("Name"), domain=address.get("Domain"),
                                   nat_gateway=holders.get(allocation), tags=tags))
    return found


KIND = declare_kind(
    "eip", "regional", "An Elastic IP address (allocation).",
    tags=TAGS_COLLECTED,  # DescribeAddresses carries them
    attributes={
        "name": (STR, "the Name tag"),
        "domain": (STR, "vpc (standard was EC2-Classic's; Terraform: domain, or the deprecated vpc = true/false; "
                        "unknown when neither is written)"),
        "nat_gateway": (STR, "Name tag of the NAT gateway holding it by allocation id (null: none)"),
    },
    terraform={"aws_eip": eip},
    service="ec2", collect=eips,
    reads={
        "ec2": {"DescribeAddresses": "ec2:DescribeAddresses", "DescribeNatGateways": "ec2:DescribeNatGateways"},
    },
)
