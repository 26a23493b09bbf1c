"""The executable's fast exit keeps the exit status and the output of every command."""

from __future__ import annotations

import subprocess
import sys

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
