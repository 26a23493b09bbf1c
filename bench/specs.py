"""Specs the benchmark deploys: N services behind one load balancer, and the example app.

Services name a prebuilt image (``image:``), so no Docker engine is involved; a redeploy
changes one service's image tag. The network is the example's: two zones, one NAT gateway,
an S3 gateway endpoint, a public load balancer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

IMAGE = "public.ecr.aws/docker/library/nginx"
FIRST_TAG = "1.27.1"
NEXT_TAG = "1.27.2"
REGION = "us-west-2"
NETWORK: dict[str, Any] = {"cidr": "10.0.0.0/16", "azs": 2, "nat": "single", "endpoints": ["s3"]}


def services_spec(count: int, env: str, redeployed: str | None = None) -> dict[str, Any]:
    """``count`` services, the first on ``/*``, the others on ``/sN/*``; ``redeployed`` runs
    the next image tag."""
    services: dict[str, Any] = {}
    for index in range(count):
        name = f"s{index}"
        tag = NEXT_TAG if name == redeployed else FIRST_TAG
        services[name] = {
            "image": f"{IMAGE}:{tag}",
            "port": 80,
            "health_check": "/" if index == 0 else f"/{name}/health",
            "route": "/*" if index == 0 else f"/{name}/*",
        }
    return {
        "app": "bench",
        "env": env,
        "region": REGION,
        "network": NETWORK,
        "load_balancer": {"public": True},
        "services": services,
    }


def example_spec(example: Path, env: str, redeployed: str | None = None) -> dict[str, Any]:
    """configs/example.yaml with prebuilt images instead of builds (the services' and the
    jobs'), and no secrets (the SSM parameter it names exists only in the account the
    example was written for)."""
    spec: dict[str, Any] = yaml.safe_load(example.read_text())
    spec["env"] = env
    for name, service in spec["services"].items():
        service.pop("build", None)
        service.pop("secrets", None)
        tag = NEXT_TAG if name == redeployed else FIRST_TAG
        service["image"] = f"{IMAGE}:{tag}"
    for job in spec.get("jobs", {}).values():  # a job built from a service's context
        job.pop("build", None)
        job["image"] = f"{IMAGE}:{FIRST_TAG}"
    return spec


def write(spec: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
