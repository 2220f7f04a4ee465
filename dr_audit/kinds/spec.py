"""What a kind is: its declaration, how code and account are read, and the reads it needs.

A kind is one module under ``dr_audit/kinds/`` (or in a plugin) that defines
``KIND = declare_kind(...)``: the normalized attributes every row, comparator
and report sees; the Terraform types that declare it with the function that
maps each onto those attributes; the function that reads it from the account
with the read operations (and IAM actions) it calls; and which states of a
live resource count. Everything else (the read-only allowlist, the IAM
policy, the README reference, the meta-tests) is derived from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

#: attribute value types, as checked by the policy validator
STR, INT, NUMBER, BOOL, CIDR, STR_LIST, INT_LIST, MAP, ANY = (
    "str", "int", "number", "bool", "cidr", "list[str]", "list[int]", "map[str]", "any")
VALUE_TYPES = (STR, INT, NUMBER, BOOL, CIDR, STR_LIST, INT_LIST, MAP, ANY)

#: the provider whose account the live audit reads; kinds of any other
#: provider are audited from Terraform only (policy x code)
LIVE_PROVIDER = "aws"

#: the pseudo-kind of rows that check the written policy's own numbers
POLICY_KIND = "policy"

SCOPES = ("regional", "global")

#: the attribute every taggable kind has (see ``Kind.tags``)
TAGS = "tags"
TAGS_DOC = ("the resource's tags, key -> value (Terraform: its tags over the provider's default_tags; "
            "the account: the Resource Groups Tagging API)")
#: ``tags`` of a kind whose collector reads the tags from its own listing (DescribeAddresses, IAM's
#: authorization details): no Tagging API read, and the attribute's doc says where they come from
TAGS_COLLECTED = "collected"
TAGS_COLLECTED_DOC = ("the resource's tags, key -> value (Terraform: its tags over the provider's default_tags; "
                      "the account: the kind's own listing)")
#: the read that gives every taggable kind its tags in the account: one listing per region
TAGGING_READS = {"resourcegroupstaggingapi": {"GetResources": "tag:GetResources"}}


class KindError(ValueError):
    """A kind declaration that cannot be registered; names where it came from."""


@dataclass(frozen=True)
class AttributeSpec:
    """One normalized attribute: its type and what it means.

    ``terraform_only`` marks an argument of an AWS kind that the AWS API never
    returns (``skip_final_snapshot``, a KMS key's deletion window): only the
    code is evidence for it, and the account is not consulted.
    """

    type: str
    doc: str
    terraform_only: bool = False


def terraform_only(type_: str, doc: str) -> tuple[str, str, bool]:
    """An attribute declaration (for ``declare_kind``) read from Terraform only.

    >>> terraform_only("bool", "skip the final snapshot")
    ('bool', 'skip the final snapshot (Terraform only: the AWS API does not return it)', True)
    """
    return type_, f"{doc} (Terraform only: the AWS API does not return it)", True


@dataclass(frozen=True)
class StateRule:
    """What a thing's state must be to count as evidence.

    ``field`` is the AWS field that holds the state, ``counts`` the values
    that serve; any other value (failed, transitional, disabled) means the
    thing exists but meets no row. ``why`` says what such a value means.
    """

    field: str
    counts: frozenset
    why: str = ""


#: a Terraform mapping: a Reader of one evaluated instance -> {attribute: AttributeValue}
TerraformMapping = Callable[[Any], dict]
#: a live collector: (AwsReader, region) -> list[Resource]
Collector = Callable[[Any, str], list]


@dataclass(frozen=True)
class Kind:
    """A resource kind: its vocabulary and where its evidence comes from.

    ``scope`` is ``regional`` (rows select resources in the role's region) or
    ``global`` (IAM, Route 53, CloudFront: the region is not a selector).
    ``provider`` is the Terraform provider that declares it; only kinds of
    :data:`LIVE_PROVIDER` are also read from the account.
    ``terraform`` maps each Terraform type that declares the kind (``aws_lb``;
    a data source as ``data.aws_route53_zone``) to its mapping. ``collect``
    reads the kind in one region through ``service``; ``reads`` lists every
    read operation it may call, ``{service: {operation: IAM action}}``.
    ``states`` says which states count, keyed by the kind or ``kind.part``.
    ``tags`` (default: True for kinds of :data:`LIVE_PROVIDER`) gives the kind
    the :data:`TAGS` attribute, read by both collectors for every such kind (in the account from the
    Tagging API; ``tags_collected``: by the kind's collector from its own listing);
    False for things that cannot be tagged (a DNS record, an inline policy).
    """

    name: str
    scope: str
    doc: str
    attributes: dict[str, AttributeSpec] = field(default_factory=dict)
    provider: str = LIVE_PROVIDER
    terraform: dict[str, TerraformMapping] = field(default_factory=dict)
    service: str | None = None
    collect: Collector | None = None
    reads: dict[str, dict[str, str]] = field(default_factory=dict)
    states: dict[str, StateRule] = field(default_factory=dict)
    tags: bool | None = None
    tags_collected: bool = False

    def __post_init__(self) -> None:
        # frozen: the defaults are settled once, here, so every view of the kind agrees
        tagged = self.provider == LIVE_PROVIDER if self.tags is None else bool(self.tags)
        object.__setattr__(self, "tags", tagged)
        if tagged and TAGS not in self.attributes:
            doc = TAGS_COLLECTED_DOC if self.tags_collected else TAGS_DOC
            object.__setattr__(self, "attributes", {**self.attributes, TAGS: AttributeSpec(MAP, doc)})
        if tagged and self.collect is not None and not self.tags_collected:  # from the Tagging API's listing
            reads = {service: dict(operations) for service, operations in self.reads.items()}
            for service, operations in TAGGING_READS.items():
                reads.setdefault(service, {}).update(operations)
            object.__setattr__(self, "reads", reads)

    @property
    def terraform_only(self) -> bool:
        """True when no live collector can read this kind: code is the only evidence."""
        return self.provider != LIVE_PROVIDER

    def code_only_reason(self, attribute: str | None) -> str | None:
        """Why the account is never consulted for ``attribute`` of this kind (None: the whole
        resource), else None: the kind has no live collector, or the attribute is an argument
        the AWS API does not return."""
        if self.terraform_only:
            return f"Terraform only: no live collector reads {self.provider} resources"
        spec = self.attributes.get(attribute) if attribute else None
        if spec is not None and spec.terraform_only:
            return f"Terraform only: the AWS API does not return {self.name}.{attribute}"
        return None


def declare_kind(name: str, scope: str, doc: str, *, attributes: dict[str, tuple[str, str]],
                 provider: str = LIVE_PROVIDER, terraform: dict[str, TerraformMapping] | None = None,
                 service: str | None = None, collect: Collector | None = None,
                 reads: dict[str, dict[str, str]] | None = None,
                 states: dict[str, StateRule] | None = None, tags: bool | str | None = None) -> Kind:
    """A :class:`Kind` from plain values: ``attributes`` as ``{name: (type, doc)}``
    (or :func:`terraform_only` for an argument the AWS API does not return).

    ``tags`` (None: True for AWS kinds) adds the ``tags`` map attribute; :data:`TAGS_COLLECTED`
    (``"collected"``) when the collector sets them from its own listing.

    Raises :class:`KindError` for a declaration that cannot work: an unknown
    scope or attribute type, a collector without its service or reads, a
    live collector on a Terraform-only provider, a state rule of another kind.
    """
    kind = Kind(name, scope, doc, {k: AttributeSpec(*v) for k, v in attributes.items()}, provider,
                dict(terraform or {}), service, collect, {s: dict(o) for s, o in (reads or {}).items()},
                dict(states or {}), True if tags == TAGS_COLLECTED else tags, tags == TAGS_COLLECTED)
    problems = declaration_problems(kind)
    if problems:
        raise KindError(f"kind {name!r}: " + "; ".join(problems))
    return kind


def declaration_problems(kind: Kind) -> list[str]:
    """Why ``kind`` cannot be registered (empty when it can)."""
    problems = []
    if not isinstance(kind.name, str) or not kind.name.isidentifier() or kind.name == POLICY_KIND:
        problems.append("the name must be an identifier other than 'policy'")
    if kind.scope not in SCOPES:
        problems.append(f"scope {kind.scope!r} is not one of {', '.join(SCOPES)}")
    for attribute, spec in kind.attributes.items():
        if spec.type not in VALUE_TYPES:
            problems.append(f"attribute {attribute!r} has type {spec.type!r}, not one of {', '.join(VALUE_TYPES)}")
    if kind.collect is not None:
        if kind.terraform_only:
            problems.append(f"provider {kind.provider!r} is never read from the account: it cannot have a collector")
        own_reads = {service for service in kind.reads if service not in TAGGING_READS}
        if not kind.service or not own_reads:
            problems.append("a collector needs its service and the read operations it calls")
    from dr_audit.aws.readonly import READ_PREFIXES  # readonly's users import the kinds

    for service, operations in kind.reads.items():
        for operation, action in operations.items():
            if not operation.startswith(READ_PREFIXES) or ":" not in action:
                problems.append(f"{service}:{operation} is not a read operation: a kind only reads")
    tags = kind.attributes.get(TAGS)
    if kind.tags and tags is not None and tags.type != MAP:
        problems.append(f"attribute {TAGS!r} of a taggable kind must be {MAP}, not {tags.type}")
    for key in kind.states:
        if key != kind.name and not key.startswith(kind.name + "."):
            problems.append(f"state rule {key!r} belongs to another kind")
    for type_ in kind.terraform:
        if not type_.removeprefix("data.").replace("_", "").isalnum():
            problems.append(f"{type_!r} is not a Terraform type")
    return problems
