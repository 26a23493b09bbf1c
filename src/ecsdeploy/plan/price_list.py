"""On-demand prices from the AWS Price List API, for the cost estimate.

One ``GetProducts`` call per price (``QUERIES``), all at once, each narrowed to the
region (``regionCode``) and a product family, under one short deadline; the answer's
products are matched by the end of their usage type (AWS prefixes it by region: ``USW2-``,
none in us-east-1). The API has endpoints only in us-east-1, eu-central-1 and ap-south-1
(AWS Price List API, "Using the AWS Price List Query API"): us-east-1 is used for every
region.

A day's prices are kept in the user's cache directory (``price_cache``). Offline, without
``pricing:GetProducts``, throttled, past the deadline, or against an emulator (a custom
endpoint has no Price List), ``price_book`` answers with ``plan.cost``'s dated table and a
short note saying why; a price the API does not list comes from the table too.
``ECSDEPLOY_PRICE_LIST=off`` turns the lookup off.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from ecsdeploy.plan import price_cache
from ecsdeploy.plan.cost import (
    MONTHLY,
    PRICES_AS_OF,
    TABLE_SOURCE,
    MonthlyPrices,
    PriceBook,
    Prices,
    prices_for,
)

API_SOURCE = "the AWS Price List API"
API_REGION = "us-east-1"  # one of the API's three endpoints; it answers for every region
DEADLINE = 4.0  # seconds for all the calls together
OFF = "ECSDEPLOY_PRICE_LIST"
# the code a usage type starts with outside us-east-1: USW2, EUC1, APS3, EU (eu-west-1)...
REGION_PREFIX = re.compile(r"[A-Z]{2,4}[0-9]{0,2}")


@dataclass(frozen=True)
class Query:
    """One price: the service and product family to ask for, and the end of the usage
    type that names it among the answer's products."""

    field: str  # of Prices or MonthlyPrices
    service: str
    family: str
    usage: str
    per_month: float = 1.0  # multiplies the listed price (an hourly dashboard price: 730)
    # False: AWS lists the price once for every region (CloudWatch dashboards: location
    # "Any", an empty regionCode), so the query names no region
    regional: bool = True


QUERIES = (
    Query("vcpu_hour", "AmazonECS", "Compute", "Fargate-vCPU-Hours:perCPU"),
    Query("gb_hour", "AmazonECS", "Compute", "Fargate-GB-Hours"),
    Query("arm_vcpu_hour", "AmazonECS", "Compute", "Fargate-ARM-vCPU-Hours:perCPU"),
    Query("arm_gb_hour", "AmazonECS", "Compute", "Fargate-ARM-GB-Hours"),
    Query("alb_hour", "AWSELB", "Load Balancer-Application", "LoadBalancerUsage"),
    Query("lcu_hour", "AWSELB", "Load Balancer-Application", "LCUUsage"),
    Query("nat_hour", "AmazonEC2", "NAT Gateway", "NatGateway-Hours"),
    Query("nat_gb", "AmazonEC2", "NAT Gateway", "NatGateway-Bytes"),
    Query("ipv4_hour", "AmazonVPC", "VPC Public IPv4 Address", "PublicIPv4:InUseAddress"),
    Query("endpoint_az_hour", "AmazonVPC", "VpcEndpoint", "VpcEndpoint-Hours"),
    Query("waf_web_acl", "awswaf", "Web Application Firewall", "WebACL"),
    Query("waf_rule", "awswaf", "Web Application Firewall", "Rule"),
    Query("waf_million_requests", "awswaf", "Web Application Firewall", "Request", 1e6),
    Query("alarm_metric", "AmazonCloudWatch", "Alarm", "CW:AlarmMonitorUsage"),
    Query("dashboard", "AmazonCloudWatch", "Dashboard", "DashboardsUsageHour-Basic", 730.0, False),
)


class PriceListUnavailable(Exception):
    """The Price List API did not answer usefully; the message says why, briefly."""


ClientFactory = Callable[[], Any]  # a boto3 'pricing' client in us-east-1


def price_book(
    region: str, client: ClientFactory, today: date | None = None, deadline: float = DEADLINE
) -> PriceBook:
    """The region's prices: from today's cache, else from the API (then cached), else from
    the table with a note saying why."""
    today = today or date.today()
    table = table_book(region)
    if os.environ.get(OFF, "").lower() in ("off", "0", "no", "false"):
        return table
    cached = price_cache.load(region, today)
    if cached is not None:
        book = from_cache(cached, table)
        if book is not None:
            return book
    try:
        pricing = client()
        if not _is_aws(str(pricing.meta.endpoint_url)):
            return table  # an emulator (AWS_ENDPOINT_URL): it has no Price List, quietly
        found, published = fetch(region, pricing, deadline)
    except PriceListUnavailable as exc:
        return replace(table, note=f"prices from ecsdeploy's table: {exc}")
    except Exception as exc:  # no network, no credentials, an endpoint that is not AWS
        why = type(exc).__name__
        return replace(table, note=f"prices from ecsdeploy's table: Price List API ({why})")
    book = merged(table, found, published)
    price_cache.save(region, today, to_cache(book, found))
    return book


def table_book(region: str) -> PriceBook:
    hourly, fallback = prices_for(region)
    return PriceBook(hourly, MONTHLY, TABLE_SOURCE, PRICES_AS_OF, fallback)


def fetch(region: str, pricing: Any, deadline: float) -> tuple[dict[str, float], str]:
    """Every price of ``QUERIES`` the API lists for ``region``, and the latest publication
    date of those found. Raises PriceListUnavailable on an AWS error or the deadline."""
    pool = ThreadPoolExecutor(max_workers=len(QUERIES), thread_name_prefix="price-list")
    futures = {q.field: pool.submit(_ask, pricing, region, q) for q in QUERIES}
    _, late = wait(futures.values(), timeout=deadline)
    pool.shutdown(wait=False, cancel_futures=True)
    if late:
        raise PriceListUnavailable(f"Price List API did not answer within {deadline:g}s")
    found: dict[str, float] = {}
    dates: list[str] = []
    for name, future in futures.items():
        answer = future.result()  # raises what the call raised
        if answer is not None:
            found[name], published = answer
            dates.append(published)
    return found, max(dates, default=PRICES_AS_OF)


def _ask(pricing: Any, region: str, query: Query) -> tuple[float, str] | None:
    from botocore.exceptions import ClientError

    try:
        answer = pricing.get_products(
            ServiceCode=query.service,
            Filters=[
                *(
                    [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
                    * query.regional
                ),
                {"Type": "TERM_MATCH", "Field": "productFamily", "Value": query.family},
            ],
            FormatVersion="aws_v1",
            MaxResults=100,
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise PriceListUnavailable(f"Price List API refused ({code})") from None
    for text in answer.get("PriceList", []):
        price = parse_price(text, query)
        if price is not None:
            return price
    return None


def parse_price(text: str | Mapping[str, Any], query: Query) -> tuple[float, str] | None:
    """The on-demand USD price of one Price List product if its usage type is the
    query's (the first non-zero tier: a free tier lists 0), with its publication date."""
    item = json.loads(text) if isinstance(text, str) else text
    usage = str(item.get("product", {}).get("attributes", {}).get("usagetype", ""))
    # the usage type, or it behind the region's code ("USW2-"); a longer name that ends
    # the same way is another product (Spot: "USW2-SpotUsage-Fargate-GB-Hours")
    prefix, _, rest = usage.partition("-")
    if not (usage == query.usage or (rest == query.usage and REGION_PREFIX.fullmatch(prefix))):
        return None
    tiers: list[tuple[float, float]] = []
    for term in item.get("terms", {}).get("OnDemand", {}).values():
        for dim in term.get("priceDimensions", {}).values():
            usd = dim.get("pricePerUnit", {}).get("USD")
            if usd is not None:
                tiers.append((float(dim.get("beginRange") or 0), float(usd)))
    priced = [usd for _, usd in sorted(tiers) if usd > 0]
    if not priced:
        return None
    published = str(item.get("publicationDate", PRICES_AS_OF))[:10]
    return priced[0] * query.per_month, published


def merged(table: PriceBook, found: Mapping[str, float], published: str) -> PriceBook:
    """The table's book with the prices the API gave; a note names those it did not."""
    hourly = replace(table.hourly, **{k: v for k, v in found.items() if _of(Prices, k)})
    monthly = replace(table.monthly, **{k: v for k, v in found.items() if _of(MonthlyPrices, k)})
    missing = [q.field for q in QUERIES if q.field not in found]
    note = (
        f"not listed by the Price List API, from the table: {', '.join(missing)}"
        if missing
        else None
    )
    return PriceBook(hourly, monthly, API_SOURCE, published, note)


def to_cache(book: PriceBook, found: Mapping[str, float]) -> dict[str, Any]:
    return {"as_of": book.as_of, "prices": dict(found)}


def from_cache(data: Mapping[str, Any], table: PriceBook) -> PriceBook | None:
    """The cached book, or None when the file does not hold one (a corrupt cache)."""
    try:
        prices = {str(k): float(v) for k, v in dict(data["prices"]).items()}
        as_of = str(data["as_of"])
        known = {q.field for q in QUERIES}
        if not prices or not set(prices) <= known:
            return None
        return merged(table, prices, as_of)
    except (KeyError, TypeError, ValueError):
        return None


def _is_aws(endpoint: str) -> bool:
    from urllib.parse import urlparse

    host = urlparse(endpoint).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _of(cls: type, name: str) -> bool:
    return name in {f.name for f in fields(cls)}
