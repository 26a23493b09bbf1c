"""The ``logs`` use case: a service's CloudWatch log lines, once or followed; each line
goes to the caller's callback (see ``reconcile.service_logs``)."""

from __future__ import annotations

from collections.abc import Callable

from ecsdeploy.ops.stages import Stages
from ecsdeploy.reconcile import service_logs
from ecsdeploy.reconcile.service_logs import LogLine, parse_since

__all__ = ["LogLine", "parse_since", "service_logs_of"]


def service_logs_of(
    stages: Stages,
    service: str,
    since_seconds: float,
    text: str | None,
    follow: bool,
    on_line: Callable[[LogLine], None],
) -> int:
    """Pass the lines of ``service`` from the last ``since_seconds`` (containing ``text``)
    to ``on_line``, oldest first, and return how many; with ``follow``, then each new
    line until Ctrl-C."""
    group = stages.target.owner.log_group(service)
    if not follow:
        count = 0
        for line in service_logs.read(stages.aws, group, since_seconds, text):
            on_line(line)
            count += 1
        return count
    service_logs.follow(
        stages.aws, group, since_seconds, text, on_line, stages.ctx.timing, lambda: False
    )
    return 0
