"""examples/github-actions/deploy.yml: the triggers, OIDC credentials, and that every
ecsdeploy command it runs parses with the CLI's real options."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer.main
import yaml

from ecsdeploy.cli import app as cli

from conftest import ROOT

WORKFLOW = ROOT / "examples" / "github-actions" / "deploy.yml"


def load() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def ecsdeploy_commands(job: dict[str, Any]) -> list[list[str]]:
    out = []
    for step in steps(job):
        for line in str(step.get("run", "")).splitlines():
            command = line.split("#")[0].split("2>&1")[0].strip()
            if command.startswith("ecsdeploy "):
                out.append(shlex.split(command)[1:])
    return out


def test_triggers_and_permissions() -> None:
    data = load()
    assert data["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in data["on"]
    assert data["permissions"]["id-token"] == "write"


def test_jobs_use_oidc_role_credentials_and_pip() -> None:
    data = load()
    for name in ("plan", "deploy"):
        job = data["jobs"][name]
        creds = [s for s in steps(job) if "configure-aws-credentials" in s.get("uses", "")]
        assert len(creds) == 1 and "role-to-assume" in creds[0]["with"], name
        assert "aws-access-key-id" not in creds[0]["with"]
        assert any("pip install" in str(s.get("run", "")) for s in steps(job)), name
    assert (
        "push" in data["jobs"]["deploy"]["if"] and "refs/heads/main" in data["jobs"]["deploy"]["if"]
    )
    assert "pull_request" in data["jobs"]["plan"]["if"]


def test_commands_parse_with_the_cli(tmp_path: Path) -> None:
    data = load()
    deploy, plan = (ecsdeploy_commands(data["jobs"][n]) for n in ("deploy", "plan"))
    assert any(c[0] == "up" and "--yes" in c for c in deploy)
    assert any(c[0] == "plan" and "--detailed-exitcode" in c for c in plan)
    group = typer.main.get_command(cli.app)
    for args in deploy + plan:
        command = group.get_command(None, args[0])  # type: ignore[attr-defined,arg-type]
        assert command is not None, args
        words = [str(tmp_path / "ecsdeploy.yaml") if w == "$CONFIG" else w for w in args[1:]]
        command.make_context(args[0], words)  # raises on an unknown option or bad value
