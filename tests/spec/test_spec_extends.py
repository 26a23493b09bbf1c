"""``extends``: how an overlay merges onto its base, where problems in the merged spec are
reported, relative paths in a base elsewhere, and the dev/prod configs of the example app.
(Refused files, one per case, are in tests/spec_cases/extends_*/.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.cli import app as cli
from ecsdeploy.spec import SpecError, load_spec, parse_spec

from conftest import CONFIGS, spec_text

runner = CliRunner()


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write(tmp_path, "base.yaml", spec_text())


def test_mappings_merge_deeply_lists_and_scalars_replace(tmp_path: Path, base: Path) -> None:
    overlay = write(
        tmp_path,
        "prod.yaml",
        """\
extends: base.yaml
env: prod
network:
  nat: per_az
  endpoints: [ecr.api]
services:
  api:
    env:
      LOG_LEVEL: warning
    permissions:
      - actions: [s3:PutObject]
        resources: ["arn:aws:s3:::out/*"]
""",
    )
    spec = load_spec(overlay)
    assert spec.env == "prod"
    assert spec.network is not None
    # network merged key by key: nat changed, cidr and azs kept, the list replaced whole
    assert (spec.network.nat, spec.network.cidr, spec.network.azs) == ("per_az", "10.0.0.0/16", 2)
    assert spec.network.endpoints == ["ecr.api"]
    api = spec.services["api"]
    assert (api.cpu, api.memory, api.port) == (512, 1024, 8000)  # untouched keys kept
    assert api.env == {"LOG_LEVEL": "warning"} and api.secrets  # env merged (was empty)
    assert [p.actions for p in api.permissions] == [["s3:PutObject"]]
    assert list(spec.services) == ["api", "ui"]


def test_null_removes_a_key_and_a_service(tmp_path: Path, base: Path) -> None:
    overlay = write(
        tmp_path,
        "api-only.yaml",
        """\
extends: base.yaml
services:
  ui: null
  api:
    route: null
    secrets: null
""",
    )
    spec = load_spec(overlay)
    assert list(spec.services) == ["api"]
    api = spec.services["api"]
    assert api.route is None and api.secrets == {}
    assert api.port == 8000


def test_chain_of_three_applies_outermost_last(tmp_path: Path, base: Path) -> None:
    write(tmp_path, "mid.yaml", "extends: base.yaml\nenv: stage\nservices:\n  api:\n    count: 2\n")
    top = write(tmp_path, "top.yaml", "extends: mid.yaml\nservices:\n  api:\n    count: 3\n")
    spec = load_spec(top)
    assert (spec.env, spec.services["api"].count, spec.services["ui"].port) == ("stage", 3, 8501)


def test_problem_in_base_points_at_base_and_in_overlay_at_overlay(
    tmp_path: Path, base: Path
) -> None:
    base.write_text(spec_text().replace("cpu: 512", "cpu: 500"))
    overlay = write(tmp_path, "prod.yaml", "extends: base.yaml\nservices:\n  ui:\n    port: 0\n")
    with pytest.raises(SpecError) as info:
        load_spec(overlay)
    where = {p.path: (p.file, p.line) for p in info.value.problems}
    cpu_line = spec_text().splitlines().index("    cpu: 512") + 1
    assert where["services.api.cpu"] == (str(base), cpu_line)
    assert where["services.ui.port"] == (str(overlay), 4)


def test_missing_base_cycle_and_non_text_extends(tmp_path: Path) -> None:
    overlay = write(tmp_path, "a.yaml", "env: prod\nextends: gone.yaml\n")
    with pytest.raises(SpecError) as info:
        load_spec(overlay)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(overlay), 2, "extends")
    assert f"{tmp_path / 'gone.yaml'}: no such file" in problem.message

    write(tmp_path, "gone.yaml", "extends: a.yaml\n")
    with pytest.raises(SpecError, match=r"circle: .*a\.yaml -> .*gone\.yaml -> .*a\.yaml"):
        load_spec(overlay)

    overlay.write_text("extends: {file: base.yaml}\n")
    with pytest.raises(SpecError, match="expected the path of a base spec file"):
        load_spec(overlay)

    overlay.write_text("extends: a.yaml\n")  # extends itself
    with pytest.raises(SpecError, match="circle"):
        load_spec(overlay)


def test_paths_in_a_base_elsewhere_stay_relative_to_the_base(tmp_path: Path) -> None:
    write(
        tmp_path,
        "shared/base.yaml",
        """\
app: shop
services:
  api:
    build: ../apps/api
    port: 80
  web:
    build: {context: ../apps/web}
    port: 81
artifacts:
  model:
    source: model.bin
""",
    )
    overlay = write(tmp_path, "envs/prod/ecsdeploy.yaml", "extends: ../../shared/base.yaml\n")
    spec = load_spec(overlay)
    here = overlay.parent
    api, web = spec.services["api"].build, spec.services["web"].build
    assert api is not None and web is not None
    assert (here / api.context).resolve() == tmp_path / "apps" / "api"
    assert (here / web.context).resolve() == tmp_path / "apps" / "web"
    assert (here / spec.artifacts["model"].source).resolve() == tmp_path / "shared" / "model.bin"


def test_parse_spec_reads_extends_next_to_its_file(tmp_path: Path, base: Path) -> None:
    spec = parse_spec("extends: base.yaml\nenv: qa\n", str(tmp_path / "inline.yaml"))
    assert (spec.app, spec.env) == ("mlapp", "qa")


@pytest.mark.parametrize(
    "path,app,services",
    [
        (CONFIGS / "example.yaml", "mlapp", ["api", "ui"]),
        (CONFIGS / "express.yaml", "receipts", ["extract"]),
        (Path("/work/shared/spec-example.yaml"), "mlapp", ["api", "ui"]),
        (Path("/work/shared/spec-express-example.yaml"), "receipts", ["extract"]),
    ],
    ids=["example", "express", "shared-example", "shared-express"],
)
def test_plain_specs_unchanged_by_extends_support(
    path: Path, app: str, services: list[str]
) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    spec = load_spec(path)
    assert (spec.app, list(spec.services)) == (app, services)


@pytest.mark.parametrize("name", ["mlapp-base.yaml", "mlapp-dev.yaml", "mlapp-prod.yaml"])
def test_example_environments_validate(name: str) -> None:
    result = runner.invoke(cli.app, ["validate", str(CONFIGS / name)])
    assert result.exit_code == 0, result.stderr
    assert "ok" in result.stdout


def test_example_dev_and_prod_differ_where_they_should() -> None:
    dev, prod = load_spec(CONFIGS / "mlapp-dev.yaml"), load_spec(CONFIGS / "mlapp-prod.yaml")
    assert (dev.env, prod.env) == ("dev", "prod")
    assert dev.network is not None and prod.network is not None
    assert (dev.network.nat, prod.network.nat) == ("single", "per_az")
    assert prod.network.azs > dev.network.azs
    dev_scale, prod_scale = dev.services["api"].autoscaling, prod.services["api"].autoscaling
    assert dev_scale is not None and prod_scale is not None
    assert prod_scale.max > dev_scale.max and prod_scale.min > dev_scale.min
    assert prod_scale.cpu == dev_scale.cpu == 70  # merged, not replaced
    assert prod.services["ui"].desired_count > dev.services["ui"].desired_count
    # both build from the same directories, though the path is written in the base only
    for spec in (dev, prod):
        build = spec.services["api"].build
        assert build is not None
        assert (CONFIGS / build.context).resolve() == CONFIGS.parent / "examples" / "api"


def test_env_option_on_a_merged_spec(aws: None, no_preflight: None, tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", spec_text(env="dev"))
    overlay = write(tmp_path, "prod.yaml", "extends: base.yaml\nenv: prod\n")
    result = runner.invoke(cli.app, ["plan", str(overlay), "--output", "json"])
    assert result.exit_code == 0, result.stderr
    assert "mlapp-prod" in result.stdout and "mlapp-dev" not in result.stdout
    result = runner.invoke(cli.app, ["plan", str(overlay), "--env", "qa", "--output", "json"])
    assert result.exit_code == 0, result.stderr
    assert "mlapp-qa" in result.stdout and "mlapp-prod" not in result.stdout


def test_shorthands_merge_with_the_blocks_they_stand_for(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.yaml",
        """\
app: shop
services:
  api:
    build: {context: ./api, args: {VERSION: "1"}}
    port: 80
    health_check: {path: /health, interval: 30}
    route: /api/*
""",
    )
    overlay = write(
        tmp_path,
        "prod.yaml",
        """\
extends: base.yaml
services:
  api:
    build: ./api-v2
    health_check: /ready
    route: {host: api.example.com}
""",
    )
    api = load_spec(overlay).services["api"]
    assert api.build is not None and api.build.context == "./api-v2"
    assert api.build.args == {"VERSION": "1"}  # kept from the base's block
    assert (api.health_check.path, api.health_check.interval) == ("/ready", 30)
    assert api.route is not None
    assert (api.route.path, api.route.host) == ("/api/*", "api.example.com")
