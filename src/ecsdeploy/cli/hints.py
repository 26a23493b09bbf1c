"""Hints that name a command to run carry the options of the run that prints them: the
spec path (or ``--app``), ``--env``, ``--region`` and ``--profile``, so "run `ecsdeploy
unlock`" after `up configs/x.yaml --env qa --region eu-west-1` reads
"run `ecsdeploy unlock configs/x.yaml --env qa --region eu-west-1`". ``command_line``
builds such a command; ``with_options`` completes the commands named in a message written
below the CLI (which knows nothing of the command line)."""

from __future__ import annotations

import re
import shlex

from ecsdeploy.cli.state import DEFAULT_CONFIG, STATE

# the commands that act on a whole app (and take its spec and options)
APP_COMMANDS = ("up", "down", "unlock", "verify", "status", "plan", "wait", "validate")
_NAMED = re.compile(r"`ecsdeploy (" + "|".join(APP_COMMANDS) + r")((?: --?[a-z][\w-]*(?:=\S+)?)*)`")


def command_line(command: str, *extra: str) -> str:
    """``ecsdeploy COMMAND [CONFIG] [--app A] [--env E] [--region R] [--profile P] EXTRA``,
    with the options in force in this run, quoted for a POSIX shell."""
    parts = ["ecsdeploy", command]
    if STATE.config is not None and STATE.config != DEFAULT_CONFIG:
        parts.append(str(STATE.config))
    if STATE.app and command != "validate":
        parts += ["--app", STATE.app]
    if command != "validate":
        if STATE.env:
            parts += ["--env", STATE.env]
        if STATE.region:
            parts += ["--region", STATE.region]
        if STATE.profile:
            parts += ["--profile", STATE.profile]
    parts += extra
    return " ".join(shlex.quote(p) for p in parts)


def with_options(text: str) -> str:
    """``text`` with every "`ecsdeploy CMD [--flag...]`" naming an app command completed
    by ``command_line``."""
    return _NAMED.sub(lambda m: f"`{command_line(m.group(1), *m.group(2).split())}`", text)
