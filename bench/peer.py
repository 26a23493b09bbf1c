"""fabfuel's ``ecs-deploy`` (PyPI ``ecs-deploy``) making the same one-image redeploy.

It is installed into its own virtualenv under ``.bench/`` so its dependencies never touch
ecsdeploy's. It updates an existing service: copies the service's task definition with the
new image, registers it and calls UpdateService. ``--timeout -1`` makes it return without
waiting for the rollout (moto never finishes one), as ``up --no-wait`` does; it points at
the proxy through AWS_ENDPOINT_URL, which boto3 honours.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bench import specs
from ecsdeploy.desired import owner_of
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.spec.loader import load_spec

if TYPE_CHECKING:
    from bench.__main__ import Measure, Runner

VERSION = "1.17.0"
PEER_TAG = "1.27.3"  # a tag neither ecsdeploy run used


def _venv(work: Path) -> Path:
    return work.parent.parent / "ecs-deploy-venv"


def available(work: Path) -> bool:
    """Install ecs-deploy into .bench/ecs-deploy-venv when missing; False (with the reason
    in ``work/install.log``) when that cannot be done."""
    venv = _venv(work)
    ecs = venv / "bin" / "ecs"
    if ecs.exists():
        return True
    work.mkdir(parents=True, exist_ok=True)
    log = work / "install.log"
    with log.open("w") as out:
        steps = [
            ["python3", "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "--quiet", f"ecs-deploy=={VERSION}"],
        ]
        for step in steps:
            if subprocess.run(step, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                print(f"ecs-deploy could not be installed; see {log}", file=sys.stderr)
                return False
    return ecs.exists()


def redeploy(runner: Runner, spec_path: Path, work: Path, label: str) -> Measure:
    """``ecs deploy CLUSTER SERVICE --image CONTAINER IMAGE`` for the spec's first service."""
    spec = load_spec(spec_path)
    service = next(iter(spec.services))  # ecsdeploy names service and container after it
    image = f"{specs.IMAGE}:{PEER_TAG}"
    argv = [
        str(_venv(work) / "bin" / "ecs"),
        "deploy",
        cluster_name(owner_of(spec)),
        service,
        "--image",
        service,
        image,
        "--timeout",
        "300" if runner.wait_rollouts else "-1",  # -1: do not wait for the rollout
        "--region",
        specs.REGION,
        "--no-deregister",  # keep the old revision (ecsdeploy keeps them until down)
    ]
    return runner.run("ecs-deploy", argv, label)
