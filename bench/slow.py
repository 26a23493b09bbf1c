"""Slow-AWS mode: the example app deployed while the proxy makes NAT gateways, the load
balancer and interface endpoints take AWS's time (divided by ``scale``), and a prediction
of the real-AWS time of a first deploy and of an image-only redeploy.

The model, in full:

* first deploy = the measured wall time of ``up --no-wait`` in slow mode
  + (scale - 1) x the slow waits on the critical path (scaled), i.e. those waits brought
  back to full length, while everything else the run measured (start-up, every API call at
  the chosen latency, polling lag) is kept at its measured size
  + the rollout;
* redeploy = the measured wall time of the one-image ``up --no-wait`` (no slow resource is
  touched) + the rollout of a replacement;
* rollout (moto never runs tasks, so it is computed from the spec, not measured) = 45 s of
  task start (image pull, container start) + the target group's health-check interval x
  healthy threshold, + its deregistration delay for a replacement (ECS calls a rollout
  COMPLETED once the old tasks have drained and stopped, and ``up`` waits for COMPLETED);
  rounded up to ecsdeploy's rollout poll interval. The slowest changed service counts.

The slow waits on the critical path come from the plan's dependency graph (the executor's
``build_graph``): each NAT gateway, load balancer or interface endpoint create weighs its
wait, everything else nothing, and the heaviest path is taken.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import specs
from bench.critical_path import longest_path
from bench.proxy import SLOW_SECONDS, Proxy, SlowAws
from ecsdeploy.operations import Deployment, Target
from ecsdeploy.plan.planner import make_plan
from ecsdeploy.reconcile.executor import build_graph
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Timing
from ecsdeploy.spec.loader import load_spec
from ecsdeploy.spec.models import Spec

if TYPE_CHECKING:
    from bench.emulator import Emulator

TASK_START = 45.0  # seconds from RunTask to a running container, typical for Fargate
ROOT = Path(__file__).resolve().parent.parent


def rollout_seconds(spec: Spec, replacement: bool) -> float:
    worst = 0.0
    for service in spec.services.values():
        seconds = TASK_START
        if service.route is not None:
            hc = service.health_check
            seconds += hc.interval * hc.healthy_threshold
            if replacement:
                seconds += service.deregistration_delay
        worst = max(worst, seconds)
    poll = Timing().poll
    return math.ceil(worst / poll) * poll


def slow_critical_wait(spec_path: Path) -> tuple[float, list[str]]:
    """Full-length seconds of the slow waits on the heaviest path of a first deploy."""
    spec = load_spec(spec_path)
    deployment = Deployment.connect(Target.of(spec, spec_path=spec_path))
    plan = make_plan(deployment.desired(), [], deployment.handlers)
    graph = build_graph(plan, registry.kind_rank())
    weights: dict[str, int] = {}
    for node, (step, _, _) in graph.items():
        what = {
            "ec2.nat_gateway": "nat_gateway",
            "elbv2.load_balancer": "load_balancer",
        }.get(step.kind)
        if step.kind == "ec2.vpc_endpoint" and step.want and step.want.props["type"] == "Interface":
            what = "interface_endpoint"
        if what:
            weights[node] = int(SLOW_SECONDS[what] * 1000)
    total, chain = longest_path({n: set(d) for n, (_, _, d) in graph.items()}, weights)
    return total / 1000, [n for n, w in chain if w]


def run(emulator: Emulator, work: Path, latency: float, scale: float) -> dict[str, Any]:
    from bench.__main__ import Runner

    example = ROOT / "configs" / "example.yaml"
    first = specs.write(specs.example_spec(example, "slow"), work / "slow.yaml")
    changed = specs.write(specs.example_spec(example, "slow", "api"), work / "slow-next.yaml")
    wait_full, chain = slow_critical_wait(first)
    proxy = Proxy(emulator.port, latency, SlowAws(scale)).start()
    slow_runner = Runner(proxy, work)
    print(f"-- slow AWS (scale {scale:g}): example app", flush=True)
    try:
        up = slow_runner.ecsdeploy("first up", ["up", str(first), "--yes", "--no-wait"], "slow-up")
        redeploy = slow_runner.ecsdeploy(
            "redeploy", ["up", str(changed), "--yes", "--no-wait"], "slow-redeploy"
        )
        slow_runner.ecsdeploy("down", ["down", str(changed), "--yes"], "slow-down")
    finally:
        proxy.stop()
    spec = load_spec(first)
    rollout_first = rollout_seconds(spec, replacement=False)
    rollout_redeploy = rollout_seconds(spec, replacement=True)
    wait_scaled = wait_full / scale
    first_real = up.wall + (scale - 1) * wait_scaled + rollout_first
    redeploy_real = redeploy.wall + rollout_redeploy
    return {
        "scale": scale,
        "latency_ms": latency * 1000,
        "slow_seconds": SLOW_SECONDS,
        "critical_slow_chain": chain,
        "critical_slow_wait_s": wait_full,
        "first_up_scaled_wall_s": up.wall,
        "redeploy_wall_s": redeploy.wall,
        "rollout_first_s": rollout_first,
        "rollout_redeploy_s": rollout_redeploy,
        "predicted_first_deploy_s": first_real,
        "predicted_redeploy_s": redeploy_real,
    }


def summary(result: dict[str, Any]) -> str:
    r = result
    return "\n".join(
        [
            f"slow AWS, scale {r['scale']:g}, example app with NAT:",
            f"  first up --no-wait measured {r['first_up_scaled_wall_s']:.1f} s scaled; slow "
            f"waits on the critical path {r['critical_slow_wait_s']:.0f} s at full length "
            f"({', '.join(r['critical_slow_chain'])})",
            f"  predicted real first deploy: {r['predicted_first_deploy_s']:.0f} s "
            f"({r['predicted_first_deploy_s'] / 60:.1f} min) including a modeled rollout of "
            f"{r['rollout_first_s']:.0f} s",
            f"  predicted real image-only redeploy: {r['predicted_redeploy_s']:.0f} s "
            f"(measured {r['redeploy_wall_s']:.1f} s + modeled rollout "
            f"{r['rollout_redeploy_s']:.0f} s)",
        ]
    )
