"""spec -> the custom domain (``load_balancer.domain``): the ACM certificate of every name
(the domain, its aliases, the hosts of host routes), the CNAME record validating each,
and an alias A and AAAA record per name pointing at the load balancer; and the URL the
app then answers at. Pure."""

from __future__ import annotations

from typing import Any

from ecsdeploy.desired.common import routed
from ecsdeploy.resources import keys
from ecsdeploy.resources.acm_certificate import CertificateProps, names_digest, validation_attr
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.route53_record import RecordProps
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import Owner

VALIDATION_TTL = 300


def domain_names(spec: Spec) -> list[str]:
    """The names the app answers at: the domain first, then the aliases and the hosts of
    routed services, each once; [] without a domain."""
    lb = spec.load_balancer
    if lb is None or lb.domain is None:
        return []
    hosts = [route.host for route in routed(spec).values() if route.host]
    return list(dict.fromkeys([lb.domain, *lb.aliases, *hosts]))


def certificate_key(spec: Spec) -> str | None:
    """The key of the certificate ecsdeploy requests; None without a domain."""
    names = domain_names(spec)
    return keys.certificate(names_digest(names)) if names else None


def domain_url(spec: Spec) -> str | None:
    """``https://DOMAIN`` with a domain, else None."""
    names = domain_names(spec)
    return f"https://{names[0]}" if names else None


def domain_resources(spec: Spec, owner: Owner) -> list[Desired]:
    """The certificate, its validation records and the alias records; none without a
    domain."""
    names = domain_names(spec)
    cert = certificate_key(spec)
    if not names or cert is None:
        return []
    assert spec.load_balancer is not None
    zone = spec.load_balancer.zone
    out = [
        Desired(
            "acm.certificate",
            cert,
            names[0],
            CertificateProps(domain=names[0], names=frozenset(names), status="ISSUED"),
        )
    ]
    for name in names:
        base = name.removeprefix("*.")
        if base != name and base in names:
            continue  # ACM validates *.NAME by the record of NAME
        out.append(
            _record(
                keys.validation_record(name),
                f"{name} validation",
                zone,
                name,
                "CNAME",
                {
                    "name": Ref(cert, validation_attr("name", name)),
                    "values": (Ref(cert, validation_attr("value", name)),),
                    "ttl": VALIDATION_TTL,
                    "alias": None,
                },
            )
        )
    for name in names:
        for record_type in ("A", "AAAA"):
            out.append(
                _record(
                    keys.alias_record(record_type, name),
                    f"{name} {record_type}",
                    zone,
                    name,
                    record_type,
                    {
                        "name": name,
                        "values": (),
                        "ttl": None,
                        "alias": {
                            "dns_name": Ref(keys.LOAD_BALANCER, "dns_name"),
                            "zone_id": Ref(keys.LOAD_BALANCER, "zone_id"),
                        },
                    },
                )
            )
    return out


def _record(
    key: str, name: str, zone: str | None, domain: str, record_type: str, rest: dict[str, Any]
) -> Desired:
    return Desired(
        "route53.record",
        key,
        name,
        RecordProps(zone=zone, domain=domain, type=record_type, **rest),
    )
