"""The AWS Price List API's GetProducts, from memory, on a botocore 'pricing' client (moto
has no pricing service).

Requests are checked against botocore's model of GetProducts, answers against its output
shape, and error codes against the errors it lists (``ModelChecked``). Products are
answered as AWS does: ``PriceList`` is a list of JSON *strings*, one product each, with
``product.attributes`` (``usagetype`` prefixed by the region's code, none in us-east-1;
``regionCode``), ``terms.OnDemand.<sku>.<offer>.priceDimensions.<rate>.pricePerUnit.USD``
as a decimal string, tiers by ``beginRange``, and ``publicationDate`` (AWS Price List
API, "Reading the price list file" / GetProducts response syntax). Filters of type
TERM_MATCH are applied to the attributes (and ``productFamily``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import boto3

from express_fake import Fault, ModelChecked

_CTX = "pricing_fake_params"
PREFIX = {"us-east-1": "", "us-west-2": "USW2-", "eu-central-1": "EUC1-", "eu-west-1": "EU-"}
PUBLISHED = "2026-12-01T09:15:00Z"

# (service code, product family, usage type without prefix) -> tiers of (beginRange, USD)
CATALOG: dict[tuple[str, str, str], list[tuple[str, str]]] = {
    # Fargate Spot's products share the family and end like the on-demand ones (e.g.
    # ``EUC1-SpotUsage-Fargate-ARM-vCPU-Hours:perCPU`` on a bill); AWS lists them first here
    ("AmazonECS", "Compute", "SpotUsage-Fargate-vCPU-Hours:perCPU"): [("0", "0.0120000000")],
    ("AmazonECS", "Compute", "SpotUsage-Fargate-GB-Hours"): [("0", "0.0013000000")],
    ("AmazonECS", "Compute", "Fargate-vCPU-Hours:perCPU"): [("0", "0.0400000000")],
    ("AmazonECS", "Compute", "Fargate-GB-Hours"): [("0", "0.0040000000")],
    ("AmazonECS", "Compute", "Fargate-ARM-vCPU-Hours:perCPU"): [("0", "0.0320000000")],
    ("AmazonECS", "Compute", "Fargate-ARM-GB-Hours"): [("0", "0.0032000000")],
    ("AmazonECS", "Compute", "Fargate-EphemeralStorage-GB-Hours"): [("0", "0.0001110000")],
    ("AWSELB", "Load Balancer-Application", "LoadBalancerUsage"): [("0", "0.0250000000")],
    ("AWSELB", "Load Balancer-Application", "LCUUsage"): [("0", "0.0080000000")],
    ("AmazonEC2", "NAT Gateway", "NatGateway-Hours"): [("0", "0.0500000000")],
    ("AmazonEC2", "NAT Gateway", "NatGateway-Bytes"): [("0", "0.0500000000")],
    ("AmazonVPC", "VPC Public IPv4 Address", "PublicIPv4:InUseAddress"): [("0", "0.0050000000")],
    ("AmazonVPC", "VpcEndpoint", "VpcEndpoint-Hours"): [("0", "0.0110000000")],
    ("awswaf", "Web Application Firewall", "WebACL"): [("0", "5.0000000000")],
    ("awswaf", "Web Application Firewall", "Rule"): [("0", "1.0000000000")],
    ("awswaf", "Web Application Firewall", "Request"): [("0", "0.0000006000")],
    # a free tier first, as AWS lists CloudWatch's
    ("AmazonCloudWatch", "Alarm", "CW:AlarmMonitorUsage"): [
        ("0", "0.0000000000"),
        ("10", "0.1000000000"),
    ],
    ("AmazonCloudWatch", "Dashboard", "DashboardsUsageHour-Basic"): [("0", "0.0041095890")],
}
# products that are not of a region: CloudWatch dashboards are listed once, with location
# "Any", an empty regionCode and an unprefixed usage type (the account pays per dashboard
# wherever it is)
GLOBAL = {("AmazonCloudWatch", "Dashboard", "DashboardsUsageHour-Basic")}


def product(region: str, key: tuple[str, str, str], tiers: list[tuple[str, str]]) -> str:
    """One product as the API's PriceList holds it: a JSON string."""
    service, family, usage = key
    if key in GLOBAL:
        region = ""
    sku = f"SKU{abs(hash((region, key))) % 10**8:08d}"
    dims = {
        f"{sku}.JRTCKXETXF.{i}": {
            "unit": "Hrs",
            "endRange": tiers[i + 1][0] if i + 1 < len(tiers) else "Inf",
            "description": f"{usage} in {region}",
            "appliesTo": [],
            "rateCode": f"{sku}.JRTCKXETXF.{i}",
            "beginRange": begin,
            "pricePerUnit": {"USD": usd},
        }
        for i, (begin, usd) in enumerate(tiers)
    }
    return json.dumps(
        {
            "product": {
                "productFamily": family,
                "attributes": {
                    "usagetype": PREFIX.get(region, "XX-") + usage,
                    "regionCode": region,
                    "servicecode": service,
                    "operation": "",
                },
                "sku": sku,
            },
            "serviceCode": service,
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": dims,
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261201091500",
            "publicationDate": PUBLISHED,
        }
    )


class PricingFake(ModelChecked):
    params_key: ClassVar[str] = _CTX

    def __init__(self, fault: tuple[str, str] | None = None) -> None:
        self.fault = fault  # every call answers this error
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[str] = []

    def install(self, raw_client: Any) -> PricingFake:
        events = raw_client.meta.events
        events.register("before-parameter-build.pricing.GetProducts", self._check_request)
        events.register("before-call.pricing.GetProducts", self._answer)
        return self

    def client(self) -> Any:
        """A boto3 pricing client in us-east-1 answered by this fake."""
        client = boto3.client("pricing", region_name="us-east-1")
        self.install(client)
        return client

    def handlers(self) -> Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {"GetProducts": self._get_products}

    def _get_products(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.fault is not None:
            raise Fault(*self.fault)
        terms = {f["Field"]: f["Value"] for f in params.get("Filters", [])}
        for f in params.get("Filters", []):
            if f["Type"] != "TERM_MATCH":
                raise Fault("InvalidParameterException", "only TERM_MATCH in this fake")
        region = terms.get("regionCode", "")  # absent: the products of no region
        found = [
            product(region, key, tiers)
            for key, tiers in CATALOG.items()
            if key[0] == params["ServiceCode"]
            and terms.get("productFamily", key[1]) == key[1]
            and (region == "" if key in GLOBAL else region in PREFIX)
        ]
        return {"FormatVersion": "aws_v1", "PriceList": found[: params.get("MaxResults", 100)]}
