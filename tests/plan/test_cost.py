"""The monthly cost estimate: what each spec choice costs, the fallbacks and the view."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from ecsdeploy.output.cost_view import cost_json, show_cost
from ecsdeploy.plan.cost import (
    DEFAULT_REGION,
    HOURS_PER_MONTH,
    MONTHLY,
    PRICES,
    CostEstimate,
    CostLine,
    compare,
    estimate,
    estimate_observed,
)
from ecsdeploy.spec import Spec, load_spec

CONFIGS = Path(__file__).parents[2] / "configs"
REQUIRED_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
)


def example(**network: object) -> Spec:
    """The example spec with its network block changed (checks are not the point here)."""
    spec = load_spec(CONFIGS / "example.yaml")
    assert spec.network is not None
    return spec.model_copy(update={"network": spec.network.model_copy(update=network)})


def month(hourly: float) -> float:
    return hourly * HOURS_PER_MONTH


def line(est: CostEstimate, item: str) -> CostLine:
    found = [x for x in est.lines if x.item == item]
    assert len(found) == 1, f"{item!r} in {[x.item for x in est.lines]}"
    return found[0]


def items(est: CostEstimate) -> set[str]:
    return {x.item for x in est.lines}


def test_price_table_covers_the_supported_regions() -> None:
    for region in REQUIRED_REGIONS:
        p = PRICES[region]
        assert p.ipv4_hour == 0.005
        for price in (p.nat_hour, p.alb_hour, p.endpoint_az_hour, p.vcpu_hour, p.gb_hour):
            assert 0 < price < 1
        # a vCPU costs more than a GB of memory everywhere
        assert p.vcpu_hour > p.gb_hour


def test_us_list_prices() -> None:
    # the anchor everything falls back to; a change here must be a deliberate update
    p = PRICES["us-east-1"]
    assert (p.nat_hour, p.nat_gb, p.alb_hour, p.endpoint_az_hour) == (0.045, 0.045, 0.0225, 0.01)
    assert (p.vcpu_hour, p.gb_hour) == (0.04048, 0.004445)
    assert PRICES["us-east-2"] == PRICES["us-west-2"] == p


def test_autoscaling_min_is_the_baseline() -> None:
    spec = example()
    p = PRICES["us-west-2"]
    api = spec.services["api"]
    assert api.autoscaling is not None
    scaled = api.model_copy(
        update={"count": None, "autoscaling": api.autoscaling.model_copy(update={"min": 3})}
    )
    est = estimate(spec.model_copy(update={"services": {**spec.services, "api": scaled}}))
    assert line(est, "Fargate tasks: api").quantity == 3
    assert line(est, "Fargate tasks: api").monthly == pytest.approx(
        3 * month(0.5 * p.vcpu_hour + p.gb_hour)
    )
    assert any("api autoscales 3-6" in n for n in est.notes)


def test_example_itemised() -> None:
    spec = load_spec(CONFIGS / "example.yaml")
    p = PRICES["us-west-2"]
    est = estimate(spec)
    assert est.region == "us-west-2"
    assert items(est) == {
        "NAT gateway",
        "Elastic IP (public IPv4)",
        "Application Load Balancer",
        "Load balancer public IPv4",
        "Fargate tasks: api",
        "Fargate tasks: ui",
        "CloudWatch alarms",
        "CloudWatch dashboard",
    }
    assert line(est, "NAT gateway").quantity == 1
    # 5xx rate (3 metrics); p95, unhealthy, cpu, memory (1 each), tasks short (2) per service
    assert line(est, "CloudWatch alarms").quantity == 3 + 2 * 6
    assert line(est, "CloudWatch alarms").monthly == pytest.approx(15 * MONTHLY.alarm_metric)
    assert line(est, "CloudWatch dashboard").monthly == pytest.approx(MONTHLY.dashboard)
    assert line(est, "Load balancer public IPv4").quantity == 2  # one per zone
    assert line(est, "Application Load Balancer").monthly == pytest.approx(month(p.alb_hour))
    api = line(est, "Fargate tasks: api")
    assert api.quantity == 2
    assert "0.5 vCPU" in api.unit and "1 GB" in api.unit
    assert api.monthly == pytest.approx(2 * month(0.5 * p.vcpu_hour + 1 * p.gb_hour))
    ui = line(est, "Fargate tasks: ui")
    assert ui.monthly == pytest.approx(1 * month(0.25 * p.vcpu_hour + 0.5 * p.gb_hour))
    assert est.total == pytest.approx(sum(x.monthly for x in est.lines))
    # s3 is a gateway endpoint: free, so no endpoint line at all
    assert not any("endpoint" in x.item.lower() for x in est.lines)
    notes = " ".join(est.notes)
    assert "api autoscales 2-6" in notes
    high = 6 * month(0.5 * p.vcpu_hour + p.gb_hour)
    assert f"${high:,.2f}" in notes
    # the nightly job bills per run, outside the fixed total; its schedule is free
    per_run_hour = 0.5 * p.vcpu_hour + 1 * p.gb_hour
    assert f"job train bills Fargate per run, ${per_run_hour:,.4f} per hour" in notes
    assert "14 million invocations" in notes
    assert not any("train" in x.item for x in est.lines)


def test_per_az_costs_one_more_nat_and_eip_than_single() -> None:
    p = PRICES["us-west-2"]
    single, per_az = estimate(example(nat="single")), estimate(example(nat="per_az"))
    assert line(per_az, "NAT gateway").quantity == 2
    assert line(per_az, "Elastic IP (public IPv4)").quantity == 2
    assert compare(single, per_az) == pytest.approx(month(p.nat_hour) + month(p.ipv4_hour))
    assert per_az.total - single.total == pytest.approx(month(p.nat_hour + p.ipv4_hour))


def test_endpoints_replace_nat() -> None:
    p = PRICES["us-west-2"]
    single = estimate(example(nat="single"))
    no_nat = estimate(example(nat="none", endpoints=["s3", "ecr.api", "ecr.dkr", "logs"]))
    assert "NAT gateway" not in items(no_nat)
    assert "Elastic IP (public IPv4)" not in items(no_nat)
    endpoints = line(no_nat, "Interface VPC endpoint")
    assert endpoints.quantity == 3 * 2  # three interface endpoints in two zones; s3 free
    assert endpoints.monthly == pytest.approx(6 * month(p.endpoint_az_hour))
    assert no_nat.total - single.total == pytest.approx(
        6 * month(p.endpoint_az_hour) - month(p.nat_hour) - month(p.ipv4_hour)
    )
    assert not any("NAT data processing" in n for n in no_nat.notes)
    assert any("NAT data processing" in n for n in single.notes)


def test_region_prices_are_used() -> None:
    west = estimate(example())
    tokyo = estimate(example().model_copy(update={"region": "ap-northeast-1"}))
    p = PRICES["ap-northeast-1"]
    assert tokyo.region == "ap-northeast-1"
    assert line(tokyo, "NAT gateway").monthly == pytest.approx(month(p.nat_hour))
    assert tokyo.total > west.total
    assert not any("prices used" in n for n in tokyo.notes)


def test_unknown_region_falls_back_with_a_note() -> None:
    spec = example().model_copy(update={"region": "xx-nowhere-9"})
    est = estimate(spec)
    p = PRICES[DEFAULT_REGION]
    assert est.region == "xx-nowhere-9"
    assert line(est, "NAT gateway").monthly == pytest.approx(month(p.nat_hour))
    assert any("xx-nowhere-9" in n and DEFAULT_REGION in n for n in est.notes)


def test_public_subnets_and_internal_balancer() -> None:
    spec = example()
    p = PRICES["us-west-2"]
    ui = spec.services["ui"].model_copy(update={"subnets": "public"})
    lb = spec.load_balancer
    assert lb is not None
    changed = spec.model_copy(
        update={
            "services": {**spec.services, "ui": ui},
            "load_balancer": lb.model_copy(update={"public": False}),
        }
    )
    est = estimate(changed)
    assert line(est, "Task public IPv4: ui").monthly == pytest.approx(month(p.ipv4_hour))
    assert "Load balancer public IPv4" not in items(est)
    assert "Application Load Balancer" in items(est)


def test_no_route_no_load_balancer() -> None:
    spec = example()
    services = {n: s.model_copy(update={"route": None}) for n, s in spec.services.items()}
    est = estimate(spec.model_copy(update={"services": services}))
    assert "Application Load Balancer" not in items(est)
    assert "Load balancer public IPv4" not in items(est)


def test_express_costs_only_its_tasks() -> None:
    spec = load_spec(CONFIGS / "express.yaml")
    p = PRICES["us-west-2"]
    est = estimate(spec)
    assert items(est) == {"Fargate tasks: extract", "CloudWatch alarms", "CloudWatch dashboard"}
    assert line(est, "CloudWatch alarms").quantity == 4  # cpu, memory, tasks short (2)
    assert est.total == pytest.approx(
        month(0.25 * p.vcpu_hour + 0.5 * p.gb_hour) + 4 * MONTHLY.alarm_metric + MONTHLY.dashboard
    )
    assert any("Express Mode" in n and "load balancer" in n for n in est.notes)


def test_waf_alarms_and_dashboard_are_priced_by_the_month() -> None:
    spec = load_spec(CONFIGS / "hardened.yaml")
    est = estimate(spec)
    assert line(est, "WAF web ACL").monthly == pytest.approx(MONTHLY.waf_web_acl)
    assert line(est, "WAF rules").quantity == 4  # three managed groups and the rate limit
    assert line(est, "WAF rules").monthly == pytest.approx(4 * MONTHLY.waf_rule)
    assert any("WAF requests are extra" in n for n in est.notes)
    off = spec.model_copy(update={"alarms": None, "dashboard": False})
    assert "CloudWatch alarms" not in items(estimate(off))
    assert "CloudWatch dashboard" not in items(estimate(off))


def test_nothing_costs_nothing() -> None:
    assert estimate(None).total == 0
    assert estimate(None).lines == ()
    empty = Spec(app="empty", region="eu-west-1", services={})
    assert estimate(empty).total == 0
    assert estimate_observed({}, [], "eu-west-1").total == 0


@pytest.mark.parametrize("nat", ["none", "single", "per_az"])
def test_observed_agrees_with_estimate(nat: str) -> None:
    endpoints = ["s3", "ecr.api", "ecr.dkr", "logs"] if nat == "none" else ["s3"]
    spec = example(nat=nat, endpoints=endpoints, azs=3)
    expected = estimate(spec)
    nats = {"none": 0, "single": 1, "per_az": 3}[nat]
    observed = estimate_observed(
        {
            "ec2.nat_gateway": nats,
            "ec2.elastic_ip": nats,
            "elbv2.load_balancer": 1,
            "ec2.public_ipv4": 3,  # the internet-facing load balancer, one per zone
            "ec2.vpc_endpoint": (3 if nat == "none" else 0) * 3,
            "ec2.vpc": 1,  # free kinds are ignored
            "cloudwatch.alarm_metric": 15,
            "cloudwatch.dashboard": 1,
        },
        [(512, 1024, 2), (256, 512, 1)],
        "us-west-2",
    )
    assert observed.region == expected.region
    assert observed.total == pytest.approx(expected.total)
    assert sorted(x.monthly for x in observed.lines) == pytest.approx(
        sorted(x.monthly for x in expected.lines)
    )


def test_rendered_view_shows_totals_and_signed_delta() -> None:
    before = estimate(example(nat="per_az"))
    after = estimate(example(nat="single"))
    delta = compare(before, after)
    assert delta < 0
    console = Console(record=True, width=120)
    show_cost(console, before, after)
    text = console.export_text()
    assert "Estimated monthly cost (us-west-2" in text
    assert f"${before.total:,.2f} -> ${after.total:,.2f}" in text
    assert f"(-${-delta:,.2f})" in text
    assert "NAT gateway" in text and "Fargate tasks: api" in text
    assert "not included" in text

    console = Console(record=True, width=120)
    show_cost(console, after, before)
    assert f"(+${delta * -1:,.2f})" in console.export_text()

    console = Console(record=True, width=120)
    show_cost(console, None, after)
    text = console.export_text()
    assert f": ${after.total:,.2f}" in text
    assert "->" not in text


def test_cost_json() -> None:
    before, after = estimate(None), estimate(load_spec(CONFIGS / "example.yaml"))
    data = cost_json(before, after)
    assert data["estimate"] is True
    assert data["currency"] == "USD"
    assert data["after"]["total"] == round(after.total, 2)
    assert data["delta"] == round(after.total, 2)
    assert {x["item"] for x in data["after"]["lines"]} == items(after)
    assert cost_json(None, after)["before"] is None
    assert cost_json(None, after)["delta"] is None
