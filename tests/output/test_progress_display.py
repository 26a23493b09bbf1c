"""Progress of up/down: the live view on a terminal, plain lines otherwise, and the
measurements behind the summary (step records, phase times)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from ecsdeploy.output.live import LiveDisplay
from ecsdeploy.output.progress import PlainDisplay, display
from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.reconcile.executor import Event, Result, State
from ecsdeploy.reconcile.report import Phases, StepLog
from ecsdeploy.reconcile.rollout import Progress
from ecsdeploy.resources.base import Desired, Observed, Props

from conftest import FakeClock, Harness, spec_text
from faults import Fault, inject


def terminal(height: int = 50) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=120, height=height, record=True)


def test_a_terminal_gets_the_live_view_a_pipe_plain_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(display(terminal(), False), LiveDisplay)
    assert isinstance(display(Console(file=io.StringIO()), False), PlainDisplay)
    monkeypatch.setenv("TERM", "dumb")  # a terminal that cannot redraw in place
    assert isinstance(display(terminal(), False), PlainDisplay)


def test_the_live_view_leaves_every_step_and_the_failure_printed(harness: Harness) -> None:
    dep: Any = harness.deployment(spec_text())
    inject(dep.aws, "elbv2", Fault("CreateLoadBalancer", "AccessDenied", "no lb", lambda: True))
    plan = dep.plan_up()
    out = terminal()
    live = LiveDisplay(out, verbose=False)
    with live.phase("infrastructure", plan):
        result = dep.apply(plan, live.step)
    assert not result.ok
    text = out.export_text()
    start = text.rfind("\n", 0, text.rindex("ec2.vpc mlapp-dev-vpc")) + 1
    lines = text[start:].splitlines()  # the table printed at the end
    for step in plan.changes:  # one row per step of the plan, in its final state
        assert any(f"{step.kind} {step.name}" in line for line in lines), step.key
    lb = next(line for line in lines if "elbv2.load_balancer mlapp-dev " in line)
    assert lb.startswith("failed") and "no lb" in lb
    assert next(line for line in lines if "ec2.vpc " in line).startswith("done")
    service = next(line for line in lines if "ecs.service api" in line)
    assert service.startswith("waiting")  # never started: it needs the load balancer


def test_a_phase_ended_by_an_error_marks_running_rows_and_still_prints() -> None:
    clock = FakeClock()
    out = terminal()
    live = LiveDisplay(out, verbose=False, clock=clock)
    with pytest.raises(RuntimeError), live.phase("build"):
        live.build("api", "Step 1/4 : FROM python:3.12-slim")
        clock.sleep(3)
        live.build("api", "Step 2/4 : RUN pip install -r requirements.txt")
        clock.sleep(4)
        raise RuntimeError("docker build failed")
    text = out.export_text()
    row = text.splitlines()[-1]
    assert row.split()[:3] == ["failed", "image", "api"]
    assert "7s" in row and "Step 2/4" in row


def test_rollout_rows_show_tasks_targets_and_the_latest_event() -> None:
    clock = FakeClock()
    out = terminal()
    live = LiveDisplay(out, verbose=False, clock=clock)
    with live.phase("rollout"):
        live.expect_rollouts(["api", "ui"])
        live.rollout(Progress("api", 1, 2, 1, 1, 2, "IN_PROGRESS", "started 1 task"))
        clock.sleep(30)
        live.rollout(Progress("api", 2, 2, 0, 2, 2, "COMPLETED", "steady state"))
    rows = out.export_text().splitlines()[-2:]
    assert rows[0].split()[:3] == ["done", "rollout", "api"]
    assert "30s" in rows[0] and "2/2 running, 2/2 targets healthy; steady state" in rows[0]
    assert rows[1].split()[:3] == ["waiting", "rollout", "ui"]


def test_the_live_region_fits_the_terminal_failures_and_running_first() -> None:
    clock = FakeClock()
    live = LiveDisplay(terminal(), verbose=False, clock=clock)
    steps = [_step(f"k{i}") for i in range(30)]
    with live.phase("infrastructure", Plan(steps)):
        for step in steps[:10]:
            live.step(Event(step, State.CREATING, 0.0))
            live.step(Event(step, State.DONE, 0.1))
        live.step(Event(steps[10], State.CREATING, 0.0))
        live.step(Event(steps[11], State.CREATING, 0.0))
        live.step(Event(steps[11], State.FAILED, 0.2, "boom"))
        shown = Console(file=io.StringIO(), width=120, record=True)
        shown.print(live.table(limit=5))
    rows = shown.export_text().splitlines()
    assert len(rows) == 5
    assert [r.split()[0] for r in rows].count("failed") == 1
    assert any(r.startswith("creating") and "k10" in r for r in rows)


def _step(key: str, action: Action = Action.CREATE, kind: str = "test.kind") -> Step:
    want = Desired(kind, key, key, Props())
    have = Observed(kind, key, key, key, {}) if action is not Action.CREATE else None
    return Step(action, kind, key, key, "network", want, have)


def test_step_records_and_the_push_span() -> None:
    clock = FakeClock()
    log = StepLog(clock)
    push_a, push_b = _step("image/a", kind="ecr.image"), _step("image/b", kind="ecr.image")
    replaced, failed, later = _step("r", Action.REPLACE), _step("f"), _step("l")
    log(Event(push_a, State.CREATING, 0.0))
    clock.sleep(2)
    log(Event(push_b, State.CREATING, 0.0))
    log(Event(replaced, State.DELETING, 0.0))  # a replace: delete, then create
    clock.sleep(3)
    log(Event(push_a, State.DONE, 5.0))
    log(Event(replaced, State.DONE, 3.0))
    log(Event(replaced, State.CREATING, 0.0))
    log(Event(failed, State.CREATING, 0.0))
    clock.sleep(4)
    log(Event(push_b, State.DONE, 7.0))
    log(Event(replaced, State.DONE, 4.0))
    log(Event(failed, State.FAILED, 4.0, "denied"))
    assert log.span("ecr.image") == 9.0  # first push start to last push end
    assert log.span("ecs.service") is None
    steps = [push_a, push_b, replaced, failed, later]
    result = Result(
        done=[push_a, push_b, replaced],
        failed=[(failed, RuntimeError("denied"))],
        not_started=[later],
    )
    records = {r.step.key: r for r in log.records(Plan(steps), result)}
    assert records["r"].state == "done" and records["r"].elapsed == 7.0  # both halves
    assert records["f"].state == "failed" and records["f"].error == "denied"
    assert records["l"].state == "not_started" and records["l"].elapsed == 0.0


def test_phases_add_up_and_say_which_ran() -> None:
    clock = FakeClock()
    phases = Phases(clock)
    with phases.measure("plan"):
        clock.sleep(1.5)
    with pytest.raises(ValueError), phases.measure("build"):
        clock.sleep(2)
        raise ValueError  # a failing phase still counts its time
    with phases.measure("plan"):
        clock.sleep(0.5)
    phases.add("push", None)  # no push happened
    assert phases.ran() == [("plan", 2.0), ("build", 2.0)]
    assert phases.to_json()["push"] is None and phases.total() == 4.0


def test_a_push_reports_layers_in_the_registry_not_every_state() -> None:
    from types import SimpleNamespace

    from ecsdeploy.images import docker_ops
    from ecsdeploy.images.ecr_access import Credentials
    from ecsdeploy.images.refs import ImageRef

    chunks = [
        {"status": "The push refers to repository [127.0.0.1:5001/mlapp/dev/api]"},
        *({"id": layer, "status": "Preparing"} for layer in ("a1", "b2", "c3")),
        *({"id": layer, "status": "Waiting"} for layer in ("a1", "b2")),
        {"id": "c3", "status": "Layer already exists"},
        {"id": "a1", "status": "Pushing", "progressDetail": {"current": 1, "total": 9}},
        {"id": "a1", "status": "Pushed"},
        {"id": "b2", "status": "Mounted from mlapp/dev/ui"},
        {"id": "b2", "status": "Pushed"},  # already counted
        {"status": "c-1234: digest: sha256:abcd size: 1234"},
    ]
    client = SimpleNamespace(api=SimpleNamespace(push=lambda *a, **k: iter(chunks)))
    ref = ImageRef("api", "uri", "mlapp/dev/api", "c-1234", "127.0.0.1:5001")
    lines: list[str] = []
    docker_ops.push(client, ref, Credentials("AWS", "pw", "https://x"), lines.append)
    assert lines == [
        "1/3 layers in the registry",
        "2/3 layers in the registry",
        "3/3 layers in the registry",
        "c-1234: digest: sha256:abcd size: 1234",
    ]
