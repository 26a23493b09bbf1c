"""The application load balancer in the public subnets, in front of every service.

Also home of the helpers the other ELBv2 kinds share: reading tags in batches and listing
the load balancers this app owns. ELBv2 has no tag filter on its Describe calls, so a kind
lists every resource of its type in one paginated call, reads their tags with
DescribeTags (at most 20 ARNs per call) and keeps the ones carrying the owner's tags.

AWS takes two to three minutes to take a new load balancer from ``provisioning`` to
``active``. Its ARN and DNS name are known at once, and AWS takes listeners and rules (and
ECS services behind them) on a provisioning load balancer, as its own getting-started
guide does: so create returns as soon as AWS has accepted it, and ``wait_ready`` waits for
``active`` as a step of its own (see ``Handler.settles``) while the rest goes on. Only
the web ACL association and a request-count scaling policy wait for it; the run ends once
it is active.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.resources.base import (
    Change,
    Context,
    Desired,
    Handler,
    Observed,
    P,
    Props,
    Ref,
    ids,
    owned_key,
)
from ecsdeploy.resources.billing import Bill, Meter, Usage
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.reads import SharedReads, shared
from ecsdeploy.resources.waiting import wait_for
from ecsdeploy.spec.naming import Owner, dict_to_tags, tags_to_dict

TAGS_PER_CALL = 20  # DescribeTags takes at most 20 resource ARNs
DEFAULT_IDLE_TIMEOUT = 60  # what AWS gives a new load balancer
IDLE_TIMEOUT = "idle_timeout.timeout_seconds"
DROP_INVALID_HEADERS = "routing.http.drop_invalid_header_fields.enabled"
DELETION_PROTECTION = "deletion_protection.enabled"
LOGS_ENABLED = "access_logs.s3.enabled"
LOGS_BUCKET = "access_logs.s3.bucket"
LOGS_PREFIX = "access_logs.s3.prefix"
# props -> what AWS gives a new load balancer (attributes absent from a Describe have it;
# moto lists only some)
DEFAULTS: dict[str, Any] = {
    "idle_timeout": DEFAULT_IDLE_TIMEOUT,
    "drop_invalid_headers": False,
    "deletion_protection": False,
    "access_logs": None,
}
# What ELBv2 might answer a listener or rule create with while the load balancer is still
# provisioning. AWS documents no such refusal (its own guides create the listener right
# after the load balancer), so this is a safety net: OperationNotPermitted and ResourceInUse
# are the codes ELBv2 gives elsewhere for a resource not in a state to allow the call, and
# InvalidConfigurationRequest is the one of the three that CreateListener and CreateRule
# list among their errors.
REFUSED_WHILE_PROVISIONING = frozenset(
    {"OperationNotPermitted", "ResourceInUse", "InvalidConfigurationRequest"}
)

T = TypeVar("T")


class DeletionProtected(Exception):
    """The load balancer has deletion protection on and nobody asked to turn it off."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"load balancer {name} has deletion protection on (load_balancer."
            "deletion_protection); pass --disable-deletion-protection to turn it off and "
            "delete it"
        )


def _flag(value: bool) -> str:
    return "true" if value else "false"


def attributes_for(field: str, value: Any) -> list[dict[str, str]]:
    """The ModifyLoadBalancerAttributes entries that set one prop."""
    if field == "idle_timeout":
        return [{"Key": IDLE_TIMEOUT, "Value": str(int(value))}]
    if field == "drop_invalid_headers":
        return [{"Key": DROP_INVALID_HEADERS, "Value": _flag(bool(value))}]
    if field == "deletion_protection":
        return [{"Key": DELETION_PROTECTION, "Value": _flag(bool(value))}]
    if field == "access_logs":
        if not value:
            return [{"Key": LOGS_ENABLED, "Value": "false"}]
        # AWS checks here that it may write to the bucket (its policy must be in place)
        return [
            {"Key": LOGS_ENABLED, "Value": "true"},
            {"Key": LOGS_BUCKET, "Value": str(value)},
            {"Key": LOGS_PREFIX, "Value": ""},
        ]
    return []


def attribute_props(attributes: Mapping[str, str]) -> dict[str, Any]:
    """Described attributes as props; absent ones have AWS's defaults."""
    logs = attributes.get(LOGS_ENABLED) == "true" and attributes.get(LOGS_BUCKET)
    return {
        "idle_timeout": int(attributes.get(IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT)),
        "drop_invalid_headers": attributes.get(DROP_INVALID_HEADERS) == "true",
        "deletion_protection": attributes.get(DELETION_PROTECTION) == "true",
        "access_logs": logs or None,
    }


# --- shared by the ELBv2 kinds ---------------------------------------------------------
def describe_tags(elbv2: Client, arns: Iterable[str]) -> dict[str, dict[str, str]]:
    """Tags of each ARN, read 20 at a time. ARNs that vanished meanwhile are left out."""
    wanted = list(arns)
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), TAGS_PER_CALL):
        batch = wanted[start : start + TAGS_PER_CALL]
        try:
            found.update(_tags_of(elbv2, batch))
        except NotFound:
            # One of the batch was deleted between the Describe and now (another run, or
            # someone else's resource): AWS fails the whole call, so ask one at a time.
            for arn in batch:
                try:
                    found.update(_tags_of(elbv2, [arn]))
                except NotFound:
                    pass
    return found


def _tags_of(elbv2: Client, arns: list[str]) -> dict[str, dict[str, str]]:
    described = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]
    return {d["ResourceArn"]: tags_to_dict(d.get("Tags")) for d in described}


def tagged_load_balancers(
    elbv2: Client, reads: SharedReads | None = None
) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every load balancer of the region with its tags: one paginated Describe + DescribeTags
    (once per observe for all the ELBv2 kinds)."""
    return shared(reads, "elbv2:load_balancers", lambda: _tagged_load_balancers(elbv2))


def _tagged_load_balancers(elbv2: Client) -> list[tuple[dict[str, Any], dict[str, str]]]:
    balancers = list(elbv2.pages("DescribeLoadBalancers", "LoadBalancers"))
    tags = describe_tags(elbv2, [lb["LoadBalancerArn"] for lb in balancers])
    return [(lb, tags[lb["LoadBalancerArn"]]) for lb in balancers if lb["LoadBalancerArn"] in tags]


def owned_load_balancers(
    elbv2: Client, owner: Owner, reads: SharedReads | None = None
) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(logical key, load balancer, tags) of each load balancer tagged for ``owner``."""
    owned = []
    for lb, tags in tagged_load_balancers(elbv2, reads):
        key = owned_key(owner, tags)
        if key is not None:
            owned.append((key, lb, tags))
    return owned


def full_name(arn: str) -> str:
    """What ALB request-count autoscaling labels use: ``app/NAME/ID`` for a load balancer
    (ARN ``...:loadbalancer/app/NAME/ID``), ``targetgroup/NAME/ID`` for a target group."""
    return arn.split(":", 5)[5].removeprefix("loadbalancer/")


def name_of(arn: str) -> str:
    """The name in a load balancer's ARN (``...:loadbalancer/app/NAME/ID``)."""
    return arn.rsplit("/", 2)[-2]


def active(elbv2: Client, arn: str) -> dict[str, Any] | None:
    """The load balancer once it routes traffic, else None; a ``failed`` one raises."""
    try:
        described = elbv2.describe_load_balancers(LoadBalancerArns=[arn])
    except NotFound:
        return None  # eventual consistency: a new ARN may not be readable at once
    lb: dict[str, Any] = described["LoadBalancers"][0]
    state = lb.get("State", {})
    if state.get("Code") == "failed":
        raise RuntimeError(
            f"load balancer {lb['LoadBalancerName']} failed to provision: "
            f"{state.get('Reason', 'no reason given')}"
        )
    # "active_impaired" routes traffic too (it is short of capacity to scale).
    return lb if state.get("Code") in ("active", "active_impaired") else None


def wait_active(ctx: Context, elbv2: Client, arn: str) -> dict[str, Any]:
    """Wait, up to ``Timing.resource_ready``, for the load balancer to be active."""
    return wait_for(
        ctx,
        f"load balancer {name_of(arn)} to become active",
        lambda: active(elbv2, arn),
        ctx.timing.resource_ready,
    )


def once_active(
    ctx: Context, elbv2: Client, what: str, lb_arn: Callable[[], str], create: Callable[[], T]
) -> T:
    """``create``; refused with one of ``REFUSED_WHILE_PROVISIONING``, it is tried once
    more when the load balancer (``lb_arn()``, asked only then) is active. Refused again,
    the refusal was about something else and stands."""
    try:
        return create()
    except AwsError as exc:
        if exc.code not in REFUSED_WHILE_PROVISIONING:
            raise
        arn = lb_arn()
        ctx.note(f"{what} refused ({exc.code}); trying again once {name_of(arn)} is active")
        wait_active(ctx, elbv2, arn)
        return create()


class Elbv2Handler(Handler[P]):
    """Base for the ELBv2 kinds: tags put back in place with AddTags."""

    layer: ClassVar[str] = "load_balancer"
    services: ClassVar[tuple[str, ...]] = ("elbv2",)
    retags: ClassVar[bool] = True

    def retag(self, have: Observed, tags: dict[str, str]) -> None:
        arn = str(have.attrs.get("arn", have.id))
        self.client("elbv2").add_tags(ResourceArns=[arn], Tags=dict_to_tags(tags))
        have.tags.update(tags)


# --- the kind ----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class LoadBalancerProps(Props):
    name: str
    scheme: str  # internet-facing | internal
    subnets: frozenset[str | Ref]
    security_groups: frozenset[str | Ref]
    # its attributes (``DEFAULTS``)
    idle_timeout: int
    drop_invalid_headers: bool
    deletion_protection: bool
    access_logs: str | Ref | None  # the access-log bucket's name (None: no access logs)


class LoadBalancerHandler(Elbv2Handler[LoadBalancerProps]):
    kind: ClassVar[str] = "elbv2.load_balancer"
    props_class: ClassVar[type[Props]] = LoadBalancerProps
    label: ClassVar[str] = "load balancer"
    delete_note: ClassVar[str] = "the app's URL stops answering"
    rank: ClassVar[int] = 5
    slow: ClassVar[float] = 150.0  # provisioning for 2-3 minutes
    replace_on: ClassVar[frozenset[str]] = frozenset({"name", "scheme"})
    downtime: ClassVar[str] = (
        "requests fail until the new load balancer is provisioned, under a new DNS name"
    )
    settles: ClassVar[bool] = True

    @classmethod
    def describe(cls, props: LoadBalancerProps, names: Names) -> list[Line]:
        public = props.scheme == "internet-facing"
        reach = "public (internet-facing)" if public else "internal only"
        return [("reachable", reach), ("subnets", value(props.subnets, names))]

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        """The balancer; internet-facing, a public IPv4 address in each of its subnets."""
        out: list[Bill] = [Usage(Meter.LOAD_BALANCER, 1)]
        if have.props.get("scheme") == "internet-facing":
            out.append(Usage(Meter.PUBLIC_IPV4, len(have.props.get("subnets") or ())))
        return out

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        elbv2 = self.client("elbv2")
        wanted = {w.name: w for w in wants}
        found: list[Observed] = []
        for lb, tags in tagged_load_balancers(elbv2, self.ctx.reads):
            key = owned_key(self.ctx.owner, tags)
            name = lb["LoadBalancerName"]
            if key is None:
                found += self.taken(wanted, name, lb["LoadBalancerArn"], tags)
                continue
            try:
                attributes = self._attributes(lb["LoadBalancerArn"])
            except NotFound:
                continue  # deleted since the Describe
            found.append(self._observed(key, lb, tags, attributes))
        return found

    def _attributes(self, arn: str) -> dict[str, str]:
        described = self.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)
        return {a["Key"]: a["Value"] for a in described.get("Attributes", [])}

    def _observed(
        self, key: str, lb: dict[str, Any], tags: dict[str, str], attributes: dict[str, str]
    ) -> Observed:
        arn = lb["LoadBalancerArn"]
        return Observed(
            kind=self.kind,
            key=key,
            id=arn,
            name=lb["LoadBalancerName"],
            props={
                "name": lb["LoadBalancerName"],
                "scheme": lb.get("Scheme"),
                "subnets": frozenset(
                    z["SubnetId"] for z in lb.get("AvailabilityZones", []) if z.get("SubnetId")
                ),
                "security_groups": frozenset(lb.get("SecurityGroups", [])),
                **attribute_props(attributes),
            },
            attrs={
                "arn": arn,
                "dns_name": lb.get("DNSName"),
                "zone_id": lb.get("CanonicalHostedZoneId"),
                "full_name": full_name(arn),
            },
            tags=tags,
            state=str(lb.get("State", {}).get("Code", "")),
        )

    def create(self, want: Desired, props: LoadBalancerProps) -> Observed:
        tags = self.tags(want)
        elbv2 = self.client("elbv2")
        # Idempotent in AWS: the same name with the same settings returns the existing one.
        lb = elbv2.create_load_balancer(
            Name=props.name,
            Type="application",
            Scheme=props.scheme,
            IpAddressType="ipv4",
            Subnets=ids(props.subnets),
            SecurityGroups=ids(props.security_groups),
            Tags=dict_to_tags(tags),
        )["LoadBalancers"][0]
        arn = lb["LoadBalancerArn"]
        fields = props.as_mapping()
        wanted = {f: fields[f] for f in DEFAULTS if f in fields and fields[f] != DEFAULTS[f]}
        self._set_attributes(arn, wanted)
        attributes = {a["Key"]: a["Value"] for f, v in wanted.items() for a in attributes_for(f, v)}
        # still provisioning: wait_ready, run beside the rest, waits for active
        return self._observed(want.key, lb, tags, attributes)

    def wait_ready(self, have: Observed) -> Observed:
        ready = wait_active(self.ctx, self.client("elbv2"), have.id)
        return dataclasses.replace(have, state=str(ready["State"]["Code"]))

    def _set_attributes(self, arn: str, values: Mapping[str, Any]) -> None:
        """One ModifyLoadBalancerAttributes call for every prop in ``values``."""
        entries = [a for field, value in values.items() for a in attributes_for(field, value)]
        if entries:
            self.client("elbv2").modify_load_balancer_attributes(
                LoadBalancerArn=arn, Attributes=entries
            )

    def update(
        self, want: Desired, props: LoadBalancerProps, have: Observed, changes: list[Change]
    ) -> Observed:
        elbv2 = self.client("elbv2")
        self._set_attributes(have.id, {c.field: c.after for c in changes if c.field in DEFAULTS})
        for change in changes:
            if change.field == "subnets":
                # One subnet per AZ, at least two AZs; the whole set is replaced at once.
                elbv2.set_subnets(LoadBalancerArn=have.id, Subnets=sorted(change.after))
            elif change.field == "security_groups":
                elbv2.set_security_groups(
                    LoadBalancerArn=have.id, SecurityGroups=sorted(change.after)
                )
            elif change.field not in DEFAULTS:
                continue
            have.props[change.field] = change.after
        return have

    def delete(self, have: Observed) -> None:
        if have.props.get("deletion_protection"):
            # AWS refuses the delete (moto does not): say so before, and turn it off only
            # when asked to
            if not self.ctx.disable_deletion_protection:
                raise DeletionProtected(have.name)
            self._set_attributes(have.id, {"deletion_protection": False})
        # Deleting a load balancer deletes its listeners and their rules with it. Its
        # network interfaces linger for minutes after: deleting its subnets and security
        # groups meanwhile fails with DependencyViolation, which the executor retries.
        self.client("elbv2").delete_load_balancer(LoadBalancerArn=have.id)
