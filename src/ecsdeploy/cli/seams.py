"""The CLI's replaceable seams: where commands get their call recorder, rollout source and
preflight checks. Tests swap these module attributes (``monkeypatch.setattr(seams, ...)``);
commands always call them through the module, never import the functions directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecsdeploy.cli.state import STATE
from ecsdeploy.output import console as consoles

if TYPE_CHECKING:
    from ecsdeploy.aws.recorder import CallRecorder
    from ecsdeploy.ops.stages import Stages
    from ecsdeploy.ops.target import Target
    from ecsdeploy.plan.preflight import Check
    from ecsdeploy.reconcile.rollout import RolloutSource


def recorder() -> CallRecorder:
    """A recorder of every AWS call; with -v it also prints each call."""
    from ecsdeploy.aws.recorder import CallRecorder

    calls = CallRecorder()
    if STATE.verbose:
        calls.listeners.append(lambda call: consoles.err.print(f"[dim]aws {call}[/]"))
    return calls


def rollout_source(stages: Stages) -> RolloutSource | None:
    """Where rollouts are read from; None = AWS."""
    return None


def preflight(target: Target, stages: Stages) -> list[Check]:
    """The `verify` checks for the target's spec."""
    from ecsdeploy.plan.preflight import run

    assert target.spec is not None
    return run(target.spec, stages.aws)
