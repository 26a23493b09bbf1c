"""Building and pushing images with docker-py.

The build streams the classic builder's output; a failure names the failing step and keeps
the tail of its log. The push authenticates with ECR's credentials (also against an
override registry) and reports progress per layer. Nothing here knows about AWS resources.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ecsdeploy.images.ecr_access import Credentials
from ecsdeploy.images.refs import ImageRef

Line = Callable[[str], None]
TAIL = 25


class DockerUnavailable(Exception):
    """No Docker engine answers."""


class BuildFailed(Exception):
    """``docker build`` failed; carries the failing step and the last lines of its log."""

    def __init__(self, service: str, step: str, error: str, tail: list[str]) -> None:
        self.service = service
        self.step = step
        self.error = error
        self.tail = tail
        super().__init__(f"building {service} failed at {step or 'the start'}: {error}")


class PushFailed(Exception):
    """``docker push`` failed."""


def connect() -> Any:
    """A docker-py client for DOCKER_HOST (or the local socket), checked to answer."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except DockerException as exc:
        raise DockerUnavailable(
            "no Docker engine is reachable (DOCKER_HOST or /var/run/docker.sock): "
            f"{exc}. Start Docker (Debian: apt-get install docker.io, then dockerd), "
            "or give the services prebuilt `image:` references"
        ) from exc
    return client


def build(client: Any, ref: ImageRef, on_line: Line) -> None:
    """Build ``ref`` from its context, tagged with its URI."""
    assert ref.context is not None and ref.build is not None
    tail: deque[str] = deque(maxlen=TAIL)
    step = ""
    args: dict[str, Any] = {
        "path": str(ref.context),
        "tag": ref.uri,
        "buildargs": dict(ref.build.args),
        "rm": True,
        "forcerm": True,
        "decode": True,
        "platform": ref.build.platform,
    }
    if ref.build.dockerfile:
        args["dockerfile"] = ref.build.dockerfile
    if ref.build.target:
        args["target"] = ref.build.target
    from docker.errors import APIError

    try:
        for chunk in client.api.build(**args):
            text = str(chunk.get("stream", "")).rstrip("\n")
            for line in text.splitlines():
                tail.append(line)
                if line.startswith("Step "):
                    step = line
                on_line(line)
            if "error" in chunk or "errorDetail" in chunk:
                detail = chunk.get("errorDetail", {}).get("message") or chunk.get("error", "")
                raise BuildFailed(ref.service, step, str(detail).strip(), list(tail))
    except APIError as exc:
        raise BuildFailed(ref.service, step, str(exc.explanation or exc), list(tail)) from exc


def push(client: Any, ref: ImageRef, credentials: Credentials, on_line: Line) -> None:
    """Push ``ref`` to its registry; report each time another layer is in the registry
    (``3/7 layers in the registry``), then the digest: a few lines, not one per state."""
    assert ref.registry and ref.repository and ref.tag
    repository = f"{ref.registry}/{ref.repository}"
    auth = {"username": credentials.username, "password": credentials.password}
    layers: dict[str, bool] = {}  # layer -> in the registry (pushed, mounted or already there)
    for chunk in client.api.push(
        repository, tag=ref.tag, stream=True, decode=True, auth_config=auth
    ):
        if "error" in chunk or "errorDetail" in chunk:
            detail = chunk.get("errorDetail", {}).get("message") or chunk.get("error", "")
            raise PushFailed(f"pushing {ref.uri} failed: {detail}")
        layer, status = str(chunk.get("id", "")), str(chunk.get("status", ""))
        if layer and layer != ref.tag:
            there = status.startswith(("Pushed", "Layer already exists", "Mounted from"))
            if layers.get(layer) is not True and (layer not in layers or there):
                layers[layer] = there
                if there:
                    on_line(f"{sum(layers.values())}/{len(layers)} layers in the registry")
        elif status.startswith(ref.tag + ": digest"):
            on_line(status)
