"""Problems found in a spec file, each tied to a file, line and key path, with a fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where it is, what is wrong, and how to fix it."""

    path: str  # dotted key path, e.g. "services.api.memory"; "" for the whole file
    message: str
    file: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class SpecError(Exception):
    """The spec could not be loaded; carries one Problem per thing wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(SpecError):
    """The command line names what is not there (a spec file, a service of the spec): a
    usage error, not a problem in the spec."""
