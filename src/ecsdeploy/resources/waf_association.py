"""The association of the app's web ACL with its load balancer.

Associations carry no tags: one is found by asking WAF which web ACL guards each load
balancer the app owns, and counts as the app's only when that web ACL carries the app's
tags too (someone else's web ACL on the app's load balancer is reported, not removed).
``down`` disassociates (rank above the web ACL's and the load balancer's, so before
either is deleted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Handler, Observed, Props, Ref, owned_key
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.resources.load_balancer import owned_load_balancers, wait_active
from ecsdeploy.resources.waf_web_acl import acl_tags


@dataclass(frozen=True, kw_only=True)
class WebAclAssociationProps(Props):
    web_acl: str | Ref  # the web ACL's ARN
    resource: str | Ref  # the load balancer's ARN


class WebAclAssociationHandler(Handler[WebAclAssociationProps]):
    kind: ClassVar[str] = "wafv2.association"
    props_class: ClassVar[type[Props]] = WebAclAssociationProps
    label: ClassVar[str] = "firewall attachment"
    delete_note: ClassVar[str] = "the load balancer is no longer filtered"
    layer: ClassVar[str] = "load_balancer"
    rank: ClassVar[int] = 7
    services: ClassVar[tuple[str, ...]] = ("wafv2", "elbv2")
    # another web ACL or resource: disassociate, then associate (emulators do not
    # replace an association in place)
    replace_on: ClassVar[frozenset[str]] = frozenset({"web_acl", "resource"})

    @classmethod
    def describe(cls, props: WebAclAssociationProps, names: Names) -> list[Line]:
        return [
            ("filters", value(props.resource, names)),
            ("with", value(props.web_acl, names)),
        ]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        wafv2 = self.client("wafv2")
        wanted = {w.key: w for w in wants}
        found: list[Observed] = []
        for lb_key, lb, _ in owned_load_balancers(
            self.client("elbv2"), self.ctx.owner, self.ctx.reads
        ):
            arn = lb["LoadBalancerArn"]
            acl = wafv2.get_web_acl_for_resource(ResourceArn=arn).get("WebACL")
            if not acl:
                continue
            key = keys.waf_association(lb_key)
            tags = acl_tags(wafv2, acl["ARN"])
            if owned_key(self.ctx.owner, tags) is None:
                if key in wanted:  # the plan must not replace someone else's web ACL
                    found.append(Observed(self.kind, key, arn, acl["Name"], {}, tags=tags,
                                          owned=False))  # fmt: skip
                continue
            found.append(self._observed(key, acl["ARN"], arn, acl["Name"]))
        return found

    def _observed(self, key: str, acl: str, resource: str, name: str) -> Observed:
        return Observed(
            kind=self.kind,
            key=key,
            id=resource,
            name=name,
            props={"web_acl": acl, "resource": resource},
        )

    def create(self, want: Desired, props: WebAclAssociationProps) -> Observed:
        # WAF refuses a load balancer that is still provisioning. The graph orders this
        # after the new load balancer's wait; this read covers one that an interrupted run
        # created, which the next run finds still provisioning (it returns at once if active)
        wait_active(self.ctx, self.client("elbv2"), str(props.resource))
        self.client("wafv2").associate_web_acl(WebACLArn=props.web_acl, ResourceArn=props.resource)
        return self._observed(want.key, str(props.web_acl), str(props.resource), want.name)

    def delete(self, have: Observed) -> None:
        # succeeds when nothing is associated; the resource gone is NotFound (done)
        self.client("wafv2").disassociate_web_acl(ResourceArn=have.id)
