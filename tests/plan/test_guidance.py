"""`plan`'s sizing warnings: a model server in too little memory, an expensive autoscaling
ceiling, a production service without a second task; and none for a sensible spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli
from ecsdeploy.plan.cost import task_monthly
from ecsdeploy.plan.guidance import HIGH_SCALE_MONTHLY, advise
from ecsdeploy.spec import parse_spec

from conftest import CONFIGS, spec_text

SPEC = """\
app: shop
env: {env}
region: us-west-2
services:
  api:
    image: repo/api:1
    port: 8000
    cpu: {cpu}
    memory: {memory}
    env:
      {env_key}: s3://models/iris.joblib
    {scaling}
"""


def _advice(
    env: str = "dev",
    cpu: int = 512,
    memory: int = 1024,
    env_key: str = "DATA_URI",
    scaling: str = "count: 2",
) -> list[str]:
    text = SPEC.format(env=env, cpu=cpu, memory=memory, env_key=env_key, scaling=scaling)
    return advise(parse_spec(text, "t.yaml"))


def test_a_sensible_spec_gets_no_advice() -> None:
    assert _advice() == []


def test_a_model_server_in_512_mib_is_warned() -> None:
    [warning] = _advice(cpu=256, memory=512, env_key="MODEL_URI")
    assert "api looks like it serves a model (env MODEL_URI)" in warning
    assert "512 MiB" in warning and "1024" in warning
    assert _advice(cpu=256, memory=512) == []  # no sign of a model: no guess


def test_an_artifact_reference_also_marks_a_model_server() -> None:
    text = spec_text() + "artifacts:\n  model:\n    source: m.joblib\n"
    text = text.replace("      API_URL:", "      WEIGHTS: ${artifacts.model.uri}\n      API_URL:")
    warnings = advise(parse_spec(text, "t.yaml"))
    assert any("ui looks like it serves a model (env WEIGHTS)" in w for w in warnings)


def test_a_costly_autoscaling_ceiling_is_warned() -> None:
    per_task = task_monthly("us-west-2", 4096, 8192)
    tasks = int(HIGH_SCALE_MONTHLY // per_task) + 1
    scaling = f"autoscaling: {{min: 2, max: {tasks}, cpu: 70}}"
    [warning] = _advice(cpu=4096, memory=8192, scaling=scaling)
    assert f"api can scale out to {tasks} tasks" in warning
    assert f"${tasks * per_task:,.2f}/month" in warning
    assert _advice(cpu=4096, memory=8192, scaling="autoscaling: {min: 2, max: 2, cpu: 70}") == []


@pytest.mark.parametrize("env", ["prod", "production"])
def test_one_task_in_production_is_warned(env: str) -> None:
    [warning] = _advice(env=env, scaling="count: 1")
    assert f"api runs 1 task in env {env}" in warning and "count: 2" in warning
    [scaled] = _advice(env=env, scaling="autoscaling: {min: 1, max: 3, cpu: 70}")
    assert "autoscaling.min: 2" in scaled
    assert _advice(env="staging", scaling="count: 1") == []


def test_plan_prints_the_advice_and_puts_it_in_json(
    aws: None, no_preflight: None, tmp_path: Path
) -> None:
    text = (CONFIGS / "hardened.yaml").read_text().replace("count: 2", "count: 1")
    for name in ("api", "ui"):
        text = text.replace(f"build: ../examples/{name}", f"image: repo/{name}:1.0")
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(text)
    runner = CliRunner()
    result = runner.invoke(cli.app, ["plan", str(spec)])
    assert result.exit_code == 0, result.output
    assert "sizing: ui runs 1 task in env prod" in " ".join(result.stdout.split())
    out = json.loads(runner.invoke(cli.app, ["plan", str(spec), "-o", "json"]).stdout)
    assert [w for w in out["warnings"] if w.startswith("ui runs 1 task")]
