"""The expiry of a preview environment (``up --ttl``): one SSM parameter,
``/ecsdeploy/APP/ENV/expires``, holding the time (ISO 8601 UTC) and carrying it as the tag
``ecsdeploy:expires`` too, beside the app's owner tags.

The tag is what ``ls`` and ``gc`` read: one Resource Groups Tagging API ``GetResources``
call finds every env and its expiry (``resources.tagged``), no read per env. The parameter
sits under the path the deployer policy already scopes to the app (with the lock, the
applied record and the release ledger), costs nothing (standard tier) and is deleted with
the env (``down``).

PutParameter refuses ``Tags`` with ``Overwrite`` (AWS Systems Manager API Reference,
PutParameter: "You can't use the Tags parameter with Overwrite"), so a new expiry of an
env that has one is written with ``Overwrite`` and its tag with AddTagsToResource.
"""

from __future__ import annotations

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AlreadyExists, NotFound
from ecsdeploy.resources.tagged import TAG_EXPIRES
from ecsdeploy.spec.naming import Owner, dict_to_tags


def parameter_name(owner: Owner) -> str:
    return owner.expiry_parameter()


def write(aws: Aws, owner: Owner, expires: str) -> None:
    """Set the env's expiry to ``expires`` (ISO 8601 UTC)."""
    ssm = aws.client("ssm")
    name = parameter_name(owner)
    tag = {TAG_EXPIRES: expires}
    try:
        ssm.put_parameter(
            Name=name,
            Value=expires,
            Type="String",
            Description=f"ecsdeploy: {owner.app}/{owner.env} may be removed after this time",
            Tags=dict_to_tags({**owner.tags("expires"), **tag}),
        )
    except AlreadyExists:
        ssm.put_parameter(Name=name, Value=expires, Type="String", Overwrite=True)
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=dict_to_tags(tag))


def read(aws: Aws, owner: Owner) -> str:
    """The env's expiry, or "" when it has none; from the read ``cli.shared.reach`` sent
    at start-up, when it did (``status``)."""
    try:
        found = aws.get_parameter(parameter_name(owner))
    except NotFound:
        return ""
    return str(found.get("Parameter", {}).get("Value", ""))


def clear(aws: Aws, owner: Owner) -> None:
    """Remove the env's expiry (none: nothing to do)."""
    try:
        aws.client("ssm").delete_parameter(Name=parameter_name(owner))
    except NotFound:
        pass
