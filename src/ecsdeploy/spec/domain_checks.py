"""The spec rules of a custom domain (``load_balancer.domain``, ``aliases``, ``zone``):
the names are DNS host names, within the zone when one is given, and the domain and a
``certificate_arn`` of one's own are not given together."""

from __future__ import annotations

import re

from ecsdeploy.spec.limits import Found, Path
from ecsdeploy.spec.models import Spec

# a host name: labels of letters, digits and hyphens; a leading "*." for a wildcard
HOST_RE = re.compile(
    r"^(\*\.)?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
)
MAX_NAMES = 10  # ACM's default quota of names per certificate


def in_zone(name: str, zone: str) -> bool:
    """Whether ``name`` is ``zone`` or a name under it."""
    zone = zone.rstrip(".").lower()
    return name == zone or name.endswith("." + zone)


def check_domain(spec: Spec) -> Found:
    lb = spec.load_balancer
    if lb is None:
        return
    if lb.domain is None:
        if lb.aliases:
            yield ("load_balancer", "aliases"), "aliases need a `domain` (the main name)"
        if lb.zone is not None:
            yield ("load_balancer", "zone"), "zone needs a `domain` whose records it holds"
        return
    if lb.certificate_arn is not None:
        yield (
            ("load_balancer", "domain"),
            "give either domain (ecsdeploy requests and validates a certificate) or "
            "certificate_arn (your own certificate), not both",
        )
    if not any(s.mode == "classic" and s.routed for s in spec.services.values()):
        yield (
            ("load_balancer", "domain"),
            "a custom domain is served by the load balancer ecsdeploy builds for classic "
            "services with a `route:`, and no service has one (Express Mode services keep "
            "the HTTPS URL AWS gives them)",
        )
    named: list[tuple[Path, str]] = [(("load_balancer", "domain"), lb.domain)]
    named += [(("load_balancer", "aliases", i), a) for i, a in enumerate(lb.aliases)]
    for where, name in named:
        if not HOST_RE.match(name):
            yield where, f"'{name}' is not a DNS name in lower case (e.g. app.example.com)"
        elif lb.zone is not None and not in_zone(name, lb.zone):
            yield where, f"'{name}' is not in the zone {lb.zone}"
    if lb.zone is not None and not HOST_RE.match(lb.zone.rstrip(".")):
        yield ("load_balancer", "zone"), f"'{lb.zone}' is not a DNS zone name (e.g. example.com)"
    hosts = {s.route.host for s in spec.services.values() if s.route and s.route.host}
    if len({lb.domain, *lb.aliases, *hosts}) > MAX_NAMES:
        yield (
            ("load_balancer", "aliases"),
            f"more than {MAX_NAMES} names (domain, aliases and route hosts) for one "
            "certificate; ACM allows 10 unless its quota is raised",
        )
