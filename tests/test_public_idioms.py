"""Idioms of public Terraform (terraform-aws-modules/terraform-aws-vpc) that name a route
table through a splat: ``element(aws_route_table.private[*].id, var.single ? 0 : count.index)``.

Which table such a reference names is known statically even where its id is not, and
Terraform knows it the same way: a route or association that can only be in the public
tables is not in a private one. A choice that is truly unresolved (an unknown index among
several tables) stays Unknown ("may be in this table"), never a definite answer.
"""

from __future__ import annotations

from dr_audit.terraform.values import Unknown
from tests.conftest import one

PROVIDER = 'provider "aws" {\n  region = "eu-west-1"\n}\n'

#: the number of availability zones comes from a data source: read from the account, so the
#: count of every table below is unresolved statically (each is one ``[?]`` instance)
ZONES = '''
data "aws_availability_zones" "available" {}
locals {
  zones = length(data.aws_availability_zones.available.names)
}
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
'''


def _tables(names_and_counts: dict[str, str]) -> str:
    return "".join(f'''
resource "aws_route_table" "{name}" {{
  count  = {count}
  vpc_id = aws_vpc.this.id
  tags   = {{ Name = "{name}" }}
}}
''' for name, count in names_and_counts.items())


def _reason(resource, attribute: str) -> str:
    value = resource.value(attribute)
    assert isinstance(value, Unknown), (attribute, value)
    return value.reason


# ----- a splat over a table of unresolved count names only that table's instances -----

def test_an_association_through_a_splat_of_other_tables_is_not_in_this_one(tree):
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables({"public": "local.zones", "private": "local.zones"}) + '''
        variable "create_multiple_public_route_tables" {
          default = false
        }
        resource "aws_subnet" "public" {
          count      = local.zones
          vpc_id     = aws_vpc.this.id
          cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
        }
        resource "aws_route_table_association" "public" {
          count          = local.zones
          subnet_id      = element(aws_subnet.public[*].id, count.index)
          route_table_id = element(aws_route_table.public[*].id, var.create_multiple_public_route_tables ? count.index : 0)
        }
        resource "aws_route" "public_internet_gateway" {
          count                  = local.zones
          route_table_id         = aws_route_table.public[count.index].id
          destination_cidr_block = "0.0.0.0/0"
          gateway_id             = "igw-0123456789abcdef0"
        }
    '''})
    private = one(inventory, "route_table", name="private")
    assert private.value("subnets") == []
    assert private.value("default_route_target") == "none"
    assert private.value("routes") == []
    public = one(inventory, "route_table", name="public")  # which public table: honestly unresolved
    assert "may associate a subnet with this table" in _reason(public, "subnets")
    assert "may be in this table" in _reason(public, "default_route_target")


def test_coalescelist_of_two_splats_may_name_either_table_but_no_third(tree):
    # the vpc module's database association: its own tables, else the private ones
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables(
        {"database": "local.zones", "private": "local.zones", "intra": "local.zones"}) + '''
        variable "single_nat_gateway" {
          default = false
        }
        resource "aws_subnet" "database" {
          count      = local.zones
          vpc_id     = aws_vpc.this.id
          cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
        }
        resource "aws_route_table_association" "database" {
          count     = local.zones
          subnet_id = element(aws_subnet.database[*].id, count.index)
          route_table_id = element(
            coalescelist(aws_route_table.database[*].id, aws_route_table.private[*].id),
            var.single_nat_gateway ? 0 : count.index,
          )
        }
    '''})
    assert one(inventory, "route_table", name="intra").value("subnets") == []
    for name in ("database", "private"):
        assert "may associate a subnet" in _reason(one(inventory, "route_table", name=name), "subnets")


# ----- an unresolved index among known tables -----------------------------------

def test_an_unresolved_index_names_one_of_the_listed_tables_only(tree):
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables({"private": "2", "intra": "1"}) + '''
        variable "which" {
          type = number
        }
        resource "aws_route" "nat" {
          route_table_id         = element(aws_route_table.private[*].id, var.which)
          destination_cidr_block = "0.0.0.0/0"
          nat_gateway_id         = "nat-0123456789abcdef0"
        }
    '''})
    tables = [r for r in inventory.resources if r.kind == "route_table"]
    by_address = {r.address: r for r in tables}
    assert by_address["aws_route_table.intra[0]"].value("default_route_target") == "none"
    for index in (0, 1):  # never a definite answer for either private table
        assert "may be in this table" in _reason(by_address[f"aws_route_table.private[{index}]"],
                                                 "default_route_target")


def test_a_known_index_picks_one_table_modulo_the_length(tree):
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables({"private": "2"}) + '''
        resource "aws_route" "nat" {
          route_table_id         = element(aws_route_table.private[*].id, 3)
          destination_cidr_block = "0.0.0.0/0"
          nat_gateway_id         = "nat-0123456789abcdef0"
        }
    '''})
    by_address = {r.address: r for r in inventory.resources if r.kind == "route_table"}
    assert by_address["aws_route_table.private[0]"].value("default_route_target") == "none"
    assert by_address["aws_route_table.private[1]"].value("default_route_target") == "nat_gateway"


def test_an_unresolved_condition_between_two_tables_spares_a_third(tree):
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables({"a": "1", "b": "1", "c": "1"}) + '''
        variable "use_a" {
          type = bool
        }
        resource "aws_route" "default" {
          route_table_id         = try(var.use_a ? aws_route_table.a[0].id : aws_route_table.b[0].id, null)
          destination_cidr_block = "0.0.0.0/0"
          nat_gateway_id         = "nat-0123456789abcdef0"
        }
    '''})
    assert one(inventory, "route_table", name="c").value("default_route_target") == "none"
    for name in ("a", "b"):
        assert "may be in this table" in _reason(one(inventory, "route_table", name=name), "default_route_target")


def test_a_value_computed_from_a_reference_may_name_anything(tree):
    # a string built from a table's id is not that table's identity: it stays "may be"
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables({"a": "local.zones", "c": "1"}) + '''
        resource "aws_route" "default" {
          route_table_id         = "${aws_route_table.a[0].id}-copy"
          destination_cidr_block = "0.0.0.0/0"
          nat_gateway_id         = "nat-0123456789abcdef0"
        }
    '''})
    assert "may be in this table" in _reason(one(inventory, "route_table", name="c"), "default_route_target")


# ----- tags: an unresolved map says why ---------------------------------------

def test_unresolved_tags_say_why(tree):
    # the vpc module's subnet tags: lookup(var.tags_per_az, element(var.azs, count.index), {})
    inventory = tree({"main.tf": PROVIDER + ZONES + '''
        variable "tags_per_az" {
          default = {}
        }
        resource "aws_subnet" "public" {
          count      = 1
          vpc_id     = aws_vpc.this.id
          cidr_block = "10.0.0.0/24"
          tags = merge({ Team = "net" },
                       lookup(var.tags_per_az, element(data.aws_availability_zones.available.names, count.index), {}))
        }
    '''})
    subnet = next(r for r in inventory.resources if r.address == "aws_subnet.public[0]")
    assert _reason(subnet, "name") == ("tags are unresolved: "
                                       "data.aws_availability_zones.available.names is only known after apply")


def test_an_unresolved_index_before_the_attribute_names_one_of_the_instances(tree):
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables({"private": "2", "intra": "1"}) + '''
        variable "which" {
          type = number
        }
        resource "aws_route" "nat" {
          route_table_id         = aws_route_table.private[var.which].id
          destination_cidr_block = "0.0.0.0/0"
          nat_gateway_id         = "nat-0123456789abcdef0"
        }
    '''})
    assert one(inventory, "route_table", name="intra").value("default_route_target") == "none"
    by_address = {r.address: r for r in inventory.resources if r.kind == "route_table"}
    assert "may be in this table" in _reason(by_address["aws_route_table.private[1]"], "default_route_target")


def test_an_unresolved_pick_among_module_outputs_may_name_anything(tree):
    # a module's output may be any table's id: its choice names no instance
    inventory = tree({"main.tf": PROVIDER + ZONES + _tables({"c": "1"}) + '''
        variable "which" {
          type = number
        }
        module "tables" {
          count  = 2
          source = "./tables"
        }
        resource "aws_route" "nat" {
          route_table_id         = module.tables[var.which].id
          destination_cidr_block = "0.0.0.0/0"
          nat_gateway_id         = "nat-0123456789abcdef0"
        }
    ''', "tables/main.tf": '''
        variable "id" {
          default = "rtb-0123456789abcdef0"
        }
        output "id" {
          value = var.id
        }
    '''})
    assert "may be in this table" in _reason(one(inventory, "route_table", name="c"), "default_route_target")
