"""The load balancer checks: the certificate is issued, and each health check can pass
behind its route (pure)."""

from __future__ import annotations

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.plan.preflight.base import (
    CERTIFICATE,
    HEALTH,
    Check,
    Facts,
)
from ecsdeploy.spec.models import Spec

ROOT_PATHS = frozenset({"/", "/*", "*"})
STATUS_HINTS = {
    "PENDING_VALIDATION": "finish its DNS (or email) validation, then run verify again",
    "EXPIRED": "renew it, or request or import a new one",
    "VALIDATION_TIMED_OUT": "validation timed out; request a new certificate",
    "INACTIVE": "request or import a new one",
    "REVOKED": "request or import a new one",
    "FAILED": "request a new one (see ACM for the failure reason)",
}


def check_certificate(spec: Spec, ctx: Facts) -> list[Check]:
    """The load balancer's certificate exists and is ISSUED (ACM DescribeCertificate)."""
    arn = spec.load_balancer.certificate_arn if spec.load_balancer else None
    if arn is None:
        return [Check(CERTIFICATE, "SKIP", "no load_balancer.certificate_arn in the spec")]
    region = arn.split(":")[3]
    if region != spec.region:
        # An ALB listener can only use a certificate of its own region.
        return [
            Check(
                CERTIFICATE,
                "FAIL",
                f"{arn} is in {region}; the load balancer in {spec.region} needs a "
                f"certificate from ACM in {spec.region}",
            )
        ]
    aws = ctx.require()
    try:
        cert = aws.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    except NotFound:
        return [Check(CERTIFICATE, "FAIL", f"{arn} does not exist in {aws.region}")]
    status = str(cert.get("Status", "?"))
    domain = str(cert.get("DomainName", "?"))
    if status != "ISSUED":
        hint = STATUS_HINTS.get(status, "an HTTPS listener needs an ISSUED certificate")
        return [Check(CERTIFICATE, "FAIL", f"{domain}: status {status}; {hint}")]
    expires = cert.get("NotAfter")
    until = f", expires {expires:%Y-%m-%d}" if hasattr(expires, "strftime") else ""
    return [Check(CERTIFICATE, "OK", f"{domain}: ISSUED{until}")]


def check_health(spec: Spec, _ctx: Facts | None = None) -> list[Check]:
    """Pure: a health check on / behind a prefix route usually never passes."""
    out: list[Check] = []
    for name, svc in spec.services.items():
        if svc.route is None:
            continue
        path = svc.health_check.path
        prefix = svc.route.path
        if path == "/" and prefix is not None and prefix not in ROOT_PATHS:
            out.append(
                Check(
                    HEALTH,
                    "WARN",
                    f"{name}: health check path is / but the service is routed at {prefix}; "
                    "an app served under a prefix often answers 404 on / and its targets "
                    "never become healthy; set health_check to a path the app answers, "
                    "e.g. a health endpoint under the prefix",
                )
            )
        else:
            routed = prefix or f"host {svc.route.host}"
            out.append(Check(HEALTH, "OK", f"{name}: health check {path}, route {routed}"))
    return out or [Check(HEALTH, "SKIP", "no routed services")]
