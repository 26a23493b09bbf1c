"""The fixed monthly cost of an app's infrastructure: an estimate from list prices.

Pure: no AWS calls. The prices come in a ``PriceBook``: from the AWS Price List API
(``plan.price_list``, which the use cases ask) or, offline, from ``PRICES`` below, copied
by hand from AWS's public price pages (VPC/NAT gateway, Elastic Load Balancing,
PrivateLink, public IPv4 addresses, Fargate) on ``PRICES_AS_OF``: on-demand, Linux/x86
(ARM at Fargate's 20% less), USD, per hour, with a month taken as ``HOURS_PER_MONTH``
hours. WAF and CloudWatch bill by the month: ``MONTHLY`` (AWS WAF and Amazon CloudWatch
price pages, same date, us-east-1 prices, used for every Region). Only
these fixed charges are counted; usage charges (data transfer, NAT gateway data
processing per GB, load balancer LCUs, endpoint data processing, WAF requests, logs,
access-log and image storage) depend on traffic and are left out and said so.

Two entry points share one pricing path, so that "before" and "after" agree:
``estimate(spec)`` for what a spec asks for, and ``estimate_now(observed)`` for what
exists in AWS (ecsdeploy keeps no state file, so "before" is counted from resources):
each resource says what it bills (``Handler.bills``, in the meters of
``resources.billing``), and ``estimate_observed`` prices the sums.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ecsdeploy.desired import network_of, owner_of
from ecsdeploy.desired.monitoring import build_alarms
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Observed
from ecsdeploy.resources.billing import Meter, Tasks, Usage
from ecsdeploy.resources.cloudwatch_alarm import AlarmHandler, billed_metrics
from ecsdeploy.resources.waf_web_acl import MANAGED_RULE_GROUPS
from ecsdeploy.spec.internal import callers, service_connect_on
from ecsdeploy.spec.limits import GATEWAY_ENDPOINTS
from ecsdeploy.spec.models import Spec

PRICES_AS_OF = "2026-11-01"
HOURS_PER_MONTH = 730
CURRENCY = "USD"
BASIS = "on-demand list prices, Linux/x86, USD, 730 hours/month"
DEFAULT_REGION = "us-east-1"
NOT_INCLUDED = ("data transfer", "NAT data processing", "LCUs")


@dataclass(frozen=True)
class Prices:
    """One region's hourly list prices, USD."""

    nat_hour: float  # per NAT gateway
    nat_gb: float  # NAT data processing per GB: a usage charge, never in the total
    alb_hour: float  # per Application Load Balancer, LCUs extra
    endpoint_az_hour: float  # per interface VPC endpoint per availability zone
    ipv4_hour: float  # per public IPv4 address (Elastic IP, ALB node, task)
    vcpu_hour: float  # Fargate Linux/x86 per vCPU
    gb_hour: float  # Fargate Linux/x86 per GB of memory
    # Fargate Linux/ARM (Graviton), 20% below x86 in every region priced here
    arm_vcpu_hour: float = 0.0  # 0: 80% of vcpu_hour
    arm_gb_hour: float = 0.0  # 0: 80% of gb_hour
    lcu_hour: float = 0.0  # per load balancer capacity unit (a usage charge, never counted):
    # listed by the Price List API, not in the table

    def __post_init__(self) -> None:
        if not self.arm_vcpu_hour:
            object.__setattr__(self, "arm_vcpu_hour", round(self.vcpu_hour * 0.8, 8))
        if not self.arm_gb_hour:
            object.__setattr__(self, "arm_gb_hour", round(self.gb_hour * 0.8, 8))


PRICES: Mapping[str, Prices] = {
    "us-east-1": Prices(0.045, 0.045, 0.0225, 0.01, 0.005, 0.04048, 0.004445),
    "us-east-2": Prices(0.045, 0.045, 0.0225, 0.01, 0.005, 0.04048, 0.004445),
    "us-west-2": Prices(0.045, 0.045, 0.0225, 0.01, 0.005, 0.04048, 0.004445),
    "eu-west-1": Prices(0.048, 0.048, 0.0252, 0.011, 0.005, 0.04048, 0.004445),
    "eu-central-1": Prices(0.052, 0.052, 0.027, 0.012, 0.005, 0.04656, 0.00511),
    "ap-southeast-1": Prices(0.059, 0.059, 0.0252, 0.013, 0.005, 0.05056, 0.00553),
    "ap-northeast-1": Prices(0.062, 0.062, 0.0243, 0.014, 0.005, 0.05056, 0.00553),
}


@dataclass(frozen=True)
class MonthlyPrices:
    """Charges billed per month rather than per hour, USD."""

    waf_web_acl: float  # per web ACL
    waf_rule: float  # per rule, an AWS managed rule group counting as one
    waf_million_requests: float  # a usage charge, never in the total
    alarm_metric: float  # per standard-resolution metric an alarm reads
    dashboard: float  # per dashboard


MONTHLY = MonthlyPrices(5.0, 1.0, 0.60, 0.10, 3.0)
TABLE_SOURCE = "ecsdeploy's table"


@dataclass(frozen=True)
class PriceBook:
    """The prices an estimate uses, where they come from and of when."""

    hourly: Prices
    monthly: MonthlyPrices
    source: str  # "the AWS Price List API" or TABLE_SOURCE
    as_of: str  # the date the prices were published (YYYY-MM-DD)
    note: str | None = None  # why the table was used, or what it still supplied


@dataclass(frozen=True)
class CostLine:
    """One priced item: ``quantity`` of ``unit`` costing ``monthly`` USD a month in all."""

    item: str
    quantity: float
    unit: str
    monthly: float

    @property
    def unit_monthly(self) -> float:
        """USD a month for one unit."""
        return self.monthly / self.quantity if self.quantity else 0.0


@dataclass(frozen=True)
class CostEstimate:
    """The fixed monthly cost of some infrastructure in ``region``, with caveats."""

    lines: tuple[CostLine, ...]
    total: float
    region: str
    notes: tuple[str, ...]
    source: str = TABLE_SOURCE  # where the prices come from
    as_of: str = PRICES_AS_OF  # and of when


def prices_for(region: str) -> tuple[Prices, str | None]:
    """The region's prices, or us-east-1's with a note saying so."""
    if region in PRICES:
        return PRICES[region], None
    return PRICES[DEFAULT_REGION], (
        f"no prices for {region} in ecsdeploy's table; {DEFAULT_REGION} prices used"
    )


def task_hourly(prices: Prices, cpu: int, memory: int, arm: bool = False) -> float:
    """One Fargate task of ``cpu`` units and ``memory`` MiB, USD an hour."""
    if arm:
        return cpu / 1024 * prices.arm_vcpu_hour + memory / 1024 * prices.arm_gb_hour
    return cpu / 1024 * prices.vcpu_hour + memory / 1024 * prices.gb_hour


def task_monthly(region: str, cpu: int, memory: int) -> float:
    return task_hourly(prices_for(region)[0], cpu, memory) * HOURS_PER_MONTH


def compare(before: CostEstimate, after: CostEstimate) -> float:
    """How much more (positive) or less (negative) a month ``after`` costs than ``before``."""
    return after.total - before.total


class _Tally:
    """Collects priced lines and notes for one region; shared by both entry points."""

    def __init__(self, region: str, book: PriceBook | None = None) -> None:
        self.region = region
        if book is None:
            hourly, fallback = prices_for(region)
            book = PriceBook(hourly, MONTHLY, TABLE_SOURCE, PRICES_AS_OF, fallback)
        self.book = book
        self.prices = book.hourly
        self.monthly = book.monthly
        self.lines: list[CostLine] = []
        self.notes: list[str] = [book.note] if book.note else []

    def add(self, item: str, quantity: float, unit: str, hourly: float) -> None:
        """``quantity`` units at ``hourly`` USD each; nothing when the quantity is 0."""
        if quantity > 0:
            self.lines.append(CostLine(item, quantity, unit, quantity * hourly * HOURS_PER_MONTH))

    def nat(self, gateways: int, eips: int) -> None:
        p = self.prices
        self.add("NAT gateway", gateways, "gateway", p.nat_hour)
        self.add("Elastic IP (public IPv4)", eips, "address", p.ipv4_hour)
        if gateways:
            self.notes.append(f"NAT data processing is extra: ${p.nat_gb:g}/GB")

    def load_balancer(self, balancers: int) -> None:
        self.add("Application Load Balancer", balancers, "load balancer", self.prices.alb_hour)
        if balancers:
            listed = self.book.source != TABLE_SOURCE  # the table has no LCU prices
            price = f": ${self.prices.lcu_hour:g} per LCU-hour" if listed else ""
            self.notes.append(f"load balancer capacity units (LCUs) are extra{price}")

    def public_ips(self, item: str, addresses: int) -> None:
        self.add(item, addresses, "address", self.prices.ipv4_hour)

    def endpoints(self, endpoint_azs: int) -> None:
        self.add(
            "Interface VPC endpoint", endpoint_azs, "endpoint-AZ", self.prices.endpoint_az_hour
        )

    def add_monthly(self, item: str, quantity: float, unit: str, monthly: float) -> None:
        if quantity > 0:
            self.lines.append(CostLine(item, quantity, unit, quantity * monthly))

    def waf(self, acls: int, rules: int) -> None:
        self.add_monthly("WAF web ACL", acls, "web ACL", self.monthly.waf_web_acl)
        self.add_monthly("WAF rules", rules, "rule", self.monthly.waf_rule)
        if acls:
            self.notes.append(
                f"WAF requests are extra: ${self.monthly.waf_million_requests:g} per million"
            )

    def monitoring(self, alarm_metrics: int, dashboards: int) -> None:
        monthly = self.monthly
        self.add_monthly("CloudWatch alarms", alarm_metrics, "alarm metric", monthly.alarm_metric)
        self.add_monthly("CloudWatch dashboard", dashboards, "dashboard", monthly.dashboard)
        if alarm_metrics or dashboards:
            self.notes.append(
                "CloudWatch's free tier (10 alarm metrics, 3 dashboards per account) is not "
                "subtracted"
            )

    def task_hourly(self, cpu: int, memory: int, arm: bool = False) -> float:
        return task_hourly(self.prices, cpu, memory, arm)

    def tasks(self, item: str, cpu: int, memory: int, count: int, arm: bool = False) -> None:
        unit = f"task ({_num(cpu / 1024)} vCPU, {_num(memory / 1024)} GB{', ARM' if arm else ''})"
        self.add(item, count, unit, self.task_hourly(cpu, memory, arm))

    def done(self) -> CostEstimate:
        lines = tuple(self.lines)
        total = sum(line.monthly for line in lines)
        book = self.book
        return CostEstimate(lines, total, self.region, tuple(self.notes), book.source, book.as_of)


def estimate(spec: Spec | None, book: PriceBook | None = None) -> CostEstimate:
    """The fixed monthly cost of what ``spec`` asks for (zero for no spec).

    Counted from the spec rather than from the resources it makes: its lines name each
    service and note autoscaling ranges and Express Mode, and making the desired resources
    needs what only AWS says (zones, image digests). Alarms are the exception: their
    metrics are billed as the alarm kind bills them (``billed_metrics``). ``book``: the
    prices (None: the table's)."""
    if spec is None:
        return CostEstimate((), 0.0, DEFAULT_REGION, ())
    tally = _Tally(spec.region, book)
    net = network_of(spec)
    classic = {n: s for n, s in spec.services.items() if s.mode == "classic"}
    if net is not None:
        nats = {"none": 0, "single": 1, "per_az": net.azs}[net.nat]
        tally.nat(nats, nats)  # each NAT gateway holds one Elastic IP
        if any(s.route is not None for s in classic.values()):
            tally.load_balancer(1)
            public = spec.load_balancer.public if spec.load_balancer else True
            if public:  # an internet-facing ALB holds a public IPv4 address in each zone
                tally.public_ips("Load balancer public IPv4", net.azs)
        interface = [e for e in dict.fromkeys(net.endpoints) if e not in GATEWAY_ENDPOINTS]
        tally.endpoints(len(interface) * net.azs)
    has_lb = net is not None and any(s.route is not None for s in classic.values())
    if has_lb and spec.load_balancer and spec.load_balancer.waf:
        tally.waf(1, len(MANAGED_RULE_GROUPS) + 1)  # and the rate-based rule
    alarms = [d for d in build_alarms(spec, owner_of(spec), has_lb) if d.kind == AlarmHandler.kind]
    tally.monitoring(
        sum(billed_metrics(d.props.as_mapping()) for d in alarms),
        1 if spec.dashboard and spec.services else 0,
    )
    for name, svc in spec.services.items():
        count = svc.desired_count
        public = svc.mode == "classic" and svc.subnets == "public"
        arm = svc.cpu_architecture == "ARM64"
        tally.tasks(f"Fargate tasks: {name}", svc.cpu, svc.memory, count, arm)
        if public:
            tally.public_ips(f"Task public IPv4: {name}", count)
        if svc.autoscaling is not None and svc.autoscaling.max > count:
            per_task = tally.task_hourly(svc.cpu, svc.memory, arm)
            if public:
                per_task += tally.prices.ipv4_hour
            low = count * per_task * HOURS_PER_MONTH
            high = svc.autoscaling.max * per_task * HOURS_PER_MONTH
            tally.notes.append(
                f"{name} autoscales {count}-{svc.autoscaling.max} tasks: "
                f"${low:,.2f}-${high:,.2f}/month; counted at {count}"
            )
        if svc.mode == "express":
            tally.notes.append(
                f"{name} runs in ECS Express Mode: its load balancer is shared and "
                "provisioned by AWS, not counted here"
            )
    if net is not None and net.nat != "none":
        _internal_traffic_note(spec, tally)
    for name, job in spec.jobs.items():
        per_hour = tally.task_hourly(job.cpu, job.memory)
        tally.notes.append(
            f"job {name} bills Fargate per run, ${per_hour:,.4f} per hour it runs, not counted "
            "here; EventBridge Scheduler is free for the first 14 million invocations a month"
        )
    return tally.done()


def _internal_traffic_note(spec: Spec, tally: _Tally) -> None:
    """What calls at an internal URL (Service Connect) no longer pay: from a private
    subnet, a call to the load balancer's public URL leaves through the NAT gateway,
    which bills each GB it processes."""
    if not service_connect_on(spec):
        return
    pairs = [
        f"{caller} calls {target}"
        for target, names in callers(spec).items()
        for caller in sorted(names)
        if spec.services[caller].subnets == "private"
    ]
    if pairs:
        tally.notes.append(
            f"{', '.join(pairs)} inside the VPC (Service Connect): no NAT data processing "
            f"(${tally.prices.nat_gb:g}/GB) on that traffic, which calls through the public "
            "load balancer URL would pay"
        )


def estimate_now(
    observed: Mapping[str, Observed], region: str, book: PriceBook | None = None
) -> CostEstimate:
    """The fixed monthly cost of what exists: what each observed resource ``bills``,
    summed by meter (the tasks of each ECS service apart), and priced."""
    meters: Counter[str] = Counter()
    services: list[tuple[int, ...]] = []
    for have in observed.values():
        kind = registry.kind_class(have.kind)
        for bill in kind.bills(have, observed) if kind is not None else ():
            if isinstance(bill, Usage):
                meters[bill.meter] += bill.quantity
            elif isinstance(bill, Tasks):
                services.append((bill.cpu, bill.memory, bill.count, int(bill.arm)))
    return estimate_observed(meters, services, region, book)


def estimate_observed(
    kinds: Mapping[str, int],
    services: Sequence[tuple[int, ...]],
    region: str,
    book: PriceBook | None = None,
) -> CostEstimate:
    """The fixed monthly cost of what exists, from the quantities of each meter.

    ``kinds`` holds the quantity of each ``Meter`` by its value: ``ec2.nat_gateway``,
    ``elbv2.load_balancer``, ``ec2.elastic_ip``, ``ec2.vpc_endpoint`` (interface endpoints
    only, counted once per zone they are in, as AWS bills them: one endpoint in two
    subnets counts 2) and ``ec2.public_ipv4`` (other public IPv4 addresses:
    internet-facing load balancer nodes, tasks with a public IP), ``wafv2.web_acl`` and
    ``wafv2.rule``, ``cloudwatch.alarm_metric`` (metrics the alarms read) and
    ``cloudwatch.dashboard``. Other names are free and ignored. ``services`` holds
    (cpu units, memory MiB, running or desired tasks[, 1 for ARM]) of each ECS service.
    """
    tally = _Tally(region, book)
    tally.nat(kinds.get(Meter.NAT_GATEWAY, 0), kinds.get(Meter.ELASTIC_IP, 0))
    tally.load_balancer(kinds.get(Meter.LOAD_BALANCER, 0))
    tally.public_ips("Public IPv4 (load balancer, tasks)", kinds.get(Meter.PUBLIC_IPV4, 0))
    tally.endpoints(kinds.get(Meter.INTERFACE_ENDPOINT_AZ, 0))
    tally.waf(kinds.get(Meter.WAF_WEB_ACL, 0), kinds.get(Meter.WAF_RULE, 0))
    tally.monitoring(kinds.get(Meter.ALARM_METRIC, 0), kinds.get(Meter.DASHBOARD, 0))
    for i, (cpu, memory, count, *arm) in enumerate(services, 1):
        tally.tasks(f"Fargate tasks: service {i}", cpu, memory, count, bool(arm and arm[0]))
    return tally.done()


def _num(value: float) -> str:
    return f"{value:g}"
