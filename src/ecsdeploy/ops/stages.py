"""The stages of a run over one connected app, as calls:

    spec -> desired -> observe -> plan -> apply -> rollouts

``Stages.connect`` builds the AWS clients and one handler per resource kind; each stage
acts with a context of its own, made from the connection's with ``dataclasses.replace``
(the observe's shared reads and applied record, the apply's image pusher and deletion
protection flag), so no stage changes what another holds. No printing here: the use
cases (``ops.up``, ``ops.down`` ...) sequence these calls and return results.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AwsError
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.desired import desired_resources, network_of
from ecsdeploy.desired.follow_traffic import follow_traffic
from ecsdeploy.images import docker_ops
from ecsdeploy.images.artifacts import ArtifactError, ArtifactRef
from ecsdeploy.images.artifacts import resolve as resolve_artifacts
from ecsdeploy.images.content_tag import BuildSourceError
from ecsdeploy.images.ecr_access import ImageServices, Pusher, Registry
from ecsdeploy.images.refs import ImageRef, registry_override
from ecsdeploy.images.refs import resolve as resolve_images
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.images_only import changes_ahead, images_plan, released
from ecsdeploy.plan.model import Action, Plan, Step, Unsettled
from ecsdeploy.plan.operations import note_operations
from ecsdeploy.plan.planner import delete_all, make_plan
from ecsdeploy.reconcile import applied
from ecsdeploy.reconcile.executor import Executor, Listener, Result
from ecsdeploy.reconcile.rollout import (
    Outcome,
    Progress,
    RolloutSource,
    Watch,
    watch,
)
from ecsdeploy.resources import keys, registry
from ecsdeploy.resources.base import Context, Desired, Handler, Observed, Timing
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.ecs_service import ServiceHandler
from ecsdeploy.resources.load_balancer import DeletionProtected
from ecsdeploy.resources.reads import SharedReads, read_each
from ecsdeploy.resources.rollout_reads import AwsRolloutSource
from ecsdeploy.resources.zones import usable_zones
from ecsdeploy.spec.errors import Problem, SpecError
from ecsdeploy.spec.limits import GATEWAY_ENDPOINTS

OBSERVE_WORKERS = 8  # kinds observed at once

# seconds a plan made before the lock is applied without observing again (see
# Stages.plan_still_holds)
PLAN_FRESH = 30.0

# a service update that changes any of these starts new tasks: watch the rollout
ROLLOUT_FIELDS = frozenset({"task_definition", "desired_count", "load_balancers", "subnets",
                            "security_groups", "public_ip", "exec",
                            "service_connect"})  # fmt: skip


@dataclass
class Stages:
    """A connected app: clients built, one handler per resource kind; the stage calls over
    it, and what one run's stages hand to the next (the applied record as the plan read
    it, the images built)."""

    target: Target
    aws: Aws
    ctx: Context
    handlers: dict[str, Handler] = field(default_factory=dict)
    image_refs: dict[str, ImageRef] = field(default_factory=dict)
    built: dict[str, ImageRef] = field(default_factory=dict)  # by service, this run
    applied_before: dict[str, str] = field(default_factory=dict)  # as the last plan read it
    applied_seen: applied.Seen | None = None  # the record and its stamp, read before observing
    planned_at: float = 0.0  # time.monotonic() when the last plan_up started
    pusher: Pusher | None = None  # pushes the images built this run (``build_images``)
    pinned: dict[str, str] = field(default_factory=dict)  # service -> image (``promote``)
    promoted_from: str = ""  # the release a promotion deploys, as "ENV#N" (``promote``)

    @classmethod
    def connect(
        cls,
        target: Target,
        recorder: CallRecorder | None = None,
        timing: Timing | None = None,
        kinds: Collection[str] | None = None,
    ) -> Stages:
        """``kinds``: the resource kinds the run reads or changes (None: all); the clients
        the others need are built if asked for, not ahead."""
        aws = Aws(target.region, profile=target.profile, recorder=recorder)
        images = ImageServices(Registry(aws, registry_override()))
        ctx = Context(aws=aws, owner=target.owner, timing=timing or Timing(), images=images)
        handlers = registry.handlers(ctx)
        used = [h for kind, h in handlers.items() if kinds is None or kind in kinds]
        # Clients are built once, under the session lock (botocore sessions are not
        # thread-safe): those of the first calls first, the rest in the background.
        aws.prepare(["sts", "ec2", "elbv2", "ssm", *(s for h in used for s in h.services)])
        return cls(target, aws, ctx, handlers)

    # --- stages ------------------------------------------------------------------------
    def images(self) -> dict[str, ImageRef]:
        """The image each classic service runs: as given, or the content-tagged build."""
        spec = self.target.spec
        assert spec is not None
        builds = [n for n, s in spec.services.items() if s.build]
        builds += [n for n, j in spec.jobs.items() if j.build]
        ecr_host = None
        if builds and registry_override() is None:
            ecr_host = f"{self.aws.account_id()}.dkr.ecr.{self.target.region}.amazonaws.com"
        try:
            refs = resolve_images(spec, self._spec_dir(), ecr_host)
        except BuildSourceError as exc:
            raise self._bad_path("services", exc) from None
        # a promotion runs the images given, built nowhere; built services keep their
        # repository (the env's own images stay where they are)
        for name, uri in self.pinned.items():
            if name in refs:
                refs[name] = ImageRef(name, uri, refs[name].repository)
        return refs

    def desired(self) -> list[Desired]:
        spec = self.target.spec
        if spec is None:
            return []
        net = network_of(spec)
        endpoints = [e for e in net.endpoints if e not in GATEWAY_ENDPOINTS] if net else []
        # the zones the subnets may use: available, running Fargate, offering the endpoints
        zones = usable_zones(self.aws, endpoints) if net is not None else []
        if net is not None and len(zones) < net.azs:
            offer = f" and offer {', '.join(endpoints)}" if endpoints else ""
            raise SpecError(
                [
                    Problem(
                        "network.azs",
                        f"{net.azs} zones, but {spec.region} has {len(zones)} that run "
                        f"Fargate{offer} ({', '.join(zones) or 'none'}); set network.azs: "
                        f"{len(zones)}",
                        file=str(self.target.spec_path or ""),
                    )
                ]
            )
        self.image_refs = self.images()
        logs = spec.load_balancer is not None and spec.load_balancer.access_logs is not None
        return desired_resources(
            spec,
            zones,
            self.image_refs,
            self.artifacts(),
            self.aws.account_id() if logs or spec.jobs else None,
        )

    def _desired_and_record(self) -> list[Desired]:
        """The desired state and the applied record, read side by side (two independent
        round trips); the record is read before the observe starts (see
        ``plan_still_holds``)."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            record = pool.submit(applied.read, self.aws, self.target.owner)
            desired = self.desired()
            self.applied_seen = record.result()
        self.applied_before = self.applied_seen.record
        return desired

    def artifacts(self) -> dict[str, ArtifactRef]:
        spec = self.target.spec
        assert spec is not None
        if not spec.artifacts:
            return {}
        try:
            return resolve_artifacts(spec, self._spec_dir(), self.aws.account_id())
        except ArtifactError as exc:
            raise self._bad_path("artifacts", exc) from None

    def _spec_dir(self) -> Path:
        """Paths in a spec (build contexts, artifacts) are relative to the spec file."""
        return self.target.spec_path.parent if self.target.spec_path else Path.cwd()

    def _bad_path(self, key: str, exc: Exception) -> SpecError:
        return SpecError(
            [
                Problem(
                    key,
                    f"{exc} (paths are relative to the spec file)",
                    file=str(self.target.spec_path or ""),
                )
            ]
        )

    # --- images ------------------------------------------------------------------------
    def image_steps(self, plan: Plan, build: bool) -> list[ImageRef]:
        """Built images the plan must push (``build``) or finds in the registry already."""
        wanted = (Action.CREATE, Action.REPLACE) if build else (Action.NOOP,)
        return [
            self.image_refs[keys.image_service(step.key)]
            for step in plan.steps
            if step.kind == "ecr.image" and step.action in wanted
        ]

    def build_images(self, refs: Sequence[ImageRef], on_line: Callable[[str, str], None]) -> None:
        """Build ``refs`` now (before any AWS change); their pushes run as plan steps."""
        client = docker_ops.connect()
        for ref in refs:
            docker_ops.build(client, ref, functools.partial(on_line, ref.service))
            self.built[ref.service] = ref
        services = self.ctx.images
        assert services is not None
        built = self.built

        def pusher(service: str, note: Callable[[str], None]) -> None:
            docker_ops.push(client, built[service], services.registry.credentials(), note)

        self.pusher = pusher

    def observe(self, desired: Sequence[Desired]) -> list[Observed]:
        """Every resource of every kind this app owns (plus name conflicts), read in parallel."""
        by_kind: dict[str, list[Desired]] = {kind: [] for kind in self.handlers}
        for want in desired:
            by_kind[want.kind].append(want)
        # what several kinds read is read once; the applied record vouches for tags
        ctx = replace(self.ctx, reads=SharedReads(), recorded=frozenset(self.applied_before))
        # 8 kinds at a time: more threads wait on the network no sooner, as they fight
        # over the interpreter lock (a thread per kind made a no-op `up` of the example
        # 0.4 s slower on 2 cores, most of it in lock hand-overs)
        with ThreadPoolExecutor(max_workers=OBSERVE_WORKERS) as pool:
            futures = [
                pool.submit(handler.using(ctx).observe, by_kind[kind])
                for kind, handler in self.handlers.items()
            ]
            return [o for f in futures for o in f.result()]

    def plan_up(self) -> Plan:
        self.planned_at = time.monotonic()
        desired = self._desired_and_record()
        observed = self.observe(desired)
        # where ECS left each service's production traffic (desired.follow_traffic)
        desired = follow_traffic(desired, observed)
        plan = make_plan(desired, observed, self.handlers, self.applied_before)
        plan.unsettled = unsettled_rollouts(plan)
        note_operations(plan)
        return plan

    def plan_images(self, changing: Callable[[], None] | None = None) -> Plan:
        """The plan of ``up --images-only`` (``plan.images_only``): reads the services,
        the latest revisions of their task definitions and the built images, nothing else;
        raises NotImagesOnly when the spec or what runs asks for more than new images.
        ``changing`` is called before those reads when the applied record shows that the
        plan will change something, with no image to build first."""
        self.planned_at = time.monotonic()
        wants = released(self._desired_and_record(), self.applied_before)
        if changing is not None and changes_ahead(wants, self.applied_before):
            changing()
        ctx = replace(self.ctx, reads=SharedReads(), recorded=frozenset(self.applied_before))
        kinds = sorted({w.kind for w in wants})
        found = read_each(
            lambda kind: (
                self.handlers[kind].using(ctx).observe_only([w for w in wants if w.kind == kind])
            ),
            kinds,
        )
        plan = images_plan(wants, [o for f in found for o in f], self.handlers, self.applied_before)
        plan.unsettled = unsettled_rollouts(plan)
        return plan

    def plan_still_holds(self) -> bool:
        """Whether the last plan (``plan_up``, ``plan_images``) can be applied as it is:
        made less than ``PLAN_FRESH`` seconds ago, and no run has changed this app since it
        read AWS (one read of the applied record's stamp). Call it holding the lock: a run
        that changes things rewrites the record before it lets go of the lock. A plan older
        than that (an image build, a confirmation came in between) is made again: changes
        made by hand meanwhile leave no stamp."""
        seen = self.applied_seen
        if seen is None or time.monotonic() - self.planned_at > PLAN_FRESH:
            return False
        return seen.unchanged(applied.read(self.aws, self.target.owner).stamp)

    def plan_down(self, disable_deletion_protection: bool = False) -> Plan:
        """Everything the app owns, deleted. Refuses (before any change) while a load
        balancer has deletion protection on, unless asked to turn it off first (then
        ``apply`` it with ``disable_deletion_protection``)."""
        self.applied_before = applied.load(self.aws, self.target.owner)
        observed = self.observe([])
        # what AWS added to the app's resources (GuardDuty's endpoint and group in its VPC)
        added = [o for h in self.handlers.values() for o in h.aws_added(observed)]
        plan = delete_all([*observed, *added], self.handlers)
        for step in plan.steps:
            protected = step.have is not None and step.have.props.get("deletion_protection")
            if protected and not disable_deletion_protection:
                assert step.have is not None
                raise DeletionProtected(step.have.name)
        return plan

    def apply(
        self,
        plan: Plan,
        listener: Listener | None = None,
        parallelism: int | None = None,
        disable_deletion_protection: bool = False,
        keep_record: bool = True,
    ) -> Result:
        """Run ``plan``, then keep the record of what it set (unless ``keep_record`` is
        False: then the caller calls ``Stages.keep_record``); with
        ``disable_deletion_protection`` a protected load balancer has its protection turned
        off, then is deleted (``down``)."""
        images = self.ctx.images
        if images is not None and self.pusher is not None:
            images = replace(images, pusher=self.pusher)
        ctx = replace(
            self.ctx, images=images, disable_deletion_protection=disable_deletion_protection
        )
        executor = Executor(ctx, self.handlers, listener, parallelism)
        result = executor.run(plan)
        if keep_record:
            self.keep_record(plan, result)
        return result

    def keep_record(self, plan: Plan, result: Result) -> None:
        """What ``plan``'s apply set, for the next plan to tell drift apart
        (reconcile.applied); rewritten after every apply, as the sign that this app
        changed (so before the lock is let go)."""
        before = self.applied_before
        try:
            record = applied.after(before, plan, result.done)
            if not plan.empty or record != before:  # an unchanged app: no write
                applied.save(self.aws, self.target.owner, before, record)
        except AwsError as exc:  # the changes are made; only drift labels are at stake
            result.warnings.append(
                f"could not keep the record of what was set ({exc.message}); the next plan "
                "cannot tell drift from spec changes until an `up` saves it"
            )

    def rollout_watches(self, result: Result) -> list[Watch]:
        """The services whose tasks this run changed: new, or new revision or count."""
        watches = []
        for step in result.done:
            if step.kind != "ecs.service" or step.want is None:
                continue
            fields = {c.field for c in step.changes}
            if step.action is Action.UPDATE and not fields & ROLLOUT_FIELDS:
                continue
            name = step.name  # the service, its container and its task family share it
            service = result.resources.get(step.key)
            task = result.resources.get(keys.task_definition(name))
            if service is None or task is None:
                continue
            target_group = result.resources.get(keys.target_group(name))
            group_arn = str(target_group.attr("arn")) if target_group else _own_group(service)
            if service.props.get("traffic"):
                # ECS shifts traffic between two groups and checks the new revision's
                # health itself: its COMPLETED is the rollout's end
                group_arn = None
            desired = service.props.get("desired_count")
            watches.append(
                Watch(
                    cluster=cluster_name(self.target.owner),
                    service=service.name,
                    task_definition=str(task.attr("arn")),
                    target_group_arn=group_arn,
                    log_group=self.target.owner.log_group(name),
                    container=name,
                    desired=int(desired if desired is not None else 1),
                    previous=str(step.have.props.get("task_definition") or "")
                    if step.have is not None
                    else "",
                )
            )
        return watches

    def unsettled_watches(self, plan: Plan, skip: Sequence[str] = ()) -> list[Watch]:
        """A watch of each service whose last rollout is not done (``plan.unsettled``), for
        the revision it runs now; not those named in ``skip`` (watched already)."""
        watches = []
        for found in plan.unsettled:
            have = plan.observed.get(found.key)
            if have is None or found.service in skip:
                continue
            watches.append(self._watch_of(have, plan.observed))
        return watches

    def current_watches(self) -> list[Watch]:
        """A watch of every ECS service the app runs, for the revision it runs now (`wait`):
        reads the services and target groups only."""
        observed: dict[str, Observed] = {}
        ctx = replace(self.ctx, reads=SharedReads())
        for kind in ("ecs.service", "elbv2.target_group"):
            handler = self.handlers.get(kind)
            if handler is not None:
                observed.update((o.key, o) for o in handler.using(ctx).observe([]))
        services = [o for o in observed.values() if o.kind == "ecs.service"]
        return [self._watch_of(o, observed) for o in sorted(services, key=lambda o: o.name)]

    def _watch_of(self, have: Observed, observed: dict[str, Observed]) -> Watch:
        target_group = observed.get(keys.target_group(have.name))
        if have.props.get("traffic"):  # ECS shifts traffic itself (see rollout_watches)
            target_group = None
        desired = have.attrs.get("desired", have.props.get("desired_count"))
        return Watch(
            cluster=cluster_name(self.target.owner),
            service=have.name,
            task_definition=str(have.props.get("task_definition") or ""),
            target_group_arn=str(target_group.attr("arn")) if target_group else None,
            log_group=self.target.owner.log_group(have.name),
            container=have.name,
            desired=int(desired if desired is not None else 1),
        )

    def wait_for_rollouts(
        self,
        watches: Sequence[Watch],
        timeout: float,
        on_progress: Callable[[Progress], None] | None = None,
        source: RolloutSource | None = None,
        atomic: bool = False,
    ) -> list[Outcome]:
        return watch(
            watches,
            source or AwsRolloutSource(self.aws),
            timeout,
            self.ctx.timing,
            on_progress,
            atomic=atomic,
        )


def _own_group(service: Observed) -> str | None:
    """The target group ``service`` registers its container in, as ECS reports it (an
    images-only run reads no target group)."""
    groups = service.props.get("load_balancers") or ()
    return next((str(arn) for arn, container, _ in groups if container == service.name), None)


def starts_rollout(step: Step) -> bool:
    """Whether applying ``step`` starts a rollout of an ECS service (``up`` watches it)."""
    if step.kind != "ecs.service" or step.action in (Action.NOOP, Action.DELETE):
        return False
    fields = {c.field for c in step.changes}
    return step.action is not Action.UPDATE or bool(fields & ROLLOUT_FIELDS)


def unsettled_rollouts(plan: Plan) -> list[Unsettled]:
    """The ECS services the plan does not roll out anew whose current rollout is not done."""
    out = []
    for step in plan.steps:
        if step.kind != "ecs.service" or step.have is None or starts_rollout(step):
            continue
        if step.action is Action.DELETE:
            continue
        found = ServiceHandler.unsettled(step.have)
        if found is not None:
            out.append(Unsettled(step.key, step.have.name, *found))
    return out
