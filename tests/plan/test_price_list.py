"""Prices from the AWS Price List API (answered by tests/support/pricing_fake.py, checked
against botocore's model): one GetProducts per price, a day's cache, and the dated table
with a note when the API cannot answer; the cost line says which it used."""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from pricing_fake import PricingFake
from typer.testing import CliRunner

from ecsdeploy.aws.clients import Aws
from ecsdeploy.cli import app as cli
from ecsdeploy.output.cost_view import cost_json, headline
from ecsdeploy.plan import price_cache
from ecsdeploy.plan.cost import PRICES, PRICES_AS_OF, TABLE_SOURCE, estimate
from ecsdeploy.plan.price_list import API_SOURCE, QUERIES, price_book
from ecsdeploy.spec import parse_spec

from conftest import CONFIGS, ROOT, spec_text

TODAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ECSDEPLOY_PRICE_LIST", raising=False)
    return tmp_path / "cache"


def test_prices_come_from_the_api_one_call_each() -> None:
    fake = PricingFake()
    book = price_book("us-west-2", fake.client, TODAY)
    assert fake.rejected == []
    assert fake.calls["GetProducts"] == len(QUERIES)
    for _, params in fake.requests:
        filters = {f["Field"]: f["Value"] for f in params["Filters"]}
        assert filters.get("regionCode", "us-west-2") == "us-west-2"
    assert book.source == API_SOURCE and book.as_of == "2026-12-01" and book.note is None
    assert book.hourly.vcpu_hour == 0.04 and book.hourly.gb_hour == 0.004
    assert book.hourly.arm_vcpu_hour == 0.032 and book.hourly.nat_hour == 0.05
    assert book.hourly.endpoint_az_hour == 0.011 and book.hourly.lcu_hour == 0.008
    assert book.monthly.alarm_metric == 0.10  # the free tier (0) is skipped
    assert book.monthly.dashboard == pytest.approx(3.0, abs=0.01)  # hourly, by the month
    assert book.monthly.waf_million_requests == pytest.approx(0.6)


def test_us_east_1_usage_types_have_no_prefix() -> None:
    book = price_book("us-east-1", PricingFake().client, TODAY)
    assert book.source == API_SOURCE and book.hourly.alb_hour == 0.025


def test_a_day_is_cached_and_a_corrupt_cache_ignored(cache: Path) -> None:
    first = price_book("us-west-2", PricingFake().client, TODAY)
    stored = price_cache.path_of("us-west-2", TODAY)
    assert stored.is_relative_to(cache) and stored.exists()

    again = PricingFake()
    assert price_book("us-west-2", again.client, TODAY) == first
    assert again.calls["GetProducts"] == 0
    # the next day asks again
    price_book("us-west-2", again.client, date(2026, 12, 8))
    assert again.calls["GetProducts"] == len(QUERIES)

    stored.write_text("{not json")
    fresh = PricingFake()
    assert price_book("us-west-2", fresh.client, TODAY) == first
    assert fresh.calls["GetProducts"] == len(QUERIES)
    stored.write_text(json.dumps({"as_of": "x", "prices": {"vcpu_hour": "cheap"}}))
    assert price_book("us-west-2", PricingFake().client, TODAY) == first


@pytest.mark.parametrize(
    "code", ["AccessDeniedException", "ThrottlingException", "InternalErrorException"]
)
def test_an_aws_error_falls_back_to_the_table(code: str) -> None:
    fake = PricingFake(fault=(code, "no"))
    book = price_book("us-west-2", fake.client, TODAY)
    assert book.source == TABLE_SOURCE and book.as_of == PRICES_AS_OF
    assert book.hourly == PRICES["us-west-2"]
    assert book.note is not None and code in book.note
    assert not price_cache.path_of("us-west-2", TODAY).exists()  # asked again next time


def test_no_network_falls_back_to_the_table() -> None:
    def offline() -> Any:
        client = boto3.client("pricing", region_name="us-east-1")

        def refuse(**_: Any) -> None:
            raise EndpointConnectionError(
                endpoint_url="https://api.pricing.us-east-1.amazonaws.com"
            )

        client.meta.events.register("before-send.pricing.GetProducts", refuse)
        return client

    book = price_book("us-west-2", offline, TODAY)
    assert book.source == TABLE_SOURCE
    assert book.note is not None and "EndpointConnectionError" in book.note


def test_a_slow_api_is_not_waited_for() -> None:
    release = threading.Event()
    fake = PricingFake()

    def slow() -> Any:
        client = fake.client()
        client.meta.events.register(
            "before-parameter-build.pricing.GetProducts", lambda **_: release.wait(5)
        )
        return client

    start = time.monotonic()
    book = price_book("us-west-2", slow, TODAY, deadline=0.3)
    release.set()
    assert time.monotonic() - start < 3
    assert book.source == TABLE_SOURCE and "within 0.3s" in (book.note or "")


def test_an_emulator_endpoint_uses_the_table_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = PricingFake()

    def emulated() -> Any:
        client = boto3.client(
            "pricing", region_name="us-east-1", endpoint_url="http://127.0.0.1:5000"
        )
        fake.install(client)
        return client

    book = price_book("us-west-2", emulated, TODAY)
    assert book.source == TABLE_SOURCE and book.note is None
    assert fake.calls["GetProducts"] == 0


def test_off_uses_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECSDEPLOY_PRICE_LIST", "off")
    fake = PricingFake()
    assert price_book("us-west-2", fake.client, TODAY).source == TABLE_SOURCE
    assert fake.calls["GetProducts"] == 0


def test_the_estimate_says_where_its_prices_come_from() -> None:
    spec = parse_spec(spec_text(), "t.yaml")
    api = price_book("us-west-2", PricingFake().client, TODAY)
    est, table = estimate(spec, api), estimate(spec)
    assert est.total != table.total
    line = headline(None, est)
    assert "from the AWS Price List API" in line and "of 2026-12-01" in line
    assert "from ecsdeploy's table" in headline(None, table) and PRICES_AS_OF in headline(
        None, table
    )
    data = cost_json(None, est)
    assert data["prices_from"] == "aws-price-list" and data["prices_as_of"] == "2026-12-01"
    api_task = next(x for x in est.lines if x.item == "Fargate tasks: api")
    assert api_task.unit_monthly == pytest.approx((0.5 * 0.04 + 1 * 0.004) * 730)


def test_arm_tasks_are_priced_at_the_arm_rate() -> None:
    text = spec_text().replace("    memory: 1024\n", "    memory: 1024\n    arch: arm64\n", 1)
    book = price_book("us-west-2", PricingFake().client, TODAY)
    line = next(x for x in estimate(parse_spec(text, "t.yaml"), book).lines if "api" in x.item)
    assert "ARM" in line.unit
    assert line.unit_monthly == pytest.approx((0.5 * 0.032 + 1 * 0.0032) * 730)


def test_plan_uses_the_price_list(
    aws: None, no_preflight: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = PricingFake()
    monkeypatch.setattr(Aws, "price_list", lambda self, region="us-east-1": fake.client())
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    result = CliRunner().invoke(cli.app, ["plan", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "list prices of 2026-12-01 from the AWS Price List API" in result.stdout
    assert fake.calls["GetProducts"] == len(QUERIES)


def test_the_deployer_policy_allows_the_price_list() -> None:
    policy = json.loads(
        (ROOT / "examples" / "github-actions" / "deployer-policy-observability.json").read_text()
    )
    allowed = [s for s in policy["Statement"] if "pricing:GetProducts" in s["Action"]]
    assert allowed and allowed[0]["Effect"] == "Allow"
    assert CONFIGS.exists()


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-west-1"])
def test_spot_products_are_not_taken_for_on_demand(region: str) -> None:
    # the fake lists Fargate Spot's products first; their usage types end like the
    # on-demand ones ("USW2-SpotUsage-Fargate-GB-Hours")
    book = price_book(region, PricingFake().client, TODAY)
    assert book.hourly.vcpu_hour == 0.04 and book.hourly.gb_hour == 0.004


def test_dashboards_are_asked_for_without_a_region() -> None:
    # CloudWatch lists its dashboard price once, for no region (location "Any")
    fake = PricingFake()
    book = price_book("eu-central-1", fake.client, TODAY)
    asked = [p for _, p in fake.requests if p["ServiceCode"] == "AmazonCloudWatch"]
    dash = [
        p
        for p in asked
        if {"Field": "productFamily", "Type": "TERM_MATCH", "Value": "Dashboard"} in p["Filters"]
    ]
    assert dash and all(f["Field"] != "regionCode" for f in dash[0]["Filters"])
    assert book.note is None and book.monthly.dashboard == pytest.approx(3.0, abs=0.01)
