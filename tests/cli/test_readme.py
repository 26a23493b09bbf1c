"""The README's commands work as written: its emulator walk-through is run, line by line,
against a moto server (the one the README starts, on a free port instead of 5000)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.e2e


def _emulator_commands() -> list[list[str]]:
    """The `ecsdeploy ...` lines of the README's emulator section, as argument lists."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A first deploy, against the emulator", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "the emulator section has no bash block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("ecsdeploy ")]


def test_the_readme_walk_through_runs(moto_server: str) -> None:
    commands = _emulator_commands()
    assert [c[0] for c in commands] == ["validate", "plan", "up", "status", "down"]
    keys = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    for args in commands:
        args = [str(ROOT / a) if a.startswith("configs/") else a for a in args]
        done = run_cli(moto_server, *args, AWS_DEFAULT_REGION="us-west-2", **keys)
        assert done.returncode == 0, f"ecsdeploy {' '.join(args)}:\n{done.stdout}{done.stderr}"
        if args[0] == "status":
            assert "web" in done.stdout + done.stderr


def test_the_docs_links_resolve() -> None:
    """Every relative link in README.md and docs/*.md names a file that exists."""
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            external = target.startswith(("http://", "https://", "mailto:"))
            if not external and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_the_readme_stays_short() -> None:
    """Reference goes to docs/: the README is what a user needs to start."""
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200
    assert Path(ROOT / "docs" / "architecture.md").is_file()
