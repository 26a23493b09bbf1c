"""The example API image, built by ecsdeploy's own build code, serves real predictions.

Needs a Docker engine, the local base image ``ecsdeploy/python-base:3.11``
(``scripts/base-image.sh``; no public registry is reachable here) and the API's wheels
(``scripts/wheels.sh api``), all of which ``.ci/run`` prepares: under ``CI=true`` these
tests fail rather than skip when something is missing.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecsdeploy.images import docker_ops
from ecsdeploy.images.content_tag import content_tag
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.spec.models import Build

from conftest import ROOT

pytestmark = [pytest.mark.docker]

BASE_IMAGE = "ecsdeploy/python-base:3.11"
API = ROOT / "examples" / "api"


def _missing(client: Any) -> str | None:
    from docker.errors import ImageNotFound

    try:
        client.images.get(BASE_IMAGE)
    except ImageNotFound:
        return f"no {BASE_IMAGE} image (run scripts/base-image.sh)"
    if not (API / "wheels").is_dir():
        return "no examples/api/wheels (run scripts/wheels.sh api)"
    return None


@pytest.fixture(scope="module")
def client() -> Any:
    try:
        found = docker_ops.connect()
        reason = _missing(found)
    except docker_ops.DockerUnavailable as exc:
        reason = str(exc)
    if reason is None:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run prepares it")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def api_image(client: Any) -> str:
    build = Build(context=str(API), args={"BASE_IMAGE": BASE_IMAGE})
    tag = content_tag(API, build)
    ref = ImageRef("api", f"ecsdeploy-test/iris-api:{tag}", context=API, build=build)
    lines: list[str] = []
    docker_ops.build(client, ref, lines.append)
    assert any(line.startswith("Step ") for line in lines)
    return ref.uri


@pytest.fixture
def running_api(client: Any, api_image: str) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    container = client.containers.run(
        api_image, detach=True, ports={"8000/tcp": ("127.0.0.1", port)}
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            container.reload()
            if container.status == "exited" or time.monotonic() > deadline:
                logs = container.logs(tail=30).decode(errors="replace")
                pytest.fail(f"the API did not answer /api/health within 90s:\n{logs}")
            time.sleep(0.5)
        yield url
    finally:
        container.remove(force=True)


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_the_built_api_predicts(running_api: str) -> None:
    status, body = _post(
        f"{running_api}/api/predict",
        {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},
    )
    assert status == 200, body
    assert body["species"] == "setosa"
    assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-6

    status, body = _post(f"{running_api}/api/predict", {"sepal_length": "tall"})
    assert status == 422


def test_the_image_runs_as_a_non_root_user(client: Any, api_image: str) -> None:
    user = client.images.get(api_image).attrs["Config"]["User"]
    assert user not in ("", "0", "root")


def test_unchanged_context_gives_the_same_tag(tmp_path: Path) -> None:
    build = Build(context=str(API), args={"BASE_IMAGE": BASE_IMAGE})
    assert content_tag(API, build) == content_tag(API, build)
    other = Build(context=str(API), args={"BASE_IMAGE": "python:3.11-slim"})
    assert content_tag(API, build) != content_tag(API, other)
