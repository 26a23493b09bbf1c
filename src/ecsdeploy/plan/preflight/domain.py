"""The custom-domain check (``load_balancer.domain``): the Route 53 public hosted zone of
every name exists in the account, and no record ecsdeploy would write there (an alias A
or AAAA record per name) already exists without this app's owner marker (see
``resources.route53_record``): ecsdeploy never overwrites one, and `up` would stop at it.
Read-only: ListHostedZones, and ListResourceRecordSets per zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecsdeploy.desired.common import owner_of
from ecsdeploy.desired.domain import domain_names
from ecsdeploy.plan.preflight.base import Check, Facts
from ecsdeploy.resources.route53_record import (
    EXCLUDES,
    Zone,
    bare,
    hosted_zones,
    marker_name,
    missing_zone,
    read_marker,
    zone_of,
)
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import Owner

DOMAIN = "domain"


def check_domain(spec: Spec, ctx: Facts) -> list[Check]:
    """Each name's zone exists; no record in the way that another owner wrote. No row
    without a domain (the report of such an app is as it was)."""
    names = domain_names(spec)
    if not names or spec.load_balancer is None:
        return []
    wanted_zone = spec.load_balancer.zone
    route53 = ctx.require().client("route53")
    zones = hosted_zones(route53)
    out: list[Check] = []
    by_zone: dict[Zone, list[str]] = {}
    for name in names:
        zone = zone_of(name, wanted_zone, zones)
        if zone is None:
            out.append(Check(DOMAIN, "FAIL", missing_zone(name, wanted_zone)))
        else:
            by_zone.setdefault(zone, []).append(name)
    owner = owner_of(spec)
    for zone, in_zone in by_zone.items():
        sets = route53.pages("ListResourceRecordSets", "ResourceRecordSets", HostedZoneId=zone[0])
        by_name = {(bare(s["Name"]), str(s["Type"])): s for s in sets}
        for name in in_zone:
            taken = _taken(by_name, owner, name)
            if taken:
                out.append(
                    Check(
                        DOMAIN,
                        "FAIL",
                        f"{name}: a {taken} record already exists in the zone {zone[1]} and "
                        "this app did not write it; ecsdeploy never overwrites a record "
                        "(`up` stops at it): delete it, or choose another name",
                    )
                )
            else:
                out.append(Check(DOMAIN, "OK", f"{name}: zone {zone[1]} ({zone[0]})"))
    return out


def _taken(by_name: Mapping[tuple[str, str], Any], owner: Owner, name: str) -> str | None:
    """The type of a record at ``name`` that an alias A or AAAA record would collide with
    and that this app did not write, else None."""
    types: Sequence[str] = sorted({t for own in ("A", "AAAA") for t in EXCLUDES[own]})
    for record_type in types:
        if (bare(name), record_type) not in by_name:
            continue
        marker = by_name.get((marker_name(name, record_type), "TXT"))
        values = marker.get("ResourceRecords", []) if marker else []
        if not values or not owner.owns(read_marker(values[0]["Value"])):
            return record_type
    return None
