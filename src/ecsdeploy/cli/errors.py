"""The one place that turns failures into what the user reads and the exit code.

Exit codes:
  0  success (or nothing to do, or the user answered no at the prompt)
  1  AWS refused or failed something; the deploy did not finish
  2  bad input: the spec or the command line (and for `plan --detailed-exitcode`: changes)
  3  refused: confirmation needed (``--yes``), a resource ecsdeploy does not own is in the
     way, another run holds the app's lock, or ``up --images-only`` met more than images
  130 interrupted (Ctrl-C); re-running the same command continues safely
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecsdeploy.output.console import escape

if TYPE_CHECKING:
    from rich.console import Console


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CHANGES = 2  # plan --detailed-exitcode: there is something to do
EXIT_REFUSED = 3
EXIT_INTERRUPTED = 130


class Refused(Exception):
    """The command will not go on without the user's say-so."""


class Cancelled(Exception):
    """The user answered no at the prompt: nothing was changed, and that is no error."""


@dataclass
class Diagnosis:
    code: int
    title: str
    details: list[str]
    hint: str = ""
    user_error: bool = False  # the input was wrong: a traceback would not help, even with -v


def diagnose(exc: BaseException) -> Diagnosis:
    from ecsdeploy.aws.errors import AccessDenied, AwsError, CredentialsMissing
    from ecsdeploy.plan.planner import OwnershipConflict
    from ecsdeploy.resources.waiting import WaitTimeout
    from ecsdeploy.spec.errors import SpecError, UsageError

    if isinstance(exc, UsageError):
        return Diagnosis(
            EXIT_BAD_INPUT,
            "; ".join(str(p) for p in exc.problems),
            [],
            "nothing was changed in AWS",
            user_error=True,
        )
    if isinstance(exc, SpecError):
        count = len(exc.problems)
        return Diagnosis(
            EXIT_BAD_INPUT,
            f"the spec has {count} problem{'s' if count != 1 else ''}",
            [str(p) for p in exc.problems],
            "fix them and run the command again; nothing was changed in AWS",
            user_error=True,
        )
    if isinstance(exc, OwnershipConflict):
        return Diagnosis(
            EXIT_REFUSED,
            "resources in the way that this app does not own",
            [str(c) for c in exc.conflicts],
            "ecsdeploy never changes what it did not create: delete or rename them, or "
            "change `app`/`env` in the spec",
            user_error=True,
        )
    from ecsdeploy.images.docker_ops import BuildFailed, DockerUnavailable, PushFailed
    from ecsdeploy.images.ecr_access import RegistryError

    if isinstance(exc, RegistryError):
        return Diagnosis(
            EXIT_FAILED,
            str(exc),
            [],
            "start the registry or fix ECSDEPLOY_REGISTRY; nothing was changed in AWS",
            user_error=True,
        )

    if isinstance(exc, BuildFailed):
        return Diagnosis(
            EXIT_FAILED,
            f"building the image of {exc.service} failed at {exc.step or 'the start'}",
            [exc.error, "last lines of the build log:", *("  " + ln for ln in exc.tail)],
            "fix the Dockerfile or the build context; nothing was changed in AWS",
            user_error=True,
        )
    if isinstance(exc, DockerUnavailable | PushFailed):
        return Diagnosis(EXIT_FAILED, str(exc), [])
    if isinstance(exc, Refused):
        return Diagnosis(EXIT_REFUSED, str(exc), [], user_error=True)
    from ecsdeploy.plan.images_only import NotImagesOnly

    if isinstance(exc, NotImagesOnly):
        return Diagnosis(
            EXIT_REFUSED,
            "--images-only ships new images only, and this deploy needs more",
            exc.reasons,
            "run `ecsdeploy up` without --images-only (it also repairs drift); nothing was "
            "changed in AWS",
            user_error=True,
        )
    from ecsdeploy.resources.load_balancer import DeletionProtected

    if isinstance(exc, DeletionProtected):
        return Diagnosis(
            EXIT_REFUSED,
            f"load balancer {exc.name} has deletion protection on; nothing was deleted",
            [str(exc)],
            "run `ecsdeploy down --disable-deletion-protection`, or set load_balancer."
            "deletion_protection: false and run `up` first",
            user_error=True,
        )
    from ecsdeploy.reconcile.lock import LockHeld
    from ecsdeploy.reconcile.service_logs import LogGroupMissing

    if isinstance(exc, LockHeld):
        return Diagnosis(EXIT_REFUSED, str(exc), [], user_error=True)
    if isinstance(exc, LogGroupMissing):
        return Diagnosis(EXIT_FAILED, str(exc), [], user_error=True)
    if isinstance(exc, CredentialsMissing):
        return Diagnosis(EXIT_FAILED, exc.message, [], "see `ecsdeploy --help` for credentials")
    if isinstance(exc, AccessDenied):
        return Diagnosis(
            EXIT_FAILED,
            f"AWS denied {exc.operation or 'a call'}",
            [exc.message],
            "use credentials allowed to make this call (see README, Permissions)",
        )
    if isinstance(exc, AwsError):
        if not exc.operation:  # a bad profile, region or endpoint: no call was made
            return Diagnosis(EXIT_FAILED, exc.message, [])
        return Diagnosis(EXIT_FAILED, f"AWS call failed: {exc.operation}", [str(exc)])
    if isinstance(exc, WaitTimeout):
        return Diagnosis(
            EXIT_FAILED, str(exc), [], "run the same command again: it continues from where it is"
        )
    return Diagnosis(
        EXIT_FAILED,
        f"unexpected error: {type(exc).__name__}: {exc}",
        [],
        "re-run with -v for the full traceback",
    )


def report(
    console: Console,
    exc: BaseException,
    verbose: bool,
    hints: Callable[[str], str] = str,
) -> int:
    """Print ``exc`` for a person and return the exit code; ``hints`` completes the
    commands the text names (``cli.hints.with_options``)."""
    if isinstance(exc, Cancelled):
        console.print("Cancelled; nothing was changed.")
        return EXIT_OK
    diagnosis = diagnose(exc)
    console.print(f"[bold red]error:[/] {escape(hints(diagnosis.title))}")
    for line in diagnosis.details:
        console.print(f"  {escape(hints(line))}")
    if diagnosis.hint:
        console.print(f"[dim]hint:[/] {escape(hints(diagnosis.hint))}")
    if verbose and not diagnosis.user_error:
        console.print(escape("".join(traceback.format_exception(exc))))
    return diagnosis.code
