"""The ``init`` use case's guesses: the services a directory holds, and the spec that runs them.

Every directory under the root with a ``Dockerfile`` becomes a service named after the
directory. From the Dockerfile (and, for the health path, the service's source) it reads:

* the port: the last ``EXPOSE`` (a variable: the framework's usual port); a Dockerfile
  without ``EXPOSE`` that is no UI makes a worker (no port, no route, no load balancer);
* a UI: a Dockerfile that runs Streamlit or starts from a Node image;
* the health path: a ``HEALTHCHECK`` URL, else a ``/health``-like route found in the
  source, else Streamlit's own, else ``/``;
* the route: ``/*`` for a lone web service; with several, ``/*`` for the (first) UI and
  ``/<name>/*`` for the rest (the load balancer does not strip the prefix: the service
  must answer under it).

The guesses are pure (they read files, call no AWS, write nothing); ``write_spec``, the
use case, writes the spec they make.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecsdeploy.aws.regions import REGION_RE
from ecsdeploy.spec.naming import MAX_APP, MAX_SERVICE, name_problem

DOCKERFILE = "Dockerfile"
MAX_DEPTH = 4  # a service lives a few directories down, not in a dependency tree
SKIP_DIRS = {"node_modules", "venv", "__pycache__", "dist", "build", "target", "wheels"}
SOURCE_SUFFIXES = {".py", ".js", ".ts", ".mjs", ".go", ".rb", ".java", ".kt", ".rs"}
MAX_SOURCE_FILES = 200
HEALTH_RE = re.compile(r"""["'](/(?:[\w.-]+/)*(?:health|healthz|healthcheck|ping|ready))["']""")
HEALTHCHECK_URL_RE = re.compile(r"https?://[^/\s]+(/[^\s\"']*)")
EXPOSE_RE = re.compile(r"^\s*EXPOSE\s+(\S+)", re.IGNORECASE | re.MULTILINE)
FROM_RE = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE | re.MULTILINE)
STREAMLIT_HEALTH = "/_stcore/health"


@dataclass(frozen=True)
class Found:
    """One service to be: a directory with a Dockerfile and what was guessed about it."""

    name: str
    directory: Path
    port: int | None  # None: a worker (no EXPOSE)
    port_from: str  # why this port, for the comment next to it
    health: str
    health_from: str
    ui: bool


def find_services(root: Path) -> list[Found]:
    """Every directory under ``root`` (itself included) that holds a Dockerfile."""
    found: list[Found] = []
    names: set[str] = set()
    for directory in _directories(root):
        dockerfile = directory / DOCKERFILE
        if not dockerfile.is_file():
            continue
        text = dockerfile.read_text(encoding="utf-8", errors="replace")
        name = _unique(service_name(directory.resolve().name), names)
        names.add(name)
        ui = _is_ui(text)
        port, port_from = _port(text, ui)
        health, health_from = _health(text, directory, ui)
        found.append(Found(name, directory, port, port_from, health, health_from, ui))
    return found


def _directories(root: Path) -> list[Path]:
    out: list[Path] = []
    for current, dirs, _ in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS and depth < MAX_DEPTH
        )
        out.append(Path(current))
    return out


def service_name(raw: str, limit: int = MAX_SERVICE, fallback: str = "web") -> str:
    """A directory name made into a valid app or service name (lowercase, hyphens)."""
    name = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:limit].rstrip("-")
    return name if name and name_problem(name, limit) is None else fallback


def app_name(root: Path) -> str:
    return service_name(root.resolve().name, MAX_APP, fallback="app")


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name[: MAX_SERVICE - 3]}-{n}"
        n += 1
    return candidate


def _is_ui(dockerfile: str) -> bool:
    images = [m.group(1).lower() for m in FROM_RE.finditer(dockerfile)]
    return "streamlit" in dockerfile.lower() or any(
        image.split("/")[-1].startswith("node") for image in images
    )


def _port(dockerfile: str, ui: bool) -> tuple[int | None, str]:
    exposed = EXPOSE_RE.findall(dockerfile)
    for raw in reversed(exposed):
        number = raw.split("/")[0]
        if number.isdigit() and 0 < int(number) < 65536:
            return int(number), "EXPOSE in the Dockerfile"
    if "streamlit" in dockerfile.lower():
        return 8501, "Streamlit's default; no EXPOSE in the Dockerfile"
    if ui:
        return 3000, "Node's usual port; no EXPOSE in the Dockerfile"
    if not exposed:
        return None, "no EXPOSE in the Dockerfile"
    return 8080, "a guess: no EXPOSE in the Dockerfile; set the port the app listens on"


def _health(dockerfile: str, directory: Path, ui: bool) -> tuple[str, str]:
    for line in dockerfile.splitlines():
        if line.strip().upper().startswith("HEALTHCHECK"):
            url = HEALTHCHECK_URL_RE.search(line)
            if url:
                return url.group(1), "HEALTHCHECK in the Dockerfile"
    if "streamlit" in dockerfile.lower():
        return STREAMLIT_HEALTH, "Streamlit's health endpoint"
    found = _health_in_source(directory)
    if found:
        return found, "found in the source"
    return "/", "the default; point it at a cheap endpoint that answers 200"


def _health_in_source(directory: Path) -> str | None:
    seen = 0
    for current, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for file in sorted(files):
            if Path(file).suffix not in SOURCE_SUFFIXES or file.startswith("test"):
                continue
            seen += 1
            if seen > MAX_SOURCE_FILES:
                return None
            text = (Path(current) / file).read_text(encoding="utf-8", errors="replace")
            match = HEALTH_RE.search(text)
            if match:
                return match.group(1)
    return None


def routes(services: list[Found]) -> dict[str, str]:
    """The route of each web service (workers have none): see the module docstring."""
    web = [s for s in services if s.port is not None]
    if len(web) == 1:
        return {web[0].name: "/*"}
    front = next((s.name for s in web if s.ui), None)
    return {s.name: "/*" if s.name == front else f"/{s.name}/*" for s in web}


def _line(indent: int, text: str, comment: str = "") -> str:
    """``text`` with ``comment`` aligned at column 32."""
    body = " " * indent + text
    return f"{body.ljust(31)} # {comment}" if comment else body


def render(app: str, region: str, services: list[Found], spec_dir: Path, root: Path) -> str:
    """The commented spec for ``services``; build contexts relative to ``spec_dir``."""
    route_of = routes(services)
    lines = [
        f"# ecsdeploy spec written by `ecsdeploy init` from the Dockerfiles under {root}.",
        "# Read it through, then: `ecsdeploy plan` shows what would be made and what it costs;",
        "# `ecsdeploy up` makes it. `ecsdeploy schema` lists every key; the README explains them.",
        _line(0, f"app: {app}", "names and tags every AWS resource"),
        _line(0, "env: dev", "`--env prod` deploys a second, separate copy"),
        _line(0, f"region: {region}"),
        "",
        _line(0, "network:", "a VPC of its own; without this block: the same, without endpoints"),
        _line(2, "cidr: 10.0.0.0/16"),
        _line(2, "azs: 2", "one public and one private subnet in each zone"),
        _line(2, "nat: single", "none | single (about $33/month) | per_az (one per zone)"),
        _line(2, "endpoints: [s3]", "VPC endpoints: s3 (free), ecr.api, ecr.dkr, logs, ssm"),
        "",
    ]
    if route_of:  # no web service, no load balancer
        lines += [
            "load_balancer:",
            _line(2, "public: true", "internet-facing; false = inside the VPC only"),
            _line(2, "# certificate_arn: arn:aws:acm:REGION:ACCOUNT:certificate/ID", "HTTPS"),
            "",
        ]
    lines.append("services:")
    for service in services:
        context = os.path.relpath(service.directory.resolve(), spec_dir.resolve())
        if service.port is None:
            lines += _worker(service, context)
            continue
        route = route_of[service.name]
        others = [s.name for s in services if s.name != service.name and s.port is not None]
        lines += [
            _line(2, f"{service.name}:"),
            _line(4, f"build: {context}", "Docker build context, relative to this file"),
            _line(4, f"port: {service.port}", service.port_from),
            _line(4, "cpu: 256", "Fargate size: 256 = 0.25 vCPU; 512, 1024, ..."),
            _line(4, "memory: 512", "MiB, to suit cpu (for 256: 512, 1024 or 2048)"),
            _line(4, f"health_check: {service.health}", service.health_from),
            _line(
                4,
                f"route: {route}",
                "every path not routed elsewhere"
                if route == "/*"
                else "the app must answer under this prefix (not stripped)",
            ),
            _line(4, "# count: 1", "or autoscaling: {min: 1, max: 4, cpu: 70}"),
            _line(4, "# env:"),
            _line(4, "#   LOG_LEVEL: info"),
        ]
        if service.ui and others:
            other = others[0]
            lines.append(_line(4, f"#   API_URL: ${{services.{other}.url}}", f"{other}'s URL"))
        lines += [
            _line(4, "# secrets:", "read from SSM or Secrets Manager at task start"),
            _line(4, "#   API_TOKEN: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME"),
        ]
    return "\n".join(lines) + "\n"


def _worker(service: Found, context: str) -> list[str]:
    """A worker's lines: no port, no route, no health check path (no load balancer)."""
    return [
        _line(2, f"{service.name}:"),
        _line(4, f"build: {context}", "Docker build context, relative to this file"),
        "    # a worker: no EXPOSE in the Dockerfile, so no `port:` and no `route:` (nothing",
        "    # reaches it through the load balancer); add both if it serves HTTP",
        _line(4, "cpu: 256", "Fargate size: 256 = 0.25 vCPU; 512, 1024, ..."),
        _line(4, "memory: 512", "MiB, to suit cpu (for 256: 512, 1024 or 2048)"),
        _line(4, "# count: 1", "or autoscaling: {min: 1, max: 4, cpu: 70}"),
        _line(4, "# env:"),
        _line(4, "#   QUEUE_URL: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME"),
        _line(4, "# secrets:", "read from SSM or Secrets Manager at task start"),
        _line(4, "#   API_TOKEN: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME"),
    ]


def valid_region(region: str) -> bool:
    return bool(REGION_RE.match(region))


class SpecExists(Exception):
    """The spec file exists and overwriting it was not asked for."""


class BadInput(Exception):
    """What ``init`` was given makes no spec: no Dockerfile, a bad app name or region."""


@dataclass(frozen=True)
class Written:
    """The spec ``write_spec`` wrote and the services it found."""

    path: Path
    services: list[Found]
    routes: dict[str, str]  # by service name


def write_spec(
    directory: Path,
    file: Path | None,
    force: bool,
    default_region: str,
    ask: Callable[[str, str], tuple[str, str]],
) -> Written:
    """Write a commented spec (``file``, default DIRECTORY/ecsdeploy.yaml) for the
    Dockerfiles under ``directory``; ``ask`` gets the guessed app name and region and
    returns those to use. Never overwrites a spec unless ``force``."""
    from ecsdeploy.spec import load_spec

    target = file or directory / "ecsdeploy.yaml"
    if target.exists() and not force:
        raise SpecExists(f"{target} exists; pass --force to overwrite it")
    services = find_services(directory)
    if not services:
        raise BadInput(f"no Dockerfile under {directory}: each service needs a directory with one")
    app, region = ask(app_name(directory), default_region)
    why = name_problem(app, MAX_APP)
    if why:
        raise BadInput(f"app name '{app}' {why}")
    if not valid_region(region):
        raise BadInput(f"'{region}' is not an AWS region name, such as us-east-1")
    text = render(app, region, services, target.parent, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    load_spec(target)  # what init writes must validate; a failure here is a bug
    return Written(target, services, routes(services))
