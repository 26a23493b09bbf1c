"""The ECS cluster of the app, with Container Insights on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ecsdeploy.aws.errors import AlreadyExists, InvalidRequest, NotFound
from ecsdeploy.resources.base import Change, Desired, Handler, Observed, Props, owned_key
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.ecs_common import ecs_tags
from ecsdeploy.spec.naming import tags_to_dict

SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"


@dataclass(frozen=True, kw_only=True)
class ClusterProps(Props):
    name: str
    insights: str  # Container Insights: enabled | disabled


class ClusterHandler(Handler[ClusterProps]):
    kind: ClassVar[str] = "ecs.cluster"
    props_class: ClassVar[type[Props]] = ClusterProps
    label: ClassVar[str] = "ECS cluster"
    layer: ClassVar[str] = "services"
    rank: ClassVar[int] = 5
    held_by_dependents: ClassVar[bool] = True
    services: ClassVar[tuple[str, ...]] = ("ecs", "iam")
    replace_on: ClassVar[frozenset[str]] = frozenset({"name"})

    @classmethod
    def describe(cls, props: ClusterProps, names: Names) -> list[Line]:
        return [("container insights", str(props.insights))]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        ecs = self.client("ecs")
        arns = list(ecs.pages("ListClusters", "clusterArns"))
        found: list[Observed] = []
        wanted = {w.name: w for w in wants}
        for i in range(0, len(arns), 100):  # DescribeClusters takes at most 100
            out = ecs.describe_clusters(clusters=arns[i : i + 100], include=["TAGS", "SETTINGS"])
            for cluster in out.get("clusters", []):
                if cluster.get("status") != "ACTIVE":
                    continue  # deleted clusters stay visible as INACTIVE for a while
                tags = tags_to_dict(cluster.get("tags"))
                name = cluster["clusterName"]
                key = owned_key(self.ctx.owner, tags)
                if key is None:
                    found += self.taken(wanted, name, cluster["clusterArn"], tags)
                    continue
                settings = {s["name"]: s["value"] for s in cluster.get("settings", [])}
                found.append(
                    Observed(
                        kind=self.kind,
                        key=key,
                        id=cluster["clusterArn"],
                        name=name,
                        props={"name": name, "insights": settings.get("containerInsights")},
                        attrs={"arn": cluster["clusterArn"], "name": name},
                        tags=tags,
                        state=cluster.get("status", ""),
                    )
                )
        return found

    def create(self, want: Desired, props: ClusterProps) -> Observed:
        self._service_linked_role()
        cluster = self.client("ecs").create_cluster(
            clusterName=props.name,
            settings=[{"name": "containerInsights", "value": props.insights}],
            tags=ecs_tags(self.tags(want)),
        )["cluster"]
        return Observed(
            self.kind,
            want.key,
            cluster["clusterArn"],
            props.name,
            props.as_mapping(),
            attrs={"arn": cluster["clusterArn"], "name": props.name},
            tags=self.tags(want),
        )

    def _service_linked_role(self) -> None:
        """ECS's service-linked role, which a fresh account lacks: ECS makes it itself on the
        first CreateCluster when the caller may, but a deployer without that right gets a
        cluster whose services fail to start. Made here when missing (one GetRole on the
        cluster's create only); ECS may refuse it for a while after (``aws.catch_up``:
        "Unable to assume the service linked role"), which is waited out there.
        docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles"""
        iam = self.client("iam")
        try:
            iam.get_role(RoleName=SERVICE_LINKED_ROLE)
        except NotFound:
            try:
                iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
            except AlreadyExists:  # made meanwhile by ECS or another run
                pass
            except InvalidRequest as exc:  # AWS says so with InvalidInput: "... has been taken"
                if "has been taken" not in exc.message:
                    raise

    def update(
        self, want: Desired, props: ClusterProps, have: Observed, changes: list[Change]
    ) -> Observed:
        if any(c.field == "insights" for c in changes):
            self.client("ecs").update_cluster(
                cluster=have.name,
                settings=[{"name": "containerInsights", "value": props.insights}],
            )
            have.props["insights"] = props.insights
        return have

    def delete(self, have: Observed) -> None:
        # Refused (ClusterContainsServicesException -> DependencyViolation, retried) while
        # services are still draining.
        self.client("ecs").delete_cluster(cluster=have.name)
