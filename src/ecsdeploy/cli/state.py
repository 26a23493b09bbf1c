"""The options every command shares (``--profile``, ``--region``, ``-v``), set once by the
app's callback and read by the commands and the seams."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# the spec a command reads when none is named (as ops.target.DEFAULT_CONFIG: the CLI does
# not import ops before a command runs, so that --help stays fast)
DEFAULT_CONFIG = Path("ecsdeploy.yaml")


@dataclass
class Globals:
    profile: str | None = None
    region: str | None = None
    verbose: bool = False
    # what the command named, for hints that repeat it (cli.hints)
    config: Path | None = None
    app: str | None = None
    env: str | None = None


STATE = Globals()
