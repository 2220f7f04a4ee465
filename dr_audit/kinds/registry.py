"""The registered kinds, and every table derived from them.

In: the built-in kind modules (each defines ``KIND``), kinds from installed
packages (entry-point group ``dr_audit.kinds``: a Kind, a module defining
``KIND`` or ``KINDS``, or a callable returning kinds) and kinds a pytest
``conftest.py`` returns from the ``pytest_dr_audit_kinds`` hook.
Out: :data:`KINDS` (name -> Kind, one dict that grows as kinds register) and
the views the rest of the audit uses: Terraform types to mappings, kinds to
collectors, the read operations kinds call, the state rules.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable

from dr_audit.kinds.spec import Kind, KindError, StateRule, declaration_problems

ENTRY_POINT_GROUP = "dr_audit.kinds"

#: the built-in kinds, one module each under dr_audit/kinds/
BUILTIN_MODULES = (
    "vpc", "subnet", "nat_gateway", "eip", "internet_gateway", "route_table", "load_balancer", "lb_target_group",
    "autoscaling_group", "security_group", "launch_template", "lb_listener", "lb_listener_rule", "iam_instance_profile",
    "ec2_key_pair", "ec2_image",
    "eks_cluster", "eks_node_group", "rds_instance", "rds_cluster", "rds_global_cluster",
    "elasticache_replication_group",
    "dynamodb_table", "s3_bucket", "cognito_user_pool", "ecr_repository", "ecr_replication",
    "secretsmanager_secret", "cloudfront_distribution", "route53_zone", "route53_record", "route53_health_check",
    "acm_certificate", "kms_alias", "kms_key", "backup_plan", "backup_vault", "backup_protected_resource", "efs_file_system", "iam_role", "iam_role_policy", "cloudwatch_alarm",
    "vpc_peering_connection", "ecs_cluster", "ecs_service", "ssm_parameter", "kinesis_firehose_delivery_stream",
    "vpn_connection", "vpn_gateway", "gcp_sql_instance", "gcp_redis_instance", "gcp_sql_database", "gcp_sql_user", "gcp_network",
    "gcp_subnetwork", "gcp_gke_cluster", "gcp_gke_node_pool", "gcp_vpn_gateway", "gcp_vpn_tunnel", "gcp_secret", "cloudflare_lb_monitor", "cloudflare_lb_pool",
    "cloudflare_load_balancer",
)

KINDS: dict[str, Kind] = {}
#: kind name -> where it was registered from (a module or entry point), for error messages
ORIGINS: dict[str, str] = {}
_views: dict[str, Any] = {}
_entry_points_loaded = False


def register(kind: Kind, origin: str) -> Kind:
    """Add ``kind`` (from ``origin``) to the registry; registering the same object again is a no-op.

    Raises :class:`KindError` naming both origins when another kind already
    has the name or one of its Terraform types, or when the declaration is
    not valid.
    """
    if not isinstance(kind, Kind):
        raise KindError(f"{origin}: {kind!r} is not a Kind (declare it with dr_audit.kinds.declare_kind)")
    if KINDS.get(kind.name) is kind:
        return kind
    if kind.name in KINDS:
        raise KindError(f"{origin}: kind {kind.name!r} is already registered by {ORIGINS[kind.name]}")
    problems = declaration_problems(kind)
    if problems:
        raise KindError(f"{origin}: kind {kind.name!r}: " + "; ".join(problems))
    claimed = terraform_mappings()
    for type_ in kind.terraform:
        owner = claimed.get(_type_key(type_))
        if owner is not None:
            raise KindError(f"{origin}: Terraform type {type_} already maps to kind {owner[0]!r} "
                            f"({ORIGINS[owner[0]]})")
    KINDS[kind.name] = kind
    ORIGINS[kind.name] = origin
    _views.clear()
    return kind


def register_from(source: Any, origin: str) -> list[Kind]:
    """Register what ``source`` provides: a Kind, a list of kinds, a module, or a callable returning those."""
    return [register(kind, origin) for kind in _kinds_in(source, origin)]


def _kinds_in(source: Any, origin: str) -> Iterable[Kind]:
    if isinstance(source, Kind):
        return [source]
    if isinstance(source, ModuleType):
        if hasattr(source, "KIND"):
            return [source.KIND]
        if hasattr(source, "KINDS"):
            return list(source.KINDS)
        raise KindError(f"{origin}: module {source.__name__} defines neither KIND nor KINDS")
    if isinstance(source, (list, tuple)):
        return [k for item in source for k in _kinds_in(item, origin)]
    if callable(source):
        return _kinds_in(source(), origin)
    raise KindError(f"{origin}: {source!r} provides no kinds")


def load_entry_point_kinds() -> list[str]:
    """Register the kinds of installed packages (group ``dr_audit.kinds``), once; returns their names."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return []
    _entry_points_loaded = True
    names = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {point.name} = {point.value}"
        try:
            loaded = point.load()
        except Exception as error:  # a broken plugin is named, not a traceback
            raise KindError(f"{origin}: cannot be loaded: {type(error).__name__}: {error}") from None
        names += [k.name for k in register_from(loaded, origin)]
    return names


def _type_key(type_: str) -> tuple[str, str]:
    """``data.aws_route53_zone`` -> ("data", "aws_route53_zone"); ``aws_vpc`` -> ("managed", "aws_vpc")."""
    return ("data", type_[5:]) if type_.startswith("data.") else ("managed", type_)


def _view(name: str, build: Callable[[], Any]) -> Any:
    if name not in _views:
        _views[name] = build()
    return _views[name]


def terraform_mappings() -> dict[tuple[str, str], tuple[str, Callable]]:
    """(mode, Terraform type) -> (kind name, mapping), over every registered kind."""
    return _view("terraform", lambda: {_type_key(t): (k.name, fn) for k in KINDS.values()
                                       for t, fn in k.terraform.items()})


def aws_collectors() -> dict[str, tuple[str, Callable]]:
    """kind name -> (service, collector) for every kind read from the account."""
    return _view("collectors", lambda: {k.name: (k.service, k.collect) for k in KINDS.values()
                                        if k.collect is not None})


def kind_reads() -> dict[str, dict[str, str]]:
    """Every read operation a registered kind may call: ``{service: {operation: IAM action}}``."""
    def build() -> dict:
        merged: dict[str, dict[str, str]] = {}
        for kind in KINDS.values():
            for service, operations in kind.reads.items():
                merged.setdefault(service, {}).update(operations)
        return merged
    return _view("reads", build)


def state_rules() -> dict[str, StateRule]:
    """Every kind's state rules, keyed ``kind`` or ``kind.part``."""
    return _view("states", lambda: {key: rule for k in KINDS.values() for key, rule in k.states.items()})


def plugin_fingerprint() -> str:
    """A hash of the kinds registered beyond the built-in ones (name, origin, source of their
    module): evidence cached before a plugin kind was added or changed is not reused."""
    def build() -> str:
        digest = hashlib.sha256()
        for name in sorted(KINDS):
            if ORIGINS[name] == f"dr_audit.kinds.{name}" and name in BUILTIN_MODULES:
                continue
            digest.update(f"{name}\0{ORIGINS[name]}\0".encode("utf-8"))
            for function in KINDS[name].terraform.values():
                source = inspect.getsourcefile(function)
                if source and Path(source).is_file():
                    digest.update(Path(source).read_bytes())
        return digest.hexdigest()[:16]
    return _view("fingerprint", build)


def version() -> int:
    """Changes whenever a kind registers: a cache of a derived table compares it."""
    return len(KINDS)


for _module in BUILTIN_MODULES:
    register_from(importlib.import_module(f"dr_audit.kinds.{_module}"), f"dr_audit.kinds.{_module}")
