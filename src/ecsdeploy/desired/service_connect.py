"""spec -> ECS Service Connect: the app's Cloud Map HTTP namespace, each classic service's
place in it, and the security-group rules that let exactly the calling services in. Pure.

Every classic service joins the namespace (its tasks get the Service Connect proxy, which
resolves the others' names); one with a port also answers in it as ``http://NAME:PORT``
(``spec.internal``). Its security group lets in, on that port, only the services whose env
refers to its internal URL.
"""

from __future__ import annotations

from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.cloudmap_namespace import NamespaceProps
from ecsdeploy.resources.service_connect import Connect
from ecsdeploy.spec.internal import callers, connected
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import Owner

Rule = tuple[str, int, int, str | Ref]


def namespace_resources(spec: Spec, owner: Owner) -> list[Desired]:
    """The namespace, when the app uses Service Connect."""
    if not connected(spec):
        return []
    return [
        Desired(
            "servicediscovery.namespace",
            keys.NAMESPACE,
            owner.prefix,
            NamespaceProps(
                name=owner.prefix,
                description=f"ecsdeploy {owner.prefix}: ECS Service Connect",
            ),
        )
    ]


def port_name(spec: Spec, name: str) -> str | None:
    """The name of the service's port mapping, when Service Connect refers to it."""
    svc = spec.services[name]
    return name if name in connected(spec) and svc.port is not None else None


def connect_of(spec: Spec, name: str) -> Connect | None:
    """The service's Service Connect settings, or None outside a namespace."""
    if name not in connected(spec):
        return None
    svc = spec.services[name]
    servers = frozenset({(name, name, name, svc.port)} if svc.port is not None else set())
    return (Ref(keys.NAMESPACE, "arn"), servers)


def caller_rules(spec: Spec, name: str) -> frozenset[Rule]:
    """Ingress on the service's port from each service that calls it at its internal URL."""
    svc = spec.services[name]
    if name not in connected(spec) or svc.port is None:
        return frozenset()
    port = svc.port
    return frozenset(
        ("tcp", port, port, Ref(keys.service_group(caller)))
        for caller in callers(spec).get(name, frozenset())
        if caller in connected(spec)
    )
