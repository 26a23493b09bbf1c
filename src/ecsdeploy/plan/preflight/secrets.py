"""The secrets check: each secret the spec names exists and can be read (SSM parameters in
batches, Secrets Manager secrets one by one)."""

from __future__ import annotations

from dataclasses import dataclass

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.plan.preflight.base import (
    SECRETS,
    Check,
    Facts,
)
from ecsdeploy.spec.models import Spec

SSM_BATCH = 10  # GetParameters takes at most 10 names


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


def check_secrets(spec: Spec, ctx: Facts) -> list[Check]:
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
