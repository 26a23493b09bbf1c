"""An ECS service's Service Connect settings: the normalised prop, the request and what a
DescribeServices answer says of it.

The prop is ``(namespace, servers)``: the Cloud Map namespace's ARN, and for a service
others call, one ``(port name, discovery name, client alias name, port)`` (a service that
only calls others has none). ECS reads ``portName`` from the task definition's port
mapping of that name, registers ``discoveryName`` in the namespace, and has the proxy in
every task of the namespace answer ``http://ALIAS:PORT``.
See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts.html
and https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceConnectConfiguration.html

DescribeServices reports the settings on each deployment, not on the service: the
PRIMARY deployment's ``serviceConnectConfiguration`` is what runs. An answer without
``deploymentConfiguration`` comes from an emulator that reports neither (moto): then the
prop is left out, and ``diff`` does not compare it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecsdeploy.resources.base import Ref

Server = tuple[str, str, str, int]  # (port name, discovery name, client alias, port)
Connect = tuple[str | Ref, frozenset[Server]]


def connect_request(connect: Connect | None) -> dict[str, Any]:
    """The ``serviceConnectConfiguration`` of a CreateService/UpdateService call; off
    (``enabled: false``) for None."""
    if connect is None:
        return {"enabled": False}
    namespace, servers = connect
    out: dict[str, Any] = {"enabled": True, "namespace": namespace}
    if servers:
        out["services"] = [
            {
                "portName": port_name,
                "discoveryName": discovery,
                "clientAliases": [{"port": port, "dnsName": alias}],
            }
            for port_name, discovery, alias, port in sorted(servers)
        ]
    return out


def observed_connect(svc: Mapping[str, Any]) -> tuple[bool, Connect | None]:
    """(whether the answer says, the settings or None when off) of a DescribeServices
    service."""
    if "deploymentConfiguration" not in svc:
        return False, None
    primary: Mapping[str, Any] = next(
        (d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"), {}
    )
    config = primary.get("serviceConnectConfiguration") or {}
    if not config.get("enabled"):
        return True, None
    servers = frozenset(
        (
            str(s.get("portName", "")),
            str(s.get("discoveryName", s.get("portName", ""))),
            str(alias.get("dnsName", "")),
            int(alias.get("port", 0)),
        )
        for s in config.get("services", [])
        for alias in s.get("clientAliases", [])
    )
    return True, (str(config.get("namespace", "")), servers)


def connect_text(connect: Connect, names: Mapping[str, str]) -> str:
    """The plan's line: the namespace, and the URL the others call this service at."""
    namespace, servers = connect
    where = names.get(namespace.key, namespace.key) if isinstance(namespace, Ref) else namespace
    urls = ", ".join(f"http://{alias}:{port}" for _, _, alias, port in sorted(servers))
    return f"{where}" + (f", answers at {urls}" if urls else ", calls only")
