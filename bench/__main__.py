"""``make bench``: ecsdeploy against a local AWS emulator behind a proxy with fixed latency.

For specs with 1, 5 and 20 services (and the example app) it times, with the CLI run as a
subprocess: the first ``up --no-wait``, a no-op ``up``, a redeploy of one changed image,
the image changed back with ``up --images-only``, and ``down``; counts read and mutating
calls at the proxy; computes the critical-path bound (``bench/critical_path.py``) and the
ratio wall / bound. ``--slow`` adds AWS's slow parts, time-scaled, and predicts real-AWS
times (``bench/slow.py``). fabfuel's ``ecs-deploy`` makes the same redeploy for comparison
(``bench/peer.py``). Prints a table; writes JSON.

Exit status 1 when a run fails or a no-op ``up`` makes a mutating call.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import peer, slow, specs, throttle
from bench.critical_path import Depth, Profiler
from bench.emulator import Emulator
from bench.proxy import Proxy, ProxyCall
from bench.rollouts import EmulatedRollouts

ROOT = Path(__file__).resolve().parent.parent
ECSDEPLOY = Path(sys.executable).parent / "ecsdeploy"


class BenchFailure(Exception):
    """A run failed or broke a rule the bench checks (no-op up makes no mutating call)."""


@dataclass
class Measure:
    op: str
    wall: float
    reads: int
    mutating: int
    emulator: float  # seconds the emulator spent on these calls, summed
    bound_calls: int | None = None
    latency: float = 0.0
    operations: dict[str, int] = field(default_factory=dict)
    mutating_operations: list[str] = field(default_factory=list)
    bound_detail: dict[str, Any] = field(default_factory=dict)  # the chain behind the bound
    walls: list[float] = field(default_factory=list)  # every repeat's wall time

    @property
    def bound(self) -> float | None:
        return None if self.bound_calls is None else self.bound_calls * self.latency

    @property
    def ratio(self) -> float | None:
        bound = self.bound
        return self.wall / bound if bound else None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "bound": self.bound, "ratio": self.ratio}


def measure(op: str, calls: list[ProxyCall], wall: float, latency: float) -> Measure:
    return Measure(
        op=op,
        wall=wall,
        reads=sum(1 for c in calls if not c.mutating),
        mutating=sum(1 for c in calls if c.mutating),
        emulator=sum(c.upstream for c in calls),
        latency=latency,
        operations=dict(Counter(f"{c.service}:{c.operation}" for c in calls)),
        mutating_operations=[f"{c.service}:{c.operation}" for c in calls if c.mutating],
    )


@dataclass
class Runner:
    """Runs commands against the proxy, each as its own process, and logs their output."""

    proxy: Proxy
    logs: Path
    wait_rollouts: bool = False  # --rollout: the redeploys wait for the emulated rollout

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=self.proxy.endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION=specs.REGION,
            NO_COLOR="1",
        )
        return env

    def run(self, op: str, argv: list[str], label: str) -> Measure:
        mark = self.proxy.log.mark()
        log = self.logs / f"{label}.log"
        start = time.monotonic()
        with log.open("w") as out:
            done = subprocess.run(
                argv, env=self.env(), stdout=out, stderr=subprocess.STDOUT, timeout=1800
            )
        wall = time.monotonic() - start
        if done.returncode != 0:
            raise BenchFailure(f"{' '.join(argv)} exited {done.returncode}; see {log}")
        return measure(op, self.proxy.log.since(mark), wall, self.proxy.latency)

    def ecsdeploy(self, op: str, args: list[str], label: str) -> Measure:
        return self.run(op, [str(ECSDEPLOY), *args], label)


def scenario(
    name: str,
    spec_of: Any,
    runner: Runner,
    work: Path,
    with_peer: bool,
    repeat: int = 1,
) -> list[Measure]:
    """Profile (in process, no latency) then time (subprocesses, through the proxy) the
    four runs of one spec, ``repeat`` times over; wall times are the medians."""
    profile = _profile(name, spec_of, work)
    first = specs.write(spec_of(f"b{name}", None), work / f"{name}.yaml")
    changed = specs.write(spec_of(f"b{name}", "s0" if name != "example" else "api"),
                          work / f"{name}-next.yaml")  # fmt: skip
    cycles = [_cycle(name, runner, first, changed, work, with_peer) for _ in range(repeat)]
    out = [_median([cycle[i] for cycle in cycles]) for i in range(len(cycles[0]))]
    depths = dict(zip(("first up", "no-op up", "redeploy", "down"), profile, strict=True))
    for m in out:
        if m.op in depths:
            m.bound_calls = depths[m.op].total
            m.bound_detail = depths[m.op].to_json()
    return out


def _cycle(
    name: str, runner: Runner, first: Path, changed: Path, work: Path, with_peer: bool
) -> list[Measure]:
    """first up, no-op up, redeploy, the image changed back with ``--images-only`` (and
    ecs-deploy's redeploy), down: from nothing back to nothing."""
    waits = [] if runner.wait_rollouts else ["--no-wait"]
    out = [
        runner.ecsdeploy("first up", ["up", str(first), "--yes", "--no-wait"], f"{name}-up"),
        runner.ecsdeploy("no-op up", ["up", str(first), "--yes", "--no-wait"], f"{name}-noop"),
        runner.ecsdeploy("redeploy", ["up", str(changed), "--yes", *waits], f"{name}-redeploy"),
        runner.ecsdeploy(
            "images-only",
            ["up", str(first), "--yes", "--images-only", *waits],
            f"{name}-images-only",
        ),
    ]
    if with_peer:
        out.append(peer.redeploy(runner, changed, work / "peer", f"{name}-ecs-deploy"))
    out.append(runner.ecsdeploy("down", ["down", str(changed), "--yes"], f"{name}-down"))
    if out[1].mutating:
        raise BenchFailure(
            f"{name}: the no-op up made {out[1].mutating} mutating call(s): "
            + ", ".join(out[1].mutating_operations)
        )
    return out


def _median(runs: list[Measure]) -> Measure:
    """The first run's counts with the median wall time of all (counts are the same each
    time: the runs start from the same state)."""
    walls = [m.wall for m in runs]
    return replace(runs[0], wall=statistics.median(walls), walls=walls)


def _profile(name: str, spec_of: Any, work: Path) -> list[Depth]:
    env = f"p{name}"
    first = specs.write(spec_of(env, None), work / f"profile-{name}.yaml")
    changed = specs.write(spec_of(env, "s0" if name != "example" else "api"),
                          work / f"profile-{name}-next.yaml")  # fmt: skip
    profiler = Profiler(first)
    return [profiler.up(first), profiler.up(first), profiler.up(changed), profiler.down(changed)]


def use_emulator(endpoint: str) -> None:
    """Point this process's own AWS calls (the profile runs) at the emulator, directly."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=specs.REGION,
    )


def startup_seconds(runner: Runner, repeat: int = 5) -> float:
    """Median wall time of ``ecsdeploy --help``."""
    times = []
    for _ in range(repeat):
        start = time.monotonic()
        argv = [str(ECSDEPLOY), "--help"]
        subprocess.run(argv, env=runner.env(), capture_output=True, check=True)
        times.append(time.monotonic() - start)
    return statistics.median(times)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def table(rows: list[tuple[str, Measure]]) -> str:
    head = ("spec", "run", "wall s", "reads", "mutating", "bound calls", "bound s", "wall/bound")
    lines = [head]
    for name, m in rows:
        lines.append(
            (
                name,
                m.op,
                f"{m.wall:.2f}",
                str(m.reads),
                str(m.mutating),
                "-" if m.bound_calls is None else str(m.bound_calls),
                "-" if m.bound is None else f"{m.bound:.2f}",
                "-" if m.ratio is None else f"{m.ratio:.2f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(_cell(cell, widths[i], left=i < 2) for i, cell in enumerate(line))
        for line in lines
    )


def _cell(text: str, width: int, left: bool) -> str:
    return text.ljust(width) if left else text.rjust(width)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=50.0, help="ms added to every call")
    parser.add_argument(
        "--services", default="1,5,20", help="comma-separated service counts (default 1,5,20)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each spec's runs N times; report medians"
    )
    parser.add_argument("--no-example", action="store_true", help="skip the example app spec")
    parser.add_argument("--slow", action="store_true", help="also run the slow-AWS model")
    parser.add_argument("--scale", type=float, default=10.0, help="slow-AWS time divisor")
    parser.add_argument("--no-peer", action="store_true", help="skip fabfuel's ecs-deploy")
    parser.add_argument(
        "--rollout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="emulate rollouts that take SECONDS (bench/rollouts.py) and time both tools' "
        "redeploys waiting for them",
    )
    parser.add_argument(
        "--throttle",
        action="store_true",
        help="also deploy the most services through AWS's per-API rate limits",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="CI: 1 service, no latency, no slow mode, no peer"
    )
    parser.add_argument("--json", type=Path, default=ROOT / ".bench" / "results.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.latency, args.services, args.no_example = 0.0, "1", True
        args.slow, args.no_peer, args.throttle = False, True, False
    return args


def compile_sources() -> None:
    """Write the bytecode of ecsdeploy's own modules. pip compiles an installed package;
    an editable install's sources are compiled at import, and where
    PYTHONDONTWRITEBYTECODE is set, again at every start (0.1-0.2 s of each run): the
    timings should be those of an installed ecsdeploy."""
    compileall.compile_dir(ROOT / "src", quiet=1)


def main(argv: list[str]) -> int:
    args = parse(argv)
    compile_sources()
    work = ROOT / ".bench" / "run"
    work.mkdir(parents=True, exist_ok=True)
    latency = args.latency / 1000
    results: dict[str, Any] = {
        "machine": machine(),
        "latency_ms": args.latency,
        "repeat": args.repeat,
        "runs": [],
    }
    rows: list[tuple[str, Measure]] = []
    with Emulator(work / "moto.log") as emulator:
        use_emulator(emulator.endpoint)
        proxy = Proxy(emulator.port, latency).start()
        runner = Runner(proxy, work)
        if args.rollout is not None:
            proxy.rollouts = EmulatedRollouts(args.rollout)
            runner.wait_rollouts = True
        try:
            startup = startup_seconds(runner)
            results["startup_help_s"] = startup
            print(f"ecsdeploy --help: {startup:.2f} s (median of 5)", flush=True)
            names: list[str] = [n.strip() for n in args.services.split(",") if n.strip()]
            if not args.no_example:
                names.append("example")
            peer_ok = not args.no_peer and peer.available(work / "peer")
            for name in names:
                spec_of = _spec_maker(name)
                print(f"-- {name}: profiling, then timing", flush=True)
                measures = scenario(name, spec_of, runner, work, peer_ok, args.repeat)
                for m in measures:
                    rows.append((name, m))
                    results["runs"].append({"spec": name, **m.to_json()})
                print(table([(name, m) for m in measures]), flush=True)
            if args.slow:
                results["slow"] = slow.run(emulator, work, latency, args.scale)
            counts = [int(n) for n in names if n.isdigit()]
            if args.throttle and counts:
                results["throttle"] = throttle.run(emulator, work, latency, max(counts))
        except BenchFailure as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1
        finally:
            proxy.stop()
    print()
    print(f"latency {args.latency:g} ms per call, median of {args.repeat}; {results['machine']}")
    print(table(rows))
    peers = [m for _, m in rows if m.op == "ecs-deploy"]
    for name, m in rows:
        if m.op == "ecs-deploy":
            for op in ("redeploy", "images-only"):
                ours = next(o for n, o in rows if n == name and o.op == op)
                ratio = ours.wall / m.wall
                results.setdefault("peer", []).append({"spec": name, "op": op, "ratio": ratio})
                print(f"{name}: ecsdeploy {op} / ecs-deploy redeploy = {ratio:.2f}")
    if not peers and not args.no_peer:
        print("ecs-deploy: not run (see .bench/run/peer/)")
    if "slow" in results:
        print(slow.summary(results["slow"]))
    if "throttle" in results:
        print(throttle.summary(results["throttle"]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {args.json}")
    return 0


def _spec_maker(name: str) -> Any:
    if name == "example":
        return lambda env, redeployed: specs.example_spec(
            ROOT / "configs" / "example.yaml", env, redeployed
        )
    count = int(name)
    return lambda env, redeployed: specs.services_spec(count, env, redeployed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
