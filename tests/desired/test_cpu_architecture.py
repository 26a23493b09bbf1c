"""The task definition says the CPU the image is built for (runtimePlatform.cpuArchitecture):
an arm64 image in an X86_64 task dies with "exec format error". ``build.platform`` decides
it for a build, ``arch`` for a prebuilt image."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ecsdeploy.spec import parse_spec

from conftest import Harness, spec_text


def _with_arch(text: str, arch: str | None) -> str:
    """spec_text() with ``arch:`` on its api service."""
    if arch is None:
        return text
    return text.replace("  api:\n", f"  api:\n    arch: {arch}\n", 1)


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("image: r/x:1", "X86_64"),
        ("image: r/x:1\n    arch: arm64", "ARM64"),
        ("build: {context: ., platform: linux/arm64}", "ARM64"),
        ("build: {context: ., platform: linux/amd64}", "X86_64"),
    ],
)
def test_the_spec_says_which_cpu(service: str, expected: str) -> None:
    spec = parse_spec(f"app: shop\nservices:\n  web:\n    {service}\n    port: 80\n", "x.yaml")
    assert spec.services["web"].cpu_architecture == expected


def _registered_arch(family: str) -> str:
    ecs = boto3.client("ecs", region_name="us-west-2")
    td = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    return str(td["runtimePlatform"]["cpuArchitecture"])


def test_an_arm64_image_runs_in_an_arm64_task(harness: Harness) -> None:
    text = _with_arch(spec_text(), "arm64")
    assert "arch: arm64" in text
    harness.up(text)
    assert _registered_arch("mlapp-dev-api") == "ARM64"
    assert _registered_arch("mlapp-dev-ui") == "X86_64"
    harness.assert_up_changes_nothing(text)


def test_changing_the_cpu_registers_a_new_revision(harness: Harness) -> None:
    harness.up(spec_text())
    dep: Any = harness.deployment(_with_arch(spec_text(), "arm64"))
    plan = dep.plan_up()
    [step] = [s for s in plan.changes if s.kind == "ecs.task_definition"]
    assert [c.field for c in step.changes] == ["arch"]
    assert "CPU" in dict(type(dep.handlers["ecs.task_definition"]).describe(step.want.props, {}))
