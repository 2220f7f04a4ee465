"""The ``acm_certificate`` kind. An ACM certificate.

Its attributes, how Terraform declares it and how the account is read.
"""

from __future__ import annotations

from datetime import datetime, timezone

from dr_audit.aws.collecting import detail, first_reason, iso_utc, live_resource, out_of_service
from dr_audit.aws.reader import AwsReader
from dr_audit.inventory import Resource, Unreadable
from dr_audit.kinds.spec import STR, StateRule, declare_kind
from dr_audit.terraform.reading import Reader
from dr_audit.terraform.values import Unknown


# ----- Terraform ---------------------------------------------------------------

def acm_certificate(r: Reader) -> dict:
    """Status and validity are ACM's to assign once the certificate is validated: only the account knows them."""
    after_apply = lambda name: r.at_block(Unknown(f"{r.instance.address}.{name}",
                                                   "assigned by ACM after validation: known only after apply"),
                                           "computed")
    return {"domain_name": r.arg("domain_name"), "status": after_apply("status"), "not_after": after_apply("not_after"),
            "validation_method": r.arg("validation_method", None)}


# ----- the account -------------------------------------------------------------

def _every_key_type(reader: AwsReader, region: str) -> list[str]:
    """Every key algorithm the ACM model knows: without ``Includes.keyTypes``
    ListCertificates returns only RSA_1024 and RSA_2048 certificates."""
    return list(reader.client("acm", region).meta.service_model.shape_for("KeyAlgorithm").enum)


def acm_certificates(reader: AwsReader, region: str) -> list[Resource]:
    """Certificates of every key type; only an ISSUED, unexpired one can meet a row."""
    found = []
    now = datetime.now(timezone.utc)
    for cert in reader.paginate("acm", region, "list_certificates", "CertificateSummaryList",
                                Includes={"keyTypes": _every_key_type(reader, region)}):
        not_after = cert.get("NotAfter")
        expired = f"expired on {iso_utc(not_after)}" if isinstance(not_after, datetime) and not_after <= now else None
        found.append(live_resource("acm_certificate", region, cert["CertificateArn"],
                                   not_serving=first_reason(out_of_service("acm_certificate", cert.get("Status")), expired),
                                   domain_name=cert.get("DomainName"), status=cert.get("Status"),
                                   not_after=iso_utc(not_after),
                                   validation_method=_validation_method(reader, region, cert)))
    return found


def _validation_method(reader: AwsReader, region: str, cert: dict) -> object:
    """How ACM validates the primary domain (DNS, EMAIL, HTTP), from DescribeCertificate; None for an
    imported or private certificate, which ACM does not validate."""
    arn = cert["CertificateArn"]
    described = detail(lambda: reader.call("acm", region, "describe_certificate", CertificateArn=arn)["Certificate"])
    if isinstance(described, Unreadable):
        return described
    options = described.get("DomainValidationOptions") or []
    primary = next((o for o in options if o.get("DomainName") == described.get("DomainName")), options[0] if options else {})
    return primary.get("ValidationMethod")


KIND = declare_kind(
    "acm_certificate", "regional", "An ACM certificate.",
    attributes={
        "domain_name": (STR, "primary domain name"),
        "status": (STR, "ISSUED, PENDING_VALIDATION, EXPIRED, ...: only an ISSUED, unexpired certificate meets a row"),
        "not_after": (STR, "end of validity, ISO 8601 UTC (none before it is issued)"),
        "validation_method": (STR, "DNS, EMAIL or HTTP: how ACM validates the domain (none when imported)"),
    },
    terraform={"aws_acm_certificate": acm_certificate},
    service="acm", collect=acm_certificates,
    reads={"acm": {"ListCertificates": "acm:ListCertificates", "DescribeCertificate": "acm:DescribeCertificate"}},
    states={
        "acm_certificate": StateRule("Status", frozenset({"ISSUED"})),
    },
)
