"""The JSON of ``plan``, ``status``, ``up`` and ``verify`` has the shape docs/output.md's "Machine
output" section documents: the examples there are parsed and compared, key by key and type
by type, with real output, so documentation and code cannot drift apart. Also: JSON on
stdout only, the human text on stderr.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_up_rollout import FinishedRollout
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams

from conftest import ROOT, spec_text
from faults import Fault

runner = CliRunner()


def documented() -> dict[str, Any]:
    """command -> the JSON example docs/output.md gives for ``ecsdeploy COMMAND --output json``."""
    readme = (ROOT / "docs" / "output.md").read_text()
    section = readme.split("\n## Machine output\n", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"### `ecsdeploy (\w+) --output json`\n.*?```json\n(.*?)```", section, re.S)
    return {command: json.loads(example) for command, example in found}


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def differences(doc: Any, real: Any, path: str = "$") -> list[str]:
    """Where ``real`` does not have the documented shape: missing or extra keys, other
    types (null fits any documented type, and the documented null fits any), and for
    arrays every real element against the documented first one."""
    if doc is None or real is None:
        return []
    if _type(doc) != _type(real):
        return [f"{path}: documented {_type(doc)}, got {_type(real)}"]
    if isinstance(doc, dict):
        out = [f"{path}.{k}: documented, missing" for k in doc.keys() - real.keys()]
        out += [f"{path}.{k}: not documented" for k in real.keys() - doc.keys()]
        for key in doc.keys() & real.keys():
            out += differences(doc[key], real[key], f"{path}.{key}")
        return out
    if isinstance(doc, list) and doc:
        return [d for i, item in enumerate(real) for d in differences(doc[0], item, f"{path}[{i}]")]
    return []


@pytest.fixture
def spec_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(seams, "recorder", CallRecorder)
    path = tmp_path / "ecsdeploy.yaml"
    path.write_text(spec_text())
    return path


def invoke_json(*args: str, stderr: str = "") -> Any:
    """stdout is nothing but the JSON; the text for people (``stderr``) is on stderr."""
    result = runner.invoke(cli.app, [*args, "--output", "json"])
    assert result.exit_code in (0, 1), result.stderr
    assert stderr in result.stderr
    return json.loads(result.stdout)


def test_readme_documents_all_four() -> None:
    # and `history`'s (tests/reconcile/test_releases.py compares it)
    assert sorted(documented()) == ["history", "plan", "status", "up", "verify"]


def test_the_comparison_finds_drift() -> None:
    doc = documented()["status"]
    real = json.loads(json.dumps(doc))
    assert differences(doc, real) == []
    real["services"][0]["cpu"] = 1
    del real["resources"][0]["state"]
    real["deployed"] = "yes"
    assert sorted(differences(doc, real)) == [
        "$.deployed: documented boolean, got string",
        "$.resources[0].state: documented, missing",
        "$.services[0].cpu: not documented",
    ]


def test_real_output_has_the_documented_shapes(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = documented()
    verify = invoke_json("verify", str(spec_file))  # the real checks: some FAIL in moto
    assert {c["status"] for c in verify} >= {"OK", "FAIL"}
    assert differences(doc["verify"], verify) == []

    monkeypatch.setattr(seams, "preflight", lambda target, deployment: [])
    monkeypatch.setattr(seams, "rollout_source", lambda dep: FinishedRollout(dep.aws))
    first = invoke_json("up", str(spec_file), stderr="Plan for mlapp/dev")
    assert first["ok"] is True and first["changed"]["create"] == len(first["steps"]) > 10
    assert {r["state"] for r in first["rollouts"]} == {"done"}
    assert differences(doc["up"], first) == []

    spec_file.write_text(spec_text().replace("memory: 1024", "memory: 2048"))
    plan = invoke_json("plan", str(spec_file))
    assert [s["action"] for s in plan["steps"]] == ["update", "update"]
    assert differences(doc["plan"], plan) == []

    second = invoke_json("up", str(spec_file), stderr="Plan for mlapp/dev")
    assert second["changed"] == {"create": 0, "update": 2, "replace": 0, "delete": 0}
    assert [r["service"] for r in second["rollouts"]] == ["api"]
    phases = second["phases"]
    assert list(phases) == ["verify", "plan", "build", "push", "infrastructure", "rollout"]
    assert phases["verify"] is not None and phases["build"] is None  # no build: images given
    assert phases["infrastructure"] > 0 and phases["rollout"] >= 0
    assert differences(doc["up"], second) == []

    unchanged = invoke_json("up", str(spec_file), stderr="Plan for mlapp/dev")
    assert unchanged["ok"] is True and unchanged["steps"] == [] and unchanged["rollouts"] == []
    assert differences(doc["up"], unchanged) == []

    status = invoke_json("status", str(spec_file))
    assert status["deployed"] is True and len(status["services"]) == 2
    assert differences(doc["status"], status) == []


class FaultyRecorder(CallRecorder):
    """Records calls and answers CreateLoadBalancer with AccessDenied (see faults.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.fault = Fault("CreateLoadBalancer", "AccessDenied", "not allowed", lambda: True)

    def _before_call(self, model: Any, **kwargs: Any) -> Any:
        super()._before_call(model, **kwargs)
        return self.fault(model, **kwargs)


def test_up_json_reports_a_failed_step(
    aws: None, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seams, "preflight", lambda target, deployment: [])
    monkeypatch.setattr(seams, "recorder", FaultyRecorder)
    result = runner.invoke(cli.app, ["up", str(spec_file), "--no-wait", "-o", "json"])
    assert result.exit_code == 1
    assert "failed: elbv2.load_balancer mlapp-dev" in result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["interrupted"] is False
    failed = [s for s in data["steps"] if s["state"] == "failed"]
    assert [s["key"] for s in failed] == ["lb"] and "not allowed" in failed[0]["error"]
    assert any(s["state"] == "not_started" for s in data["steps"])
    assert differences(documented()["up"], data) == []
