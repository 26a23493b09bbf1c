"""The real-AWS acceptance run's steps (tests/support/aws_acceptance.py), run against the moto
server: the same spec rewriting, CLI runs, tagging-API checks, cost line, cleanup and
Ctrl-C handling that `make e2e-aws` runs on a real account, with prebuilt images, no
waiting for a rollout and no HTTP (the emulator serves nothing)."""

from __future__ import annotations

import http.server
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

import aws_acceptance as acc
from conftest import ROOT

pytestmark = pytest.mark.e2e
REGION = "us-west-2"


@pytest.fixture
def emulator(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3 and the CLI subprocesses (which inherit the environment) talk to moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


def test_the_run_against_the_emulator(emulator: str, tmp_path: Path) -> None:
    lines: list[str] = []
    acc.acceptance_run(REGION, tmp_path, lines.append, prebuilt=True, wait=False, check_http=False)
    assert lines[0].startswith("account 123456789012, region us-west-2, app mlapp, env e2e-")
    assert any(line.startswith("cost: ecsdeploy estimates $") for line in lines), lines
    assert lines[-1] == "down: nothing tagged with the env remains"
    env = lines[0].split()[-1]
    ssm = boto3.client("ssm", region_name=REGION)
    assert ssm.describe_parameters()["Parameters"] == []  # the run's secret is gone too
    spec = (tmp_path / "spec" / "example.yaml").read_text()
    assert f"env: {env}\n" in spec and "parameter/mlapp/" + env in spec


def test_refuses_an_account_that_holds_the_env(emulator: str) -> None:
    env = acc.new_env_name()
    ec2 = boto3.client("ec2", region_name=REGION)
    tags = [{"Key": acc.TAG_APP, "Value": "mlapp"}, {"Key": acc.TAG_ENV, "Value": env}]
    vpc = ec2.create_vpc(
        CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}]
    )["Vpc"]["VpcId"]
    try:
        acc.refuse_if_taken(REGION, acc.new_env_name())  # another env: fine
        with pytest.raises(acc.AccountNotEmpty, match=f"ecsdeploy:env={env} in us-west-2"):
            acc.refuse_if_taken(REGION, env)
    finally:
        ec2.delete_vpc(VpcId=vpc)


def test_cost_line() -> None:
    plan = {"cost": {"after": {"total": 730.0}}}
    assert "$730.00 a month" in acc.cost_line(plan) and "$1.00 an hour" in acc.cost_line(plan)
    assert acc.cost_line({}) == "cost: under $1 an hour while up (the plan gave no estimate)"


@pytest.fixture
def flaky_server() -> Iterator[str]:
    """Answers 503 twice (a load balancer with no healthy target yet), then 200."""
    answers = [503, 503]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answers.pop(0) if answers else 200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_fetch_retries_until_ok_or_the_deadline(flaky_server: str) -> None:
    assert acc.fetch(flaky_server + "/api/health", time.monotonic() + 5, pause=0.05) == (
        200,
        b"ok",
    )
    # nothing listening: the last failure once the deadline passes, not an endless wait
    started = time.monotonic()
    code, _ = acc.fetch("http://127.0.0.1:9/", time.monotonic() + 0.3, pause=0.1)
    assert code == 0 and time.monotonic() - started < 5


def test_ctrl_c_cleans_up_once(emulator: str, tmp_path: Path) -> None:
    """The first Ctrl-C raises KeyboardInterrupt into the run; the cleanup runs once (the
    run's finally and a fixture's finalizer may both call it); the handler is put back."""
    deployment = acc.Deployment(tmp_path, acc.new_env_name(), REGION, "123456789012", "aws")
    deployment.put_secret()
    lines: list[str] = []
    teardown = acc.Teardown(deployment, tmp_path / "logs", lines.append)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), acc.ctrl_c_cleans_up(teardown):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # interrupted
            pytest.fail("no KeyboardInterrupt")
        finally:
            teardown()
            teardown()
    assert signal.getsignal(signal.SIGINT) is before
    assert lines[0].startswith("Ctrl-C: stopping, then `ecsdeploy down --yes`")
    assert teardown.done and teardown.result is None  # no spec written: nothing to `down`
    names = [
        p["Name"]
        for p in boto3.client("ssm", region_name=REGION).describe_parameters()["Parameters"]
    ]
    assert deployment.secret_name not in names


def test_cli_stops_a_command_at_its_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command past its timeout is sent SIGINT (as Ctrl-C) and the run fails saying so."""
    monkeypatch.setattr(acc, "STOP_GRACE", 5)
    slow = ROOT / "configs" / "example.yaml"
    with pytest.raises(acc.CommandTimedOut, match="did not finish within 0s"):
        acc.cli(tmp_path, "validate", str(slow), timeout=0.01)
