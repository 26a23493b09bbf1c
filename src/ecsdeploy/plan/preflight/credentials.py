"""The credentials check: STS GetCallerIdentity, the account and identity every other call
runs as."""

from __future__ import annotations

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AccessDenied, AwsError, CredentialsMissing
from ecsdeploy.plan.preflight.base import (
    CREDENTIALS,
    Check,
)


def check_credentials(aws: Aws) -> tuple[list[Check], str | None]:
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
    aws.remember_account(account, who.get("Arn"))  # the deploy needs it too: one call, not two
    return [Check(CREDENTIALS, "OK", f"account {account} as {who.get('Arn', '?')}")], account
