"""The consoles: what a command is for (the plan, the status table, the summary) on
stdout (``out``), progress and diagnostics on stderr (``err``), machine output as plain
JSON on stdout (``print_json``; then nothing else goes to stdout).

rich is imported when a console is first used, not with this module: `plan`'s and
`up`'s first AWS call goes out before they print anything. ``err`` and ``out`` are made on
first access (the module's ``__getattr__``) as real rich consoles and kept as the module's
own attributes from then on, so ``from ecsdeploy.output.console import err`` gives a rich
console as ever; the modules on a command's way to its first call write
``consoles.err`` (``from ecsdeploy.output import console as consoles``) instead, which
defers it. ``escape`` imports rich's when called."""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# Without a terminal (a pipe, a file, CI logs) tables are drawn this wide rather than at
# rich's 80 columns, unless COLUMNS says otherwise: `status > status.txt` keeps a row a line.
WIDE = 200


def _console(stderr: bool) -> Console:
    from rich.console import Console, ConsoleDimensions

    class _Console(Console):
        """A rich console that is wide when it writes to no terminal (see ``WIDE``)."""

        @property
        def size(self) -> ConsoleDimensions:
            found = super().size
            if self._width is None and "COLUMNS" not in os.environ and not self.is_terminal:
                return ConsoleDimensions(WIDE, found.height)
            return found

        @size.setter
        def size(self, new_size: tuple[int, int]) -> None:
            self._width, self._height = new_size

    # emoji off: ":secret:" in a Secrets Manager ARN must print as written, not as an emoji
    return _Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False)


_making = threading.Lock()
err: Console  # progress and diagnostics (stderr), made on first access
out: Console  # what the command is for (stdout), made on first access


def __getattr__(name: str) -> Any:
    """``err`` and ``out``, made when first asked for (PEP 562)."""
    if name not in ("err", "out"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _making:  # one console each, whichever thread asks first
        made = globals().get(name)
        if made is None:
            made = globals()[name] = _console(stderr=name == "err")
    return made


def escape(markup: str) -> str:
    """rich's ``escape``: ``markup`` printed as written, not read as console markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(markup)


def print_json(data: Any) -> None:
    """Machine output: plain JSON on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def stdin_is_interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def short_id(ident: str) -> str:
    """ARNs are long: show the last part of the resource (its name or id)."""
    if not ident.startswith("arn:"):
        return ident
    resource = ident.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1] or resource
