"""The ``ecsdeploy`` executable: runs the command line, then exits at once.

Tearing the interpreter down after a command (freeing botocore's parsed service models,
one per AWS client) takes longer than many commands' own work: about 0.7 s on a 2-core
machine. The command has finished by then (output written, locks released, thread pools
joined), so this flushes the output, runs the exit handlers and leaves with ``os._exit``.
"""

from __future__ import annotations

import atexit
import os
import sys


def exit_status(code: object) -> int:
    """What the interpreter would exit with for ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1


def main() -> None:
    # pydantic looks for plugins in every installed distribution's entry points when the
    # first model is built (about 10 ms, more with more packages installed); ecsdeploy
    # uses none. A value the user set is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from ecsdeploy.cli.app import main as run

    try:
        run()
        status = 0
    except SystemExit as exc:
        status = exit_status(exc.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 1  # e.g. stdout was a closed pipe: what Python reports too
    atexit._run_exitfuncs()
    os._exit(status)
