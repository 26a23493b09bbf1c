"""examples/github-actions/preview.yml: a preview env per pull request (`up --env pr-N
--ttl`), removed on close (`down`), and a nightly `gc`; every ecsdeploy command it runs
parses with the CLI's real options, and what it reads of `up`'s JSON is there."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer.main
import yaml

from ecsdeploy.cli import app as cli
from ecsdeploy.output.summary import up_json
from ecsdeploy.plan.model import Plan
from ecsdeploy.reconcile.report import Phases

from conftest import ROOT

WORKFLOW = ROOT / "examples" / "github-actions" / "preview.yml"


def load() -> dict[str, object]:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return dict(data)


def ecsdeploy_commands(job: dict[str, Any]) -> list[list[str]]:
    """The ecsdeploy command lines of a job's steps, without comments and redirections."""
    found = []
    for step in job["steps"]:
        for line in str(step.get("run", "")).splitlines():
            command = line.split("#")[0].split(" > ")[0].split("2>&1")[0].strip()
            if command.startswith("ecsdeploy "):
                found.append(shlex.split(command)[1:])
    return found


def test_triggers_and_jobs() -> None:
    data = load()
    on = data["on"]
    assert isinstance(on, dict)
    assert {"opened", "synchronize", "closed"} <= set(on["pull_request"]["types"])
    assert on["schedule"][0]["cron"]
    jobs = data["jobs"]
    assert isinstance(jobs, dict)
    assert "closed" in jobs["remove"]["if"] and "!= 'closed'" in jobs["preview"]["if"]
    assert "schedule" in jobs["gc"]["if"]
    assert "pull_request.number" in str(data["env"])


def test_commands_parse_with_the_cli(tmp_path: Path) -> None:
    jobs = load()["jobs"]
    assert isinstance(jobs, dict)
    preview, remove, gc = (ecsdeploy_commands(jobs[n]) for n in ("preview", "remove", "gc"))
    assert any(c[0] == "up" and "--ttl" in c and "--env" in c and "--yes" in c for c in preview)
    assert any(c[0] == "down" and "--env" in c and "--yes" in c for c in remove)
    assert any(c[0] == "gc" and "--yes" in c for c in gc)
    assert any(c[0] == "gc" and "--dry-run" in c for c in gc)
    group = typer.main.get_command(cli.app)
    for args in preview + remove + gc:
        command = group.get_command(None, args[0])  # type: ignore[attr-defined,arg-type]
        assert command is not None, args
        words = [str(tmp_path / "ecsdeploy.yaml") if w == "$CONFIG" else w for w in args[1:]]
        command.make_context(args[0], words)  # raises on an unknown option or bad value


def test_the_url_it_reads_is_in_ups_json() -> None:
    """The workflow reads `.urls[0]` of `up --output json`."""
    assert ".urls[0]" in WORKFLOW.read_text()
    data = up_json({}, Plan([]), [], Phases(), ["http://x"], [], True, False)
    assert data["urls"] == ["http://x"]
