"""Golden tests: the plan text and the status table, rendered on a 100-column console
without colour, must match tests/golden/*.txt exactly.

AWS-made ids (vpc-..., ARN suffixes) differ per run: every run of 8 or more hex digits is
masked by as many ``x`` (same length, so the layout is unchanged), in the resources' ids
before rendering and in the text after.

Regenerate after an intended change with ``ECSDEPLOY_UPDATE_GOLDEN=1 pytest
tests/output/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ecsdeploy.desired import desired_resources
from ecsdeploy.ops.plan import cost_after, cost_now
from ecsdeploy.ops.status import status as current_status
from ecsdeploy.output.cost_view import show_cost
from ecsdeploy.output.plan_details import attributes
from ecsdeploy.output.plan_view import names_of, show_plan
from ecsdeploy.output.status_view import show_status
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Handler
from ecsdeploy.spec import load_spec

from conftest import CONFIGS, Harness, spec_text

GOLDEN = Path(__file__).parents[1] / "golden"
UPDATE = os.environ.get("ECSDEPLOY_UPDATE_GOLDEN") == "1"
HEX = re.compile(r"[0-9a-f]{8,}")

# the example spec changed: no NAT (so interface endpoints), more memory for api, and a new
# port for api (its target group is replaced, and what uses it)
CHANGED = (
    spec_text(nat="none")
    .replace("memory: 1024", "memory: 2048")
    .replace("port: 8000", "port: 8080")
)


def console() -> Console:
    return Console(width=100, record=True, color_system=None, file=io.StringIO())


def masked(text: str) -> str:
    return HEX.sub(lambda m: "x" * len(m.group()), text)


def check(name: str, out: Console) -> None:
    text = masked(out.export_text())
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with ECSDEPLOY_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text()
    assert text == expected, (
        f"{name} differs from the golden file; if the change is intended, regenerate with "
        "ECSDEPLOY_UPDATE_GOLDEN=1 and review the diff"
    )


def mask_ids(found: Any) -> None:
    """Fixed ids in the data itself, before rendering: a table may fold an id mid-way."""
    for have in found:
        have.id = masked(have.id)


def plan_text(dep: Any, title: str) -> Console:
    out = console()
    the_plan = dep.plan_up()
    mask_ids([s.have for s in the_plan.steps if s.have is not None])
    show_plan(out, the_plan, title)
    show_cost(out, cost_now(the_plan, dep.target.region), cost_after(dep.target.spec))
    return out


def test_plan_of_a_new_app(harness: Harness) -> None:
    check("plan_create.txt", plan_text(harness.deployment(spec_text()), "Plan for mlapp/dev"))


def test_plan_of_changes_and_the_status_table(harness: Harness) -> None:
    harness.up(spec_text())
    check("plan_changes.txt", plan_text(harness.deployment(CHANGED), "Plan for mlapp/dev"))
    dep: Any = harness.deployment(spec_text())
    out = console()
    layers = {cls.kind: cls.layer for cls in registry.KINDS}
    status = current_status(dep)
    mask_ids(status.resources)
    show_status(out, "mlapp/dev in us-west-2", status, layers)
    check("status.txt", out)


def test_golden_files_can_fail() -> None:
    """The comparison is exact: one changed character is a failure."""
    out = console()
    out.print("Plan: 1 to create, 0 to update, 0 to delete.")
    (GOLDEN / "_probe.txt").write_text("Plan: 1 to create, 0 to update, 0 to delete!\n")
    try:
        if not UPDATE:
            with pytest.raises(AssertionError, match="differs from the golden file"):
                check("_probe.txt", out)
    finally:
        (GOLDEN / "_probe.txt").unlink()


@pytest.mark.parametrize(
    "config", ["example.yaml", "express.yaml", "private-no-nat.yaml", "hardened.yaml"]
)
def test_every_created_kind_says_what_it_is_and_sets(config: str) -> None:
    """Each kind a create can show has a plain label; the attributes of each render."""
    spec = load_spec(CONFIGS / config)
    from ecsdeploy.images.refs import resolve

    images = resolve(spec, CONFIGS, "123456789012.dkr.ecr.us-west-2.amazonaws.com")
    zones = ["us-west-2a", "us-west-2b", "us-west-2c"]
    desired = desired_resources(spec, zones, images, {}, account="123456789012")
    names = {d.key: d.name for d in desired}
    for want in desired:
        kind = registry.kind_class(want.kind)
        assert kind is not None and kind.label
        lines = attributes(want.kind, want.props, names)
        if kind.describe.__func__ is not Handler.describe.__func__:  # type: ignore[attr-defined]
            assert lines and all(label and text for label, text in lines), want.key
        for _, text in lines:
            assert "Ref(" not in text and "Joined(" not in text, (want.key, text)


def test_every_kind_has_a_label() -> None:
    assert all("label" in vars(cls) and cls.label for cls in registry.KINDS)


def test_secrets_show_their_source_never_a_value(harness: Harness) -> None:
    dep: Any = harness.deployment(spec_text())
    the_plan = dep.plan_up()
    task = next(s for s in the_plan.steps if s.key == "taskdef/api")
    lines = dict(attributes(task.kind, task.want.props, names_of(the_plan)))
    assert lines["secrets"] == "API_TOKEN from ssm /mlapp/api-token"
