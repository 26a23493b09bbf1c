"""Listeners of the load balancer: HTTP on 80 (forwarding, answering 404, or redirecting to
HTTPS) and, with a certificate, HTTPS on 443.

A listener's default action is compared in a small normalised form (see
``action_props``), whatever extra fields AWS fills in (``Order``, ``ForwardConfig``, the
``#{host}`` parts of a redirect).

Listeners have no name and ELBv2 has no tag filter: they are found by listing the
listeners of each load balancer this app owns and reading their tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Change, Desired, Observed, Props, Ref, owned_key
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.load_balancer import (
    Elbv2Handler,
    describe_tags,
    once_active,
    owned_load_balancers,
)
from ecsdeploy.resources.reads import SharedReads, shared
from ecsdeploy.spec.naming import Owner, dict_to_tags


def forward(target_group: str) -> dict[str, Any]:
    return {"Type": "forward", "TargetGroupArn": target_group}


def aws_action(action: Mapping[str, Any]) -> dict[str, Any]:
    """The AWS form of a normalised action (the ``default_action`` prop)."""
    kind = action["type"]
    if kind == "forward":
        return forward(action["target_group"])
    if kind == "fixed-response":
        return {
            "Type": "fixed-response",
            "FixedResponseConfig": {
                "StatusCode": str(action["status"]),
                "ContentType": action["content_type"],
                "MessageBody": action.get("body", ""),
            },
        }
    if kind == "redirect":
        # Host, path and query default to the request's own (#{host}, /#{path}, #{query}).
        return {
            "Type": "redirect",
            "RedirectConfig": {
                "Protocol": action["protocol"],
                "Port": str(action["port"]),
                "StatusCode": action["status"],
            },
        }
    raise ValueError(f"unsupported listener action {kind!r}")


def action_props(actions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The normalised form of AWS's action list; its last action (by Order) decides."""
    if not actions:
        return {}
    last = sorted(actions, key=lambda a: int(a.get("Order", 0)))[-1]
    kind = last.get("Type", "")
    if kind == "forward":
        arn = last.get("TargetGroupArn")
        if not arn:
            groups = [
                g["TargetGroupArn"] for g in last.get("ForwardConfig", {}).get("TargetGroups", [])
            ]
            # A weighted forward to several groups (set by hand) shows as drift.
            arn = groups[0] if len(groups) == 1 else ",".join(sorted(groups))
        return {"type": "forward", "target_group": arn}
    if kind == "fixed-response":
        config = last.get("FixedResponseConfig", {})
        return {
            "type": "fixed-response",
            "status": str(config.get("StatusCode", "")),
            "content_type": config.get("ContentType"),
            "body": config.get("MessageBody", ""),  # AWS leaves out an empty body
        }
    if kind == "redirect":
        config = last.get("RedirectConfig", {})
        return {
            "type": "redirect",
            "protocol": config.get("Protocol"),
            "port": str(config.get("Port", "")),
            "status": config.get("StatusCode"),
        }
    return {"type": kind}  # authenticate-* etc.: never wanted, so always a change


def owned_listeners(
    elbv2: Client, owner: Owner, reads: SharedReads | None = None
) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(logical key, listener, tags) of each listener tagged for ``owner`` on its own LBs.

    One DescribeListeners per owned load balancer (the API takes one LB at a time), one
    DescribeTags per 20 listeners; once per observe for the listener and rule kinds.
    """
    return shared(
        reads, ("elbv2:listeners", owner.prefix), lambda: _owned_listeners(elbv2, owner, reads)
    )


def _owned_listeners(
    elbv2: Client, owner: Owner, reads: SharedReads | None
) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    listeners: list[dict[str, Any]] = []
    for _, lb, _ in owned_load_balancers(elbv2, owner, reads):
        try:
            listeners += elbv2.pages(
                "DescribeListeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"]
            )
        except NotFound:
            continue  # deleted since it was listed
    tags_by_arn = describe_tags(elbv2, [li["ListenerArn"] for li in listeners])
    owned = []
    for listener in listeners:
        tags = tags_by_arn.get(listener["ListenerArn"], {})
        key = owned_key(owner, tags)
        if key is not None:
            owned.append((key, listener, tags))
    return owned


@dataclass(frozen=True, kw_only=True)
class ListenerProps(Props):
    load_balancer: str | Ref  # its ARN
    port: int
    protocol: str  # HTTP | HTTPS
    certificate: str | Ref | None  # an ACM certificate ARN (or the app's own, by Ref), on HTTPS
    ssl_policy: str | None  # on HTTPS
    # normalised (``action_props``): type forward (target_group), fixed-response (status,
    # content_type, body) or redirect (protocol, port, status)
    default_action: Mapping[str, str | Ref]


class ListenerHandler(Elbv2Handler[ListenerProps]):
    kind: ClassVar[str] = "elbv2.listener"
    props_class: ClassVar[type[Props]] = ListenerProps
    label: ClassVar[str] = "listener"
    rank: ClassVar[int] = 6
    replace_on: ClassVar[frozenset[str]] = frozenset({"load_balancer", "port"})
    downtime: ClassVar[str] = "requests to its port fail between the delete and the create"

    @classmethod
    def describe(cls, props: ListenerProps, names: Names) -> list[Line]:
        lines = [("port", f"{props.protocol} {props.port}")]
        if props.certificate:
            lines.append(("certificate", value(props.certificate, names)))
        lines.append(("default", _action_text(props.default_action, names)))
        return lines

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        # A listener added by hand on our load balancer has no owner tags and is ignored;
        # if it holds a port we want, CreateListener fails with DuplicateListener and
        # nothing is changed. (Wants still hold Refs here, so the LB ARN is unknown.)
        return [
            self._observed(key, listener, tags)
            for key, listener, tags in owned_listeners(
                self.client("elbv2"), self.ctx.owner, self.ctx.reads
            )
        ]

    def _observed(self, key: str, listener: dict[str, Any], tags: dict[str, str]) -> Observed:
        arn = listener["ListenerArn"]
        protocol = listener.get("Protocol")
        # Certificate and TLS policy mean something only on HTTPS. (AWS leaves them out
        # for HTTP; moto reports its default policy on HTTP listeners too.)
        tls = protocol == "HTTPS"
        certificates = (listener.get("Certificates") or []) if tls else []
        return Observed(
            kind=self.kind,
            key=key,
            id=arn,
            name=tags.get("Name", arn),
            props={
                "load_balancer": listener["LoadBalancerArn"],
                "port": int(listener["Port"]),
                "protocol": protocol,
                "certificate": certificates[0]["CertificateArn"] if certificates else None,
                "ssl_policy": (listener.get("SslPolicy") or None) if tls else None,
                "default_action": action_props(listener.get("DefaultActions", [])),
            },
            attrs={"arn": arn},
            tags=tags,
        )

    def create(self, want: Desired, props: ListenerProps) -> Observed:
        tags = self.tags(want)
        params: dict[str, Any] = {
            "LoadBalancerArn": props.load_balancer,
            "Protocol": props.protocol,
            "Port": props.port,
            "DefaultActions": [aws_action(props.default_action)],
            "Tags": dict_to_tags(tags),
        }
        params.update(self._tls(props))
        elbv2 = self.client("elbv2")
        # the load balancer may still be provisioning (it is created just before)
        listener = once_active(
            self.ctx,
            elbv2,
            f"listener {want.name}",
            lambda: str(props.load_balancer),
            lambda: elbv2.create_listener(**params)["Listeners"][0],
        )
        return self._observed(want.key, listener, tags)

    @staticmethod
    def _tls(props: ListenerProps) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if props.certificate:
            params["Certificates"] = [{"CertificateArn": props.certificate}]
        if props.ssl_policy:
            params["SslPolicy"] = props.ssl_policy
        return params

    def update(
        self, want: Desired, props: ListenerProps, have: Observed, changes: list[Change]
    ) -> Observed:
        fields = {c.field for c in changes}
        params: dict[str, Any] = {"ListenerArn": have.id}
        if "default_action" in fields:
            params["DefaultActions"] = [aws_action(props.default_action)]
        if fields & {"protocol", "certificate", "ssl_policy"}:
            # HTTPS needs its certificate and policy in the same call that switches to it;
            # switching to HTTP drops them.
            params["Protocol"] = props.protocol
            params.update(self._tls(props))
        if len(params) > 1:
            listener = self.client("elbv2").modify_listener(**params)["Listeners"][0]
            return self._observed(have.key, listener, have.tags)
        return have

    def delete(self, have: Observed) -> None:
        # Deletes the listener's rules with it.
        self.client("elbv2").delete_listener(ListenerArn=have.id)


def _action_text(action: Mapping[str, Any] | None, names: Names) -> str:
    if not action:
        return "(none)"
    kind = action.get("type")
    if kind == "forward":
        return f"forward to {value(action.get('target_group'), names)}"
    if kind == "redirect":
        return f"redirect to {action.get('protocol')} port {action.get('port')}"
    if kind == "fixed-response":
        return f"answer {action.get('status')} {action.get('body', '')}".rstrip()
    return value(action, names)
