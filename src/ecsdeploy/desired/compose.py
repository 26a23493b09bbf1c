"""spec -> the list of resources the app needs, layer by layer. Pure: no AWS calls, same
input, same output.

The only fact from AWS it needs is the region's zone names, passed in by the caller.
Each resource has a logical key (stable across runs, stored in its ``ecsdeploy:key`` tag)
and refers to others through ``Ref``s, which give the dependency graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ecsdeploy.desired.common import network_of, owner_of, routed
from ecsdeploy.desired.domain import domain_resources
from ecsdeploy.desired.express import express_services
from ecsdeploy.desired.hardening import build_hardening
from ecsdeploy.desired.iam import iam_roles
from ecsdeploy.desired.jobs import job_resources
from ecsdeploy.desired.load_balancer import load_balancer_resources
from ecsdeploy.desired.monitoring import build_alarms, build_dashboard
from ecsdeploy.desired.network import network_resources
from ecsdeploy.desired.service_connect import namespace_resources
from ecsdeploy.desired.services import classic_services, cluster, log_groups
from ecsdeploy.desired.strategies import with_strategies
from ecsdeploy.desired.uploads import artifact_resources, image_resources
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.spec.models import Spec


def desired_resources(
    spec: Spec,
    zones: Sequence[str],
    images: Mapping[str, ImageRef] | None = None,
    artifacts: Mapping[str, ArtifactRef] | None = None,
    account: str | None = None,
) -> list[Desired]:
    """Everything the spec asks for, in creation order.

    ``images`` maps each classic service to the image its task definition runs (resolved
    by the caller: given by ``image:`` or built from ``build:``); without it, no ECS
    resources (nor their alarms and dashboard) are planned. ``account`` names the
    access-log bucket, when the spec asks for one, and the jobs' roles and policies.
    """
    owner = owner_of(spec)
    out: list[Desired] = []
    net = network_of(spec)
    if net is not None:
        out += network_resources(spec, owner, net, zones)
    artifacts = artifacts or {}
    out += artifact_resources(owner, artifacts)
    out += iam_roles(spec, owner, artifacts)
    out += log_groups(spec, owner)
    classic = {n: s for n, s in spec.services.items() if s.mode == "classic"}
    express = {n: s for n, s in spec.services.items() if s.mode == "express"}
    out += image_resources(owner, images or {})
    has_lb = net is not None and bool(routed(spec))
    if net is not None and classic:
        out += load_balancer_resources(spec, owner, net)
    if has_lb:
        out += domain_resources(spec, owner)
    if has_lb:
        out += build_hardening(spec, owner, account)
    if images is not None and (classic or express):
        out.append(cluster(owner))
        out += namespace_resources(spec, owner)
        ecs_services: dict[str, Ref | str] = {}
        if net is not None and classic:
            out += classic_services(spec, owner, net, classic, images, artifacts)
            ecs_services.update({n: Ref(keys.ecs_service(n), "name") for n in classic})
        out += express_services(spec, owner, net, express, images, artifacts)
        ecs_services.update({n: n for n in express})
        out += build_alarms(spec, owner, has_lb)
        out += build_dashboard(spec, owner, list(routed(spec)) if has_lb else [], ecs_services)
    if net is not None:
        out += job_resources(spec, owner, net, images, artifacts, account)
    return with_strategies(spec, owner, out)
