"""The app's Cloud Map HTTP namespace, ``APP-ENV``: where ECS Service Connect registers the
services so that they reach each other by name inside the VPC.

Found by listing the region's HTTP namespaces and reading the tags of those named under
the app/env prefix. Both CreateHttpNamespace and DeleteNamespace are asynchronous: they
return an operation id, and the namespace exists (or is gone) only once GetOperation says
SUCCESS (FAIL carries AWS's reason); each wait is bounded and says what it waits for.
See https://docs.aws.amazon.com/cloud-map/latest/api/API_CreateHttpNamespace.html and
https://docs.aws.amazon.com/cloud-map/latest/api/API_GetOperation.html

DeleteNamespace answers ResourceInUse while services are registered in it: ECS removes
the Cloud Map services it made for Service Connect once their ECS services are deleted,
a moment after; ``aws.errors`` maps ResourceInUse to DependencyViolation, which the
executor retries with backoff (bounded) like any delete that waits for its dependents.
See https://docs.aws.amazon.com/cloud-map/latest/api/API_DeleteNamespace.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.errors import AwsError
from ecsdeploy.resources.base import Desired, Handler, Observed, Props, owned_key
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.ec2_common import client_token
from ecsdeploy.resources.waiting import wait_for
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict


class OperationFailed(AwsError):
    """Cloud Map reported FAIL for a namespace operation."""


@dataclass(frozen=True, kw_only=True)
class NamespaceProps(Props):
    name: str
    description: str


class NamespaceHandler(Handler[NamespaceProps]):
    kind: ClassVar[str] = "servicediscovery.namespace"
    props_class: ClassVar[type[Props]] = NamespaceProps
    label: ClassVar[str] = "Service Connect namespace (Cloud Map)"
    delete_note: ClassVar[str] = "the services stop reaching each other by name"
    layer: ClassVar[str] = "services"
    # deleted after the ECS services registered in it (rank 8)
    rank: ClassVar[int] = 5
    services: ClassVar[tuple[str, ...]] = ("servicediscovery",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"name", "description"})

    @classmethod
    def describe(cls, props: NamespaceProps, names: Names) -> list[Line]:
        return [("name", props.name), ("type", "HTTP (ECS Service Connect)")]

    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        cloudmap = self.client("servicediscovery")
        wanted = {w.name: w for w in wants}
        prefix = self.ctx.owner.prefix
        found: list[Observed] = []
        filters = [{"Name": "TYPE", "Values": ["HTTP"], "Condition": "EQ"}]
        for ns in cloudmap.pages("ListNamespaces", "Namespaces", Filters=filters):
            name = str(ns.get("Name", ""))
            if ns.get("Type", "HTTP") != "HTTP" or not (
                name == prefix or name.startswith(f"{prefix}-")
            ):
                continue
            tags = tags_to_dict(cloudmap.list_tags_for_resource(ResourceARN=ns["Arn"]).get("Tags"))
            key = owned_key(self.ctx.owner, tags)
            if key is None:
                found += self.taken(wanted, name, ns["Id"], tags)
            else:
                found.append(self._observed(key, ns, tags))
        return found

    def _observed(self, key: str, ns: dict[str, Any], tags: dict[str, str]) -> Observed:
        return Observed(
            kind=self.kind,
            key=key,
            id=ns["Id"],
            name=ns["Name"],
            props={"name": ns["Name"], "description": ns.get("Description", "")},
            attrs={"arn": ns["Arn"], "id": ns["Id"]},
            tags=tags,
        )

    def create(self, want: Desired, props: NamespaceProps) -> Observed:
        cloudmap = self.client("servicediscovery")
        tags = self.tags(want)
        args: dict[str, Any] = {"Name": props.name, "Description": props.description}
        # a create re-run after a crash is the same request: Cloud Map answers it with the
        # operation it started then instead of a second namespace
        token = client_token(self.ctx.owner, want.key, args)[:64]
        operation = cloudmap.create_http_namespace(
            **args, CreatorRequestId=token, Tags=dict_to_tags(tags)
        )["OperationId"]
        done = self._finish(operation, f"Cloud Map to create namespace {props.name}")
        ident = done.get("Targets", {}).get("NAMESPACE", "")
        ns = cloudmap.get_namespace(Id=ident)["Namespace"]
        return self._observed(want.key, ns, tags)

    def delete(self, have: Observed) -> None:
        operation = self.client("servicediscovery").delete_namespace(Id=have.id)["OperationId"]
        self._finish(operation, f"Cloud Map to delete namespace {have.name}")

    def _finish(self, operation: str, what: str) -> dict[str, Any]:
        """Wait (bounded) until the operation is SUCCESS; FAIL raises with AWS's reason."""
        cloudmap = self.client("servicediscovery")

        def probe() -> dict[str, Any] | None:
            found: dict[str, Any] = cloudmap.get_operation(OperationId=operation)["Operation"]
            status = found.get("Status")
            if status == "FAIL":
                raise OperationFailed(
                    f"{what} failed: {found.get('ErrorMessage') or found.get('ErrorCode')}",
                    code=str(found.get("ErrorCode", "")),
                    operation="GetOperation",
                )
            return found if status == "SUCCESS" else None  # SUBMITTED, PENDING

        return wait_for(self.ctx, what, probe, self.ctx.timing.resource_ready)
