"""HTTPS on the app's own domain through the CLI against the moto server:
configs/https.yaml creates the certificate, its validation records, the HTTPS listener,
the redirect and the alias records; `status` shows the https URL; a second `up` makes no
mutating call; another alias adds one name (a new certificate, the listener switched,
the old one deleted after); `down` leaves the zone's record sets exactly as before; a
record already present under another owner is refused (exit 3) and nothing is created.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from conftest import CONFIGS, run_cli

pytestmark = pytest.mark.e2e
REGION = "us-west-2"


@pytest.fixture(scope="module", autouse=True)
def certificates_issued_at_once() -> Iterator[None]:
    """The emulator (started after this, for the module) issues certificates at once:
    moto keeps one PENDING_VALIDATION for MOTO_ACM_VALIDATION_WAIT seconds (60)."""
    before = os.environ.get("MOTO_ACM_VALIDATION_WAIT")
    os.environ["MOTO_ACM_VALIDATION_WAIT"] = "0"
    yield
    if before is None:
        os.environ.pop("MOTO_ACM_VALIDATION_WAIT", None)
    else:
        os.environ["MOTO_ACM_VALIDATION_WAIT"] = before


def client(url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url)


def zone(url: str, name: str) -> str:
    r53 = client(url, "route53")
    found = [z["Id"] for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == name + "."]
    if found:
        return str(found[0])
    return str(r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"])


def record_sets(url: str, zone_id: str) -> list[dict[str, Any]]:
    return client(url, "route53").list_resource_record_sets(HostedZoneId=zone_id)[
        "ResourceRecordSets"
    ]


def certificates(url: str) -> list[dict[str, Any]]:
    acm = client(url, "acm")
    return [
        acm.describe_certificate(CertificateArn=c["CertificateArn"])["Certificate"]
        for c in acm.list_certificates()["CertificateSummaryList"]
    ]


def listeners(url: str, name: str) -> dict[int, dict[str, Any]]:
    elbv2 = client(url, "elbv2")
    lbs = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
    found = elbv2.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Listeners"]
    return {li["Port"]: li for li in found}


def mutating_calls(stderr: str) -> list[str]:
    calls = [ln.split()[-1] for ln in stderr.splitlines() if ln.startswith("aws ")]
    assert calls, "-v logged no AWS calls"
    return [c for c in calls if not c.split(":")[1].startswith(("Describe", "List", "Get"))]


def test_https_up_status_alias_down(moto_server: str, tmp_path: Path) -> None:
    config = str(CONFIGS / "https.yaml")
    zone_id = zone(moto_server, "example.com")
    before = record_sets(moto_server, zone_id)

    verified = run_cli(moto_server, "verify", config)
    assert verified.returncode == 0, verified.stderr
    assert "app.example.com: zone example.com" in verified.stdout  # what verify is for

    first = run_cli(moto_server, "up", config, "--yes", "--no-wait")
    assert first.returncode == 0, first.stderr
    assert "https://app.example.com" in first.stdout  # the summary
    (cert,) = certificates(moto_server)
    assert cert["Status"] == "ISSUED"
    assert set(cert["SubjectAlternativeNames"]) == {"app.example.com", "www.example.com"}
    by_port = listeners(moto_server, "shop-dev")
    assert by_port[443]["Certificates"][0]["CertificateArn"] == cert["CertificateArn"]
    assert by_port[80]["DefaultActions"][0]["RedirectConfig"]["StatusCode"] == "HTTP_301"
    sets = {(s["Name"], s["Type"]) for s in record_sets(moto_server, zone_id)}
    for name in ("app.example.com.", "www.example.com."):
        assert (name, "A") in sets and (name, "AAAA") in sets
    validation = {o["ResourceRecord"]["Name"] for o in cert["DomainValidationOptions"]}
    assert all((name, "CNAME") in sets for name in validation)

    status = run_cli(moto_server, "status", config, "--output", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["url"] == "https://app.example.com"

    again = run_cli(moto_server, "-v", "up", config, "--no-wait")
    assert again.returncode == 0, again.stderr
    assert "No changes" in again.stdout  # the plan
    assert mutating_calls(again.stderr) == []

    more = tmp_path / "https.yaml"
    more.write_text(
        Path(config).read_text().replace("[www.example.com]", "[www.example.com, shop.example.com]")
    )
    changed = run_cli(moto_server, "-v", "up", str(more), "--yes", "--no-wait")
    assert changed.returncode == 0, changed.stderr
    (new,) = certificates(moto_server)
    assert new["CertificateArn"] != cert["CertificateArn"]
    assert "shop.example.com" in new["SubjectAlternativeNames"]
    assert (
        listeners(moto_server, "shop-dev")[443]["Certificates"][0]["CertificateArn"]
        == (new["CertificateArn"])
    )
    calls = [c.split(":")[1] for c in mutating_calls(changed.stderr)]
    assert calls.index("RequestCertificate") < calls.index("ModifyListener")
    assert calls.index("ModifyListener") < calls.index("DeleteCertificate")

    down = run_cli(moto_server, "down", str(more), "--yes")
    assert down.returncode == 0, down.stderr
    assert record_sets(moto_server, zone_id) == before
    assert certificates(moto_server) == []


def test_a_record_of_another_owner_is_refused(moto_server: str, tmp_path: Path) -> None:
    zone_id = zone(moto_server, "example.net")
    client(moto_server, "route53").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "www.example.net",
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "elsewhere.example.org"}],
                    },
                }
            ]
        },
    )
    before = record_sets(moto_server, zone_id)
    config = tmp_path / "taken.yaml"
    config.write_text(
        (CONFIGS / "https.yaml")
        .read_text()
        .replace("app: shop", "app: taken")
        .replace("example.com", "example.net")
    )
    verified = run_cli(moto_server, "verify", str(config))
    assert verified.returncode == 1
    assert "www.example.net: a CNAME record already exists" in verified.stdout

    refused = run_cli(moto_server, "-v", "up", str(config), "--yes", "--no-wait")
    assert refused.returncode == 3, refused.stderr
    assert "www.example.net" in refused.stderr
    assert mutating_calls(refused.stderr) == []
    assert record_sets(moto_server, zone_id) == before
    assert certificates(moto_server) == []
