"""Route 53 records of ``load_balancer.domain``: the CNAME by which ACM validates each
name, and an alias A and AAAA record per name pointing at the load balancer.

Ownership. Route 53 records carry no tags, and a zone is usually shared with records
ecsdeploy must never touch (the apex, mail, other apps). Each record ecsdeploy writes
gets an owner marker beside it: a TXT record named ``_ecsdeploy-TYPE.NAME`` (e.g.
``_ecsdeploy-aaaa.app.example.com``) holding ``"ecsdeploy:app=A ecsdeploy:env=E
ecsdeploy:key=K"``, the same three facts the tags of every other kind hold. Record and
marker are written, changed and deleted in one ``ChangeResourceRecordSets`` batch, which
Route 53 applies atomically: a record ecsdeploy wrote always has its marker, even after
a run killed at any point, and a record without one was not written by this app. This
was chosen over the applied record (the SSM parameter of ``reconcile.applied``), which
is written only after a whole apply (a killed run would leave records nobody can claim)
and is not in the zone, where whoever looks at the records sees the marker. The marker
sits at its own name because a CNAME may not share its name with any other record.

A record is created with ``CREATE``, which Route 53 refuses when the name and type are
taken: what exists is never overwritten. Before that, the observe reports a record under
a wanted name (of the wanted type, or a CNAME, which excludes every other type) without
this app's marker as taken, and ``up`` stops before any change (exit 3).

The zone: ``load_balancer.zone`` when given, else the longest public hosted zone of the
account whose name ends the record's name. Records are read (one ListHostedZones, one
paginated ListResourceRecordSets per zone) only when the spec asks for a domain or the
applied record holds a record; then the zones of the wanted names, or every public
zone when the applied record holds a record the spec no longer wants (a domain moved to
another zone), or for ``down``.
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import AwsError, InvalidRequest, NotFound
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Change, Desired, Handler, Observed, Props, Ref
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.reads import SharedReads, read_each, shared
from ecsdeploy.spec.naming import TAG_APP, TAG_ENV, TAG_KEY, Owner

KEY_PREFIX = "dns/"
MARKER_PREFIX = "_ecsdeploy-"
MARKER_TTL = 300
# a record of the wanted type, or a CNAME (which shares its name with nothing), is taken
EXCLUDES = {"A": ("A", "CNAME"), "AAAA": ("AAAA", "CNAME"), "CNAME": ("A", "AAAA", "CNAME", "TXT")}

Zone = tuple[str, str]  # (hosted zone id, zone name without the final dot)


class NoZone(AwsError):
    """No public hosted zone of the account holds a name ecsdeploy must write."""


def bare(name: str) -> str:
    """A DNS name as compared: lower case, no final dot, ``*`` as itself."""
    return name.replace("\\052", "*").rstrip(".").lower()


def marker_name(name: str, record_type: str) -> str:
    """Where the owner marker of the record ``name`` of ``record_type`` lives."""
    return f"{MARKER_PREFIX}{record_type.lower()}.{bare(name)}"


def marker_value(owner: Owner, key: str) -> str:
    """The TXT value of an owner marker (quoted, as Route 53 wants TXT values)."""
    return f'"{TAG_APP}={owner.app} {TAG_ENV}={owner.env} {TAG_KEY}={key}"'


def read_marker(text: str) -> dict[str, str]:
    """The facts of a marker's TXT value (the tags it stands for)."""
    out: dict[str, str] = {}
    for part in text.strip('"').split():
        name, _, val = part.partition("=")
        out[name] = val
    return out


def hosted_zones(route53: Client, reads: SharedReads | None = None) -> list[Zone]:
    """The account's public hosted zones (private ones answer only inside a VPC)."""

    def read() -> list[Zone]:
        return [
            (z["Id"], bare(z["Name"]))
            for z in route53.pages("ListHostedZones", "HostedZones")
            if not z.get("Config", {}).get("PrivateZone")
        ]

    return shared(reads, ("route53:zones",), read)


def zone_of(name: str, wanted: str | None, zones: Sequence[Zone]) -> Zone | None:
    """The zone that holds ``name``: the one named ``wanted``, or the longest match."""
    name = bare(name)
    if wanted:
        return next((z for z in zones if z[1] == bare(wanted)), None)
    holding = [z for z in zones if name == z[1] or name.endswith("." + z[1])]
    return max(holding, key=lambda z: len(z[1]), default=None)


def missing_zone(name: str, wanted: str | None) -> str:
    """Why there is no zone for ``name``, and what to do."""
    if wanted:
        return (
            f"the account has no public hosted zone {wanted} (load_balancer.zone) to write "
            f"{name} to; create it in Route 53, or correct `zone`"
        )
    return (
        f"the account has no public hosted zone holding {name}; create one (e.g. for its "
        "parent domain) and delegate the domain to it at the registrar, or give "
        "load_balancer.zone"
    )


@dataclass(frozen=True, kw_only=True)
class RecordProps(Props):
    zone: str | None  # the hosted zone; None: the longest public one holding ``domain``
    domain: str  # the name the record serves (a validation record: the name validated)
    type: str  # CNAME (validation), A or AAAA (alias)
    name: str | Ref  # the record's name: a validation record's comes from its certificate
    values: tuple[str | Ref, ...]
    ttl: int | None
    alias: Mapping[str, str | Ref] | None  # dns_name and zone_id of the load balancer


class RecordHandler(Handler[RecordProps]):
    kind: ClassVar[str] = "route53.record"
    props_class: ClassVar[type[Props]] = RecordProps
    label: ClassVar[str] = "DNS record"
    delete_note: ClassVar[str] = "the name stops resolving to the app"
    layer: ClassVar[str] = "load_balancer"
    rank: ClassVar[int] = 8  # deleted before the load balancer and the certificate
    services: ClassVar[tuple[str, ...]] = ("route53",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"zone", "type"})
    downtime: ClassVar[str] = "the name does not resolve between the delete and the create"

    @classmethod
    def describe(cls, typed: RecordProps, names: Names) -> list[Line]:
        props = typed.as_mapping()
        zone = props.get("zone") or f"the longest public hosted zone holding {props['domain']}"
        if isinstance(props.get("name"), Ref):
            return [
                ("record", f"CNAME validating {props['domain']}"),
                ("zone", zone),
                ("certificate", value(props["name"], names)),
            ]
        target = props.get("alias") or {}
        return [
            ("record", f"{props['name']} {props['type']}"),
            ("zone", zone),
            ("alias of", value(target.get("dns_name"), names)),
        ]

    # --- reading -----------------------------------------------------------------------
    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        recorded = {k for k in self.ctx.recorded if k.startswith(KEY_PREFIX)}
        if not wants and not recorded:
            return []
        route53 = self.client("route53")
        zones = hosted_zones(route53, self.ctx.reads)
        if recorded <= {w.key for w in wants}:
            wanted = [w.props.as_mapping() for w in wants]
            wanted_zones = {zone_of(p["domain"], p["zone"], zones) for p in wanted}
            scan = [z for z in zones if z in wanted_zones]
        else:
            scan = list(zones)
        found: list[Observed] = []
        for zone, sets in zip(scan, read_each(lambda z: self._sets(route53, z), scan), strict=True):
            found += self._in_zone(zone, sets, wants)
        return found

    @staticmethod
    def _sets(route53: Client, zone: Zone) -> list[dict[str, Any]]:
        try:
            return list(
                route53.pages("ListResourceRecordSets", "ResourceRecordSets", HostedZoneId=zone[0])
            )
        except NotFound:
            return []  # deleted since it was listed

    def _in_zone(
        self, zone: Zone, sets: Sequence[dict[str, Any]], wants: Sequence[Desired]
    ) -> list[Observed]:
        by_name = {(bare(s["Name"]), s["Type"]): s for s in sets}
        owner = self.ctx.owner
        found: list[Observed] = []
        ours: set[tuple[str, str]] = set()
        for (name, record_type), marker in by_name.items():
            if record_type != "TXT" or not name.startswith(MARKER_PREFIX):
                continue
            text = "".join(r["Value"] for r in marker.get("ResourceRecords", [])[:1])
            facts = read_marker(text)
            if not owner.owns(facts) or TAG_KEY not in facts:
                continue
            kind, _, target = name.removeprefix(MARKER_PREFIX).partition(".")
            record = by_name.get((target, kind.upper()))
            if record is None:
                continue  # the record went (by hand): it is created again
            ours.add((target, kind.upper()))
            found.append(self._observed(zone, facts[TAG_KEY], record, marker, facts))
        for want in wants:
            props = want.props.as_mapping()
            wanted = props.get("name")
            if not isinstance(wanted, str) or not zone_of(wanted, props.get("zone"), [zone]):
                continue  # a validation record's name is known once its certificate is
            for other in EXCLUDES[props["type"]]:
                held = by_name.get((bare(wanted), other))
                if held is not None and (bare(wanted), other) not in ours:
                    found.append(
                        Observed(
                            self.kind,
                            want.key,
                            f"{zone[0]}/{bare(wanted)}/{other}",
                            f"{bare(wanted)} {other} in {zone[1]}",
                            {},
                            owned=False,
                        )
                    )
                    break
        return found

    def _observed(
        self,
        zone: Zone,
        key: str,
        record: Mapping[str, Any],
        marker: Mapping[str, Any],
        tags: dict[str, str],
    ) -> Observed:
        name, record_type = bare(record["Name"]), str(record["Type"])
        target = record.get("AliasTarget")
        values = tuple(sorted(bare(r["Value"]) for r in record.get("ResourceRecords", ())))
        parsed = keys.parse(key)
        domain = parsed[1][-1] if parsed and parsed[1] else name
        return Observed(
            kind=self.kind,
            key=key,
            id=f"{zone[0]}/{name}/{record_type}",
            name=f"{name} {record_type}",
            props={
                "zone": zone[1],
                "domain": domain,
                "name": name,
                "type": record_type,
                "alias": (
                    {"dns_name": bare(target["DNSName"]), "zone_id": target["HostedZoneId"]}
                    if target
                    else None
                ),
                "values": values,
                "ttl": record.get("TTL"),
            },
            attrs={"zone_id": zone[0], "record": dict(record), "marker": dict(marker)},
            tags=tags,
        )

    def diff(self, want: RecordProps, have: Observed) -> list[Change]:
        normal = want.as_mapping()
        if not normal.get("zone"):
            normal["zone"] = have.props.get("zone")  # the longest match: wherever it is
        normal["name"] = bare(str(normal["name"]))
        normal["values"] = tuple(sorted(bare(str(v)) for v in normal.get("values") or ()))
        alias = normal.get("alias")
        if alias:
            normal["alias"] = {
                "dns_name": bare(str(alias["dns_name"])),
                "zone_id": alias["zone_id"],
            }
        return self.compare(normal, have)

    # --- acting ------------------------------------------------------------------------
    def _zone(self, props: Mapping[str, Any]) -> Zone:
        zone = zone_of(props["domain"], props.get("zone"), hosted_zones(self.client("route53")))
        if zone is None:
            raise NoZone(missing_zone(props["domain"], props.get("zone")))
        return zone

    def _record_set(self, props: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"Name": bare(str(props["name"])), "Type": props["type"]}
        if props.get("alias"):
            record["AliasTarget"] = {
                "HostedZoneId": props["alias"]["zone_id"],
                "DNSName": props["alias"]["dns_name"],
                "EvaluateTargetHealth": False,
            }
        else:
            record["TTL"] = props["ttl"]
            record["ResourceRecords"] = [{"Value": str(v)} for v in props["values"]]
        return record

    def _marker_set(self, props: Mapping[str, Any], key: str) -> dict[str, Any]:
        return {
            "Name": marker_name(str(props["name"]), props["type"]),
            "Type": "TXT",
            "TTL": MARKER_TTL,
            "ResourceRecords": [{"Value": marker_value(self.ctx.owner, key)}],
        }

    def _change(self, zone_id: str, comment: str, *changes: tuple[str, dict[str, Any]]) -> None:
        self.client("route53").change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Comment": comment,
                "Changes": [{"Action": a, "ResourceRecordSet": s} for a, s in changes],
            },
        )

    def create(self, want: Desired, typed: RecordProps) -> Observed:
        props = typed.as_mapping()
        zone = self._zone(props)
        record, marker = self._record_set(props), self._marker_set(props, want.key)
        # CREATE: Route 53 refuses a name and type that exist, so nothing is overwritten;
        # the marker is UPSERT: one left by a record deleted by hand is taken over
        self._change(
            zone[0], f"ecsdeploy {self.ctx.owner.prefix}", ("CREATE", record), ("UPSERT", marker)
        )
        return self._observed(zone, want.key, record, marker, self.tags(want))

    def update(
        self, want: Desired, typed: RecordProps, have: Observed, changes: list[Change]
    ) -> Observed:
        props = typed.as_mapping()
        zone = (str(have.attrs["zone_id"]), str(have.props["zone"]))
        if not self.diff(typed, have):
            # the plan could not tell (a validation record's name and value come from a
            # new certificate, and ACM gives the same ones for the same name): no change
            return have
        record, marker = self._record_set(props), self._marker_set(props, have.key)
        comment = f"ecsdeploy {self.ctx.owner.prefix}"
        if bare(str(props["name"])) == have.props["name"]:
            self._change(zone[0], comment, ("UPSERT", record))
            return self._observed(zone, have.key, record, have.attrs["marker"], have.tags)
        # another name: the old record and marker go and the new ones come in one batch
        self._change(
            zone[0],
            comment,
            ("DELETE", have.attrs["record"]),
            ("DELETE", have.attrs["marker"]),
            ("CREATE", record),
            ("UPSERT", marker),
        )
        return self._observed(zone, have.key, record, marker, have.tags)

    def delete(self, have: Observed) -> None:
        zone_id = str(have.attrs["zone_id"])
        record, marker = have.attrs["record"], have.attrs["marker"]
        comment = f"ecsdeploy {self.ctx.owner.prefix}"
        try:
            self._change(zone_id, comment, ("DELETE", record), ("DELETE", marker))
        except InvalidRequest as exc:
            if "not found" not in exc.message.lower():
                raise
            # one of the two went already: delete what is left, one at a time
            gone = 0
            for item in (record, marker):
                try:
                    self._change(zone_id, comment, ("DELETE", item))
                except InvalidRequest as one:
                    if "not found" not in one.message.lower():
                        raise
                    gone += 1
            if gone == 2:
                raise NotFound(exc.message, exc.code, exc.operation) from exc
