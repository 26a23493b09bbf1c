"""moto never runs a task, so every ECS rollout it knows stays IN_PROGRESS with 0 tasks
running, and UpdateService leaves the deployment on the old task definition. ecsdeploy
treats a rollout that is not done as work left (`up` waits for it, `plan` shows it), so
the emulator plays what ECS does once a rollout succeeds: after CreateService and
UpdateService the service has one PRIMARY deployment of its task definition, COMPLETED,
with the desired count running (as DescribeServices shows it,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html).

Tests that need a rollout in progress or failed set the deployment by hand afterwards.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend, Service


def finish(service: Service) -> Service:
    """The service as after a clean rollout of its task definition."""
    service.running_count = service.desired_count
    service.pending_count = 0
    for deployment in service.deployments:
        deployment.update(
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
            desiredCount=service.desired_count,
            runningCount=service.desired_count,
            pendingCount=0,
            taskDefinition=service.task_definition,
        )
    return service


def finish_rollouts() -> None:
    """Patch moto's ECS backend so that every rollout completes at once (idempotent)."""
    backend: Any = EC2ContainerServiceBackend
    if getattr(backend, "_rollouts_finish", False):
        return
    create, update = backend.create_service, backend.update_service

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Service:
        return finish(create(self, *args, **kwargs))

    def update_service(self: Any, *args: Any, **kwargs: Any) -> Service:
        return finish(update(self, *args, **kwargs))

    backend.create_service = create_service
    backend.update_service = update_service
    backend._rollouts_finish = True
