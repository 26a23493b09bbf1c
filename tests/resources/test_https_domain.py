"""HTTPS on the app's own domain (``load_balancer.domain``), in-process on moto: the
certificate, its validation records, the HTTPS listener with the redirect, the alias
records; a second `up` changes nothing; another alias makes a new certificate, switches
the listener to it and deletes the old one after; `down` leaves the zone as it was; a
record someone else owns stops `up` before any change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from ecsdeploy.plan.planner import OwnershipConflict
from ecsdeploy.reconcile.status import app_urls
from ecsdeploy.resources import keys

from conftest import Harness

REGION = "us-west-2"
SPEC = """\
app: shop
env: dev
region: us-west-2
network:
  azs: 2
  nat: none
  endpoints: [s3, ecr.api, ecr.dkr, logs]
load_balancer:
  domain: app.example.com
  aliases: [{aliases}]
services:
  web:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/web:v1
    port: 8080
    route: /*
  api:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v1
    port: 8000
    route: {{host: api.example.com}}
    env:
      SELF: ${{services.web.url}}
"""


def spec(*aliases: str) -> str:
    return SPEC.format(aliases=", ".join(aliases))


@pytest.fixture
def zone(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 0)
    r53 = boto3.client("route53", region_name=REGION)
    yield r53.create_hosted_zone(Name="example.com", CallerReference="zone")["HostedZone"]["Id"]


def record_sets(zone: str) -> list[dict[str, Any]]:
    r53 = boto3.client("route53", region_name=REGION)
    return r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]


def certificates() -> list[dict[str, Any]]:
    acm = boto3.client("acm", region_name=REGION)
    return [
        acm.describe_certificate(CertificateArn=c["CertificateArn"])["Certificate"]
        for c in acm.list_certificates()["CertificateSummaryList"]
    ]


def listeners() -> dict[int, dict[str, Any]]:
    elbv2 = boto3.client("elbv2", region_name=REGION)
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    found = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    return {li["Port"]: li for li in found}


def test_up_serves_https_on_the_domain_then_down_leaves_the_zone(
    harness: Harness, zone: str
) -> None:
    before = record_sets(zone)
    result: Any = harness.up(spec("www.example.com"))

    (cert,) = certificates()
    assert cert["Status"] == "ISSUED"
    assert set(cert["SubjectAlternativeNames"]) == {
        "app.example.com",
        "www.example.com",
        "api.example.com",
    }
    by_listener = listeners()
    assert by_listener[443]["Certificates"][0]["CertificateArn"] == cert["CertificateArn"]
    assert by_listener[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    redirect = by_listener[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"

    sets = {(s["Name"], s["Type"]): s for s in record_sets(zone)}
    for name in ("app", "www", "api"):
        for record_type in ("A", "AAAA"):
            alias = sets[(f"{name}.example.com.", record_type)]["AliasTarget"]
            assert "elb" in alias["DNSName"].lower()
            assert (f"_ecsdeploy-{record_type.lower()}.{name}.example.com.", "TXT") in sets
    cnames = [s for (n, t), s in sets.items() if t == "CNAME"]
    assert {o["ResourceRecord"]["Name"] for o in cert["DomainValidationOptions"]} <= {
        c["Name"] for c in cnames
    }
    assert app_urls(result.resources)[0] == "https://app.example.com"

    harness.assert_up_changes_nothing(spec("www.example.com"))
    harness.down(spec("www.example.com"))
    assert record_sets(zone) == before
    assert certificates() == []


def test_another_alias_makes_a_new_certificate_and_deletes_the_old_after(
    harness: Harness, zone: str
) -> None:
    harness.up(spec("www.example.com"))
    (old,) = certificates()
    harness.recorder.clear()
    harness.up(spec("www.example.com", "shop.example.com"))
    (new,) = certificates()
    assert new["CertificateArn"] != old["CertificateArn"]
    assert "shop.example.com" in new["SubjectAlternativeNames"]
    assert listeners()[443]["Certificates"][0]["CertificateArn"] == new["CertificateArn"]
    calls = [c.operation for c in harness.recorder.mutating()]
    assert calls.index("ModifyListener") < calls.index("DeleteCertificate")
    assert calls.index("RequestCertificate") < calls.index("ModifyListener")
    sets = {(s["Name"], s["Type"]) for s in record_sets(zone)}
    assert ("shop.example.com.", "A") in sets and ("shop.example.com.", "AAAA") in sets
    harness.assert_up_changes_nothing(spec("www.example.com", "shop.example.com"))


def test_a_record_of_someone_else_stops_up_before_any_change(harness: Harness, zone: str) -> None:
    r53 = boto3.client("route53", region_name=REGION)
    r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "www.example.com",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.1"}],
                    },
                }
            ]
        },
    )
    before = record_sets(zone)
    dep: Any = harness.deployment(spec("www.example.com"))
    with pytest.raises(OwnershipConflict) as refused:
        dep.plan_up()
    assert "www.example.com A" in str(refused.value.conflicts[0])
    assert harness.recorder.mutating() == []
    assert record_sets(zone) == before and certificates() == []


def test_the_certificate_key_follows_the_names() -> None:
    from ecsdeploy.desired.domain import certificate_key
    from ecsdeploy.spec import parse_spec

    one = certificate_key(parse_spec(spec("www.example.com"), "a.yaml"))
    same = certificate_key(parse_spec(spec("www.example.com"), "a.yaml"))
    other = certificate_key(parse_spec(spec("www.example.com", "b.example.com"), "a.yaml"))
    assert one == same != other and one is not None
    assert keys.shape_of(one) == "certificate"


def test_service_urls_are_at_the_domain() -> None:
    from ecsdeploy.desired.load_balancer import service_url
    from ecsdeploy.spec import parse_spec

    parsed = parse_spec(spec("www.example.com"), "a.yaml")
    assert service_url(parsed, "web") == "https://app.example.com"
    assert service_url(parsed, "api") == "https://api.example.com"


def test_plan_shows_the_certificate_and_records(harness: Harness, zone: str) -> None:
    import io

    from rich.console import Console

    from ecsdeploy.output.plan_view import show_plan

    dep: Any = harness.deployment(spec("www.example.com"))
    buffer = io.StringIO()
    show_plan(Console(file=buffer, width=200, color_system=None), dep.plan_up(), "Plan")
    text = buffer.getvalue()
    assert "certificate" in text and "api.example.com, app.example.com, www.example.com" in text
    assert "www.example.com AAAA" in text and "CNAME validating www.example.com" in text


def test_a_stuck_validation_names_the_records_and_a_rerun_waits_again(
    aws: None, fast_timing: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import settings

    r53 = boto3.client("route53", region_name=REGION)
    r53.create_hosted_zone(Name="example.com", CallerReference="zone")
    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 3600)  # never, for this run
    harness = Harness(fast_timing)
    dep: Any = harness.deployment(spec())
    result = dep.apply(dep.plan_up())
    (failed,) = result.failed
    step, error = failed
    assert step.key.startswith("cert/")
    message = str(error)
    assert "PENDING_VALIDATION" in message and "registrar delegates" in message
    assert "_d930b28be6c5927595552b219965053e.app.example.com CNAME" in message
    assert keys.HTTPS_LISTENER not in result.resources  # it waits for the certificate

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 0)  # validated meanwhile
    harness.up(spec())
    assert listeners()[443]["Certificates"]
    harness.assert_up_changes_nothing(spec())


def test_verify_fails_without_the_zone_and_passes_with_it(aws: None) -> None:
    from ecsdeploy.aws.clients import Aws
    from ecsdeploy.plan.preflight.base import Facts
    from ecsdeploy.plan.preflight.domain import check_domain
    from ecsdeploy.spec import parse_spec

    parsed = parse_spec(spec("www.example.com"), "a.yaml")
    facts = Facts(Aws(REGION), "123456789012")
    missing = check_domain(parsed, facts)
    assert {c.status for c in missing} == {"FAIL"}
    assert "no public hosted zone holding app.example.com" in missing[0].detail
    boto3.client("route53", region_name=REGION).create_hosted_zone(
        Name="example.com", CallerReference="zone"
    )
    found = check_domain(parsed, facts)
    assert [c.status for c in found] == ["OK"] * 3
    assert (
        check_domain(
            parse_spec(
                spec().replace("  domain: app.example.com\n", "").replace("  aliases: []\n", ""),
                "b.yaml",
            ),
            facts,
        )
        == []
    )


def test_down_waits_while_aws_still_counts_the_certificate_in_use(
    harness: Harness, zone: str
) -> None:
    """AWS refuses to delete a certificate a listener used until a while after the listener
    is gone (ACM DeleteCertificate: ResourceInUseException); `down` retries, bounded."""
    from faults import Fault, first_n, inject

    before = record_sets(zone)
    harness.up(spec())
    dep: Any = harness.deployment(spec())
    refused = inject(
        dep.aws,
        "acm",
        Fault(
            "DeleteCertificate",
            "ResourceInUseException",
            "Certificate arn:aws:acm:... in account 123456789012 is in use.",
            first_n(3),
        ),
    )
    assert dep.apply(dep.plan_down()).ok
    assert refused.fired == 3
    assert certificates() == [] and record_sets(zone) == before


def test_the_create_waits_for_acm_to_publish_the_validation_records(
    aws: None, fast_timing: Any
) -> None:
    """AWS documents that DescribeCertificate may lack ``ResourceRecord`` for a few seconds
    after RequestCertificate (moto has it at once): the create waits for every name's."""
    from dataclasses import replace

    from ecsdeploy.resources.acm_certificate import CertificateProps
    from ecsdeploy.resources.base import Desired

    harness = Harness(fast_timing)
    dep: Any = harness.deployment(spec())
    left = [2]

    def not_yet(parsed: dict[str, Any], **_: Any) -> None:
        if left[0] > 0:
            left[0] -= 1
            for option in parsed["Certificate"].get("DomainValidationOptions", []):
                option.pop("ResourceRecord", None)

    dep.aws.client("acm").raw.meta.events.register("after-call.acm.DescribeCertificate", not_yet)
    notes: list[str] = []
    handler = dep.handlers["acm.certificate"]
    handler = handler.using(replace(handler.ctx, note=notes.append))
    names = frozenset({"app.example.com", "www.example.com"})
    props = CertificateProps(domain="app.example.com", names=names, status="ISSUED")
    want = Desired("acm.certificate", "cert/0a", "app.example.com", props)
    created = handler.create(want, props)
    assert left == [0]
    assert any("ACM to publish the validation records" in n for n in notes)
    assert created.attrs["validation_name:www.example.com"].endswith(".www.example.com")
