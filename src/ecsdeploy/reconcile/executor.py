"""Runs a plan: every step whose dependencies are done runs at once, on a bounded pool;
when more are ready than the pool runs, those in front of the longest chains start first
(``priorities``: a NAT gateway or the load balancer before alarms and log groups). A
settling resource's wait (its ready node, below) polls on a worker of its own, outside the
pool's count.

Graph nodes are the plan's steps; a replace is two nodes (delete the old, then create the
new), and the create of a kind that settles (``Handler.settles``: a load balancer
provisions for minutes after AWS accepts it) is followed by a ready node, its
``wait_ready``. Order:

* a create/update runs after the steps its Refs point at, and after the ready nodes of
  the keys in its ``needs_ready``; everything else goes on while a resource settles, and
  the run ends only once it has;
* the delete half of a replace runs after the replace-deletes of higher-ranked kinds (the
  things that sit on top of it) and before its own create;
* a replace made alongside (``Step.alongside``) creates first; its retire node (the old
  one's removal) runs after the create and after every step that uses it has moved;
* the update of a kind that ``tidies`` only adds; its tidy node (what it takes away: a
  security group's rule for an old port) runs after the steps that use it and after
  every retire node;
* deletes of resources no longer wanted run last, highest rank first (``down`` is only
  these).

Deletes treat NotFound as done and retry DependencyViolation (network interfaces of NAT
gateways and load balancers linger for minutes) up to ``Timing.dependency_retry``. After a
failure no new step starts; running steps finish, and the result lists what was not done.
A step with a ready node reports its start at the create and its end once it is ready.

Ctrl-C stops the run the same way: while a run is going on in the main thread, SIGINT only
sets a flag (so no KeyboardInterrupt can land halfway through recording a step); no new
step starts, queued ones are cancelled, and the steps that are running finish their
current AWS call. A KeyboardInterrupt raised inside a worker (by a listener) counts the
same. A step that is waiting (for a NAT gateway to
become available, for a DependencyViolation to clear, for a push) stops at its next poll,
since every wait reports through ``Context.note``. Every create call already sent carried
its tags, so whatever it made is found by the next ``up`` or ``down``. The result says
``interrupted`` and lists the steps that were ``stopped`` midway.
"""

from __future__ import annotations

import graphlib
import heapq
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import Enum

from ecsdeploy.aws.errors import DependencyViolation, NotFound
from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.resources.base import Context, Handler, Observed, Ordering, Ref
from ecsdeploy.resources.waiting import retry_while

DEFAULT_PARALLELISM = 8  # the pool's least size; ``auto_parallelism`` scales it with the plan
MAX_AUTO_PARALLELISM = 32  # the clients' connection pools hold 32 (aws/clients.py)
ROUNDS = 8  # the apply's calls spread over about this many rounds of the pool
CHECK_EVERY = 0.2  # seconds between checks for Ctrl-C while steps run


class Interrupted(Exception):
    """The run was interrupted (Ctrl-C) while this step was waiting; it stopped there."""


class State(str, Enum):
    WAITING = "waiting"
    CREATING = "creating"
    UPDATING = "updating"
    DELETING = "deleting"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"  # interrupted (Ctrl-C) while it waited


@dataclass(frozen=True)
class Event:
    step: Step
    state: State
    elapsed: float
    message: str = ""


Listener = Callable[[Event], None]


@dataclass
class Result:
    done: list[Step] = field(default_factory=list)
    failed: list[tuple[Step, BaseException]] = field(default_factory=list)
    not_started: list[Step] = field(default_factory=list)
    resources: dict[str, Observed] = field(default_factory=dict)  # by key, after the run
    interrupted: bool = False  # Ctrl-C: stopped before the end
    stopped: list[Step] = field(default_factory=list)  # interrupted while they waited
    warnings: list[str] = field(default_factory=list)  # did not fail the run, worth saying

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_started and not self.interrupted


def _node(step: Step, phase: str) -> str:
    if phase == "delete" and step.have is not None:
        # by physical id: duplicates left by a crash share a key but are separate deletes
        return f"delete:{step.key}:{step.have.id}"
    return f"{phase}:{step.key}"


def build_graph(plan: Plan, ordering: Ordering) -> dict[str, tuple[Step, str, set[str]]]:
    """node -> (step, phase, dependencies). Phase is "apply", "ready" (the wait of a
    created resource of a kind that settles), "delete", "retire" (the old one of
    a replace made alongside, once its users have moved) or "tidy" (the removals of an
    update, last)."""
    rank, settles = ordering.rank, ordering.settles
    graph: dict[str, tuple[Step, str, set[str]]] = {}
    replaced = [s for s in plan.steps if s.action is Action.REPLACE]
    removed = [s for s in plan.steps if s.action is Action.DELETE]
    applies = [s for s in plan.steps if s.action is not Action.DELETE]
    apply_node = {s.key: _node(s, "apply") for s in applies}
    ready_node = {
        s.key: _node(s, "ready")
        for s in applies
        if s.kind in settles and s.action in (Action.CREATE, Action.REPLACE)
    }
    for step in applies:
        deps = {apply_node[k] for k in step.depends_on if k in apply_node}
        needs_ready = step.want.needs_ready if step.want else ()
        deps |= {ready_node[k] for k in needs_ready if k in ready_node}
        if step.action is Action.REPLACE and not step.alongside:
            deps.add(_node(step, "delete"))
        graph[_node(step, "apply")] = (step, "apply", deps)
        if step.key in ready_node:
            graph[ready_node[step.key]] = (step, "ready", {_node(step, "apply")})
    in_place = [s for s in replaced if not s.alongside]
    for step in in_place:
        deps = {_node(o, "delete") for o in in_place if rank[o.kind] > rank[step.kind]}
        graph[_node(step, "delete")] = (step, "delete", deps)
    retired: set[str] = set()
    for step in replaced:
        if step.alongside:
            # the old one goes once the new one exists and every user has moved to it
            users = [s for s in applies if step.key in s.depends_on]
            deps = {_node(step, "apply")} | {apply_node[s.key] for s in users}
            deps |= {_node(s, "delete") for s in users if s.action is Action.REPLACE}
            graph[_node(step, "delete")] = (step, "retire", deps)
            retired.add(_node(step, "delete"))
    tidied: set[str] = set()
    for step in applies:
        if step.action is Action.UPDATE and step.kind in ordering.tidies:
            # what the update would take away goes once its users have moved and the
            # resources replaced alongside have drained
            users = [s for s in applies if step.key in s.depends_on]
            deps = {_node(step, "apply")} | {apply_node[s.key] for s in users} | retired
            graph[_node(step, "tidy")] = (step, "tidy", deps)
            tidied.add(_node(step, "tidy"))
    apply_nodes = set(apply_node.values()) | set(ready_node.values()) | retired | tidied
    for step in removed:
        deps = {_node(o, "delete") for o in removed if rank[o.kind] > rank[step.kind]}
        graph[_node(step, "delete")] = (step, "delete", deps | apply_nodes)
    return graph


CALL_SECONDS = 0.1  # what one step's calls typically take on AWS, for ``priorities``


def priorities(
    graph: Mapping[str, tuple[Step, str, set[str]]], slow: Mapping[str, float]
) -> dict[str, float]:
    """node -> seconds of the longest chain of steps that can start only after it,
    itself included: a step costs ``CALL_SECONDS``, plus its kind's ``slow`` seconds for
    the node that waits for a new resource (a settling kind's ready node, else its
    create). When more steps are ready than the pool runs, the executor starts those with
    the longest chains first, so that what AWS takes minutes over (NAT gateways, the load
    balancer) starts as early as the graph allows and the services behind them are not
    queued behind alarms."""
    dependents: dict[str, list[str]] = {node: [] for node in graph}
    for node, (_, _, deps) in graph.items():
        for dep in deps:
            dependents[dep].append(node)
    order = graphlib.TopologicalSorter({n: deps for n, (_, _, deps) in graph.items()})
    chain: dict[str, float] = {}
    for node in reversed(list(order.static_order())):
        step, phase, _ = graph[node]
        makes = phase == "apply" and step.action in (Action.CREATE, Action.REPLACE)
        waits = phase == "ready" or (makes and _node(step, "ready") not in graph)
        cost = CALL_SECONDS + (slow.get(step.kind, 0.0) if waits else 0.0)
        chain[node] = cost + max((chain[d] for d in dependents[node]), default=0.0)
    return chain


def auto_parallelism(graph: Mapping[str, tuple[Step, str, set[str]]]) -> int:
    """The pool for a plan when ``--parallelism`` is not given: its steps that make calls
    spread over about ``ROUNDS`` rounds, at least ``DEFAULT_PARALLELISM`` and at most
    ``MAX_AUTO_PARALLELISM`` at once. One service's first deploy has about 50 such steps
    (8 at once), 20 services' about 330 (32). AWS's per-API rate limits bound it where it
    matters: every call passes ``aws.rate_limits`` first."""
    steps = sum(
        1
        for step, phase, _ in graph.values()
        if phase != "ready" and step.action is not Action.NOOP
    )
    return max(DEFAULT_PARALLELISM, min(MAX_AUTO_PARALLELISM, -(-steps // ROUNDS)))


class Executor:
    def __init__(
        self,
        ctx: Context,
        handlers: Mapping[str, Handler],
        listener: Listener | None = None,
        parallelism: int | None = None,
    ) -> None:
        # the steps' progress notes go to this run's listener: the handlers act with a
        # context of the executor's own
        self.ctx = replace(ctx, note=self._note)
        self.handlers = {kind: handler.using(self.ctx) for kind, handler in handlers.items()}
        self.ordering = Ordering.of(handlers.values())
        self.listener = listener or (lambda event: None)
        self.parallelism = None if parallelism is None else max(1, parallelism)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._started: dict[str, float] = {}  # step id -> when its create started

    def _note(self, message: str) -> None:
        if self._cancel.is_set():
            raise Interrupted("stopped by Ctrl-C while waiting")
        current: tuple[Step, State, float] | None = getattr(self._local, "current", None)
        if current is not None:
            step, state, start = current
            self.listener(Event(step, state, time.monotonic() - start, message))

    def run(self, plan: Plan) -> Result:
        with _ctrl_c_sets(self._cancel):
            return self._run(plan)

    def _run(self, plan: Plan) -> Result:
        graph = build_graph(plan, self.ordering)
        parallelism = self.parallelism or auto_parallelism(graph)
        result = Result(resources=dict(plan.observed))
        sorter = graphlib.TopologicalSorter({n: deps for n, (_, _, deps) in graph.items()})
        sorter.prepare()
        urgency = priorities(graph, {k: h.slow for k, h in self.handlers.items()})
        position = {node: i for i, node in enumerate(graph)}
        waiting: list[tuple[float, int, str]] = []  # ready nodes, most urgent first
        running: dict[Future[None], str] = {}
        stopping = False
        # A ready node only polls (one Describe per poll interval): it runs beside the
        # ``parallelism`` steps that make calls, on a worker of its own.
        polls = sum(1 for _, phase, _ in graph.values() if phase == "ready")
        with ThreadPoolExecutor(max_workers=parallelism + polls) as pool:

            def start(node: str) -> None:
                step, phase, _ = graph[node]
                # a create followed by its ready node ends with that node, an update
                # followed by its tidy node with that one
                ends = phase != "apply" or not {_node(step, "ready"), _node(step, "tidy")} & set(
                    graph
                )
                running[pool.submit(self._run_node, step, phase, result, ends)] = node

            while sorter.is_active():
                if self._cancel.is_set() and not result.interrupted:
                    stopping = self._interrupt(running, result)
                while not stopping and (ready := sorter.get_ready()):
                    for node in ready:
                        step, phase, _ = graph[node]
                        if step.action is Action.NOOP:
                            sorter.done(node)  # may make more nodes ready: loop again
                        elif phase == "ready":
                            start(node)
                        else:
                            heapq.heappush(waiting, (-urgency[node], position[node], node))
                # only as many as the pool runs at once: what waits is picked by urgency
                busy = sum(1 for node in running.values() if graph[node][1] != "ready")
                while not stopping and waiting and busy < parallelism:
                    start(heapq.heappop(waiting)[2])
                    busy += 1
                if not running:
                    break
                # a timeout, so that a Ctrl-C is acted on while long steps run
                finished, _ = wait(running, timeout=CHECK_EVERY, return_when=FIRST_COMPLETED)
                # in the order they were started (a set has none): with parallelism 1 the
                # run is the same every time
                for future in [f for f in running if f in finished]:
                    node = running.pop(future)
                    step, phase, _ = graph[node]
                    error = future.exception()
                    if error is None:
                        sorter.done(node)
                        if phase == "apply" or step.action is Action.DELETE:
                            result.done.append(step)
                    elif isinstance(error, Interrupted | KeyboardInterrupt):
                        result.stopped.append(step)
                        self._cancel.set()  # KeyboardInterrupt raised inside a worker
                    else:
                        result.failed.append((step, error))
                        stopping = True
        if self._cancel.is_set() and not result.interrupted:
            self._interrupt(running, result)
        finished_steps = {id(s) for s in result.done} | {id(s) for s, _ in result.failed}
        finished_steps |= {id(s) for s in result.stopped}
        result.not_started = [s for s in plan.changes if id(s) not in finished_steps]
        return result

    def _interrupt(self, running: dict[Future[None], str], result: Result) -> bool:
        """Ctrl-C: cancel what has not started and tell waiting steps to stop. The running
        steps still finish their current call (each is bounded) and are recorded."""
        result.interrupted = True
        self._cancel.set()
        for future in list(running):
            if future.cancel():
                running.pop(future)
        return True

    def _run_node(self, step: Step, phase: str, result: Result, ends: bool) -> None:
        """Run one node; ``ends``: it is the step's last, which reports the step done."""
        state = {
            Action.CREATE: State.CREATING,
            Action.UPDATE: State.UPDATING,
            Action.REPLACE: State.CREATING,
        }.get(step.action, State.DELETING)
        if phase in ("delete", "retire"):
            state = State.DELETING
        start = time.monotonic()
        if phase == "ready":  # the step goes on: its create started it
            start = self._started[step.id]
        else:
            if phase == "apply":
                self._started[step.id] = start
            self.listener(Event(step, state, 0.0))
        self._local.current = (step, state, start)
        try:
            handler = self.handlers[step.kind]
            if phase == "delete":
                assert step.have is not None
                self._delete(handler, step.have)
                with self._lock:
                    result.resources.pop(step.key, None)
            elif phase == "tidy":
                self._tidy(handler, step, result)
            elif phase == "retire":  # the new one, under the same key, stays
                assert step.have is not None
                self._delete(handler, step.have, retire=True)
            elif phase == "ready":
                with self._lock:
                    created = result.resources[step.key]
                ready = handler.wait_ready(created)
                with self._lock:
                    result.resources[step.key] = ready
            else:
                observed = self._apply(handler, step, result)
                with self._lock:
                    result.resources[step.key] = observed
        except (Interrupted, KeyboardInterrupt):
            self.listener(Event(step, State.STOPPED, time.monotonic() - start, "interrupted"))
            raise
        except BaseException as exc:
            self.listener(Event(step, State.FAILED, time.monotonic() - start, str(exc)))
            raise
        finally:
            self._local.current = None
        if ends:
            self.listener(Event(step, State.DONE, time.monotonic() - start))

    def _apply(self, handler: Handler, step: Step, result: Result) -> Observed:
        assert step.want is not None
        with self._lock:
            known = dict(result.resources)

        def lookup(ref: Ref) -> object:
            return known[ref.key].attr(ref.attr)

        props = step.want.props.resolved(lookup)
        if step.action in (Action.CREATE, Action.REPLACE):
            made = step.make or step.want  # a replacement alongside: perhaps another name
            return handler.create(made, made.props.resolved(lookup))
        assert step.have is not None
        if any(c.field == "tags" for c in step.changes):
            handler.retag(step.have, handler.tags(step.want))  # removed or changed by hand
        # Re-diff with the real ids: a Ref that was unknown at plan time is known now.
        changes = handler.diff(props, step.have)
        if not changes:
            return step.have
        return handler.update(step.want, props, step.have, changes)

    def _tidy(self, handler: Handler, step: Step, result: Result) -> None:
        assert step.want is not None
        with self._lock:
            known = dict(result.resources)
        props = step.want.props.resolved(lambda ref: known[ref.key].attr(ref.attr))
        tidied = handler.tidy(step.want, props, known[step.key])
        with self._lock:
            result.resources[step.key] = tidied

    def _delete(self, handler: Handler, have: Observed, retire: bool = False) -> None:
        def attempt() -> None:
            try:
                handler.retire(have) if retire else handler.delete(have)
            except NotFound:
                pass  # already gone: that is what we wanted

        retry_while(
            self.ctx,
            (DependencyViolation,),
            f"{have.kind} {have.name} to be free of dependents",
            attempt,
            self.ctx.timing.dependency_retry,
        )


@contextmanager
def _ctrl_c_sets(flag: threading.Event) -> Iterator[None]:
    """While the block runs, Ctrl-C sets ``flag`` instead of raising KeyboardInterrupt
    (only possible in the main thread; elsewhere SIGINT keeps its handler)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda signum, frame: flag.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
