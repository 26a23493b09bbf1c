"""The deployer policies (tests/project/test_deployer_policy.py) cover the daily-loop
commands too: `promote`, `ls` and the note on an unknown env, `restart`, `scale`,
`up --ttl` and `gc`, each run against moto with every call recorded and mapped to the IAM
actions it needs."""

from __future__ import annotations

import pytest
from test_deployer_policy import (
    ParamRecorder,
    assert_policy_allows,
    pushes,
    put_image,
    rec,
    run,
)

from ecsdeploy.aws.clients import Aws
from ecsdeploy.resources import expiry
from ecsdeploy.spec.naming import Owner

from conftest import CONFIGS

__all__ = ["pushes", "rec"]  # the fixtures, from the main policy test


@pytest.mark.usefixtures("no_preflight")
def test_promote_ls_and_the_unknown_env_note(rec: ParamRecorder, pushes: list[str]) -> None:
    put_image("api", "v1")
    config = str(CONFIGS / "example.yaml")
    run("up", config, "--yes", "--no-wait")
    run("promote", config, "--from", "dev", "--to", "qa", "--yes", "--no-wait")
    # api, ui and the train job built for dev; promoted to qa (the job too) without a push
    assert len(pushes) == 3, pushes
    assert "qa" in run("ls", "--region", "us-west-2")
    run("status", config, "--env", "prdo")
    run("restart", config, "ui", "--no-wait")
    run("scale", config, "ui", "2", "--no-wait")
    run("scale", config, "api", "--max", "5", "--no-wait")
    run("up", config, "--env", "pr-1", "--ttl", "1d", "--yes", "--no-wait")
    run("up", config, "--env", "pr-1", "--ttl", "2d", "--yes", "--no-wait")  # renewed
    expiry.write(Aws("us-west-2"), Owner("mlapp", "pr-1"), "2020-01-01T00:00:00Z")
    run("gc", config, "--dry-run")
    assert "Removed mlapp/pr-1" in run("gc", config, "--yes")
    ops = {str(c) for c in rec.calls}
    assert {"ecs:ListTasks", "tagging:GetResources", "ecs:TagResource"} <= ops, ops
    assert "application-autoscaling:RegisterScalableTarget" in ops
    assert {"ssm:AddTagsToResource", "ssm:DeleteParameters"} <= ops
    assert_policy_allows(rec, pushed=False)
