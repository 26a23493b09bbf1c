"""The good path of the spec loader: the example configs, defaults, naming and the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecsdeploy.spec import Spec, SpecError, load_spec, parse_spec
from ecsdeploy.spec.naming import LIMITS, fit

CONFIGS = Path(__file__).parents[2] / "configs"


@pytest.mark.parametrize("name", ["example.yaml", "express.yaml"])
def test_example_configs_load(name: str) -> None:
    assert isinstance(load_spec(CONFIGS / name), Spec)


def test_example_facts() -> None:
    spec = load_spec(CONFIGS / "example.yaml")
    assert spec.app == "mlapp"
    assert spec.env == "dev"
    assert spec.region == "us-west-2"
    assert list(spec.services) == ["api", "ui"]
    api, ui = spec.services["api"], spec.services["ui"]
    assert api.build is not None
    assert api.build.context == "../examples/api"
    assert api.route is not None
    assert api.route.path == "/api/*"
    assert api.route.host is None
    assert api.desired_count == 2
    assert (ui.cpu, ui.memory) == (256, 512)
    assert ui.desired_count == 1
    assert ui.env == {"API_URL": "${services.api.internal_url}/api"}
    assert spec.network is not None
    assert spec.network.nat == "single"
    assert spec.network.azs == 2
    assert spec.logs.retention_days == 30


def test_express_facts() -> None:
    spec = load_spec(CONFIGS / "express.yaml")
    assert spec.network is None
    extract = spec.services["extract"]
    assert extract.mode == "express"
    assert extract.build is None
    assert extract.image is not None
    assert extract.autoscaling is not None
    assert extract.desired_count == extract.autoscaling.min == 1


def test_build_block_and_merge_key() -> None:
    spec = parse_spec(
        """
app: shop
services:
  api: &svc
    build:
      context: ./api
      dockerfile: Dockerfile.prod
    port: 80
  worker:
    <<: *svc
    port: 81
"""
    )
    worker = spec.services["worker"]
    assert worker.port == 81
    assert worker.build is not None
    assert worker.build.dockerfile == "Dockerfile.prod"


def test_many_problems_are_all_reported_sorted_by_line() -> None:
    text = """\
services:
  web:
    image: nginx:1.27
    port: eighty
logs:
  retention_days: lots
region: 5
"""
    with pytest.raises(SpecError) as info:
        parse_spec(text, "x.yaml")
    problems = info.value.problems
    # pydantic reports these in model order (region, logs, services, app); the file order wins
    assert [(p.line, p.path) for p in problems] == [
        (1, "app"),
        (4, "services.web.port"),
        (6, "logs.retention_days"),
        (7, "region"),
    ]
    assert str(info.value).splitlines() == [str(p) for p in problems]


def test_check_problems_are_all_reported_sorted_by_line() -> None:
    text = """\
app: shop
services:
  web:
    image: nginx:1.27
    port: 0
    cpu: 300
region: nowhere
env: Prod
"""
    with pytest.raises(SpecError) as info:
        parse_spec(text, "x.yaml")
    got = [(p.line, p.path) for p in info.value.problems]
    assert got == [
        (5, "services.web.port"),
        (6, "services.web.cpu"),
        (7, "region"),
        (8, "env"),
    ]


def test_fit_keeps_short_names() -> None:
    assert fit("mlapp-dev", LIMITS["alb"]) == "mlapp-dev"
    assert fit("a" * 32, 32) == "a" * 32


@pytest.mark.parametrize("limit", [16, 32, 64])
def test_fit_truncates_deterministically_with_a_hash(limit: int) -> None:
    one = "a-very-long-application-name-for-testing-" * 3 + "one"
    two = "a-very-long-application-name-for-testing-" * 3 + "two"
    fitted_one, fitted_two = fit(one, limit), fit(two, limit)
    assert len(fitted_one) <= limit
    assert len(fitted_two) <= limit
    assert fitted_one != fitted_two
    assert fit(one, limit) == fitted_one
    assert not fitted_one.startswith("-")
    assert "--" not in fitted_one
    # the hash suffix makes the cut-down name differ from the plain cut
    assert fitted_one != one[:limit]


def test_json_schema() -> None:
    schema = Spec.model_json_schema()
    assert "services" in schema["properties"]
    # app and services are required unless the file extends another (see spec.extends)
    assert set(schema["else"]["required"]) == {"app", "services"}
    assert schema["if"] == {"required": ["extends"]}
    assert schema["properties"]["extends"]["type"] == "string"
    build = schema["$defs"]["Service"]["properties"]["build"]
    assert {"type": "string"} in build["anyOf"]
    route = schema["$defs"]["Service"]["properties"]["route"]
    assert {"type": "string"} in route["anyOf"]


def _walk(schema: Any) -> list[Any]:
    out = [schema]
    if isinstance(schema, dict):
        for value in schema.values():
            out += _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            out += _walk(value)
    return out


def test_json_schema_forbids_unknown_keys() -> None:
    schema = Spec.model_json_schema()
    models = [schema, *schema["$defs"].values()]
    assert all(m.get("additionalProperties") is False for m in models)
    assert any(isinstance(node, dict) and node.get("$ref") for node in _walk(schema))
