"""spec -> desired resources, by layer (network, iam, uploads, load balancer, hardening,
services, express, monitoring); ``desired_resources`` composes them in creation order."""

from ecsdeploy.desired.common import network_of, owner_of
from ecsdeploy.desired.compose import desired_resources

__all__ = ["desired_resources", "network_of", "owner_of"]
