"""What every preflight check shares: the report row, the names of the checks, and the
facts a check reads (the clients, and the account once the credentials check passed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ecsdeploy.aws.clients import Aws

Status = Literal["OK", "FAIL", "SKIP", "WARN"]

CREDENTIALS = "credentials"
SECRETS = "secrets"
IMAGES = "images"
CERTIFICATE = "certificate"
HEALTH = "health"
QUOTA_EIP = "quota-eip"
QUOTA_ALB = "quota-alb"

NO_CREDENTIALS = "no credentials: the credentials check failed"


@dataclass(frozen=True)
class Check:
    """One row of the preflight report."""

    name: str
    status: Status
    detail: str


class NoCredentials(Exception):
    """Raised inside a check that needs AWS when the credentials check failed."""


@dataclass(frozen=True)
class Facts:
    aws: Aws
    account: str | None  # None when the credentials check failed

    def require(self) -> Aws:
        if self.account is None:
            raise NoCredentials
        return self.aws
