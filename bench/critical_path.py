"""The critical-path lower bound of a run: the longest chain of AWS calls that must follow
one another, given the calls ecsdeploy makes.

How it is computed (the same sequence of runs is made in this process, against the
emulator with no latency, before the timed runs):

* every AWS call is attributed to what made it: the observe of one resource kind or one
  node of the executor's graph (a create, update or delete, or the wait for a created load
  balancer to be ready; its calls follow one another), and to the thread that made it;
* a kind's observe runs on its own thread; the per-resource reads it fans out
  (``resources.reads.read_each``) run on worker threads and carry the kind's label with
  them. Its depth = the calls on its own thread + the most calls on any one worker;
* ``observe depth`` = the deepest kind: the kinds are read in parallel, so no observe can
  finish sooner;
* ``apply depth`` = the longest path through the executor's dependency graph (the same
  ``build_graph`` the executor runs), each node weighted by the calls it made;
* the executor runs at most ``--parallelism`` (default: ``auto_parallelism``, 8-32 by the
  plan's size) steps at once, so the apply also takes at least (calls of all steps / pool)
  round trips: ``apply bound`` = the larger of
  the two;
* bound = (observe depth + apply bound) x latency.

What the bound leaves out, and the wall time therefore includes: process start-up and
imports, the ``verify`` checks, the zones lookup, the lock, the second observe ``up``
makes under the lock, planning, and the emulator's own time per call. It takes the calls
ecsdeploy makes as given; the call counts are reported separately.
"""

from __future__ import annotations

import contextvars
import graphlib
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecsdeploy.aws.recorder import Call, CallRecorder
from ecsdeploy.ops.down import DownOptions, DownRun, down
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.ops.up import UpOptions, UpRun, up
from ecsdeploy.plan.model import Plan
from ecsdeploy.reconcile.executor import (
    Event,
    Result,
    State,
    auto_parallelism,
    build_graph,
)
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Desired, Handler, Observed
from ecsdeploy.spec.loader import load_spec

OUTSIDE = "outside"  # calls made by neither an observe nor a plan step


@dataclass
class Depth:
    """The bound of one run, in calls, with the chain that sets it."""

    observe: int
    apply: int
    chain: list[tuple[str, int]] = field(default_factory=list)  # (graph node, calls)
    calls: int = 0  # everything this run made, for reference
    apply_calls: int = 0  # calls of all the executor's steps
    pool: int = 8  # the executor's pool for this plan (auto_parallelism)

    @property
    def apply_bound(self) -> int:
        return max(self.apply, math.ceil(self.apply_calls / self.pool))

    @property
    def total(self) -> int:
        return self.observe + self.apply_bound

    def to_json(self) -> dict[str, Any]:
        return {
            "observe_depth": self.observe,
            "apply_depth": self.apply,
            "apply_calls": self.apply_calls,
            "pool": self.pool,
            "apply_bound": self.apply_bound,
            "chain": [{"node": n, "calls": c} for n, c in self.chain],
        }


class _Attribution:
    """Which observe or graph node the current context works for, and on which thread."""

    def __init__(self) -> None:
        self.label: contextvars.ContextVar[str] = contextvars.ContextVar("label", default=OUTSIDE)
        self.lock = threading.Lock()
        self.calls: defaultdict[str, Counter[int]] = defaultdict(Counter)  # label -> thread
        self.home: dict[str, int] = {}  # label -> the thread its observe ran on

    def on_call(self, call: Call) -> None:
        with self.lock:
            self.calls[self.label.get()][threading.get_ident()] += 1

    def on_event(self, event: Event) -> None:
        if event.state in (State.DONE, State.FAILED):
            self.label.set(OUTSIDE)
        elif not event.message:  # a step starts (notes carry a message)
            phase = "delete" if event.state is State.DELETING else "apply"
            self.label.set(node_name(event.step.key, phase, event.step.have))

    def attributed(self, handler: Handler) -> Handler:
        """``handler`` with its observe, and its wait for readiness, attributed; so is
        every copy a stage binds to a context of its own (``Handler.using``)."""
        base = type(handler)
        label, home = self.label, self.home

        def observe(bound: Handler, wants: Sequence[Desired]) -> list[Observed]:
            name = f"observe:{base.kind}"
            home[name] = threading.get_ident()
            token = label.set(name)
            try:
                return base.observe(bound, wants)
            finally:
                label.reset(token)

        def wait_ready(bound: Handler, have: Observed) -> Observed:
            # a ready node reports no start of its own (its step started at the create)
            label.set(node_name(have.key, "ready", have))
            return base.wait_ready(bound, have)

        methods: dict[str, Any] = {"observe": observe}
        if base.settles:
            methods["wait_ready"] = wait_ready
        cls: type[Handler] = type(f"Attributed{base.__name__}", (base,), methods)
        return cls(handler.ctx)

    def depth(self, label: str) -> int:
        """Calls in sequence: those on the label's own thread + the busiest worker's."""
        by_thread = self.calls.get(label, Counter())
        home = self.home.get(label)
        own = by_thread.get(home, 0) if home is not None else 0
        workers = [n for thread, n in by_thread.items() if thread != home]
        if home is None:  # a graph node: one thread
            return sum(by_thread.values())
        return own + max(workers, default=0)

    def observe_depth(self) -> int:
        """The deepest kind's observe so far."""
        return max(
            (n for label, n in self.weights().items() if label.startswith("observe:")),
            default=0,
        )

    def weights(self) -> dict[str, int]:
        return {label: self.depth(label) for label in self.calls}


def node_name(key: str, phase: str, have: Observed | None) -> str:
    """The executor graph's name for a node (see ``executor._node``)."""
    if phase == "delete" and have is not None:
        return f"delete:{key}:{have.id}"
    return f"{phase}:{key}"


def heaviest_to(
    graph: Mapping[str, set[str]], weight: Mapping[str, int]
) -> dict[str, tuple[int, str | None]]:
    """For each node of a DAG (node -> dependencies): the weight of the heaviest path that
    ends with it, and the node before it on that path."""
    best: dict[str, tuple[int, str | None]] = {}
    for node in graphlib.TopologicalSorter(graph).static_order():
        before = max(
            ((best[d][0], d) for d in graph.get(node, ())), default=(0, None), key=lambda x: x[0]
        )
        best[node] = (before[0] + weight.get(node, 0), before[1])
    return best


def longest_path(
    graph: Mapping[str, set[str]], weight: Mapping[str, int]
) -> tuple[int, list[tuple[str, int]]]:
    """The heaviest path through a DAG (node -> dependencies) and its nodes in order."""
    best = heaviest_to(graph, weight)
    if not best:
        return 0, []
    end = max(best, key=lambda n: best[n][0])
    chain: list[tuple[str, int]] = []
    cursor: str | None = end
    while cursor is not None:
        chain.append((cursor, weight.get(cursor, 0)))
        cursor = best[cursor][1]
    return best[end][0], chain[::-1]


class _Quiet:
    """The views of ``up`` and ``down`` for a profile run: nothing shown, each step's
    events attributed."""

    def __init__(self, attribution: _Attribution) -> None:
        self.attribution = attribution
        self.step = attribution.on_event
        self.observe_depth: int | None = None  # taken once planned, before any apply

    def planned(self, *_: Any) -> None:
        # the observe's depth is that of the plan's observe: taken once the plan is
        # made, before the lock, the apply and the record
        self.observe_depth = self.attribution.observe_depth()

    def phase(self, name: str, plan: Plan | None = None) -> AbstractContextManager[None]:
        return nullcontext()

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None  # the rest: told, not shown


class Profiler:
    """Runs up / down in this process against an endpoint and measures each run's depth."""

    def __init__(self, spec_path: Path) -> None:
        self.spec_path = spec_path

    def _stages(self, spec_path: Path) -> tuple[Stages, _Attribution, CallRecorder]:
        spec = load_spec(spec_path)
        recorder = CallRecorder()
        attribution = _Attribution()
        recorder.listeners.append(attribution.on_call)
        stages = Stages.connect(Target.of(spec, spec_path=spec_path), recorder=recorder)
        stages.handlers = {k: attribution.attributed(h) for k, h in stages.handlers.items()}
        return stages, attribution, recorder

    def up(self, spec_path: Path) -> Depth:
        """``up --yes --no-wait``, the use case the CLI runs (its checks left out: they
        are outside the bound)."""
        stages, attribution, recorder = self._stages(spec_path)
        quiet = _Quiet(attribution)
        options = UpOptions(yes=True, skip_verify=True, wait=False)
        run = up(stages, UpRun(stages.target), options, quiet, preflight=list)
        return self._depth(run.plan, run.result, quiet, recorder)

    def down(self, spec_path: Path) -> Depth:
        """``down --yes``, the use case the CLI runs."""
        stages, attribution, recorder = self._stages(spec_path)
        quiet = _Quiet(attribution)
        run = down(stages, DownRun(stages.target), DownOptions(yes=True), quiet)
        return self._depth(run.plan, run.result, quiet, recorder)

    def _depth(
        self,
        plan: Plan | None,
        result: Result | None,
        quiet: _Quiet,
        rec: CallRecorder,
    ) -> Depth:
        assert plan is not None
        attribution = quiet.attribution
        observe_depth = quiet.observe_depth
        if observe_depth is None:  # nothing to change: no apply after the observe
            observe_depth = attribution.observe_depth()
        if result is not None and not result.ok:
            raise RuntimeError(f"profile run failed: {result.failed or result.not_started}")
        graph = build_graph(plan, registry.ordering())
        deps = {node: set(d) for node, (_, _, d) in graph.items()}
        weights = attribution.weights()
        apply_depth, chain = longest_path(deps, weights)
        apply_calls = sum(weights.get(node, 0) for node in deps)
        return Depth(
            observe_depth, apply_depth, chain, len(rec.calls), apply_calls, auto_parallelism(graph)
        )
