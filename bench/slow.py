"""Slow-AWS mode: the example app deployed while the proxy makes NAT gateways, the load
balancer and interface endpoints take AWS's time (divided by ``scale``), and a prediction
of the real-AWS time of a first deploy and of an image-only redeploy.

The model, in full (times from the start of ``up``):

* end of the apply (``up --no-wait`` ends there: it waits for the load balancer to be
  active) = the measured wall time of ``up --no-wait`` in slow mode + (scale - 1) x the
  slow waits on the critical path (scaled), i.e. those waits brought back to full length,
  while everything else the run measured (start-up, every API call at the chosen latency,
  polling lag) is kept at its measured size;
* moto never runs tasks, so the rollout is modeled from when the scaled run made its calls
  (the proxy's call log) and from the spec. The time of a call = when the scaled run made
  it + (scale - 1) x the scaled slow waits on the heaviest path to it in the graph;
  the tasks start at the CreateService call (the last one, when there are several) and run
  45 s later (image pull, container start); the load balancer is active 150 s after its
  CreateLoadBalancer call; the target group's health checks pass interval x healthy
  threshold (the slowest service's) after both: healthy = max(tasks running, load balancer
  active) + interval x threshold;
* first deploy = the end of the apply, or when the services are healthy later, the end of
  the apply + that wait, up to ecsdeploy's next rollout poll (``up`` starts watching the
  rollout when the apply ends, and polls at most 3 s apart while tasks start and targets
  are checked: ``reconcile.polling.seen_at``);
* redeploy = the measured wall time of the one-image ``up --no-wait`` (no slow resource is
  touched) + the rollout of a replacement: 45 s of task start + health-check interval x
  healthy threshold, up to the next rollout poll; the slowest changed service
  counts. ``up`` is done once the new tasks are the only healthy targets, while the old
  ones drain: it does not wait out the deregistration delay, after which ECS calls the
  rollout COMPLETED.

Polling: the scaled run divides AWS's waits by ``scale`` but not ecsdeploy's poll
intervals, so the lag between a resource becoming ready and ecsdeploy seeing it is the
lag after a wait ``scale`` times shorter. The prediction is given both ways: as measured,
and with that lag taken at full length (``polls_scaled``: the poll schedule of
``resources.waiting.wait_for`` replayed over the full wait). ``--scale 1`` runs in real
time, where there is nothing to correct. A target cannot pass a health check before its
load balancer is active, so the model's healthy time starts at the later of the two.

The slow waits come from the plan's dependency graph (the executor's ``build_graph``):
each NAT gateway or interface endpoint create and each load balancer's ready node (the
wait for ``active`` that runs beside the rest of the apply) weighs its wait, everything
else nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import specs
from bench.critical_path import heaviest_to, longest_path
from bench.proxy import SLOW_SECONDS, Proxy, ProxyCall, SlowAws
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.planner import make_plan
from ecsdeploy.reconcile.executor import build_graph
from ecsdeploy.reconcile.polling import Cadence, seen_at
from ecsdeploy.resources import keys, registry
from ecsdeploy.resources.base import Timing
from ecsdeploy.spec.loader import load_spec
from ecsdeploy.spec.models import Spec

if TYPE_CHECKING:
    from bench.emulator import Emulator

TASK_START = 45.0  # seconds from RunTask to a running container, typical for Fargate
ROOT = Path(__file__).resolve().parent.parent


def rollout_seconds(spec: Spec) -> float:
    """A replacement rollout of the slowest service: task start, then its health checks."""
    worst = 0.0
    for service in spec.services.values():
        seconds = TASK_START
        if service.route is not None:
            hc = service.health_check
            seconds += hc.interval * hc.healthy_threshold
        worst = max(worst, seconds)
    return _polled(worst)


def _polled(seconds: float) -> float:
    """When the rollout watch first polls at or after ``seconds`` (``reconcile.polling``:
    while tasks start and targets are checked a poll comes at most 3 s after the last)."""
    return seen_at(seconds, Cadence.scaled(Timing().poll))


def poll_lag(seconds: float, poll: float | None = None) -> float:
    """How long after ``seconds`` a wait that polls as ``resources.waiting.wait_for`` does
    (at once, then after 1 s, doubling up to the poll interval) sees the change."""
    poll = Timing().poll if poll is None else poll
    waited, delay = 0.0, min(1.0, poll)
    while waited < seconds:
        waited += delay
        delay = min(delay * 2, poll)
    return waited - seconds


def polls_scaled(waits: SlowWaits, scale: float) -> float:
    """What the scaled run's polling got wrong: ecsdeploy polls at its real intervals
    while AWS's waits are divided by ``scale``, so the lag after each slow wait on the
    critical path is that of a wait ``scale`` times shorter. The difference, per wait,
    between the lag at full length and the lag the scaled run had."""
    return sum(poll_lag(s) - poll_lag(s / scale) for s in waits.chain_seconds)


def default_costs(spec: Spec) -> dict[str, float]:
    """What each health-check setting of the slowest routed service costs a rollout, in
    seconds: passes x interval before a new task takes traffic (on ``up``'s path),
    failures x interval before a failing one is taken out, and the drain of the old
    tasks (after ``up`` is done: it does not wait for it)."""
    routed = [s for s in spec.services.values() if s.route is not None]
    if not routed:
        return {}
    slowest = max(routed, key=lambda s: s.health_check.interval * s.health_check.healthy_threshold)
    hc = slowest.health_check
    return {
        "interval_s": hc.interval,
        "healthy_threshold": hc.healthy_threshold,
        "healthy_after_s": hc.interval * hc.healthy_threshold,
        "unhealthy_after_s": hc.interval * hc.unhealthy_threshold,
        "deregistration_delay_s": slowest.deregistration_delay,
        # AWS's own defaults for an ip target group: 30 s x 5 passes, 300 s drain
        "aws_defaults_healthy_after_s": 30 * 5,
    }


def health_seconds(spec: Spec) -> float | None:
    """Interval x healthy threshold of the slowest routed service; None when none is."""
    checks = [s.health_check for s in spec.services.values() if s.route is not None]
    return max((hc.interval * hc.healthy_threshold for hc in checks), default=None)


@dataclass
class SlowWaits:
    """Full-length seconds of the slow waits of a first deploy, from its graph."""

    critical: float  # on the heaviest path
    chain: list[str]  # the slow nodes on it
    chain_seconds: list[float]  # their waits, full length
    before_lb: float  # on the heaviest path to the load balancer's create
    before_services: float  # on the heaviest path to any service's create


def slow_waits(spec_path: Path) -> SlowWaits:
    spec = load_spec(spec_path)
    stages = Stages.connect(Target.of(spec, spec_path=spec_path))
    plan = make_plan(stages.desired(), [], stages.handlers)
    graph = build_graph(plan, registry.ordering())
    weights: dict[str, int] = {}
    for node, (step, phase, _) in graph.items():
        what = {
            ("ec2.nat_gateway", "apply"): "nat_gateway",
            ("elbv2.load_balancer", "ready"): "load_balancer",
        }.get((step.kind, phase))
        interface = (
            step.want is not None and step.want.props.as_mapping().get("type") == "Interface"
        )
        if step.kind == "ec2.vpc_endpoint" and phase == "apply" and interface:
            what = "interface_endpoint"
        if what:
            weights[node] = int(SLOW_SECONDS[what] * 1000)
    deps = {n: set(d) for n, (_, _, d) in graph.items()}
    total, chain = longest_path(deps, weights)
    best = heaviest_to(deps, weights)

    def before(node: str) -> float:
        return (best[node][0] - weights.get(node, 0)) / 1000

    services = [n for n, (step, _, _) in graph.items() if step.kind == "ecs.service"]
    return SlowWaits(
        critical=total / 1000,
        chain=[n for n, w in chain if w],
        chain_seconds=[w / 1000 for _, w in chain if w],
        before_lb=before(f"apply:{keys.LOAD_BALANCER}"),
        before_services=max((before(n) for n in services), default=0.0),
    )


def first_deploy(
    spec: Spec,
    waits: SlowWaits,
    scale: float,
    wall: float,
    calls: list[ProxyCall],
    t0: float,
    polls_scaled_along: bool = False,
) -> dict[str, float]:
    """The model of a real first deploy (see the module docstring), in seconds from the
    start of ``up``; ``calls`` and ``wall`` from the scaled run that started at ``t0``.
    ``polls_scaled_along``: the lag of ecsdeploy's polls after each slow wait taken at
    full length (``polls_scaled``), not as the scaled run had it."""

    def at_full_length(operation: str, waits_before: float, last: bool = False) -> float:
        times = [c.start - t0 for c in calls if c.operation == operation]
        measured = max(times) if last else min(times)
        return measured + (scale - 1) * waits_before / scale

    apply_end = wall + (scale - 1) * waits.critical / scale
    if polls_scaled_along:
        apply_end += polls_scaled(waits, scale)
    lb_create = at_full_length("CreateLoadBalancer", waits.before_lb)
    service_create = at_full_length("CreateService", waits.before_services, last=True)
    lb_active = lb_create + SLOW_SECONDS["load_balancer"]
    tasks_running = service_create + TASK_START
    health = health_seconds(spec)
    healthy = tasks_running if health is None else max(tasks_running, lb_active) + health
    predicted = apply_end + (_polled(healthy - apply_end) if healthy > apply_end else 0.0)
    return {
        "apply_end_s": apply_end,
        "lb_create_s": lb_create,
        "lb_active_s": lb_active,
        "service_create_s": service_create,
        "tasks_running_s": tasks_running,
        "health_checks_s": health or 0.0,
        "healthy_s": healthy,
        "predicted_first_deploy_s": predicted,
    }


def run(emulator: Emulator, work: Path, latency: float, scale: float) -> dict[str, Any]:
    from bench.__main__ import Runner

    example = ROOT / "configs" / "example.yaml"
    first = specs.write(specs.example_spec(example, "slow"), work / "slow.yaml")
    changed = specs.write(specs.example_spec(example, "slow", "api"), work / "slow-next.yaml")
    waits = slow_waits(first)
    proxy = Proxy(emulator.port, latency, SlowAws(scale)).start()
    slow_runner = Runner(proxy, work)
    print(f"-- slow AWS (scale {scale:g}): example app", flush=True)
    try:
        mark, t0 = proxy.log.mark(), time.monotonic()
        up = slow_runner.ecsdeploy("first up", ["up", str(first), "--yes", "--no-wait"], "slow-up")
        up_calls = proxy.log.since(mark)
        redeploy = slow_runner.ecsdeploy(
            "redeploy", ["up", str(changed), "--yes", "--no-wait"], "slow-redeploy"
        )
        slow_runner.ecsdeploy("down", ["down", str(changed), "--yes"], "slow-down")
    finally:
        proxy.stop()
    spec = load_spec(first)
    model = first_deploy(spec, waits, scale, up.wall, up_calls, t0)
    polled = first_deploy(spec, waits, scale, up.wall, up_calls, t0, polls_scaled_along=True)
    rollout_redeploy = rollout_seconds(spec)
    return {
        "scale": scale,
        "latency_ms": latency * 1000,
        "slow_seconds": SLOW_SECONDS,
        "critical_slow_chain": waits.chain,
        "critical_slow_wait_s": waits.critical,
        "slow_wait_before_lb_s": waits.before_lb,
        "slow_wait_before_services_s": waits.before_services,
        "first_up_scaled_wall_s": up.wall,
        **model,
        "redeploy_wall_s": redeploy.wall,
        "rollout_redeploy_s": rollout_redeploy,
        "predicted_redeploy_s": redeploy.wall + rollout_redeploy,
        "poll_lag_correction_s": polls_scaled(waits, scale),
        "polls_scaled": polled,
        "default_costs": default_costs(spec),
    }


def summary(result: dict[str, Any]) -> str:
    r = result
    return "\n".join(
        [
            f"slow AWS, scale {r['scale']:g}, example app with NAT:",
            f"  first up --no-wait measured {r['first_up_scaled_wall_s']:.1f} s scaled; slow "
            f"waits on the critical path {r['critical_slow_wait_s']:.0f} s at full length "
            f"({', '.join(r['critical_slow_chain'])}): the apply ends at {r['apply_end_s']:.0f} s",
            f"  modeled rollout: CreateLoadBalancer at {r['lb_create_s']:.0f} s, active at "
            f"{r['lb_active_s']:.0f} s; CreateService at {r['service_create_s']:.0f} s, tasks "
            f"running at {r['tasks_running_s']:.0f} s; healthy "
            f"{r['health_checks_s']:.0f} s after both, at {r['healthy_s']:.0f} s",
            f"  predicted real first deploy: {r['predicted_first_deploy_s']:.0f} s "
            f"({r['predicted_first_deploy_s'] / 60:.1f} min)",
            f"  predicted real image-only redeploy: {r['predicted_redeploy_s']:.0f} s "
            f"(measured {r['redeploy_wall_s']:.1f} s + modeled rollout "
            f"{r['rollout_redeploy_s']:.0f} s)",
            f"  with ecsdeploy's polls scaled along (their lag after the slow waits at full "
            f"length, {r['poll_lag_correction_s']:+.1f} s): apply ends at "
            f"{r['polls_scaled']['apply_end_s']:.0f} s, first deploy "
            f"{r['polls_scaled']['predicted_first_deploy_s']:.0f} s; redeploy "
            f"{r['predicted_redeploy_s']:.0f} s (no slow wait on its path)",
            *_cost_lines(r.get("default_costs") or {}),
        ]
    )


def _cost_lines(costs: dict[str, float]) -> list[str]:
    if not costs:
        return []
    return [
        f"  health-check defaults: {costs['interval_s']:g} s x {costs['healthy_threshold']:g} "
        f"passes = {costs['healthy_after_s']:g} s of every rollout (AWS's defaults: "
        f"{costs['aws_defaults_healthy_after_s']:g} s); a failing task is out after "
        f"{costs['unhealthy_after_s']:g} s; the old tasks' {costs['deregistration_delay_s']:g} s "
        "drain comes after `up` is done",
    ]
