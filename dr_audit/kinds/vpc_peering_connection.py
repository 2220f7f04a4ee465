"""The ``vpc_peering_connection`` kind. A VPC peering connection, as its requester sees it.

Its attributes, how Terraform declares it and how the account is read.
A connection is one resource in its requester's region: the accepter's side
(``aws_vpc_peering_connection_accepter``) is read as part of it, for its
status and its own Name tag (each side of an inter-region connection has its
own tags: the accepter's region reports the accepter's). Only an ``active``
connection carries traffic (state rule): one pending acceptance, failed,
expired, rejected or deleted meets no row.
"""

from __future__ import annotations

from typing import Any

from dr_audit.aws.collecting import FailedLookup, live_resource, out_of_service, tag_map, vpc_names
from dr_audit.aws.reader import AwsReader, AwsReadError
from dr_audit.inventory import AttributeValue, Resource
from dr_audit.kinds.spec import STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def vpc_peering_connection(r: Reader) -> dict:
    """``aws_vpc_peering_connection``; peer_region defaults to the requester's own region."""
    return {"name": r.tag("Name"),
            "vpc": r.linked("vpc_id", lambda v: v.tag("Name")),
            "peer_vpc": r.linked("peer_vpc_id", lambda v: v.tag("Name")),
            "peer_region": r.arg("peer_region", r.instance.region),
            "status": _status(r), "accepter_name": _accepter_name(r)}


def _status(r: Reader) -> AttributeValue:
    """``active`` once accepted: by the requester's own ``auto_accept`` (same account and region
    only) or by an ``aws_vpc_peering_connection_accepter`` with ``auto_accept = true``; else
    ``pending-acceptance``, as AWS leaves a connection nobody accepts."""
    accepters = r.attached("aws_vpc_peering_connection_accepter", "vpc_peering_connection_id")
    doubtful = r.maybe_attached("aws_vpc_peering_connection_accepter", "vpc_peering_connection_id")
    for accepter in accepters:
        accepted = accepter.arg("auto_accept", False)
        if not accepted.known or accepted.value:
            return AttributeValue("active" if accepted.known else accepted.value, accepted.file, accepted.line,
                                  accepted.expression, f"accepted by {accepter.instance.address}")
    if doubtful:
        return r.may_refer_here(doubtful[0], "vpc_peering_connection_id", "accept this connection")
    own = r.arg("auto_accept", False)
    if not own.known:
        return own
    if own.value:
        return AttributeValue("active", own.file, own.line, own.expression, "auto_accept on the requester")
    return r.at_block("pending-acceptance", "no auto_accept and no accepter with auto_accept = true in code")


def _accepter_name(r: Reader) -> AttributeValue:
    """The Name tag of the ``aws_vpc_peering_connection_accepter`` attached to the connection,
    over its provider's default_tags; None (not set) when no accepter is written, Unknown when
    one may be attached or two are."""
    accepters = r.attached("aws_vpc_peering_connection_accepter", "vpc_peering_connection_id")
    doubtful = r.maybe_attached("aws_vpc_peering_connection_accepter", "vpc_peering_connection_id")
    if doubtful:
        return r.may_refer_here(doubtful[0], "vpc_peering_connection_id", "accept this connection")
    if not accepters:
        return r.at_block(None, "no aws_vpc_peering_connection_accepter in code: nothing tags the accepter's side")
    if len(accepters) > 1:
        return r.at_block(Unknown(r.instance.address, "two accepters name this connection"), "several accepters")
    return _own_name_tag(accepters[0])


def _own_name_tag(accepter: Reader) -> AttributeValue:
    """The accepter's Name tag: its own ``tags`` over its provider's default_tags."""
    tags = accepter.tags()
    if not tags.known:
        return tags
    return AttributeValue(tags.value.get("Name"), tags.file, tags.line, tags.expression, tags.note)


# ----- the account -------------------------------------------------------------

def peering_connections(reader: AwsReader, region: str) -> list[dict]:
    """Every connection DescribeVpcPeeringConnections lists in ``region`` (every page)."""
    return reader.paginate("ec2", region, "describe_vpc_peering_connections", "VpcPeeringConnections")


def requester_region(connection: dict, region: str) -> str:
    return (connection.get("RequesterVpcInfo") or {}).get("Region") or region


def peering_names(reader: AwsReader, region: str) -> dict[str, Any]:
    """Connection id -> its Name tag as its requester's region reports it, for the connections
    listed in ``region`` (a FailedLookup when a listing fails)."""
    try:
        names = {}
        for connection in peering_connections(reader, region):
            home = requester_region(connection, region)
            key = connection["VpcPeeringConnectionId"]
            reported = names_in_region(reader, home) if home != region else {}
            if isinstance(reported, FailedLookup):
                return reported
            # a connection its requester's region does not list is named by the listing at hand
            names[key] = reported[key] if key in reported else _names_in([connection])[key]
        return names
    except AwsReadError as error:
        return FailedLookup(error)


def names_in_region(reader: AwsReader, region: str) -> dict[str, Any]:
    """Connection id -> its Name tag as ``region`` reports it, for every connection listed there
    (every page; a FailedLookup when the listing fails: the tag is unreadable, not missing)."""
    try:
        return _names_in(peering_connections(reader, region))
    except AwsReadError as error:
        return FailedLookup(error)


def _names_in(connections: list[dict]) -> dict[str, Any]:
    return {c["VpcPeeringConnectionId"]: tag_map(c.get("Tags")).get("Name") for c in connections}


def _name_listed(names: dict[str, Any], connection_id: str, region: str) -> Any:
    if isinstance(names, FailedLookup) or connection_id in names:
        return names.get(connection_id)
    return Unknown(connection_id, f"the accepter's region {region} does not list the connection")


def vpc_peering_connections(reader: AwsReader, region: str) -> list[Resource]:
    found = []
    own_vpcs = vpc_names(reader, region)
    listed = peering_connections(reader, region)
    # a connection within one region is one resource with one set of tags: its own listing names it
    names_by_region: dict[str, Any] = {region: _names_in(listed)}
    for connection in listed:
        if requester_region(connection, region) != region:
            continue  # listed in the accepter's region too: it belongs to its requester's inventory
        accepter = connection.get("AccepterVpcInfo") or {}
        peer_region = accepter.get("Region") or region
        peer_vpcs = own_vpcs if peer_region == region else vpc_names(reader, peer_region)
        status = (connection.get("Status") or {}).get("Code")
        if peer_region not in names_by_region:
            names_by_region[peer_region] = names_in_region(reader, peer_region)
        found.append(live_resource(
            "vpc_peering_connection", region, connection["VpcPeeringConnectionId"],
            not_serving=out_of_service("vpc_peering_connection", status),
            name=tag_map(connection.get("Tags")).get("Name"),
            vpc=own_vpcs.get((connection.get("RequesterVpcInfo") or {}).get("VpcId")),
            peer_vpc=peer_vpcs.get(accepter.get("VpcId")), peer_region=peer_region, status=status,
            accepter_name=_name_listed(names_by_region[peer_region], connection["VpcPeeringConnectionId"],
                                       peer_region)))
    return found


KIND = declare_kind(
    "vpc_peering_connection", "regional", "A VPC peering connection, in its requester's region.",
    attributes={
        "name": (STR, "the Name tag, as the requester's region reports it"),
        "vpc": (STR, "Name tag of the requester VPC"),
        "peer_vpc": (STR, "Name tag of the accepter VPC"),
        "peer_region": (STR, "region of the accepter VPC"),
        "status": (STR, "status code: active, pending-acceptance, failed, expired, rejected, deleted, ..."),
        "accepter_name": (STR, "the accepter side's Name tag, as the accepter's region reports it (Terraform: the "
                               "aws_vpc_peering_connection_accepter's tags over its default_tags)"),
    },
    terraform={"aws_vpc_peering_connection": vpc_peering_connection},
    service="ec2", collect=vpc_peering_connections,
    reads={"ec2": {"DescribeVpcPeeringConnections": "ec2:DescribeVpcPeeringConnections",
                   "DescribeVpcs": "ec2:DescribeVpcs"}},
    states={
        # EC2's "VPC peering connection lifecycle": only active carries traffic; initiating-request,
        # pending-acceptance, provisioning, failed, expired, rejected, deleting and deleted do not
        "vpc_peering_connection": StateRule("Status.Code", frozenset({"active"}),
                                            "a peering connection that is not active carries no traffic"),
    },
)
