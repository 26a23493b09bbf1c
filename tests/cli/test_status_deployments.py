"""`status` of a deployment moving load-balancer traffic: a paused one says so, with the
URL that reaches the new revision and the promote/abort commands (with the options in
force); one shifting production traffic says its strategy and the new revision's share.
On moto plus the deployment fake (tests/support/deploy_fake.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.ops.deployment_status import shifting
from ecsdeploy.resources.base import Observed

from conftest import spec_text
from deploy_fake import STAGES, DeployFake, install_on_every_deployment

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


@pytest.fixture
def fake(aws: None, monkeypatch: pytest.MonkeyPatch) -> DeployFake:
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    return install_on_every_deployment(monkeypatch, DeployFake())


def deploy(tmp_path: Path, deploy: str) -> Path:
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text() + deploy)
    first = runner.invoke(cli.app, ["up", str(spec), "--yes"])
    assert first.exit_code == 0, first.stderr
    spec.write_text(spec_text().replace("api:v1", "api:v2") + deploy)
    result = runner.invoke(cli.app, ["up", str(spec), "--yes"])
    assert result.exit_code == 0, result.stderr
    return spec


def services(spec: Path) -> dict[str, dict[str, Any]]:
    result = runner.invoke(cli.app, ["status", str(spec), "--output", "json"])
    assert result.exit_code == 0, result.stderr
    return {s["name"]: s for s in json.loads(result.stdout)["services"]}


def test_a_paused_deployment_shows_where_to_test_and_the_way_on(
    fake: DeployFake, tmp_path: Path
) -> None:
    spec = deploy(tmp_path, "deploy:\n  strategy: blue_green\n  pause_before_traffic: true\n")
    found = services(spec)
    api = found["api"]["deployment"]
    assert api["strategy"] == "blue_green" and api["paused"] is True
    assert api["production_percent"] == 0.0
    assert api["test_url"].startswith("http://") and "/api/?ecsdeploy-test=1" in api["test_url"]
    assert found["ui"]["deployment"] is None  # its image did not change: nothing in progress

    result = runner.invoke(cli.app, ["status", str(spec), "--env", "dev"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "paused (blue_green, before production traffic)" in text
    assert "api is paused before production traffic; test it at http://" in text
    assert f"`ecsdeploy promote {spec} --env dev` sends it production traffic" in text
    assert f"`ecsdeploy abort {spec} --env dev` rolls it back" in text
    dep = fake.deployment_of("api")
    assert dep is not None and dep.hook is not None  # status changed nothing


def test_a_canary_shifting_traffic_shows_its_share(fake: DeployFake, tmp_path: Path) -> None:
    spec = deploy(
        tmp_path,
        "deploy:\n  strategy: canary\n  canary_percent: 10\n  pause_before_traffic: true\n",
    )
    dep = fake.deployment_of("api")
    assert dep is not None and dep.hook is not None and dep.green is not None
    # ECS has sent the canary its share and waits before the rest
    svc = fake.services[dep.service_arn]
    adv = svc.balancers[0]["advancedConfiguration"]
    live = next(g for g in (svc.balancers[0]["targetGroupArn"], adv["alternateTargetGroupArn"])
                if g != dep.green)  # fmt: skip
    fake._set(adv["productionListenerRule"], [(live, 90), (dep.green, 10)])
    # each read moves the fake's deployment a stage on: back to mid-shift before each
    dep.hook, dep.stage = None, STAGES.index("PRODUCTION_TRAFFIC_SHIFT")

    api = services(spec)["api"]["deployment"]
    assert api == {
        "strategy": "canary",
        "paused": False,
        "production_percent": 10.0,
        "test_url": None,
    }
    dep.status, dep.stage = "IN_PROGRESS", STAGES.index("PRODUCTION_TRAFFIC_SHIFT")
    shown = runner.invoke(cli.app, ["status", str(spec)]).stdout
    row = next(line for line in shown.splitlines() if "│ api " in line)
    assert "canary: 10% of traffic on the new revision" in row
    assert "promote" not in shown


def test_only_a_traffic_shifting_rollout_is_read() -> None:
    def service(strategy: str | None, rollout: str, deployments: int = 1) -> Observed:
        props = {"strategy": strategy} if strategy else {}
        attrs = {"rollout": rollout, "deployments": deployments}
        return Observed("ecs.service", "service/api", "arn", "api", props, attrs)

    assert shifting(service("CANARY", "IN_PROGRESS"))
    assert shifting(service("BLUE_GREEN", "", deployments=2))
    assert not shifting(service("BLUE_GREEN", "COMPLETED"))
    assert not shifting(service("ROLLING", "IN_PROGRESS"))
    assert not shifting(service(None, "IN_PROGRESS"))
