"""The interface every AWS resource kind implements, and the data passed through it.

A resource kind is one class with five operations:

* ``observe(wants)`` -- read, in a few batched calls, every resource of this kind owned by
  the app/env (found by tags or a deterministic name prefix), plus any resource that holds a
  name the app wants but is not owned (so the plan can refuse to touch it);
* ``diff(want, have)`` -- generic: compare ``Desired.props`` with ``Observed.props``, which
  the kind fills in the same normalised shape;
* ``create`` / ``update`` / ``delete`` -- the mutating calls, tags given at creation.

A kind whose resource AWS takes minutes to make usable after accepting it (a load balancer
provisions) ``settles``: its create returns at once and ``wait_ready`` waits, as a step of
its own that runs beside the rest of the apply. Only what names the resource in
``Desired.needs_ready`` waits for that step; the run ends after it.

Each kind declares its props: a frozen dataclass subclassing ``Props`` (``props_class``),
built by ``desired`` and read by the kind's ``create``/``update``/``describe`` by attribute.
The generic code (diff, the planner, the executor, the applied record, the plan view) sees
them as ``Props.as_mapping()``: one entry per field, in field order, less the optional
fields left unset. ``Desired.props`` may hold ``Ref(key, attr)`` values: the id or ARN of
another resource of the same app, known only once that resource exists. The planner and
executor resolve them (``resolve``), into props of the same class.

Besides the calls, a kind declares what the rest of ecsdeploy shows and decides about it,
so that nothing else switches on kind names: its ``label`` and ``delete_note`` and what
``describe`` says of a create (the plan), what one resource ``bills`` (the cost), whether
``down`` keeps it (``down_keeps``), and its place in the order (``rank``, ``settles``:
``Ordering``) and on screen (``layer``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Generic

from typing_extensions import Self, TypeVar

from ecsdeploy.aws.catch_up import CatchingUp, Patience
from ecsdeploy.aws.clients import Aws, Client
from ecsdeploy.images.ecr_access import ImageServices
from ecsdeploy.resources.billing import Bill
from ecsdeploy.resources.reads import SharedReads, read_each
from ecsdeploy.spec.naming import Owner


@dataclass(frozen=True)
class Ref:
    """The ``attr`` (id, arn, ...) of the resource with logical key ``key``."""

    key: str
    attr: str = "id"

    def __str__(self) -> str:
        return f"${{{self.key}.{self.attr}}}"


@dataclass(frozen=True)
class Joined:
    """A string made of literal parts and Refs, e.g. a URL from a load balancer's DNS name."""

    parts: tuple[str | Ref, ...]

    def __str__(self) -> str:
        return "".join(str(p) for p in self.parts)


class Unknown:
    """A value known only after apply (its resource is yet to be created or replaced)."""

    def __init__(self, ref: Ref) -> None:
        self.ref = ref

    def __eq__(self, other: object) -> bool:
        return False  # never equal: a field holding it always shows as a change

    def __hash__(self) -> int:
        return hash(self.ref)

    def __repr__(self) -> str:
        return "(known after apply)"


# the metadata of a field that ``as_mapping`` leaves out while it is None: a key the kind
# sets only sometimes (a service's count, when autoscaling does not own it)
OPTIONAL: Mapping[str, bool] = {"optional": True}


@dataclass(frozen=True, kw_only=True)
class Props:
    """Base of a kind's desired props: each kind subclasses it as a frozen dataclass, one
    field per prop, typed; an optional prop is ``field(default=None, metadata=OPTIONAL)``."""

    def as_mapping(self) -> dict[str, Any]:
        """The props by field name, in field order, without the optional ones left unset:
        what ``diff`` compares with ``Observed.props`` and the applied record digests."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None and item.metadata.get("optional"):
                continue
            out[item.name] = value
        return out

    def resolved(self, lookup: Callable[[Ref], Any]) -> Self:
        """The same props with every Ref inside replaced by ``lookup(ref)``."""
        return replace(
            self, **{f.name: resolve(getattr(self, f.name), lookup) for f in fields(self)}
        )


P = TypeVar("P", bound=Props, default=Any)


@dataclass(frozen=True)
class Desired:
    """What the spec asks for: one resource, by logical key, with its comparable props."""

    kind: str
    key: str  # unique within the app: "vpc", "subnet/public-0", "role/api-task"
    name: str  # the Name tag or AWS name users see
    props: Props  # of the kind's ``props_class``
    depends_on: tuple[str, ...] = ()  # keys that must exist first beyond those in Refs
    # keys (of kinds that settle) that must be ready, not only created, first
    needs_ready: tuple[str, ...] = ()
    # values used only when creating, never compared (e.g. a service's first task count
    # when autoscaling owns the count afterwards)
    initial: Mapping[str, Any] = field(default_factory=dict)

    def refs(self) -> set[str]:
        found: set[str] = set(self.depends_on)
        _collect_refs(self.props, found)
        return found


def refs_in(value: Any) -> set[str]:
    """The keys of every Ref inside ``value``."""
    found: set[str] = set()
    _collect_refs(value, found)
    return found


def _collect_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, Props):
        _collect_refs(value.as_mapping(), found)
    elif isinstance(value, Ref):
        found.add(value.key)
    elif isinstance(value, Joined):
        _collect_refs(value.parts, found)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_refs(item, found)
    elif isinstance(value, list | tuple | frozenset | set):
        for item in value:
            _collect_refs(item, found)


def resolve(value: Any, lookup: Callable[[Ref], Any]) -> Any:
    """Replace every Ref inside ``value`` by ``lookup(ref)``, keeping the structure (props
    stay of their class)."""
    if isinstance(value, Props):
        return value.resolved(lookup)
    if isinstance(value, Ref):
        return lookup(value)
    if isinstance(value, Joined):
        parts = [resolve(p, lookup) for p in value.parts]
        unknown = [p for p in parts if isinstance(p, Unknown)]
        return unknown[0] if unknown else "".join(str(p) for p in parts)
    if isinstance(value, Mapping):
        return {k: resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, lookup) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v, lookup) for v in value)
    if isinstance(value, frozenset):
        return frozenset(resolve(v, lookup) for v in value)
    return value


def ids(values: Iterable[str | Ref]) -> list[str]:
    """Ids or ARNs of resolved props (what ``create`` and ``update`` get: each Ref replaced
    by the id it stands for), sorted, as AWS calls take them."""
    return sorted(str(v) for v in values)


@dataclass
class Observed:
    """A resource as it exists in AWS, with props in the same shape as ``Desired.props``."""

    kind: str
    key: str
    id: str
    name: str
    props: dict[str, Any]
    attrs: dict[str, Any] = field(default_factory=dict)  # outputs Refs can name: id, arn...
    tags: dict[str, str] = field(default_factory=dict)
    owned: bool = True  # False: the name is taken by something this app does not own
    state: str = ""  # e.g. "available", "pending"; shown by status

    def attr(self, name: str) -> Any:
        if name == "id":
            return self.attrs.get("id", self.id)
        return self.attrs[name]


@dataclass(frozen=True)
class Change:
    """One field that differs; ``replace`` when AWS cannot change it in place."""

    field: str
    before: Any
    after: Any
    replace: bool = False


@dataclass(frozen=True)
class Timing:
    """Deadlines and poll intervals; tests shrink them, real AWS needs the defaults."""

    poll: float = 5.0
    resource_ready: float = 600.0  # NAT gateways ~1-2 min, load balancers ~2-3 min
    dependency_retry: float = 900.0  # lingering ENIs after NAT/ALB/task deletion
    iam_propagation: float = 60.0
    # ACM's DNS validation: usually a few minutes once the records resolve, up to 30
    certificate_issued: float = 1800.0
    catch_up: float = 1.0  # multiplies the windows of aws.catch_up.LAGS (tests shrink it)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


Emit = Callable[[str], None]


@dataclass(frozen=True)
class Context:
    """What resource kinds need: clients, the owner, the timing policy, a progress channel.

    Never changed once made: a stage that needs other values (the observe's shared reads,
    the executor's progress channel, the apply's flags) makes its own copy with
    ``dataclasses.replace`` and acts through handlers bound to it (``Handler.using``)."""

    aws: Aws
    owner: Owner
    timing: Timing = field(default_factory=Timing)
    note: Emit = lambda message: None  # progress text for the step being run
    images: ImageServices | None = None  # registry access and pushes, for built images
    # `down --disable-deletion-protection`: turn a load balancer's protection off to delete it
    disable_deletion_protection: bool = False
    reads: SharedReads | None = None  # set for the length of one observe
    # the keys the applied record says this app set (reconcile.applied), for one observe
    recorded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DownKeeps:
    """How ``down`` treats a resource that holds more than its configuration (logs, data):
    it keeps it ``by_default`` (data) or deletes it (logs), and ``flag``, given to
    ``down``, turns that around. ``note`` (with ``{name}``) is said when it is kept."""

    flag: str
    by_default: bool
    note: str = ""

    def keeps(self, flags: Collection[str]) -> bool:
        """Whether ``down`` run with ``flags`` keeps the resource."""
        return self.by_default != (self.flag in flags)


Names = Mapping[str, str]  # logical key -> the name users see
Line = tuple[str, str]  # (label, value): one line of what the plan says of a create

Item = TypeVar("Item")
AnyHandler = TypeVar("AnyHandler", bound="Handler")


class Handler(Generic[P]):
    """Base of every resource kind, generic over its props class ``P``; see the module
    docstring for the contract."""

    kind: ClassVar[str]
    props_class: ClassVar[type[Props]]  # P: what ``Desired.props`` of this kind holds
    label: ClassVar[str]  # what it is, in plain words: "NAT gateway"
    # what deleting one also ends, beyond the resource itself ("" for nothing more)
    delete_note: ClassVar[str] = ""
    # where status and the plan show it: network | iam | logs | images | data |
    # load_balancer | services | monitoring (display only)
    layer: ClassVar[str]
    # the order between kinds: a delete waits for those of higher ranks (what sits on top
    # of it); creates follow the Refs between resources (see ``Ordering``)
    rank: ClassVar[int]
    services: ClassVar[tuple[str, ...]]  # AWS clients this kind uses
    replace_on: ClassVar[frozenset[str]] = frozenset()
    # attrs that an update changes (a task definition's revision ARN): what refers to them
    # is shown as changing in the plan
    volatile_attrs: ClassVar[frozenset[str]] = frozenset()
    # AWS refuses to delete a resource of this kind while others use it (a subnet with
    # interfaces, a target group a rule forwards to): replacing it replaces its dependents
    held_by_dependents: ClassVar[bool] = False
    # a replacement can stand beside the old one (``alongside``): the new one is created,
    # what used the old one moves to it, and then the old one is ``retire``d: no downtime
    replace_alongside: ClassVar[bool] = False
    # what replacing one in place (delete, then create) interrupts, said in the plan as
    # ``(downtime: ...)``; "" when nothing serving traffic stops
    downtime: ClassVar[str] = ""
    # an update only adds; what it would take away (a security group's rule for the old
    # port) goes in ``tidy``, once its users have moved and replaced resources drained
    tidies: ClassVar[bool] = False
    # the kind can put back, in place, the tags ecsdeploy set (``retag``): the plan then
    # compares them too, and a tag removed by hand is drift
    retags: ClassVar[bool] = False
    # create returns before the resource is usable; ``wait_ready`` waits for that (see the
    # module docstring)
    settles: ClassVar[bool] = False
    # seconds AWS typically takes to make one usable (a NAT gateway's 1-2 minutes): the
    # executor starts the steps in front of slow ones first
    slow: ClassVar[float] = 0.0

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # --- what the rest of ecsdeploy shows and decides -----------------------------------
    @classmethod
    def describe(cls, props: P, names: Names) -> list[Line]:
        """The main attributes a create sets, one ``(label, value)`` each, for the plan;
        ``names`` gives the name of each logical key a Ref points at."""
        return []

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        """What ``have`` is billed for by the month, as meter quantities (none: free);
        ``observed`` holds the app's other resources by logical key."""
        return []

    @classmethod
    def down_keeps(cls, have: Observed) -> DownKeeps | None:
        """Whether ``down`` may keep ``have``, and on which flag (None: it deletes it)."""
        return None

    def aws_added(self, owned: Sequence[Observed]) -> list[Observed]:
        """Resources of this kind that AWS itself added to the app's ``owned`` resources
        and that would block deleting them (GuardDuty's endpoint in the app's VPC): never
        tagged, so no observe finds them; ``down`` deletes them too, and says so."""
        return []

    def using(self: AnyHandler, ctx: Context) -> AnyHandler:
        """This handler acting with ``ctx`` (a stage's own context); ``self`` is unchanged."""
        bound = copy.copy(self)
        bound.ctx = ctx
        return bound

    def client(self, service: str) -> Client:
        """The service's client, its calls retried while AWS catches up with a resource
        made a moment ago (``aws.catch_up``), with progress on this step's line."""
        timing = self.ctx.timing
        patience = Patience(scale=timing.catch_up, sleep=timing.sleep, clock=timing.clock)
        return CatchingUp(self.ctx.aws.client(service), service, self.ctx.note, patience)

    def tags(self, want: Desired) -> dict[str, str]:
        return self.ctx.owner.tags(want.key, want.name)

    # --- reading -----------------------------------------------------------------------
    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        raise NotImplementedError

    def observe_only(self, wants: Sequence[Desired]) -> list[Observed]:
        """The resources of ``wants`` alone (``up --images-only`` reads no more); kinds
        that can read a resource by its name do so, others observe the kind and keep
        those keys."""
        wanted = {w.key for w in wants}
        return [o for o in self.observe(wants) if o.key in wanted]

    def ownership(
        self,
        wanted: Mapping[str, Desired],
        found: Mapping[str, Item],
        read_tags: Callable[[Item], dict[str, str]],
    ) -> dict[str, tuple[str | None, dict[str, str]]]:
        """name -> (logical key, or None when not this app's; tags) of each resource
        ``found`` by name, for kinds whose tags cost a call per resource (alarms, log
        groups, ECR repositories) and play no part in the plan but ownership.

        A resource under a name the app wants, whose key the applied record says this app
        set, needs no read: its tags are the ones ecsdeploy gave it at creation. The others
        (a name nobody wants, a key the record lacks, no record) are read concurrently."""
        vouched = {
            name: want
            for name in found
            if (want := wanted.get(name)) is not None and want.key in self.ctx.recorded
        }
        unknown = [name for name in found if name not in vouched]
        read = dict(zip(unknown, read_each(lambda n: read_tags(found[n]), unknown), strict=True))
        owners: dict[str, tuple[str | None, dict[str, str]]] = {}
        for name in found:
            want = vouched.get(name)
            if want is not None:
                owners[name] = (want.key, self.tags(want))
            else:
                owners[name] = (owned_key(self.ctx.owner, read[name]), read[name])
        return owners

    def taken(
        self, wanted: Mapping[str, Desired], name: str, ident: str, tags: dict[str, str]
    ) -> list[Observed]:
        """A resource with a name the app wants but not its tags: reported (owned=False) so
        the plan refuses to touch it; [] when nobody wants the name."""
        want = wanted.get(name)
        if want is None:
            return []
        return [Observed(self.kind, want.key, ident, name, {}, tags=tags, owned=False)]

    def diff(self, want: P, have: Observed) -> list[Change]:
        """Field-by-field comparison of resolved desired props with observed props."""
        return self.compare(want.as_mapping(), have)

    def compare(self, want: Mapping[str, Any], have: Observed) -> list[Change]:
        """``diff`` of desired props given as their mapping (``Props.as_mapping``)."""
        changes = []
        for name, after in want.items():
            before = have.props.get(name)
            if before != after:
                changes.append(Change(name, before, after, replace=name in self.replace_on))
        return changes

    # --- acting ------------------------------------------------------------------------
    def create(self, want: Desired, props: P) -> Observed:
        raise NotImplementedError

    def update(self, want: Desired, props: P, have: Observed, changes: list[Change]) -> Observed:
        raise NotImplementedError(f"{self.kind} cannot be updated in place")

    def delete(self, have: Observed) -> None:
        raise NotImplementedError

    def alongside(self, want: Desired, have: Observed) -> Desired:
        """What a replacement beside ``have`` creates (only kinds that ``replace_alongside``):
        ``want``, under a name ``have`` does not hold when names must be unique."""
        return want

    def retire(self, have: Observed) -> None:
        """Remove the resource a replacement alongside took over from, once its users have
        moved (by default: delete it)."""
        self.delete(have)

    def tidy(self, want: Desired, props: P, have: Observed) -> Observed:
        """Remove what an update left beside the new (only kinds that ``tidies``)."""
        return have

    def wait_ready(self, have: Observed) -> Observed:
        """Wait, bounded, until what ``create`` returned is usable (only kinds that
        ``settles``); the resource as it is then."""
        raise NotImplementedError(f"{self.kind} is usable once created")

    def retag(self, have: Observed, tags: dict[str, str]) -> None:
        """Set ``tags`` on the resource (only for kinds with ``retags``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Ordering:
    """The order between kinds, as the executor needs it: the ``rank`` of each kind
    (deletes of higher ranks first) and the kinds that ``settle`` (a create followed by a
    wait for readiness). Order between resources comes from their Refs."""

    rank: Mapping[str, int]
    settles: frozenset[str]
    tidies: frozenset[str] = frozenset()  # kinds whose updates remove last (``tidy``)

    @classmethod
    def of(cls, kinds: Iterable[type[Handler] | Handler]) -> Ordering:
        found = list(kinds)
        return cls(
            {k.kind: k.rank for k in found},
            frozenset(k.kind for k in found if k.settles),
            frozenset(k.kind for k in found if k.tidies),
        )


class UpsertHandler(Handler[P]):
    """A kind whose create call also updates (RegisterScalableTarget, PutScalingPolicy,
    RegisterTaskDefinition): an update is the create call again."""

    def update(self, want: Desired, props: P, have: Observed, changes: list[Change]) -> Observed:
        return self.create(want, props)


def owned_key(owner: Owner, tags: Mapping[str, str]) -> str | None:
    """The logical key of a resource this owner tagged, else None."""
    from ecsdeploy.spec.naming import TAG_KEY

    if owner.owns(dict(tags)):
        return tags.get(TAG_KEY)
    return None
