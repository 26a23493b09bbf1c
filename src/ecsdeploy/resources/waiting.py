"""Bounded waiting: every wait has a deadline and says what it is waiting for.

Real AWS finishes slowly what moto finishes at once (NAT gateways, load balancers, lingering
network interfaces, IAM propagation), so each wait polls with a deadline from ``Timing`` and
reports progress through the context's ``note`` channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.resources.base import Context

T = TypeVar("T")


class WaitTimeout(Exception):
    """A wait reached its deadline; the message says what never happened."""


def wait_for(ctx: Context, what: str, probe: Callable[[], T | None], timeout: float) -> T:
    """Poll ``probe`` until it returns something other than None, for at most ``timeout`` s."""
    start = ctx.timing.clock()
    delay = min(1.0, ctx.timing.poll)
    while True:
        found = probe()
        if found is not None:
            return found
        waited = ctx.timing.clock() - start
        if waited >= timeout:
            raise WaitTimeout(f"gave up after {waited:.0f}s waiting for {what}")
        ctx.note(f"waiting for {what} ({waited:.0f}s)")
        ctx.timing.sleep(min(delay, max(0.0, timeout - waited)))
        delay = min(delay * 2, ctx.timing.poll)


def retry_while(
    ctx: Context,
    errors: tuple[type[AwsError], ...],
    what: str,
    action: Callable[[], T],
    timeout: float,
) -> T:
    """Run ``action``, retrying with backoff while it raises one of ``errors``."""
    start = ctx.timing.clock()
    delay = min(1.0, ctx.timing.poll)
    while True:
        try:
            return action()
        except errors as exc:
            waited = ctx.timing.clock() - start
            if waited >= timeout:
                raise WaitTimeout(
                    f"gave up after {waited:.0f}s waiting for {what}; last error: {exc}"
                ) from exc
            ctx.note(f"{what} ({exc.code or type(exc).__name__}); retrying, {waited:.0f}s so far")
            ctx.timing.sleep(min(delay, max(0.0, timeout - waited)))
            delay = min(delay * 2, ctx.timing.poll)
