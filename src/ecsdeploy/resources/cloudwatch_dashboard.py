"""The CloudWatch dashboard of an app/env, ``ecsdeploy_APP_ENV``.

Dashboards take no tags, so ownership is by name: ecsdeploy owns exactly the dashboard
named ``ecsdeploy_APP_ENV``. Underscores never occur in app or env names, so no other
app/env's dashboard can have that name (``a-b``/``c`` and ``a``/``b-c`` differ here,
where hyphenated names would collide). PutDashboard is an upsert.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Observed, Props, UpsertHandler
from ecsdeploy.resources.billing import Bill, Meter, Usage
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.spec.naming import Owner


def dashboard_name(owner: Owner) -> str:
    return f"ecsdeploy_{owner.app}_{owner.env}"


def console_url(region: str, name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{name}"
    )


@dataclass(frozen=True, kw_only=True)
class DashboardProps(Props):
    body: Mapping[str, Any]  # the dashboard's JSON, its dimensions Refs until resolved


class DashboardHandler(UpsertHandler[DashboardProps]):
    kind: ClassVar[str] = "cloudwatch.dashboard"
    props_class: ClassVar[type[Props]] = DashboardProps
    label: ClassVar[str] = "dashboard"
    layer: ClassVar[str] = "monitoring"
    rank: ClassVar[int] = 11
    services: ClassVar[tuple[str, ...]] = ("cloudwatch",)

    @classmethod
    def describe(cls, props: DashboardProps, names: Names) -> list[Line]:
        return [("graphs", str(len(props.body.get("widgets", []))))]

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        return [Usage(Meter.DASHBOARD, 1)]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        cw = self.client("cloudwatch")
        name = dashboard_name(self.ctx.owner)
        listed = cw.pages("ListDashboards", "DashboardEntries", DashboardNamePrefix=name)
        if not any(entry["DashboardName"] == name for entry in listed):
            return []
        try:
            body = cw.get_dashboard(DashboardName=name)["DashboardBody"]
        except NotFound:
            return []  # deleted since the list
        return [self._observed(name, json.loads(body))]

    def _observed(self, name: str, body: Any) -> Observed:
        return Observed(
            kind=self.kind,
            key=keys.DASHBOARD,
            id=name,
            name=name,
            props={"body": body},
            attrs={"url": console_url(self.ctx.aws.region, name)},
        )

    def create(self, want: Desired, props: DashboardProps) -> Observed:
        self.client("cloudwatch").put_dashboard(
            DashboardName=want.name, DashboardBody=json.dumps(props.body)
        )
        return self._observed(want.name, json.loads(json.dumps(props.body)))

    def delete(self, have: Observed) -> None:
        self.client("cloudwatch").delete_dashboards(DashboardNames=[have.name])
