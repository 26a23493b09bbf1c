"""The acceptance run on a real AWS account (`make e2e-aws`; never part of `make test`).

It deploys configs/example.yaml under a fresh env (`e2e-` and 6 hex digits) to the account
boto3's credentials name, in ECSDEPLOY_E2E_REGION (default us-west-2), through the CLI as a
user runs it:

1. refuses to run if the account already holds resources tagged with that app and env;
2. prints what the env costs while it is up (about a dollar an hour);
3. `up --yes`, waiting for the rollout: builds both example images with Docker (it needs a
   Docker engine) and pushes them to the account's ECR;
4. fetches `/api/health` and the UI (`/`) through the URL `status` reports: 200;
5. redeploys a changed api image (and env value) and waits for it: a new revision runs;
6. `status`, and `plan --detailed-exitcode`: exit 0, no changes;
7. `down --yes`, then no resource tagged with the app and env remains (tagging API).

Whatever happens (a failed step, Ctrl-C), `down --yes` runs once at the end, and the SSM
parameter the run made for the example's secret is deleted. Every wait is bounded. It takes
about half an hour; the command logs are under pytest's tmp_path (printed as it goes).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from aws_acceptance import Say, acceptance_run

# No conftest.py here: a second module named conftest would shadow tests/conftest.py for
# the tests that import from it. tests/conftest.py sets fake credentials for every test;
# ``real_aws`` puts the user's environment back (its ``user_environ`` fixture kept it).
pytestmark = pytest.mark.aws


@pytest.fixture
def real_aws(user_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The user's environment back, and the region to deploy to (ECSDEPLOY_E2E_REGION,
    else the example's us-west-2); skips unless asked for and credentials are found."""
    if user_environ.get("ECSDEPLOY_E2E_AWS") != "1":
        pytest.skip("deploys to a real AWS account: set ECSDEPLOY_E2E_AWS=1 (make e2e-aws)")
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in user_environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the fake credentials
    region = user_environ.get("ECSDEPLOY_E2E_REGION", "us-west-2")
    if boto3.Session(region_name=region).get_credentials() is None:
        pytest.skip("ECSDEPLOY_E2E_AWS=1 but boto3 finds no AWS credentials")
    return region


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print now, past pytest's capture: the run takes half an hour and costs money."""

    def show(line: str) -> None:
        with capsys.disabled():
            print(f"[e2e-aws] {line}", flush=True)

    return show


def test_example_on_real_aws(real_aws: str, say: Say, tmp_path: Path) -> None:
    acceptance_run(real_aws, tmp_path, say)
