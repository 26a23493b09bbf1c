"""A container's environment: ``${services.X.url}``, ``${services.X.internal_url}`` and
``${artifacts.X.uri}`` inside an env value, expanded to the service's public URL, its
Service Connect URL (``spec.internal``) or the artifact's S3 URI. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ecsdeploy.desired.load_balancer import service_url
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.resources.base import Joined, Ref
from ecsdeploy.spec.internal import expand_internal
from ecsdeploy.spec.models import Service, Spec

REFERENCE = re.compile(r"\$\{\s*(services|artifacts)\.([a-z0-9-]+)\.(?:url|uri)\s*\}")


def env_value(
    spec: Spec, value: str, artifacts: Mapping[str, ArtifactRef] | None = None
) -> str | Joined:
    """Expand ``${services.X.url}``, ``${services.X.internal_url}`` and
    ``${artifacts.X.uri}`` inside an env value."""
    value = expand_internal(spec, value)
    parts: list[str | Ref] = []
    last = 0
    for match in REFERENCE.finditer(value):
        parts.append(value[last : match.start()])
        kind, name = match.group(1), match.group(2)
        if kind == "artifacts":
            parts.append((artifacts or {})[name].uri)
        else:
            url = service_url(spec, name)
            parts.extend(url.parts if isinstance(url, Joined) else (url,))
        last = match.end()
    if not parts:
        return value
    parts.append(value[last:])
    kept = tuple(p for p in parts if p != "")
    return Joined(kept) if any(isinstance(p, Ref) for p in kept) else "".join(map(str, kept))


def artifacts_used(svc: Service, artifacts: Mapping[str, ArtifactRef]) -> set[str]:
    """The artifacts a service's env refers to (those the caller resolved)."""
    return {
        m.group(2)
        for value in svc.env.values()
        for m in REFERENCE.finditer(value)
        if m.group(1) == "artifacts" and m.group(2) in artifacts
    }
