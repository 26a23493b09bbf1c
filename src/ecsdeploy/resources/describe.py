"""Plain-words text for the plan: how a kind shows the values of a create.

Each kind's ``describe`` gives the main attributes a create sets, one ``label: value``
line each; the helpers here are the ones several kinds share. Values that point at another
resource of the app (a ``Ref``) show that resource's name. Secrets show their name and
where the value is read from (a parameter or secret ARN, by reference), never a value: the
plan never holds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ecsdeploy.resources.base import Joined, Ref, Unknown
from ecsdeploy.resources.base import Line as Line  # the kinds' describe() types, re-exported
from ecsdeploy.resources.base import Names as Names


class ContainerProps(Protocol):
    """The props of a kind that runs one container (a task definition, an Express Mode
    service)."""

    @property
    def image(self) -> str: ...
    @property
    def cpu(self) -> str: ...
    @property
    def memory(self) -> str: ...
    @property
    def port(self) -> int | None: ...
    @property
    def env(self) -> Mapping[str, str | Joined]: ...
    @property
    def secrets(self) -> Mapping[str, str]: ...


def value(item: Any, names: Names) -> str:
    """One prop value as short text, with references shown by the name they point at."""
    if isinstance(item, Ref):
        return names.get(item.key, item.key)
    if isinstance(item, Unknown):
        return "(known after apply)"
    if isinstance(item, Joined):
        return "".join(
            p if isinstance(p, str) else f"<{p.attr} of {value(p, names)}>" for p in item.parts
        )
    if isinstance(item, frozenset | set):
        return ", ".join(sorted(value(v, names) for v in item)) or "(none)"
    if isinstance(item, list | tuple):
        return ", ".join(value(v, names) for v in item) or "(none)"
    if isinstance(item, bool):
        return "yes" if item else "no"
    if item is None:
        return "(none)"
    return str(item)


def _env(env: Mapping[str, Any], names: Names) -> str:
    return ", ".join(f"{k}={value(v, names)}" for k, v in sorted(env.items())) or "(none)"


def secret_source(ref: str) -> str:
    """Where a secret is read from, by reference: ``ssm /mlapp/token`` or ``secretsmanager
    mlapp/token`` for an ARN; anything else is shown as the reference it is."""
    if ref.startswith("arn:"):
        service, resource = ref.split(":")[2], ref.split(":", 5)[-1]
        return f"{service} {resource.removeprefix('parameter').removeprefix('secret:')}"
    return ref


def _secrets(secrets: Mapping[str, Any]) -> str:
    """Names and sources only; ``secrets`` maps names to ARNs, never to values."""
    return ", ".join(f"{k} from {secret_source(str(v))}" for k, v in sorted(secrets.items()))


def _port(port: int | None) -> str:
    return "none (a worker)" if port is None else str(port)


def _size(p: ContainerProps) -> str:
    return f"{p.cpu} CPU units, {p.memory} MiB memory"


def container(p: ContainerProps, n: Names) -> list[Line]:
    """A container's image, size, port, environment and secrets (a task definition, an
    Express Mode service)."""
    lines = [("image", value(p.image, n)), ("size", _size(p)), ("port", _port(p.port))]
    lines.append(("env", _env(p.env or {}, n)))
    if p.secrets:
        lines.append(("secrets", _secrets(p.secrets)))
    return lines
