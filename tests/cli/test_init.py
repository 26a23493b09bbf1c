"""``ecsdeploy init``: the spec it writes from Dockerfiles validates, its guesses (port,
health path, routes, UI), no questions without a terminal, and no overwriting."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli
from ecsdeploy.cli.commands import init as init_command
from ecsdeploy.ops.init import service_name
from ecsdeploy.spec import Spec, load_spec

from conftest import ROOT

runner = CliRunner()
EXAMPLES = ROOT / "examples"


def dockerfile(directory: Path, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(text)


def run_init(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(cli.app, ["init", *args], input=stdin)
    return result.exit_code, result.stderr


def check_written(path: Path) -> Spec:
    result = runner.invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 0, result.stderr
    return load_spec(path)


def test_init_examples_gives_api_and_ui(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(  # the apps' sources and Dockerfiles, not their venv or wheels
        EXAMPLES, examples, ignore=shutil.ignore_patterns(".*", "wheels", "__pycache__")
    )
    code, out = run_init(str(examples))
    assert code == 0, out
    spec = check_written(examples / "ecsdeploy.yaml")
    assert (spec.app, spec.env, spec.region) == ("examples", "dev", "us-west-2")
    api, ui = spec.services["api"], spec.services["ui"]
    assert (api.port, api.health_check.path) == (8000, "/api/health")
    assert (ui.port, ui.health_check.path) == (8501, "/_stcore/health")
    assert api.route is not None and ui.route is not None
    assert (api.route.path, ui.route.path) == ("/api/*", "/*")
    assert api.build is not None and api.build.context == "api"
    text = (examples / "ecsdeploy.yaml").read_text()
    assert "# " in text and "${services.api.url}" in text  # commented, with hints


def test_init_with_file_elsewhere_points_builds_back(tmp_path: Path) -> None:
    target = tmp_path / "deploy" / "ecsdeploy.yaml"
    code, out = run_init(str(EXAMPLES), "--file", str(target))
    assert code == 0, out
    spec = check_written(target)
    for name in ("api", "ui"):
        build = spec.services[name].build
        assert build is not None
        assert (target.parent / build.context).resolve() == EXAMPLES / name
    assert not (EXAMPLES / "ecsdeploy.yaml").exists()


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    dockerfile(tmp_path, "FROM python:3.12\nEXPOSE 9000\n")
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text("mine\n")
    code, out = run_init(str(tmp_path))
    assert code == 3 and "--force" in out
    assert spec.read_text() == "mine\n"
    code, out = run_init(str(tmp_path), "--force")
    assert code == 0, out
    assert check_written(spec).services[service_name(tmp_path.name)].port == 9000


def test_single_service_takes_every_path(tmp_path: Path) -> None:
    app = tmp_path / "Shop_Front"
    dockerfile(
        app,
        "FROM python:3.12 AS build\nEXPOSE 5000\nFROM python:3.12\nEXPOSE 7000/tcp\n"
        "HEALTHCHECK CMD curl -f http://localhost:7000/status/ok || exit 1\n",
    )
    code, out = run_init(str(app))
    assert code == 0, out
    spec = check_written(app / "ecsdeploy.yaml")
    assert spec.app == "shop-front"
    [(name, service)] = spec.services.items()
    assert name == "shop-front"
    assert service.port == 7000  # the last stage's EXPOSE
    assert service.health_check.path == "/status/ok"
    assert service.route is not None and service.route.path == "/*"


def test_several_services_node_ui_worker_and_guessed_port(tmp_path: Path) -> None:
    dockerfile(tmp_path / "web", 'FROM node:20-alpine\nCMD ["node", "server.js"]\n')
    dockerfile(tmp_path / "worker", "FROM golang:1.22\n")  # no EXPOSE: a worker
    dockerfile(tmp_path / "proxy", "FROM golang:1.22\nEXPOSE $PORT\n")  # a port, unknown
    dockerfile(tmp_path / "search", "FROM python:3.12\nEXPOSE 8000\n")
    (tmp_path / "search" / "main.py").write_text('@app.get("/search/healthz")\n')
    dockerfile(tmp_path / "web" / "node_modules" / "dep", "FROM scratch\n")  # skipped
    code, out = run_init(str(tmp_path))
    assert code == 0, out
    assert "worker: " in out and "a worker (no EXPOSE" in out
    spec = check_written(tmp_path / "ecsdeploy.yaml")
    assert sorted(spec.services) == ["proxy", "search", "web", "worker"]
    web, worker, proxy, search = (spec.services[n] for n in ("web", "worker", "proxy", "search"))
    assert (web.port, worker.port, proxy.port, search.port) == (3000, None, 8080, 8000)
    routes = {n: s.route.path for n, s in spec.services.items() if s.route}
    assert routes == {"web": "/*", "proxy": "/proxy/*", "search": "/search/*"}
    assert search.health_check.path == "/search/healthz"
    assert proxy.health_check.path == "/"
    text = (tmp_path / "ecsdeploy.yaml").read_text()
    assert "set the port the app listens on" in text
    assert "# a worker: no EXPOSE in the Dockerfile" in text


def test_only_workers_make_no_load_balancer(tmp_path: Path) -> None:
    dockerfile(tmp_path / "consumer", "FROM python:3.12\nCMD python consume.py\n")
    code, out = run_init(str(tmp_path))
    assert code == 0, out
    spec = check_written(tmp_path / "ecsdeploy.yaml")
    consumer = spec.services["consumer"]
    assert (consumer.port, consumer.route) == (None, None)
    assert spec.load_balancer is None
    assert "load_balancer:" not in (tmp_path / "ecsdeploy.yaml").read_text()


def test_no_dockerfile_is_bad_input(tmp_path: Path) -> None:
    code, out = run_init(str(tmp_path))
    assert code == 2 and "no Dockerfile" in out
    assert not (tmp_path / "ecsdeploy.yaml").exists()


def test_asks_app_and_region_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dockerfile(tmp_path / "api", "FROM python:3.12\nEXPOSE 8000\n")
    monkeypatch.setattr(init_command, "stdin_is_interactive", lambda: True)
    code, out = run_init(str(tmp_path), stdin="shop\neu-west-1\n")
    assert code == 0, out
    assert "App name" in out and "AWS region" in out
    spec = check_written(tmp_path / "ecsdeploy.yaml")
    assert (spec.app, spec.region) == ("shop", "eu-west-1")

    code, out = run_init(str(tmp_path), "--force", stdin="\n\n")  # Enter keeps the defaults
    assert code == 0, out
    spec = check_written(tmp_path / "ecsdeploy.yaml")
    assert spec.region == "us-west-2"  # from AWS_DEFAULT_REGION

    code, out = run_init(str(tmp_path), "--force", stdin="Shop!\nus-west-2\n")
    assert code == 2 and "app name 'Shop!'" in out
    code, out = run_init(str(tmp_path), "--force", stdin="shop\nmars-1\n")
    assert code == 2 and "'mars-1' is not an AWS region" in out


def test_without_a_terminal_nothing_is_asked(tmp_path: Path) -> None:
    dockerfile(tmp_path / "api", "FROM python:3.12\nEXPOSE 8000\n")
    code, out = run_init(str(tmp_path), stdin="ignored\n")
    assert code == 0, out
    assert "App name" not in out


def test_the_template_says_what_omitting_network_builds(tmp_path: Path) -> None:
    """The network comment is true: without the block, the spec builds the same VPC (a NAT
    gateway included) without endpoints, not the default VPC."""
    from ecsdeploy.desired import network_of
    from ecsdeploy.spec import parse_spec

    dockerfile(tmp_path, "FROM scratch\nEXPOSE 8000\n")
    code, _ = run_init(str(tmp_path))
    assert code == 0
    text = (tmp_path / "ecsdeploy.yaml").read_text()
    assert "default VPC" not in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("network:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    with_block = parse_spec(text, str(tmp_path / "ecsdeploy.yaml"))
    without = parse_spec("\n".join(lines[:start] + lines[end:]), str(tmp_path / "x.yaml"))
    built, written = network_of(without), network_of(with_block)
    assert built is not None and written is not None
    assert built.model_copy(update={"endpoints": written.endpoints}) == written
    assert built.nat == "single" and built.endpoints == []
