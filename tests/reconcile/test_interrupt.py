"""Ctrl-C during an apply: running steps finish (or stop at their next wait), nothing new
starts, whatever was made is tagged, the command says it can be re-run and exits 130.

Ctrl-C is simulated as the real thing: SIGINT sent to this process while the executor runs.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import boto3
import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.reconcile.executor import Event, Executor, State
from ecsdeploy.reconcile.report import StepLog
from ecsdeploy.resources.base import Context, Desired, Handler, Observed, Props
from ecsdeploy.spec.naming import Owner

from conftest import owned_anything, spec_text

runner = CliRunner()


def ctrl_c_after(n: int, states: tuple[State, ...] = (State.DONE,)) -> Callable[[Event], None]:
    """A listener that presses Ctrl-C (SIGINT to this process) at its n-th matching event."""
    seen = [0]

    def listener(event: Event) -> None:
        if event.state in states:
            seen[0] += 1
            if seen[0] == n:
                os.kill(os.getpid(), signal.SIGINT)

    return listener


def leftovers() -> list[str]:
    """Everything an `up` makes that still exists, tagged or not (defaults excluded; so is
    ECS's service-linked role, the account's own, which `up` makes when missing and `down`
    leaves, as AWS does)."""
    ec2 = boto3.client("ec2", region_name="us-west-2")
    left = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]]
    left += [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if not s["DefaultForAz"]]
    left += [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]]
    roles = boto3.client("iam").list_roles()["Roles"]
    left += [r["RoleName"] for r in roles if not r["Path"].startswith("/aws-service-role/")]
    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    left += [lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    left += [tg["TargetGroupName"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    logs = boto3.client("logs", region_name="us-west-2")
    left += [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    return left


@pytest.mark.usefixtures("no_preflight")
def test_ctrl_c_during_up_stops_cleanly_and_up_continues(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "recorder", CallRecorder)
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    press = ctrl_c_after(5)
    original = StepLog.__call__

    def logging_and_pressing(self: StepLog, event: Event) -> None:
        original(self, event)
        press(event)

    monkeypatch.setattr(StepLog, "__call__", logging_and_pressing)
    result = runner.invoke(cli.app, ["up", str(spec), "--no-wait", "--output", "json"])
    assert result.exit_code == 130, result.stderr
    assert "Interrupted." in result.stderr
    assert f"Run `ecsdeploy up {spec}` again to continue." in result.stderr
    assert "Interrupted: up of mlapp/dev" in result.stderr
    assert "not done:" in result.stderr and "not started" in result.stderr
    import json

    data = json.loads(result.stdout)
    assert data["interrupted"] is True and data["ok"] is False
    states = [s["state"] for s in data["steps"]]
    assert 5 <= states.count("done") < len(states)
    assert states.count("not_started") > 0
    assert "failed" not in states
    made = owned_anything()
    assert made  # something was made before the interrupt

    monkeypatch.setattr(StepLog, "__call__", original)
    result = runner.invoke(cli.app, ["up", str(spec), "--no-wait"])
    assert result.exit_code == 0, result.stderr
    assert "No changes" in runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).stdout
    # down finds resources by their tags only: if it leaves nothing at all, every resource
    # the interrupted run made was tagged
    result = runner.invoke(cli.app, ["down", str(spec), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert leftovers() == []


@pytest.mark.usefixtures("no_preflight")
def test_ctrl_c_during_down_says_down_can_be_rerun(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "recorder", CallRecorder)
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    assert runner.invoke(cli.app, ["up", str(spec), "--no-wait"]).exit_code == 0
    press = ctrl_c_after(3)
    original = StepLog.__call__

    def logging_and_pressing(self: StepLog, event: Event) -> None:
        original(self, event)
        press(event)

    monkeypatch.setattr(StepLog, "__call__", logging_and_pressing)
    result = runner.invoke(cli.app, ["down", str(spec), "--yes"])
    assert result.exit_code == 130, result.stderr
    assert f"Run `ecsdeploy down {spec}` again to continue." in result.stderr
    assert owned_anything()  # not everything was deleted
    monkeypatch.setattr(StepLog, "__call__", original)
    result = runner.invoke(cli.app, ["down", str(spec), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert leftovers() == []


class Waiter(Handler[Props]):
    """A kind whose create waits (as for a NAT gateway to become available), reporting
    through ``note`` like every wait; it would wait 20s unless stopped."""

    kind: ClassVar[str] = "test.waiter"
    props_class: ClassVar[type[Props]] = Props
    layer: ClassVar[str] = "network"
    rank: ClassVar[int] = 1
    services: ClassVar[tuple[str, ...]] = ()
    created: ClassVar[list[str]] = []

    def create(self, want: Desired, props: Props) -> Observed:
        self.created.append(want.key)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and want.key == "slow":
            self.ctx.note("waiting for slow to become available")
            time.sleep(0.05)
        return Observed(self.kind, want.key, want.key, want.key, props.as_mapping())


def _plan(keys_deps: dict[str, tuple[str, ...]]) -> Plan:
    steps = []
    for key, deps in keys_deps.items():
        want = Desired("test.waiter", key, key, Props(), depends_on=deps)
        steps.append(
            Step(Action.CREATE, "test.waiter", key, key, "network", want, depends_on=set(deps))
        )
    return Plan(steps)


def _executor(listener: Callable[[Event], None]) -> Executor:
    ctx = Context(aws=None, owner=Owner("t", "dev"))  # type: ignore[arg-type]
    return Executor(ctx, {"test.waiter": Waiter(ctx)}, listener, 4)


def test_a_waiting_step_stops_at_its_next_poll_and_nothing_new_starts() -> None:
    Waiter.created = []
    events: list[Event] = []
    press = ctrl_c_after(1, (State.CREATING,))

    def listener(event: Event) -> None:
        events.append(event)
        if event.message.startswith("waiting"):
            press(event)

    start = time.monotonic()
    result = _executor(listener).run(_plan({"slow": (), "after": ("slow",)}))
    assert time.monotonic() - start < 5  # not the 20s the wait would take
    assert result.interrupted and not result.ok
    assert [s.key for s in result.stopped] == ["slow"]
    assert [s.key for s in result.not_started] == ["after"]
    assert Waiter.created == ["slow"]
    assert events[-1].state is State.STOPPED
    # the executor put Ctrl-C back as it was
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_keyboard_interrupt_raised_in_a_listener_counts_as_ctrl_c() -> None:
    Waiter.created = []
    seen = [0]

    def listener(event: Event) -> None:
        if event.state is State.DONE:
            seen[0] += 1
            if seen[0] == 2:
                raise KeyboardInterrupt

    chain = {f"s{i}": ((f"s{i - 1}",) if i else ()) for i in range(6)}
    result = _executor(listener).run(_plan(chain))
    assert result.interrupted
    assert [s.key for s in result.done] == ["s0"]
    assert [s.key for s in result.stopped] == ["s1"]
    assert [s.key for s in result.not_started] == ["s2", "s3", "s4", "s5"]
