"""Export a policy's static attribute rows as checkov custom YAML policies.

A row is exportable when its attribute and every selector key are a
Terraform argument as written (``ARGUMENTS``), its operator has a checkov
twin (``OPERATORS``), and it is managed by Terraform. Each policy applies to
the row's resource types and is built as "not the selected resource, or the
attribute holds", so only the selected resource can fail it.

Run ``python -m dr_audit.checkov export POLICY`` to regenerate
``policies/checkov/<policy-name>/``.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from dr_audit.model import Policy, Row
from dr_audit.kinds.registry import terraform_mappings

#: (kind, normalized attribute) -> the Terraform argument path checkov reads,
#: only where the normalized value is that argument as written (no links, no derived values)
ARGUMENTS: dict[tuple[str, str], str] = {
    ("vpc", "name"): "tags.Name",
    ("rds_instance", "identifier"): "identifier",
    ("rds_instance", "engine"): "engine",
    ("rds_instance", "engine_version"): "engine_version",
    ("rds_instance", "instance_class"): "instance_class",
    ("rds_instance", "port"): "port",
    ("rds_instance", "multi_az"): "multi_az",
    ("rds_instance", "backup_retention_period"): "backup_retention_period",
    ("rds_instance", "backup_window"): "backup_window",
    ("rds_instance", "db_subnet_group"): "db_subnet_group_name",
    ("rds_instance", "storage_encrypted"): "storage_encrypted",
    ("rds_instance", "deletion_protection"): "deletion_protection",
    ("autoscaling_group", "name"): "name",
    ("autoscaling_group", "min_size"): "min_size",
    ("autoscaling_group", "max_size"): "max_size",
    ("autoscaling_group", "desired_capacity"): "desired_capacity",
    ("autoscaling_group", "health_check_type"): "health_check_type",
    ("elasticache_replication_group", "id"): "replication_group_id",
    ("elasticache_replication_group", "node_type"): "node_type",
    ("elasticache_replication_group", "multi_az"): "multi_az_enabled",
    ("elasticache_replication_group", "automatic_failover"): "automatic_failover_enabled",
    ("elasticache_replication_group", "transit_encryption"): "transit_encryption_enabled",
    ("elasticache_replication_group", "at_rest_encryption"): "at_rest_encryption_enabled",
    ("elasticache_replication_group", "snapshot_retention_limit"): "snapshot_retention_limit",
    ("dynamodb_table", "name"): "name",
    ("dynamodb_table", "stream_enabled"): "stream_enabled",
    ("dynamodb_table", "stream_view_type"): "stream_view_type",
    ("dynamodb_table", "point_in_time_recovery"): "point_in_time_recovery.enabled",
    ("eks_cluster", "name"): "name",
    ("eks_cluster", "version"): "version",
    ("eks_node_group", "name"): "node_group_name",
    ("eks_node_group", "cluster"): "cluster_name",
    ("eks_node_group", "instance_types"): "instance_types",
    ("eks_node_group", "min_size"): "scaling_config.min_size",
    ("eks_node_group", "max_size"): "scaling_config.max_size",
    ("eks_node_group", "desired_size"): "scaling_config.desired_size",
    ("cloudwatch_alarm", "name"): "alarm_name",
    ("cloudwatch_alarm", "namespace"): "namespace",
    ("cloudwatch_alarm", "metric_name"): "metric_name",
    ("cloudwatch_alarm", "threshold"): "threshold",
    ("cloudwatch_alarm", "period"): "period",
    ("cloudwatch_alarm", "evaluation_periods"): "evaluation_periods",
    ("route53_health_check", "name"): "tags.Name",
    ("route53_health_check", "type"): "type",
    ("route53_health_check", "resource_path"): "resource_path",
    ("route53_health_check", "request_interval"): "request_interval",
    ("route53_health_check", "failure_threshold"): "failure_threshold",
    ("lb_target_group", "name"): "name",
    ("lb_target_group", "health_check_path"): "health_check.path",
    ("lb_target_group", "health_check_interval"): "health_check.interval",
    ("lb_target_group", "healthy_threshold"): "health_check.healthy_threshold",
    ("lb_target_group", "unhealthy_threshold"): "health_check.unhealthy_threshold",
}

#: our operator -> checkov's attribute operator
OPERATORS = {"eq": "equals", "ne": "not_equals", "gte": "greater_than_or_equal", "lte": "less_than_or_equal",
             "gt": "greater_than", "lt": "less_than", "contains": "contains"}
_NEGATED = {"equals": "not_equals"}


def check_id(row: Row) -> str:
    """checkov's id for a row, derived from the row id (stable, never a counter)."""
    return "CKV2_DR_" + re.sub(r"[^A-Z0-9]", "_", row.id)


def resource_types(kind: str) -> list[str]:
    return sorted(tf_type for (mode, tf_type), (k, _) in terraform_mappings().items() if mode == "managed" and k == kind)


def exportable(row: Row) -> bool:
    return (row.managed_by == "terraform" and not row.comparator and row.aggregate is None
            and row.op in OPERATORS and (row.kind, row.attribute) in ARGUMENTS
            and all((row.kind, key) in ARGUMENTS for key in row.select))


def checkov_policy(row: Row) -> dict[str, Any]:
    """The checkov custom policy (as data) for an exportable row."""
    types = resource_types(row.kind)
    holds = {"cond_type": "attribute", "resource_types": list(types), "attribute": ARGUMENTS[(row.kind, row.attribute)],
             "operator": OPERATORS[row.op], "value": row.value}
    other = [{"cond_type": "attribute", "resource_types": list(types), "attribute": ARGUMENTS[(row.kind, key)],
              "operator": "not_equals", "value": value} for key, value in row.select.items()]
    definition = {"or": other + [holds]} if other else holds
    return {"metadata": {"name": f"DR {row.id} (clause {row.clause}): {row.title}", "id": check_id(row),
                         "category": "BACKUP_AND_RECOVERY"},
            "definition": definition}


def export_texts(policy: Policy) -> dict[str, str]:
    """File name -> YAML text for every exportable row of ``policy``."""
    header = f"# Generated from {Path(policy.path).name} by `python -m dr_audit.checkov export`; do not edit.\n"
    return {f"{row.id}.yaml": header + yaml.safe_dump(checkov_policy(row), sort_keys=False, allow_unicode=True)
            for row in policy.rows if exportable(row)}


def write_export(policy: Policy, directory: Path) -> list[Path]:
    """Write the export into ``directory`` (stale files removed); returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    texts = export_texts(policy)
    for stale in directory.glob("*.yaml"):
        if stale.name not in texts:
            stale.unlink()
    written = []
    for name, text in sorted(texts.items()):
        (directory / name).write_text(text, encoding="utf-8")
        written.append(directory / name)
    return written


def is_fresh(policy: Policy, directory: Path) -> bool:
    """True when ``directory`` holds exactly the export of ``policy`` as it is now."""
    if not directory.is_dir():
        return False
    written = {path.name: path.read_text(encoding="utf-8") for path in directory.glob("*.yaml")}
    return written == export_texts(policy)


def checks_for(policy: Policy, committed: Path, cache: Path | None = None) -> Path:
    """The directory of checks to give checkov: ``committed`` when it is fresh, else a
    generated export, content-addressed under ``cache`` (the parse cache) or the system's
    temporary directory, never in the repository. Raises OSError when it cannot be written."""
    if is_fresh(policy, committed):
        return committed
    texts = export_texts(policy)
    digest = hashlib.sha256("".join(f"{n}\0{t}\0" for n, t in sorted(texts.items())).encode()).hexdigest()[:16]
    base = Path(cache) if cache is not None else Path(tempfile.gettempdir()) / "dr-audit"
    directory = base / "checkov-exports" / f"{policy.name}-{digest}"
    if not is_fresh(policy, directory):
        write_export(policy, directory)
    return directory
