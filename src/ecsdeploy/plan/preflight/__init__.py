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

A check is a function ``(spec, facts) -> list[Check]`` in a module of this package; a new
check is one function there and one line in ``CHECKS`` below.
"""

from __future__ import annotations

from collections.abc import Callable

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AwsError
from ecsdeploy.plan.preflight.base import (
    CERTIFICATE,
    CREDENTIALS,
    HEALTH,
    IMAGES,
    NO_CREDENTIALS,
    QUOTA_ALB,
    QUOTA_EIP,
    SECRETS,
    Check,
    Facts,
    NoCredentials,
    Status,
)
from ecsdeploy.plan.preflight.credentials import check_credentials
from ecsdeploy.plan.preflight.domain import DOMAIN, check_domain
from ecsdeploy.plan.preflight.images import check_images
from ecsdeploy.plan.preflight.load_balancer import check_certificate, check_health
from ecsdeploy.plan.preflight.quotas import check_alb_quota, check_eip_quota
from ecsdeploy.plan.preflight.secrets import check_secrets, secret_id, ssm_parameter_name
from ecsdeploy.resources.reads import read_each
from ecsdeploy.spec.models import Spec

# name -> check, in report order (the credentials check runs first, in ``run``)
CHECKS: list[tuple[str, Callable[[Spec, Facts], list[Check]]]] = [
    (SECRETS, check_secrets),
    (IMAGES, check_images),
    (CERTIFICATE, check_certificate),
    (HEALTH, check_health),
    (QUOTA_EIP, check_eip_quota),
    (QUOTA_ALB, check_alb_quota),
    (DOMAIN, check_domain),
]


def run(spec: Spec, aws: Aws) -> list[Check]:
    """Every preflight check of ``spec`` against the account of ``aws``, in report order."""
    try:
        out, account = check_credentials(aws)
    except Exception as exc:  # e.g. a botocore error outside the Aws seam
        out, account = [Check(CREDENTIALS, "FAIL", f"cannot check the credentials: {exc}")], None
    ctx = Facts(aws, account)
    # the checks are independent reads: made together, they cost the slowest one's time
    for rows in read_each(lambda item: _guarded(item[0], item[1], spec, ctx), CHECKS):
        out += rows
    return out


def _guarded(
    name: str, check: Callable[[Spec, Facts], list[Check]], spec: Spec, ctx: Facts
) -> list[Check]:
    """Run one check; whatever it raises becomes a SKIP row of that check."""
    try:
        return check(spec, ctx)
    except NoCredentials:
        return [Check(name, "SKIP", NO_CREDENTIALS)]
    except AwsError as exc:
        return [Check(name, "SKIP", f"could not check: {exc}")]
    except Exception as exc:  # a check must never abort the others
        return [Check(name, "SKIP", f"could not check: {type(exc).__name__}: {exc}")]


__all__ = [
    "CREDENTIALS",
    "NO_CREDENTIALS",
    "Check",
    "Status",
    "run",
    "secret_id",
    "ssm_parameter_name",
]
