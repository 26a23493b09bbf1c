"""``${env.X}`` in the spec (spec/interpolate.py), and every problem of a spec in one pass
(spec/loader.py): a refused key no longer hides the cross-field checks of the rest."""

from __future__ import annotations

import pytest

from ecsdeploy.spec import SpecError, parse_spec

SPEC = """\
app: shop
services:
  api:
    image: registry.example.com/api:${env.TAG}
    port: 8000
    env:
      STAGE: ${env.STAGE:-dev}
      MODE: prefix-${env.MODE:-fast}-suffix
"""


def _problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "spec.yaml")
    return [(p.line, p.message) for p in caught.value.problems]


def test_variables_and_defaults_are_substituted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAG", "1.4.2")
    monkeypatch.delenv("STAGE", raising=False)
    monkeypatch.setenv("MODE", "")  # empty takes the default, as ${X:-d} does in a shell
    api = parse_spec(SPEC, "spec.yaml").services["api"]
    assert api.image == "registry.example.com/api:1.4.2"
    assert api.env == {"STAGE": "dev", "MODE": "prefix-fast-suffix"}
    monkeypatch.setenv("STAGE", "prod")
    assert parse_spec(SPEC, "spec.yaml").services["api"].env["STAGE"] == "prod"


def test_an_unset_variable_is_a_problem_on_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAG", raising=False)
    [(line, message)] = _problems(SPEC)
    assert line == 4
    assert "${env.TAG} is not set" in message and "${env.TAG:-value}" in message


def test_every_problem_is_reported_in_one_pass() -> None:
    text = """\
app: shop
network:
  nat: one
services:
  api:
    image: nginx:1.27
    port: 8000
    cpu: 300
  ui:
    image: nginx:1.27
    port: eighty
"""
    problems = _problems(text)
    lines = sorted(line or 0 for line, _ in problems)
    assert lines == [3, 8, 11], problems  # nat: one; cpu: 300; ui's port not a number
    assert any("not a Fargate cpu" in m for _, m in problems)


def test_defaults_taken_for_refused_keys_raise_no_problems_of_their_own() -> None:
    """memory: 2048 is fine for the cpu written; with that cpu refused (a text), the
    default cpu would make the memory look wrong: that is not reported."""
    text = """\
app: shop
services:
  api:
    image: nginx:1.27
    port: 8000
    cpu: lots
    memory: 4096
"""
    [(line, message)] = _problems(text)
    assert line == 6 and "whole number" in message
