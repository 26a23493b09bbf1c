"""Real image builds and pushes: docker-py against a Docker engine, pushes to a local
registry standing in for ECR (ECSDEPLOY_REGISTRY), the rest against a moto server.

Needs a Docker engine and a registry on 127.0.0.1:5001 (``scripts/docker-env.sh`` starts
both). CI starts them, so there these tests fail rather than skip when they are missing.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

REGISTRY = "127.0.0.1:5001"


def _docker_missing() -> str | None:
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as exc:
        return f"no Docker engine ({exc})"
    try:
        urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=3)
    except OSError as exc:
        return f"no registry on {REGISTRY} ({exc})"
    return None


@pytest.fixture(scope="module", autouse=True)
def _docker() -> None:
    reason = _docker_missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run starts them with scripts/docker-env.sh")
    pytest.skip(f"{reason}; run `bash scripts/docker-env.sh` to start them")


SPEC = """\
app: {app}
env: dev
region: us-west-2
network: {{cidr: 10.0.0.0/16, azs: 2, nat: single, endpoints: [s3]}}
services:
  web:
    build: ./web
    port: 8080
    route: /*
"""


def _app(tmp_path: Path, app: str, dockerfile: str) -> Path:
    web = tmp_path / "web"
    web.mkdir()
    (web / "Dockerfile").write_text(dockerfile)
    (web / "index.html").write_text("<h1>hello</h1>\n")
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(SPEC.format(app=app))
    return spec


def _tags(repository: str) -> list[str]:
    with urllib.request.urlopen(f"http://{REGISTRY}/v2/{repository}/tags/list") as resp:
        return list(json.load(resp).get("tags") or [])


def test_up_builds_pushes_and_references_the_content_tag(moto_server: str, tmp_path: Path) -> None:
    # the registry outlives test runs: a fresh app name gives a fresh repository
    app = f"scratch{uuid.uuid4().hex[:8]}"
    spec = _app(tmp_path, app, "FROM scratch\nCOPY index.html /srv/index.html\n")
    env = {"ECSDEPLOY_REGISTRY": REGISTRY}
    first = run_cli(moto_server, "up", str(spec), "--yes", "--no-wait", **env)
    assert first.returncode == 0, first.stderr
    assert "Building 1 image(s)" in first.stderr
    tags = _tags(f"{app}/dev/web")
    assert len(tags) == 1 and tags[0].startswith("c-")

    plan = run_cli(moto_server, "plan", str(spec), "--output", "json", **env)
    assert json.loads(plan.stdout)["steps"] == []  # nothing to do: image found by its tag

    again = run_cli(moto_server, "-v", "up", str(spec), "--no-wait", **env)
    assert again.returncode == 0, again.stderr
    assert f"{tags[0]} is already in {REGISTRY}; no build" in again.stderr
    assert "Building" not in again.stderr and "No changes" in again.stdout

    import boto3

    ecs = boto3.client("ecs", region_name="us-west-2", endpoint_url=moto_server)
    task = ecs.describe_task_definition(taskDefinition=f"{app}-dev-web")["taskDefinition"]
    image = task["containerDefinitions"][0]["image"]
    assert image == f"{REGISTRY}/{app}/dev/web:{tags[0]}"

    # a changed file gives a new tag, one build and one new revision
    (tmp_path / "web" / "index.html").write_text("<h1>hello again</h1>\n")
    changed = run_cli(moto_server, "up", str(spec), "--no-wait", **env)
    assert changed.returncode == 0, changed.stderr
    assert len(_tags(f"{app}/dev/web")) == 2
    task = ecs.describe_task_definition(taskDefinition=f"{app}-dev-web")["taskDefinition"]
    assert task["revision"] == 2

    down = run_cli(moto_server, "down", str(spec), "--yes", **env)
    assert down.returncode == 0, down.stderr


def test_broken_dockerfile_fails_before_any_aws_change(moto_server: str, tmp_path: Path) -> None:
    spec = _app(
        tmp_path,
        "brokenapp",
        "FROM scratch\nCOPY index.html /srv/index.html\nCOPY missing.txt /srv/\n",
    )
    result = run_cli(
        moto_server, "-v", "up", str(spec), "--yes", "--no-wait", ECSDEPLOY_REGISTRY=REGISTRY
    )
    assert result.returncode == 1
    assert "building the image of web failed at Step 3/3 : COPY missing.txt /srv/" in result.stderr
    assert "missing.txt" in result.stderr
    assert "nothing was changed in AWS" in result.stderr
    calls = [ln.split()[-1] for ln in result.stderr.splitlines() if ln.startswith("aws ")]
    assert calls  # it did read AWS to plan...
    writes = [c for c in calls if not c.split(":")[1].startswith(("Describe", "List", "Get"))]
    assert writes == []  # ...and changed nothing
    status = run_cli(moto_server, "status", str(spec), "--output", "json")
    assert json.loads(status.stdout)["resources"] == []
