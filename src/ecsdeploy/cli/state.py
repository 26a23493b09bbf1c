"""The options every command shares (``--profile``, ``--region``, ``-v``), set once by the
app's callback and read by the commands and the seams."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Globals:
    profile: str | None = None
    region: str | None = None
    verbose: bool = False


STATE = Globals()
