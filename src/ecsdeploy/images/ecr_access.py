"""Registry access without Docker: credentials from ECR and "is this tag there already?".

The existence check is what lets an unchanged ``up`` skip the build and the push. Against
ECR it is DescribeImages; against an override registry (``ECSDEPLOY_REGISTRY``) it is the
Docker Registry HTTP API's manifest HEAD, with the same ECR credentials.
"""

from __future__ import annotations

import base64
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import NotFound

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    endpoint: str


class RegistryError(Exception):
    """The registry could not be asked (unreachable, refused)."""


class Registry:
    """Credentials (fetched once) and existence checks for one AWS account and region."""

    def __init__(self, aws: Aws, override: str | None) -> None:
        self.aws = aws
        self.override = override
        self._credentials: Credentials | None = None
        self._lock = threading.Lock()

    def credentials(self) -> Credentials:
        with self._lock:
            if self._credentials is None:
                data = self.aws.client("ecr").get_authorization_token()["authorizationData"][0]
                user, _, password = (
                    base64.b64decode(data["authorizationToken"]).decode().partition(":")
                )
                self._credentials = Credentials(user, password, data.get("proxyEndpoint", ""))
            return self._credentials

    def has(self, registry: str, repository: str, tag: str) -> bool:
        if self.override and registry == self.override:
            return self._manifest_exists(registry, repository, tag)
        try:
            out = self.aws.client("ecr").describe_images(
                repositoryName=repository, imageIds=[{"imageTag": tag}]
            )
        except NotFound:  # no such repository or image
            return False
        return bool(out.get("imageDetails"))

    def _manifest_exists(self, registry: str, repository: str, tag: str) -> bool:
        local = registry.startswith(("127.", "localhost", "[::1]"))
        url = f"{'http' if local else 'https'}://{registry}/v2/{repository}/manifests/{tag}"
        creds = self.credentials()
        token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
        request = urllib.request.Request(
            url,
            method="HEAD",
            headers={"Accept": MANIFEST_TYPES, "Authorization": f"Basic {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return bool(200 <= response.status < 300)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return False
            raise RegistryError(f"registry {registry} answered {exc.code} for {url}") from exc
        except OSError as exc:
            raise RegistryError(
                f"cannot reach registry {registry} ({exc}); is it running? "
                f"(set by ECSDEPLOY_REGISTRY)"
            ) from exc


# pushes the image built for a service, reporting progress lines through the callback
Pusher = Callable[[str, Callable[[str], None]], None]


@dataclass
class ImageServices:
    """What the image kind needs: the registry, and a pusher when ``up`` built images."""

    registry: Registry
    pusher: Pusher | None = None
