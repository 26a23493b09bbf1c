"""Internal URLs between services (ECS Service Connect), and their spec rules.

``${services.NAME.internal_url}`` in a service's env is ``http://NAME:PORT``: the name
and port the Service Connect proxy in every task of the app's namespace answers for NAME
(the client alias), so the call stays inside the VPC. Which services refer to which
decides the security-group rules (exactly the referring services, on the referred
service's port) and, unless ``network.service_connect`` says otherwise, whether the app
joins a namespace at all. ``${services.NAME.url}`` stays the public load-balancer URL.

The reference is left in place by ``spec.interpolate`` (which does ``${env.X}``) and
expanded with the desired resources (``desired.env``): the checks here report a wrong one
against the env key that holds it, file and line, with the other spec problems. Pure.
"""

from __future__ import annotations

import difflib
import re

from ecsdeploy.spec.limits import INTERNAL_REF_RE, Found, Path
from ecsdeploy.spec.models import Service, Spec

INTERNAL_REF = re.compile(r"\$\{\s*services\.([a-z0-9-]+)\.internal_url\s*\}")


def internal_url(name: str, port: int) -> str:
    """What the other services call ``name`` by: its Service Connect client alias."""
    return f"http://{name}:{port}"


def expand_internal(spec: Spec, value: str) -> str:
    """``value`` with each ``${services.X.internal_url}`` replaced by X's internal URL."""
    return INTERNAL_REF.sub(
        lambda m: internal_url(m.group(1), spec.services[m.group(1)].listening_port), value
    )


def callers(spec: Spec) -> dict[str, frozenset[str]]:
    """Each service another refers to by its internal URL -> the services that do."""
    found: dict[str, set[str]] = {}
    for name, svc in spec.services.items():
        for value in svc.env.values():
            for match in INTERNAL_REF.finditer(value):
                found.setdefault(match.group(1), set()).add(name)
    return {target: frozenset(names) for target, names in sorted(found.items())}


def service_connect_on(spec: Spec) -> bool:
    """Whether the app's classic services join a Service Connect namespace:
    ``network.service_connect`` when set, else whether any service refers to another's
    internal URL."""
    net = spec.network
    if net is not None and net.service_connect is not None:
        return net.service_connect
    return bool(callers(spec))


def connected(spec: Spec) -> dict[str, Service]:
    """The services in the namespace (the classic ones), or none with Service Connect off."""
    if not service_connect_on(spec):
        return {}
    return {n: s for n, s in spec.services.items() if s.mode == "classic"}


def check_internal_reference(spec: Spec, path: Path, expr: str) -> Found | None:
    """The problems of ``${expr}`` if it is an internal-URL reference, else None."""
    match = INTERNAL_REF_RE.match(expr)
    if not match:
        return None
    return _problems(spec, path, expr, match.group(1))


def _problems(spec: Spec, path: Path, expr: str, target: str) -> Found:
    ref = f"${{{expr}}}"
    if target not in spec.services:
        close = difflib.get_close_matches(target, list(spec.services), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "choose from " + ", ".join(spec.services)
        yield path, f"{ref} names no service; {hint}"
        return
    svc = spec.services[target]
    caller = spec.services.get(str(path[1])) if len(path) > 1 else None
    if svc.mode == "express" or (caller is not None and caller.mode == "express"):
        yield (
            path,
            f"{ref}: Service Connect joins classic services only; Express Mode services "
            "cannot call or be called at an internal URL (use mode: classic)",
        )
    elif svc.port is None:
        yield (
            path,
            f"{ref}: service '{target}' has no `port:`, so nothing can connect to it; add "
            "the port it listens on",
        )
    net = spec.network
    if net is not None and net.service_connect is False:
        yield (
            path,
            f"{ref} needs ECS Service Connect, and network.service_connect is false; "
            "remove that line (it turns on by itself) or set it to true",
        )


def check_public(base: Path, svc: Service) -> Found:
    """``public: false`` means no load balancer route: refuse the settings that need one."""
    if svc.public:
        return
    if svc.route is not None:
        yield (
            (*base, "route"),
            "`public: false` keeps the service off the load balancer, and a route puts it "
            "there; remove the route (other services reach it at "
            "${services.NAME.internal_url}) or the `public: false`",
        )
    if svc.mode == "express":
        yield (
            (*base, "public"),
            "an Express Mode service is always behind AWS's public load balancer; use "
            "mode: classic for a private service",
        )
