"""Preflight checks (``ecsdeploy verify``) against moto, and their rendering."""

from __future__ import annotations

import datetime
import hashlib
import io
import json

import boto3
import pytest
from rich.console import Console

from ecsdeploy.aws import clients
from ecsdeploy.aws.clients import Aws
from ecsdeploy.output.preflight_view import checks_json, show_checks
from ecsdeploy.plan import preflight
from ecsdeploy.plan.preflight import Check, run, secret_id, ssm_parameter_name
from ecsdeploy.spec import Spec, parse_spec

REGION = "us-west-2"
ACCOUNT = "123456789012"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
SSM_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/mlapp/api-token"
AWS_CHECKS = ("secrets", "images", "certificate", "quota-eip", "quota-alb")

SPEC = """\
app: mlapp
env: dev
region: us-west-2
network:
  azs: 2
  nat: {nat}
  endpoints: [{endpoints}]
{load_balancer}
services:
  api:
    image: {api_image}
    port: 8000
    route: /api/*
    health_check: {health}
{secrets}  ui:
    image: {ui_image}
    port: 8501
    route: /*
"""


def make_spec(
    *,
    secrets: dict[str, str] | None = None,
    api_image: str = f"{ECR}/mlapp/api:v1",
    ui_image: str = f"{ECR}/ui:v1",
    health: str = "/api/health",
    certificate: str | None = None,
    nat: str = "single",
) -> Spec:
    if secrets is None:
        secrets = {"API_TOKEN": SSM_ARN}
    lines = "".join(f"      {k}: {json.dumps(v)}\n" for k, v in secrets.items())
    text = SPEC.format(
        nat=nat,
        endpoints="s3, ecr.api, ecr.dkr, logs, ssm, secretsmanager" if nat == "none" else "s3",
        load_balancer=f"load_balancer:\n  certificate_arn: {certificate}" if certificate else "",
        api_image=api_image,
        ui_image=ui_image,
        health=health,
        secrets=f"    secrets:\n{lines}" if secrets else "",
    )
    return parse_spec(text, "test.yaml")


def by_name(checks: list[Check], name: str) -> list[Check]:
    return [c for c in checks if c.name == name]


def one(checks: list[Check], name: str) -> Check:
    rows = by_name(checks, name)
    assert len(rows) == 1, rows
    return rows[0]


def put_image(repo: str, tag: str) -> str:
    """An image in ECR (created with its repository if needed); returns its digest."""
    ecr = boto3.client("ecr", region_name=REGION)
    try:
        ecr.create_repository(repositoryName=repo)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    config_digest = "sha256:" + hashlib.sha256(f"{repo}:{tag}".encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 100,
            "digest": config_digest,
        },
        "layers": [],
    }
    out = ecr.put_image(
        repositoryName=repo,
        imageManifest=json.dumps(manifest),
        imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
        imageTag=tag,
    )
    return str(out["image"]["imageId"]["imageDigest"])


def put_parameter(name: str) -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=name, Value="s3cret", Type="SecureString"
    )


def create_secret(name: str) -> str:
    sm = boto3.client("secretsmanager", region_name=REGION)
    return str(sm.create_secret(Name=name, SecretString='{"password": "x"}')["ARN"])


def issued_certificate() -> str:
    """A self-signed certificate imported into ACM: moto reports it ISSUED at once."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlapp.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("mlapp.example.com")]), False)
        .sign(key, hashes.SHA256())
    )
    acm = boto3.client("acm", region_name=REGION)
    return str(
        acm.import_certificate(
            Certificate=cert.public_bytes(serialization.Encoding.PEM),
            PrivateKey=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )["CertificateArn"]
    )


def requested_certificate() -> str:
    acm = boto3.client("acm", region_name=REGION)
    return str(acm.request_certificate(DomainName="mlapp.example.com")["CertificateArn"])


def render(checks: list[Check]) -> tuple[bool, str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=300, color_system=None, force_terminal=False)
    ok = show_checks(console, checks)
    return ok, buffer.getvalue()


# --- pure helpers --------------------------------------------------------------------


def test_ssm_parameter_name_keeps_the_leading_slash_of_a_path() -> None:
    assert ssm_parameter_name("arn:aws:ssm:r:123456789012:parameter/mlapp/x") == "/mlapp/x"
    assert ssm_parameter_name("arn:aws:ssm:r:123456789012:parameter/plain") == "plain"


def test_secret_id_drops_the_json_key_suffix() -> None:
    arn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:db-AbCdEf"
    assert secret_id(f"{arn}:password::") == arn
    assert secret_id(arn) == arn


# --- all good --------------------------------------------------------------------------


def test_everything_present_is_all_ok(aws: None) -> None:
    put_parameter("/mlapp/api-token")
    put_parameter("plain")
    db = create_secret("mlapp/db")
    put_image("mlapp/api", "v1")
    digest = put_image("ui", "v1")
    spec = make_spec(
        secrets={
            "API_TOKEN": SSM_ARN,
            "PLAIN": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain",
            "DB_PASSWORD": f"{db}:password::",
        },
        ui_image=f"{ECR}/ui@{digest}",
        certificate=issued_certificate(),
    )

    checks = run(spec, Aws(REGION))

    assert [c.name for c in checks] == [
        "credentials",
        *["secrets"] * 3,
        *["images"] * 2,
        "certificate",
        *["health"] * 2,
        "quota-eip",
        "quota-alb",
    ]
    assert all(c.status == "OK" for c in checks), checks
    assert one(checks, "credentials").detail.startswith(f"account {ACCOUNT} as arn:aws:")
    assert "ISSUED" in one(checks, "certificate").detail
    details = " | ".join(c.detail for c in by_name(checks, "secrets"))
    assert "/mlapp/api-token exists" in details and "plain exists" in details
    assert "mlapp/db exists" in details
    assert "0 in use + 1 new for NAT, limit 5" in one(checks, "quota-eip").detail
    assert "0 in use + 1 new, limit 20" in one(checks, "quota-alb").detail

    ok, text = render(checks)
    assert ok
    assert text.splitlines()[0].startswith(f"OK   credentials  account {ACCOUNT}")
    assert checks_json(checks)[0] == {
        "name": "credentials",
        "status": "OK",
        "detail": checks[0].detail,
    }


# --- secrets -------------------------------------------------------------------------


def test_missing_secrets_fail_naming_them(aws: None) -> None:
    put_parameter("/mlapp/api-token")
    gone = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:mlapp/gone-AbCdEf"
    spec = make_spec(
        secrets={
            "API_TOKEN": SSM_ARN,
            "MISSING": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/mlapp/missing",
            "GONE": f"{gone}:password::",
        }
    )
    rows = by_name(run(spec, Aws(REGION)), "secrets")
    status = {r.detail.split(":")[0]: r.status for r in rows}
    assert status == {"api API_TOKEN": "OK", "api MISSING": "FAIL", "api GONE": "FAIL"}
    failed = " | ".join(r.detail for r in rows if r.status == "FAIL")
    assert "/mlapp/missing does not exist" in failed
    assert f"{gone} does not exist" in failed


def test_more_than_ten_parameters_are_read_in_batches(aws: None) -> None:
    secrets = {
        f"S{i:02}": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/mlapp/s{i}" for i in range(12)
    }
    for i in range(11):
        put_parameter(f"/mlapp/s{i}")
    rows = by_name(run(make_spec(secrets=secrets), Aws(REGION)), "secrets")
    assert len(rows) == 12
    assert [r.detail for r in rows if r.status != "OK"] == [
        f"api S11: SSM parameter /mlapp/s11 does not exist in {REGION} (create it, or fix the ARN)"
    ]


def test_secret_in_another_region_warns(aws: None) -> None:
    other = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/mlapp/api-token"
    row = one(run(make_spec(secrets={"API_TOKEN": other}), Aws(REGION)), "secrets")
    assert row.status == "WARN"
    assert "eu-west-1" in row.detail and "api API_TOKEN" in row.detail


def test_no_secrets_is_skipped(aws: None) -> None:
    row = one(run(make_spec(secrets={}), Aws(REGION)), "secrets")
    assert (row.status, row.detail) == ("SKIP", "no secrets in the spec")


# --- images --------------------------------------------------------------------------


def test_missing_image_tag_and_repository_fail(aws: None) -> None:
    put_parameter("/mlapp/api-token")
    put_image("mlapp/api", "v1")
    spec = make_spec(api_image=f"{ECR}/mlapp/api:v2", ui_image=f"{ECR}/nowhere:v1")
    api, ui = by_name(run(spec, Aws(REGION)), "images")
    assert api.status == "FAIL" and "not found in ECR repository mlapp/api" in api.detail
    assert api.detail.startswith(f"api: {ECR}/mlapp/api:v2")
    assert ui.status == "FAIL" and "repository nowhere does not exist" in ui.detail


def test_images_outside_ecr_are_skipped_and_latest_warns(aws: None) -> None:
    put_image("mlapp/api", "latest")
    spec = make_spec(api_image=f"{ECR}/mlapp/api:latest", ui_image="ghcr.io/acme/ui:1.2.3")
    api, ui = by_name(run(spec, Aws(REGION)), "images")
    assert api.status == "WARN"
    assert "exists, but tag 'latest' is mutable" in api.detail
    assert ui.status == "SKIP" and "not in ECR: cannot check" in ui.detail


def test_missing_latest_image_fails_rather_than_warns(aws: None) -> None:
    spec = make_spec(api_image=f"{ECR}/mlapp/api", ui_image="nginx")
    api, ui = by_name(run(spec, Aws(REGION)), "images")
    assert api.status == "FAIL"
    assert ui.status == "WARN" and "not checked" in ui.detail and "'latest'" in ui.detail


# --- certificate ---------------------------------------------------------------------


def test_pending_certificate_fails_with_its_status(aws: None) -> None:
    row = one(run(make_spec(certificate=requested_certificate()), Aws(REGION)), "certificate")
    assert row.status == "FAIL"
    assert "status PENDING_VALIDATION" in row.detail


def test_unknown_certificate_fails(aws: None) -> None:
    arn = requested_certificate()[:-12] + "000000000000"
    row = one(run(make_spec(certificate=arn), Aws(REGION)), "certificate")
    assert row.status == "FAIL" and "does not exist" in row.detail


def test_certificate_of_another_region_fails(aws: None) -> None:
    arn = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
    row = one(run(make_spec(certificate=arn), Aws(REGION)), "certificate")
    assert row.status == "FAIL" and "us-east-1" in row.detail


def test_no_certificate_is_skipped(aws: None) -> None:
    row = one(run(make_spec(), Aws(REGION)), "certificate")
    assert row.status == "SKIP"


# --- health vs route -----------------------------------------------------------------


def test_root_health_check_behind_a_prefix_route_warns(aws: None) -> None:
    api, ui = by_name(run(make_spec(health="/"), Aws(REGION)), "health")
    assert api.status == "WARN"
    assert api.detail.startswith("api: health check path is / but the service is routed at /api/*")
    assert ui.status == "OK"  # / behind /* is fine


# --- credentials ---------------------------------------------------------------------


def test_missing_credentials_fail_and_skip_the_aws_checks(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(clients, "_SESSIONS", {})  # a cached session keeps its credentials

    checks = run(make_spec(health="/"), Aws(REGION))

    cred = one(checks, "credentials")
    assert cred.status == "FAIL"
    assert "no AWS credentials found" in cred.detail and "AWS_PROFILE" in cred.detail
    aws_rows = [c for c in checks if c.name in AWS_CHECKS]
    assert {c.name for c in aws_rows} == set(AWS_CHECKS)
    for row in aws_rows:
        if row.name == "certificate":  # nothing to check: the spec has none
            assert row.status == "SKIP"
        else:
            assert (row.status, row.detail) == ("SKIP", preflight.NO_CREDENTIALS), row
    assert by_name(checks, "health")[0].status == "WARN"  # pure checks still run
    assert render(checks)[0] is False


def test_an_error_in_one_check_does_not_stop_the_others(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_parameter("/mlapp/api-token")
    connected = Aws(REGION)
    real_client = connected.client

    def client(service: str) -> clients.Client:
        if service in ("ecr", "ec2"):
            raise RuntimeError(f"boom in {service}")
        return real_client(service)

    monkeypatch.setattr(connected, "client", client)
    checks = run(make_spec(), connected)
    assert one(checks, "credentials").status == "OK"
    assert one(checks, "secrets").status == "OK"
    for row in by_name(checks, "images"):
        assert row.status == "SKIP" and "boom in ecr" in row.detail
    eip = one(checks, "quota-eip")
    assert eip.status == "SKIP" and "RuntimeError: boom in ec2" in eip.detail
    assert one(checks, "quota-alb").status == "OK"


# --- quotas --------------------------------------------------------------------------


def test_eip_quota_fails_when_the_nat_gateways_would_exceed_it(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    for _ in range(4):
        ec2.allocate_address(Domain="vpc")
    assert one(run(make_spec(nat="single"), Aws(REGION)), "quota-eip").status == "OK"  # 4 + 1

    row = one(run(make_spec(nat="per_az"), Aws(REGION)), "quota-eip")  # 4 + 2 > 5
    assert row.status == "FAIL"
    assert "4 in use + 2 new for NAT, limit 5" in row.detail


def test_eip_quota_counts_the_apps_own_addresses_once(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    for _ in range(4):
        ec2.allocate_address(Domain="vpc")
    ec2.allocate_address(
        Domain="vpc",
        TagSpecifications=[
            {
                "ResourceType": "elastic-ip",
                "Tags": [
                    {"Key": "ecsdeploy:app", "Value": "mlapp"},
                    {"Key": "ecsdeploy:env", "Value": "dev"},
                ],
            }
        ],
    )
    row = one(run(make_spec(nat="single"), Aws(REGION)), "quota-eip")  # a redeploy: 5 + 0
    assert row.status == "OK", row
    assert one(run(make_spec(nat="per_az"), Aws(REGION)), "quota-eip").status == "FAIL"
    assert one(run(make_spec(nat="none"), Aws(REGION)), "quota-eip").status == "OK"


def test_alb_quota_fails_when_the_account_is_full(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    elbv2 = boto3.client("elbv2", region_name=REGION)
    for i in range(20):
        elbv2.create_load_balancer(Name=f"other-{i}", Subnets=subnets, Type="application")
    row = one(run(make_spec(), Aws(REGION)), "quota-alb")
    assert row.status == "FAIL"
    assert "20 in use + 1 new, limit 20" in row.detail


# --- rendering -----------------------------------------------------------------------


def test_view_returns_false_on_any_fail_and_escapes_details() -> None:
    checks = [
        Check("credentials", "OK", "account 1"),
        Check("images", "WARN", "api: [bold]x[/bold]"),
        Check("secrets", "FAIL", "api X: missing"),
        Check("quota-alb", "SKIP", "no credentials"),
    ]
    ok, text = render(checks)
    assert ok is False
    assert text.splitlines() == [
        "OK   credentials  account 1",
        "WARN images       api: [bold]x[/bold]",
        "FAIL secrets      api X: missing",
        "SKIP quota-alb    no credentials",
    ]
    assert render([c for c in checks if c.status != "FAIL"])[0] is True
    assert [d["status"] for d in checks_json(checks)] == ["OK", "WARN", "FAIL", "SKIP"]
