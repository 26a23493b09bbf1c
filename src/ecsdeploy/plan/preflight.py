"""Preflight checks of ``ecsdeploy verify`` (and of ``up`` before it changes anything).

Each check looks for one thing that commonly fails a real deploy after resources have
already been created: credentials that don't work, secrets or images that don't exist, a
certificate that isn't issued, a health check that can never pass, quotas that are used
up. Every check reports one or more ``Check`` rows:

- OK: checked and fine;
- WARN: fine for AWS but probably a mistake;
- FAIL: the deploy will fail (or the app will never become healthy);
- SKIP: not checked, and the detail says why (nothing to check, no credentials, an
  API that could not be called).

Only read-only calls are made. Each check is isolated: an AWS error (or any other
exception) in one check turns into a SKIP row for that check and never escapes ``run``.
The health/route check is pure and runs even without credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AccessDenied, AwsError, CredentialsMissing, NotFound
from ecsdeploy.desired import network_of, owner_of
from ecsdeploy.images.refs import mutable_tag
from ecsdeploy.resources.reads import read_each
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import TAG_APP, TAG_ENV, tags_to_dict

Status = Literal["OK", "FAIL", "SKIP", "WARN"]

CREDENTIALS = "credentials"
SECRETS = "secrets"
IMAGES = "images"
CERTIFICATE = "certificate"
HEALTH = "health"
QUOTA_EIP = "quota-eip"
QUOTA_ALB = "quota-alb"

SSM_BATCH = 10  # GetParameters takes at most 10 names
NO_CREDENTIALS = "no credentials: the credentials check failed"
ECR_URI_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repo>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-fA-F]{64}))?$"
)
ROOT_PATHS = frozenset({"/", "/*", "*"})
EIP_ATTRIBUTE = "vpc-max-elastic-ips"
ALB_LIMIT = "application-load-balancers"
STATUS_HINTS = {
    "PENDING_VALIDATION": "finish its DNS (or email) validation, then run verify again",
    "EXPIRED": "renew it, or request or import a new one",
    "VALIDATION_TIMED_OUT": "validation timed out; request a new certificate",
    "INACTIVE": "request or import a new one",
    "REVOKED": "request or import a new one",
    "FAILED": "request a new one (see ACM for the failure reason)",
}


@dataclass(frozen=True)
class Check:
    """One row of the preflight report."""

    name: str
    status: Status
    detail: str


class _NoCredentials(Exception):
    """Raised inside a check that needs AWS when the credentials check failed."""


@dataclass(frozen=True)
class _Facts:
    aws: Aws
    account: str | None  # None when the credentials check failed

    def require(self) -> Aws:
        if self.account is None:
            raise _NoCredentials
        return self.aws


def run(spec: Spec, aws: Aws) -> list[Check]:
    """Every preflight check of ``spec`` against the account of ``aws``, in report order."""
    try:
        out, account = _credentials(aws)
    except Exception as exc:  # e.g. a botocore error outside the Aws seam
        out, account = [Check(CREDENTIALS, "FAIL", f"cannot check the credentials: {exc}")], None
    ctx = _Facts(aws, account)
    checks: list[tuple[str, Callable[[Spec, _Facts], list[Check]]]] = [
        (SECRETS, _secrets),
        (IMAGES, _images),
        (CERTIFICATE, _certificate),
        (HEALTH, _health),
        (QUOTA_EIP, _quota_eip),
        (QUOTA_ALB, _quota_alb),
    ]
    # the checks are independent reads: made together, they cost the slowest one's time
    for rows in read_each(lambda item: _guarded(item[0], item[1], spec, ctx), checks):
        out += rows
    return out


def _guarded(
    name: str, check: Callable[[Spec, _Facts], list[Check]], spec: Spec, ctx: _Facts
) -> list[Check]:
    """Run one check; whatever it raises becomes a SKIP row of that check."""
    try:
        return check(spec, ctx)
    except _NoCredentials:
        return [Check(name, "SKIP", NO_CREDENTIALS)]
    except AwsError as exc:
        return [Check(name, "SKIP", f"could not check: {exc}")]
    except Exception as exc:  # a check must never abort the others
        return [Check(name, "SKIP", f"could not check: {type(exc).__name__}: {exc}")]


# --- credentials -----------------------------------------------------------------------


def _credentials(aws: Aws) -> tuple[list[Check], str | None]:
    """STS GetCallerIdentity: the account and identity every other call runs as."""
    try:
        who = aws.client("sts").get_caller_identity()
    except CredentialsMissing as exc:
        return [Check(CREDENTIALS, "FAIL", exc.message)], None
    except AccessDenied as exc:
        return [
            Check(
                CREDENTIALS,
                "FAIL",
                f"AWS rejected the credentials ({exc.code or 'access denied'}: {exc.message}); "
                "refresh them (e.g. aws sso login, or new access keys) or choose another "
                "profile with --profile / AWS_PROFILE",
            )
        ], None
    except AwsError as exc:
        return [Check(CREDENTIALS, "FAIL", f"cannot check the credentials: {exc}")], None
    account = str(who["Account"])
    aws.remember_account(account)  # the deploy needs it too: one call, not two
    return [Check(CREDENTIALS, "OK", f"account {account} as {who.get('Arn', '?')}")], account


# --- secrets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Secret:
    service: str
    key: str
    arn: str

    @property
    def label(self) -> str:
        return f"{self.service} {self.key}"

    @property
    def region(self) -> str:
        parts = self.arn.split(":")
        return parts[3] if len(parts) > 3 else ""

    @property
    def account(self) -> str:
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 4 else ""


def ssm_parameter_name(arn: str) -> str:
    """The parameter name in an SSM parameter ARN: ``.../parameter/a/b`` -> ``/a/b``.

    A name without a path (``parameter/name``) has no leading slash; a path keeps it (the
    ARN drops the name's leading slash, so it is put back).
    """
    rest = arn.split(":", 5)[5]
    name = rest[len("parameter/") :] if rest.startswith("parameter/") else rest
    return f"/{name}" if "/" in name else name


def secret_id(arn: str) -> str:
    """A Secrets Manager ARN without the ``:json-key:version-stage:version-id`` suffix ECS
    accepts after it."""
    return ":".join(arn.split(":")[:7])


def _secrets(spec: Spec, ctx: _Facts) -> list[Check]:
    """Each secret exists: SSM GetParameters (10 a call) and Secrets Manager DescribeSecret."""
    secrets = [
        _Secret(name, key, arn)
        for name, svc in spec.services.items()
        for key, arn in sorted(svc.secrets.items())
    ]
    if not secrets:
        return [Check(SECRETS, "SKIP", "no secrets in the spec")]
    aws = ctx.require()
    out: list[Check] = []
    ssm: list[_Secret] = []
    manager: list[_Secret] = []
    for secret in secrets:
        if secret.region != spec.region:
            out.append(
                Check(
                    SECRETS,
                    "WARN",
                    f"{secret.label}: {secret.arn} is in {secret.region}, not the spec's region "
                    f"{spec.region}; ECS can read it by full ARN, but is that the right one? "
                    "(not checked)",
                )
            )
        elif ":ssm:" in secret.arn:
            ssm.append(secret)
        else:
            manager.append(secret)
    out += _ssm_parameters(aws, ctx.account, ssm)
    out += _manager_secrets(aws, manager)
    return out


def _ssm_parameters(aws: Aws, account: str | None, secrets: list[_Secret]) -> list[Check]:
    # A parameter shared from another account can only be read by its ARN.
    def requested(secret: _Secret) -> str:
        if secret.account != account:
            return secret.arn
        return ssm_parameter_name(secret.arn)

    names = sorted({requested(s) for s in secrets})
    missing: set[str] = set()
    unchecked: dict[str, str] = {}
    for i in range(0, len(names), SSM_BATCH):
        batch = names[i : i + SSM_BATCH]
        try:
            found = aws.client("ssm").get_parameters(Names=batch, WithDecryption=False)
        except AwsError as exc:
            unchecked.update(dict.fromkeys(batch, str(exc)))
            continue
        missing.update(str(n) for n in found.get("InvalidParameters", []))
    out: list[Check] = []
    for secret in secrets:
        name = requested(secret)
        if name in unchecked:
            out.append(
                Check(SECRETS, "SKIP", f"{secret.label}: could not check: {unchecked[name]}")
            )
        elif name in missing:
            out.append(
                Check(
                    SECRETS,
                    "FAIL",
                    f"{secret.label}: SSM parameter {name} does not exist in {aws.region} "
                    "(create it, or fix the ARN)",
                )
            )
        else:
            out.append(Check(SECRETS, "OK", f"{secret.label}: SSM parameter {name} exists"))
    return out


def _manager_secrets(aws: Aws, secrets: list[_Secret]) -> list[Check]:
    out: list[Check] = []
    described: dict[str, Check] = {}  # one call per secret, however many services use it
    for secret in secrets:
        sid = secret_id(secret.arn)
        if sid not in described:
            described[sid] = _describe_secret(aws, sid)
        row = described[sid]
        out.append(Check(SECRETS, row.status, f"{secret.label}: {row.detail}"))
    return out


def _describe_secret(aws: Aws, sid: str) -> Check:
    try:
        found = aws.client("secretsmanager").describe_secret(SecretId=sid)
    except NotFound:
        return Check(
            SECRETS,
            "FAIL",
            f"Secrets Manager secret {sid} does not exist in {aws.region} (create it, or fix "
            "the ARN; a full ARN ends in a 6-character suffix, e.g. -AbCdEf)",
        )
    except AwsError as exc:
        return Check(SECRETS, "SKIP", f"Secrets Manager secret {sid}: could not check: {exc}")
    if found.get("DeletedDate"):
        return Check(
            SECRETS,
            "FAIL",
            f"Secrets Manager secret {sid} is scheduled for deletion; restore it "
            "(aws secretsmanager restore-secret)",
        )
    return Check(SECRETS, "OK", f"Secrets Manager secret {found.get('Name', sid)} exists")


# --- images ----------------------------------------------------------------------------


def _images(spec: Spec, ctx: _Facts) -> list[Check]:
    """Each ``image:`` in ECR exists (ECR DescribeImages); other registries can't be checked."""
    given = {name: svc.image for name, svc in spec.services.items() if svc.image is not None}
    if not given:
        return [Check(IMAGES, "SKIP", "no `image:` in the spec (built images are pushed by up)")]
    out: list[Check] = []
    for name, image in given.items():
        out.append(_image(spec, ctx, name, image))
    return out


def _image(spec: Spec, ctx: _Facts, service: str, image: str) -> Check:
    mutable = (
        f"tag '{_tag_of(image)}' is mutable: a new push changes what runs on the next task "
        "start; pin a version tag or an @sha256: digest"
        if mutable_tag(image)
        else ""
    )
    where = f"{service}: {image}"
    found = ECR_URI_RE.match(image)
    if found is None:
        if mutable:
            return Check(IMAGES, "WARN", f"{where}: not in ECR, not checked; {mutable}")
        return Check(IMAGES, "SKIP", f"{where}: not in ECR: cannot check")
    if found["region"] != spec.region:
        if mutable:
            return Check(
                IMAGES, "WARN", f"{where}: ECR in {found['region']}, not checked; {mutable}"
            )
        return Check(
            IMAGES,
            "SKIP",
            f"{where}: ECR in {found['region']}, not the spec's region {spec.region}: cannot check",
        )
    aws = ctx.require()
    repo = found["repo"]
    image_id = (
        {"imageDigest": found["digest"]}
        if found["digest"]
        else {"imageTag": found["tag"] or "latest"}
    )
    try:
        aws.client("ecr").describe_images(
            registryId=found["account"], repositoryName=repo, imageIds=[image_id]
        )
    except NotFound as exc:
        if "Repository" in exc.code:
            return Check(
                IMAGES,
                "FAIL",
                f"{where}: ECR repository {repo} does not exist in account {found['account']}",
            )
        return Check(IMAGES, "FAIL", f"{where}: not found in ECR repository {repo} (push it first)")
    except AwsError as exc:
        return Check(IMAGES, "SKIP", f"{where}: could not check: {exc}")
    if mutable:
        return Check(IMAGES, "WARN", f"{where}: exists, but {mutable}")
    return Check(IMAGES, "OK", f"{where}: exists")


def _tag_of(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


# --- certificate -----------------------------------------------------------------------


def _certificate(spec: Spec, ctx: _Facts) -> list[Check]:
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


# --- health check vs route -------------------------------------------------------------


def _health(spec: Spec, _ctx: _Facts | None = None) -> list[Check]:
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


# --- quotas ----------------------------------------------------------------------------


def _quota_eip(spec: Spec, ctx: _Facts) -> list[Check]:
    """Elastic IPs: addresses in the region plus the spec's new NAT gateways vs the limit."""
    net = network_of(spec)
    need = 0 if net is None else {"none": 0, "single": 1, "per_az": net.azs}[net.nat]
    if need == 0:
        return [Check(QUOTA_EIP, "OK", "the spec needs no Elastic IPs (no NAT gateway)")]
    ec2 = ctx.require().client("ec2")
    attributes = ec2.describe_account_attributes(AttributeNames=[EIP_ATTRIBUTE])
    limit = _attribute(attributes.get("AccountAttributes", []), EIP_ATTRIBUTE)
    if limit is None:
        return [Check(QUOTA_EIP, "SKIP", f"account attribute {EIP_ATTRIBUTE} not returned")]
    addresses = ec2.describe_addresses().get("Addresses", [])
    owner = owner_of(spec)
    ours = sum(1 for a in addresses if _owned(a.get("Tags"), owner.app, owner.env))
    new = max(0, need - ours)  # a redeploy reuses the app's own addresses
    used = len(addresses)
    detail = f"{used} in use + {new} new for NAT, limit {limit} in {spec.region}"
    if used + new > limit:
        return [
            Check(
                QUOTA_EIP,
                "FAIL",
                f"{detail}; release unused Elastic IPs, use nat: single or none, or request "
                "an increase (Service Quotas: EC2-VPC Elastic IPs)",
            )
        ]
    return [Check(QUOTA_EIP, "OK", detail)]


def _quota_alb(spec: Spec, ctx: _Facts) -> list[Check]:
    """Application Load Balancers: existing ones plus the spec's vs DescribeAccountLimits."""
    needs = network_of(spec) is not None and any(
        s.mode == "classic" and s.route is not None for s in spec.services.values()
    )
    if not needs:
        return [Check(QUOTA_ALB, "OK", "the spec needs no load balancer of its own")]
    elbv2 = ctx.require().client("elbv2")
    limits = elbv2.describe_account_limits().get("Limits", [])
    limit = next((_int(x.get("Max")) for x in limits if x.get("Name") == ALB_LIMIT), None)
    if limit is None:
        return [Check(QUOTA_ALB, "SKIP", f"DescribeAccountLimits returned no {ALB_LIMIT}")]
    albs = [
        lb
        for lb in elbv2.pages("DescribeLoadBalancers", "LoadBalancers")
        if lb.get("Type") == "application"
    ]
    name = owner_of(spec).alb_name()
    new = 0 if any(lb.get("LoadBalancerName") == name for lb in albs) else 1
    detail = f"{len(albs)} in use + {new} new, limit {limit} in {spec.region}"
    if len(albs) + new > limit:
        return [
            Check(
                QUOTA_ALB,
                "FAIL",
                f"{detail}; delete unused load balancers or request an increase "
                "(Service Quotas: Application Load Balancers per Region)",
            )
        ]
    return [Check(QUOTA_ALB, "OK", detail)]


def _attribute(attributes: Iterable[Any], name: str) -> int | None:
    for attribute in attributes:
        if attribute.get("AttributeName") == name:
            values = attribute.get("AttributeValues") or [{}]
            return _int(values[0].get("AttributeValue"))
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _owned(tags: Any, app: str, env: str) -> bool:
    found = tags_to_dict(tags)
    return found.get(TAG_APP) == app and found.get(TAG_ENV) == env


__all__ = ["Check", "Status", "run", "secret_id", "ssm_parameter_name"]
