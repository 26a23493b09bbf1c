"""What several layers of the desired resources share: the owner, the network to build,
the routed services and the listener they hang off. Pure."""

from __future__ import annotations

from ecsdeploy.spec.models import Route, Spec
from ecsdeploy.spec.naming import Owner
from ecsdeploy.spec.network_models import Network

ANYWHERE = "0.0.0.0/0"


def owner_of(spec: Spec) -> Owner:
    return Owner(spec.app, spec.env)


def network_of(spec: Spec) -> Network | None:
    """The network to build: the spec's, or the defaults when classic services need one."""
    if spec.network is not None:
        return spec.network
    if any(s.mode == "classic" for s in spec.services.values()):
        return Network()
    return None  # express-only apps use the account's default VPC, as Express Mode does


def routed(spec: Spec) -> dict[str, Route]:
    """The classic services the load balancer routes to, by name."""
    return {
        name: svc.route
        for name, svc in spec.services.items()
        if svc.mode == "classic" and svc.route is not None
    }


def default_service(spec: Spec) -> str | None:
    """The service whose route is ``/*`` with no host: the listener's default action."""
    for name, route in routed(spec).items():
        if route.host is None and route.path in ("/*", "*", "/"):
            return name
    return None
