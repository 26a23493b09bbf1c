"""Log lines of ``ecsdeploy logs``: the command's output, so on stdout, one line per event.

``HH:MM:SS task-id  message``: the time (local, or UTC with ``utc``), the first 8
characters of the task id (enough to tell a service's tasks apart) and the message exactly
as the container wrote it: never read as rich markup, nor highlighted.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.text import Text

from ecsdeploy.reconcile.service_logs import LogLine

TASK_WIDTH = 8


def stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=True, emoji=False)


class LogPrinter:
    """Prints each ``LogLine`` it is called with."""

    def __init__(self, console: Console | None = None, utc: bool = False) -> None:
        self.console = console if console is not None else stdout_console()
        self.utc = utc

    def format(self, line: LogLine) -> Text:
        moment = time.gmtime(line.time) if self.utc else time.localtime(line.time)
        text = Text()
        text.append(time.strftime("%H:%M:%S", moment), style="dim")
        text.append(" ")
        text.append(f"{line.task[:TASK_WIDTH]:<{TASK_WIDTH}}", style="cyan")
        text.append("  ")
        text.append(line.message)  # a Text: its brackets and colons stay as they are
        return text

    def __call__(self, line: LogLine) -> None:
        # soft_wrap: a long line stays one line (the terminal wraps it, a pipe keeps it whole)
        self.console.print(
            self.format(line), markup=False, highlight=False, emoji=False, soft_wrap=True
        )
