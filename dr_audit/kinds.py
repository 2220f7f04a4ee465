"""The resource kinds a policy can name, and their normalized attributes.

Both collectors (Terraform and AWS) produce these shapes; rows and
comparators only ever see them. Adding a kind or attribute here is the one
place a policy's vocabulary grows; each collector then maps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: attribute value types, as checked by the policy validator
STR, INT, NUMBER, BOOL, CIDR, STR_LIST, INT_LIST, ANY = (
    "str", "int", "number", "bool", "cidr", "list[str]", "list[int]", "any")

#: the provider whose account the live audit reads; kinds of any other
#: provider are audited from Terraform only (policy x code)
LIVE_PROVIDER = "aws"


@dataclass(frozen=True)
class AttributeSpec:
    """One normalized attribute: its type and what it means."""

    type: str
    doc: str


@dataclass(frozen=True)
class Kind:
    """A resource kind: name, whether it lives in a region, its attributes.

    ``scope`` is ``regional`` (rows select resources in the role's region) or
    ``global`` (IAM, Route 53, CloudFront: the region is not a selector).
    ``provider`` is the Terraform provider that declares it; only kinds of
    :data:`LIVE_PROVIDER` are also read from the account.
    """

    name: str
    scope: str
    doc: str
    attributes: dict[str, AttributeSpec] = field(default_factory=dict)
    provider: str = LIVE_PROVIDER

    @property
    def terraform_only(self) -> bool:
        """True when no live collector can read this kind: code is the only evidence."""
        return self.provider != LIVE_PROVIDER


def _kind(kind_name: str, scope: str, doc: str, provider: str = LIVE_PROVIDER,
          **attributes: tuple[str, str]) -> Kind:
    return Kind(kind_name, scope, doc, {k: AttributeSpec(*v) for k, v in attributes.items()}, provider)


KINDS: dict[str, Kind] = {k.name: k for k in [
    _kind("vpc", "regional", "A VPC.",
          name=(STR, "the Name tag"),
          cidr_block=(CIDR, "primary IPv4 CIDR"),
          enable_dns_hostnames=(BOOL, "DNS hostnames enabled")),
    _kind("subnet", "regional", "A VPC subnet.",
          name=(STR, "the Name tag"),
          vpc=(STR, "Name tag of the VPC it belongs to"),
          cidr_block=(CIDR, "IPv4 CIDR"),
          availability_zone=(STR, "availability zone name, e.g. us-east-1a"),
          map_public_ip_on_launch=(BOOL, "instances get a public IP (a public subnet)")),
    _kind("nat_gateway", "regional", "A NAT gateway.",
          name=(STR, "the Name tag"),
          vpc=(STR, "Name tag of the VPC of its subnet"),
          subnet=(STR, "Name tag of the subnet it sits in"),
          availability_zone=(STR, "availability zone of its subnet"),
          connectivity_type=(STR, "public or private")),
    _kind("internet_gateway", "regional", "An internet gateway.",
          name=(STR, "the Name tag"),
          vpc=(STR, "Name tag of the attached VPC")),
    _kind("route_table", "regional", "A VPC route table.",
          name=(STR, "the Name tag"),
          vpc=(STR, "Name tag of its VPC"),
          subnets=(STR_LIST, "Name tags of the subnets associated with it"),
          default_route_target=(STR, "where 0.0.0.0/0 goes: internet_gateway, nat_gateway, other or none")),
    _kind("load_balancer", "regional", "An Elastic Load Balancing v2 load balancer.",
          name=(STR, "load balancer name"),
          type=(STR, "application, network or gateway"),
          scheme=(STR, "internet-facing or internal")),
    _kind("lb_target_group", "regional", "A load balancer target group and its health check.",
          name=(STR, "target group name"),
          protocol=(STR, "HTTP, HTTPS, TCP, ..."),
          port=(INT, "target port"),
          health_check_path=(STR, "health check path"),
          health_check_interval=(INT, "seconds between health checks"),
          healthy_threshold=(INT, "consecutive successes before healthy"),
          unhealthy_threshold=(INT, "consecutive failures before unhealthy"),
          health_check_matcher=(STR, "HTTP codes counted as healthy, e.g. 200")),
    _kind("autoscaling_group", "regional", "An EC2 Auto Scaling group.",
          name=(STR, "group name"),
          min_size=(INT, "scaling minimum"),
          max_size=(INT, "scaling maximum"),
          desired_capacity=(INT, "desired instance count"),
          health_check_type=(STR, "EC2 or ELB"),
          target_groups=(STR_LIST, "names of the load balancer target groups it registers with")),
    _kind("eks_cluster", "regional", "An EKS cluster.",
          name=(STR, "cluster name"),
          version=(STR, "Kubernetes version, e.g. 1.33"),
          secrets_encrypted=(BOOL, "envelope encryption of secrets with a KMS key")),
    _kind("eks_node_group", "regional", "An EKS managed node group.",
          name=(STR, "node group name"),
          cluster=(STR, "cluster name"),
          instance_types=(STR_LIST, "instance types"),
          min_size=(INT, "scaling minimum"),
          max_size=(INT, "scaling maximum"),
          desired_size=(INT, "desired node count")),
    _kind("rds_instance", "regional", "An RDS DB instance.",
          identifier=(STR, "DB instance identifier"),
          engine=(STR, "engine, e.g. mysql"),
          engine_version=(STR, "engine version, e.g. 8.4.7"),
          instance_class=(STR, "instance class"),
          port=(INT, "listener port"),
          multi_az=(BOOL, "Multi-AZ deployment"),
          backup_retention_period=(INT, "automated backup retention, days"),
          backup_window=(STR, "preferred backup window, hh24:mi-hh24:mi UTC"),
          db_subnet_group=(STR, "DB subnet group name"),
          is_read_replica=(BOOL, "replicates from another instance"),
          replicate_source_identifier=(STR, "identifier of the replication source"),
          replicate_source_region=(STR, "region of the replication source"),
          storage_encrypted=(BOOL, "storage encryption"),
          kms_key_region=(STR, "region of the KMS key that encrypts its storage, none when unset"),
          deletion_protection=(BOOL, "deletion protection")),
    _kind("elasticache_replication_group", "regional", "An ElastiCache (Redis OSS / Valkey) replication group.",
          id=(STR, "replication group id"),
          node_type=(STR, "cache node type"),
          multi_az=(BOOL, "Multi-AZ enabled"),
          automatic_failover=(BOOL, "automatic failover enabled"),
          transit_encryption=(BOOL, "in-transit encryption enabled"),
          at_rest_encryption=(BOOL, "at-rest encryption enabled"),
          snapshot_retention_limit=(INT, "days automatic snapshots are kept (0: off)")),
    _kind("dynamodb_table", "regional", "A DynamoDB table.",
          name=(STR, "table name"),
          stream_enabled=(BOOL, "DynamoDB Streams enabled"),
          stream_view_type=(STR, "stream view type, e.g. NEW_AND_OLD_IMAGES"),
          replica_regions=(STR_LIST, "regions holding global-table replicas"),
          point_in_time_recovery=(BOOL, "PITR enabled")),
    _kind("s3_bucket", "regional", "An S3 bucket.",
          name=(STR, "bucket name"),
          versioning=(STR, "Enabled, Suspended or Disabled"),
          replication_destination_buckets=(STR_LIST, "names of replication destination buckets"),
          replication_time_minutes=(INT, "S3 Replication Time Control threshold of its enabled rules, "
                                         "minutes (none when a rule has no RTC)"),
          delete_marker_replication=(BOOL, "every enabled replication rule replicates delete markers")),
    _kind("cognito_user_pool", "regional", "A Cognito user pool.",
          name=(STR, "pool name")),
    _kind("ecr_repository", "regional", "An ECR repository.",
          name=(STR, "repository name"),
          image_tag_mutability=(STR, "MUTABLE or IMMUTABLE")),
    _kind("ecr_replication", "regional",
          "A registry's replication configuration (one per registry and region).",
          destination_regions=(STR_LIST, "regions any rule replicates to"),
          rules=(ANY, "list of {destinations: [regions], prefixes: [repository prefixes]}")),
    _kind("secretsmanager_secret", "regional", "A Secrets Manager secret.",
          name=(STR, "secret name"),
          replica_regions=(STR_LIST, "regions the secret is replicated to")),
    _kind("cloudfront_distribution", "global", "A CloudFront distribution.",
          id=(STR, "distribution id"),
          comment=(STR, "the distribution's comment"),
          aliases=(STR_LIST, "alternate domain names"),
          has_origin_failover=(BOOL, "an origin group with failover serves the default behaviour"),
          origin_failover_status_codes=(INT_LIST, "HTTP status codes that fail the default behaviour's "
                                                  "origin group over to its second origin ([] without one)"),
          viewer_protocol_policy=(STR, "default behaviour's viewer protocol policy")),
    _kind("route53_zone", "global", "A Route 53 hosted zone.",
          name=(STR, "zone name without the trailing dot"),
          private_zone=(BOOL, "private hosted zone")),
    _kind("route53_record", "global", "A Route 53 record set.",
          name=(STR, "record name without the trailing dot"),
          type=(STR, "record type"),
          set_identifier=(STR, "set identifier of a routing-policy record"),
          failover_role=(STR, "PRIMARY or SECONDARY for failover routing, else none"),
          has_health_check=(BOOL, "a health check is attached"),
          alias_dns_name=(STR, "alias target DNS name without the trailing dot")),
    _kind("route53_health_check", "global", "A Route 53 health check.",
          name=(STR, "the Name tag"),
          type=(STR, "HTTP, HTTPS, TCP, ..."),
          fqdn=(STR, "checked host name"),
          port=(INT, "checked port"),
          resource_path=(STR, "checked path"),
          request_interval=(INT, "seconds between checks"),
          failure_threshold=(INT, "consecutive failures before unhealthy")),
    _kind("acm_certificate", "regional", "An ACM certificate.",
          domain_name=(STR, "primary domain name"),
          status=(STR, "ISSUED, PENDING_VALIDATION, EXPIRED, ...: only an ISSUED, unexpired certificate meets a row"),
          not_after=(STR, "end of validity, ISO 8601 UTC (none before it is issued)")),
    _kind("kms_alias", "regional", "A KMS key alias.",
          name=(STR, "alias name, alias/...")),
    _kind("iam_role", "global", "An IAM role.",
          name=(STR, "role name")),
    _kind("iam_role_policy", "global", "An inline policy of an IAM role.",
          name=(STR, "policy name"),
          role=(STR, "name of the role it belongs to"),
          actions=(STR_LIST, "every action an Allow statement grants"),
          resources=(STR_LIST, "every resource an Allow statement names")),
    _kind("cloudwatch_alarm", "regional", "A CloudWatch metric alarm.",
          name=(STR, "alarm name"),
          namespace=(STR, "metric namespace"),
          metric_name=(STR, "metric name"),
          comparison_operator=(STR, "e.g. GreaterThanThreshold"),
          threshold=(NUMBER, "threshold"),
          period=(INT, "seconds per evaluation period"),
          evaluation_periods=(INT, "periods evaluated"),
          has_actions=(BOOL, "at least one alarm action")),
    # ---- Terraform only: no live collector reads these providers' accounts
    _kind("gcp_sql_instance", "regional", "A Google Cloud SQL instance.", "google",
          name=(STR, "instance name"),
          database_version=(STR, "e.g. POSTGRES_15"),
          availability_type=(STR, "ZONAL or REGIONAL (high availability)"),
          backup_enabled=(BOOL, "automated backups enabled"),
          point_in_time_recovery=(BOOL, "point-in-time recovery enabled"),
          deletion_protection=(BOOL, "deletion protection")),
    _kind("gcp_redis_instance", "regional", "A Google Memorystore for Redis instance.", "google",
          name=(STR, "instance id"),
          tier=(STR, "BASIC or STANDARD_HA"),
          replica_count=(INT, "read replicas"),
          redis_version=(STR, "e.g. REDIS_7_0")),
    _kind("cloudflare_lb_monitor", "global", "A Cloudflare load balancer health monitor.", "cloudflare",
          description=(STR, "monitor description"),
          type=(STR, "http, https, tcp, ..."),
          path=(STR, "checked path"),
          interval=(INT, "seconds between checks"),
          retries=(INT, "retries before an origin is marked unhealthy"),
          timeout=(INT, "seconds before a check times out"),
          expected_codes=(STR, "expected HTTP codes")),
    _kind("cloudflare_lb_pool", "global", "A Cloudflare load balancer origin pool.", "cloudflare",
          name=(STR, "pool name"),
          origins=(STR_LIST, "origin names"),
          has_monitor=(BOOL, "a health monitor is attached"),
          minimum_origins=(INT, "healthy origins needed for the pool to be healthy")),
    _kind("cloudflare_load_balancer", "global", "A Cloudflare load balancer.", "cloudflare",
          name=(STR, "hostname it serves"),
          default_pools=(STR_LIST, "names of its default pools, in the order written"),
          fallback_pool=(STR, "name of the pool used when every other pool is unhealthy"),
          steering_policy=(STR, "off, geo, random, dynamic_latency, ..."),
          proxied=(BOOL, "traffic is proxied through Cloudflare")),
]}

#: the pseudo-kind of rows that check the written policy's own numbers
POLICY_KIND = "policy"


def attribute_spec(kind: str, attribute: str) -> AttributeSpec | None:
    """The spec of ``kind.attribute``, or None when either is unknown."""
    spec = KINDS.get(kind)
    return spec.attributes.get(attribute) if spec else None
