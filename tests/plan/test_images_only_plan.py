"""The images-only planner (plan.images_only), pure: what it takes from the applied record,
what it pins to what runs, and what it refuses."""

from __future__ import annotations

import pytest

from ecsdeploy.plan.images_only import NotImagesOnly, pin, released
from ecsdeploy.plan.planner import fingerprint
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Joined, Observed, Ref
from ecsdeploy.resources.ecs_service import ServiceProps
from ecsdeploy.resources.ecs_task_definition import TaskDefinitionProps
from ecsdeploy.resources.log_group import LogGroupProps


def task(image: str = "repo/api:v2") -> Desired:
    props = TaskDefinitionProps(
        cpu="512",
        memory="1024",
        execution_role=Ref(keys.EXECUTION_ROLE, "arn"),
        task_role=Ref(keys.task_role("api"), "arn"),
        container="api",
        image=image,
        port=8000,
        env={
            "MODE": "prod",
            "UI_URL": Joined(("http://", Ref(keys.LOAD_BALANCER, "dns"), "/ui")),
            "OWN": Joined(("x-", Ref(keys.image("api"), "uri"))),
        },
        secrets={},
        log_group="/ecs/mlapp-dev/api",
        health=None,
    )
    return Desired("ecs.task_definition", keys.task_definition("api"), "mlapp-dev-api", props)


def service() -> Desired:
    props = ServiceProps(
        cluster=Ref(keys.CLUSTER, "arn"),
        launch_type="FARGATE",
        task_definition=Ref(keys.task_definition("api"), "arn"),
        subnets=frozenset({Ref("subnet/private-0", "id")}),
        security_groups=frozenset({Ref("sg/api", "id")}),
        public_ip=False,
        load_balancers=frozenset({(Ref(keys.target_group("api"), "arn"), "api", 8000)}),
        grace_period=60,
        circuit_breaker=True,
        min_healthy=100,
        max_percent=200,
        exec=False,
    )
    return Desired("ecs.service", keys.ecs_service("api"), "api", props)


def log_group(days: int) -> Desired:
    props = LogGroupProps(retention_days=days)
    return Desired("logs.log_group", keys.log_group("api"), "/ecs/mlapp-dev/api", props)


def test_refs_outside_the_plan_are_pinned_to_what_runs_entry_by_entry() -> None:
    live = Observed(
        "ecs.task_definition",
        keys.task_definition("api"),
        "mlapp-dev-api",
        "mlapp-dev-api",
        {
            "execution_role": "arn:aws:iam::1:role/exec",
            "task_role": "arn:aws:iam::1:role/task",
            "env": {"MODE": "dev", "UI_URL": "http://lb.example/ui", "OWN": "x-old"},
        },
    )
    inside = {keys.task_definition("api"), keys.image("api")}
    pinned = pin(task(), live, inside).props
    assert isinstance(pinned, TaskDefinitionProps)
    assert pinned.execution_role == "arn:aws:iam::1:role/exec"
    assert pinned.task_role == "arn:aws:iam::1:role/task"
    # an entry that names a resource outside: as it runs; the others: as the spec says
    assert pinned.env["UI_URL"] == "http://lb.example/ui"
    assert pinned.env["MODE"] == "prod"
    assert pinned.env["OWN"] == task().props.env["OWN"]  # type: ignore[attr-defined]
    assert pinned.image == "repo/api:v2"
    assert pin(task(), None, inside) == task()  # nothing runs: nothing to pin to


def recorded() -> dict[str, str]:
    """The record of an apply of image v1 and 14 days of logs."""
    return {d.key: fingerprint(d) for d in (task("repo/api:v1"), service(), log_group(14))}


def test_it_takes_the_services_parts_when_only_they_changed() -> None:
    assert released([task(), service(), log_group(14)], recorded()) == [task(), service()]


def test_it_refuses_any_other_change_and_names_it() -> None:
    record = recorded()
    with pytest.raises(NotImagesOnly) as refused:
        released([task(), service(), log_group(30)], record)
    assert refused.value.reasons == ["log group /ecs/mlapp-dev/api changes"]
    with pytest.raises(NotImagesOnly) as gone:
        released([task(), service()], record)
    assert gone.value.reasons == [f"{log_group(14).key} is no longer in the spec"]


def test_it_refuses_without_a_record() -> None:
    with pytest.raises(NotImagesOnly, match="no earlier `up`"):
        released([task(), service()], {})
