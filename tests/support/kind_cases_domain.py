"""Lifecycle cases for the custom-domain kinds: the ACM certificate and the Route 53
record (``CASES`` holds one dict per kind with the fields of
``test_resource_kinds.Case``). moto keeps a requested certificate PENDING_VALIDATION for
``settings.ACM_VALIDATION_WAIT`` seconds: the case wants it so (its wait for ISSUED is
tested in tests/resources/test_https_domain.py)."""

from __future__ import annotations

from typing import Any

import boto3

REGION = "us-west-2"
Refs = dict[str, str]


def _zone() -> Refs:
    r53 = boto3.client("route53", region_name=REGION)
    zone = r53.create_hosted_zone(Name="kinds.example.com", CallerReference="kinds")
    return {"zone": zone["HostedZone"]["Id"]}


def _certificate(*names: str) -> Any:
    def props(refs: Refs) -> dict[str, Any]:
        return {"domain": names[0], "names": frozenset(names), "status": "PENDING_VALIDATION"}

    return props


def _record(record_type: str, target: str) -> Any:
    def props(refs: Refs) -> dict[str, Any]:
        return {
            "zone": "kinds.example.com",
            "domain": "www.kinds.example.com",
            "name": "www.kinds.example.com",
            "type": record_type,
            "values": (target,),
            "ttl": 300,
            "alias": None,
        }

    return props


CASES: list[dict[str, Any]] = [
    dict(
        kind="acm.certificate",
        name="app.kinds.example.com",
        setup=dict,
        props=_certificate("app.kinds.example.com", "www.kinds.example.com"),
        replace=_certificate("app.kinds.example.com", "api.kinds.example.com"),
    ),
    dict(
        kind="route53.record",
        name="www.kinds.example.com CNAME",
        setup=_zone,
        props=_record("CNAME", "one.example.net"),
        update=_record("CNAME", "two.example.net"),
        replace=_record("TXT", '"text"'),
    ),
]
