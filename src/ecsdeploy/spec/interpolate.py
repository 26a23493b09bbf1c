"""Environment variables in the spec: ``${env.NAME}`` and ``${env.NAME:-default}``.

CI passes what changes per run (an image tag, a domain) through the environment:
``image: registry/api:${env.TAG}``. Every string value of the spec may use it; the value
is substituted before validation, so the checks and the plan see the result. An unset
variable without a default is a problem on the line that names it, reported with the
others. ``${services...}`` (``.url``; ``.internal_url``, see ``spec.internal``) and
``${artifacts...}`` references are left for later stages, checked with the spec.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ecsdeploy.spec.yaml_source import Path

ENV_REF = re.compile(r"\$\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*(?::-([^}]*))?\}")


def interpolate(data: Any, environ: Mapping[str, str]) -> tuple[Any, list[tuple[Path, str]]]:
    """``data`` with every ``${env.X}`` replaced, and the problems found (path, message)."""
    problems: list[tuple[Path, str]] = []
    return _walk(data, (), environ, problems), problems


def _walk(value: Any, path: Path, environ: Mapping[str, str], problems: list[Any]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, k), environ, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), environ, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _substitute(value, path, environ, problems)
    return value


def _substitute(text: str, path: Path, environ: Mapping[str, str], problems: list[Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = environ.get(name)
        if found is not None and (found != "" or default is None):
            return found
        if default is not None:  # ${env.X:-d}: d when X is unset or empty, as in a shell
            return default
        problems.append(
            (
                path,
                f"${{env.{name}}} is not set; set the environment variable {name} (e.g. "
                f"export {name}=...), or give a default: ${{env.{name}:-value}}",
            )
        )
        return match.group(0)

    return ENV_REF.sub(one, text)
