"""The executable's fast exit keeps the exit status and the output of every command."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecsdeploy.entry import exit_status


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), ("message", 1)])
def test_exit_status_is_what_the_interpreter_would_use(code: object, status: int) -> None:
    assert exit_status(code) == status


def test_output_and_status_survive_the_fast_exit(tmp_path: object) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "ecsdeploy", "--version"], capture_output=True, text=True
    )
    assert ok.returncode == 0
    assert ok.stdout.strip()  # flushed before os._exit
    bad = subprocess.run(
        [sys.executable, "-m", "ecsdeploy", "validate", "/nonexistent/spec.yaml"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "no such file" in bad.stderr


def test_help_loads_no_heavy_module() -> None:
    """`ecsdeploy --help` (and `validate`'s start) imports neither the AWS SDK, docker-py,
    nor the spec's models: what a command needs is loaded when it runs (the CLI reads
    its defaults from cli/state.py, not from ops/)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.argv = ['ecsdeploy', '--help']\n"
        "import ecsdeploy.cli.app\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'docker', 'pydantic') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def _loaded_by(argv: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with ``prefixes`` that ``ecsdeploy ARGV`` has imported when it
    makes its first AWS call (the process stops there; AWS_ENDPOINT_URL points nowhere)."""
    code = (
        "import os, sys\n"
        "def stop(event, args):\n"
        "    if event == 'socket.connect':\n"
        f"        found = sorted(m for m in sys.modules if m.startswith({prefixes!r}))\n"
        "        sys.stdout.write(repr(found)); sys.stdout.flush(); os._exit(0)\n"
        "sys.addaudithook(stop)\n"
        # threads hand over at blocking I/O only: the main thread's imports that follow
        # the first read do not race it to the socket
        "sys.setswitchinterval(100)\n"
        f"sys.argv = ['ecsdeploy', *{argv!r}]\n"
        "from ecsdeploy.entry import main\n"
        "main()\n"
    )
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.startswith("["), done.stdout + done.stderr
    found: list[str] = ast.literal_eval(done.stdout)
    return found


@pytest.mark.parametrize("command", ["plan", "up", "status"])
def test_first_call_goes_out_before_other_commands_and_rich_load(command: str) -> None:
    """Before `plan`'s, `up`'s or `status`'s first AWS call, only that command's module
    is imported (cli/app.py registers commands by name), neither the resource kinds (the
    first read goes out before them: cli.shared.reach), rich nor boto3 (the consoles are
    made on first access; clients come from botocore directly)."""
    spec = str(Path(__file__).resolve().parents[2] / "configs" / "example.yaml")
    # ops.gc (and through it the down use case and every resource kind): `up`'s --ttl
    # check needs it only when --ttl is given
    heavy = (
        "ecsdeploy.cli.commands.",
        "ecsdeploy.ops.gc",
        "ecsdeploy.resources.registry",
        "rich",
        "boto3",
    )
    loaded = _loaded_by([command, spec], heavy)
    assert loaded == [f"ecsdeploy.cli.commands.{command}"]


def test_every_command_module_is_registered() -> None:
    """Each command function of cli/commands/ has its line in ``COMMANDS``, and each line
    names a function that exists."""
    import importlib

    from ecsdeploy.cli.app import COMMANDS

    for name, where in COMMANDS.items():
        module, function = where.split(":")
        loaded = importlib.import_module(f"ecsdeploy.cli.commands.{module}")
        assert callable(getattr(loaded, function)), name
    modules = {where.split(":")[0] for where in COMMANDS.values()}
    folder = Path(__file__).resolve().parents[2] / "src" / "ecsdeploy" / "cli" / "commands"
    assert modules == {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
