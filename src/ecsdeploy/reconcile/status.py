"""What ``status`` reads about an app, as data: each service's tasks, rollout and target
health, the alarms, the dashboard; and where the app answers (one rule for the load
balancer's URL, used by ``status`` and by the summary of ``up``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ecsdeploy.reconcile.job_runs import JobStatus
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Observed


@dataclass
class ServiceStatus:
    name: str
    desired: int
    running: int
    pending: int
    revision: str
    rollout: str
    healthy_targets: int
    targets: int
    events: list[str]
    url: str = ""  # Express Mode services have their own
    # a traffic-shifting deployment in progress (ops.deployment_status), None without one
    deployment: DeploymentStatus | None = None


@dataclass(frozen=True)
class DeploymentStatus:
    """A service's deployment moving traffic: its strategy, whether it waits at its pause
    (and where the new revision answers), the share of production traffic it has."""

    strategy: str  # canary | linear | blue_green
    paused: bool
    production_percent: float | None  # None: ECS did not say
    test_url: str = ""


@dataclass
class AlarmStatus:
    name: str
    state: str  # ALARM | INSUFFICIENT_DATA | OK
    reason: str
    since: str


# how status orders alarms: firing first
ALARM_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}


@dataclass
class Status:
    url: str
    services: list[ServiceStatus]
    resources: list[Observed]
    alarms: list[AlarmStatus] = field(default_factory=list)
    dashboard: str = ""  # the dashboard's console link
    jobs: list[JobStatus] = field(default_factory=list)  # the scheduled jobs


def alarm_statuses(found: Sequence[Observed]) -> list[AlarmStatus]:
    """The app's alarms, those in ALARM first, then by name."""
    alarms = [
        AlarmStatus(o.name, o.state, str(o.attrs.get("reason", "")), str(o.attrs.get("since", "")))
        for o in found
        if o.kind == "cloudwatch.alarm"
    ]
    return sorted(alarms, key=lambda a: (ALARM_ORDER.get(a.state, 1), a.name))


def load_balancer_url(resources: Mapping[str, Observed]) -> str:
    """The load balancer's URL (https when it has an HTTPS listener; at the domain when
    ecsdeploy requested its certificate); "" without one."""
    lb = resources.get(keys.LOAD_BALANCER)
    if lb is None or not lb.attrs.get("dns_name"):
        return ""
    domain = _own_domain(resources)
    if domain:
        return f"https://{domain}"
    https = keys.HTTPS_LISTENER in resources
    return f"{'https' if https else 'http'}://{lb.attrs['dns_name']}"


def _own_domain(resources: Mapping[str, Observed]) -> str:
    """The domain of the certificate ecsdeploy requested, the one the HTTPS listener
    serves first (while a new one replaces an old, both exist)."""
    certs = [o for o in resources.values() if o.kind == "acm.certificate"]
    listener = resources.get(keys.HTTPS_LISTENER)
    serving = listener.props.get("certificate") if listener else None
    certs.sort(key=lambda o: (o.id != serving, o.key))
    return str(certs[0].props.get("domain", "")) if certs else ""


def app_urls(resources: Mapping[str, Observed]) -> list[str]:
    """Where the app answers: the load balancer, and each Express Mode service."""
    url = load_balancer_url(resources)
    out = [url] if url else []
    out += [
        f"{o.name}: {o.attrs['url']}"
        for o in resources.values()
        if o.kind == "ecs.express_service" and o.attrs.get("url")
    ]
    return out
