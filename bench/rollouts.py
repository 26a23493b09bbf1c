"""Emulated rollouts (``--rollout SECONDS``): the emulator (moto) never runs a task nor
finishes a deployment, so the proxy plays what ECS and the load balancer would show after
an UpdateService: for ``seconds`` the service's one deployment (the new task definition) is
IN_PROGRESS with its tasks PENDING and no target registered; then it is COMPLETED with
every task running (ListTasks and DescribeTasks show them RUNNING, on the new task
definition), and its target group has that many healthy targets.

With it, the redeploy is timed waiting for the rollout, by ``up`` (no ``--no-wait``) and by
ecs-deploy (a timeout instead of ``-1``): what each tool's polling costs after the same
rollout. The figure the rollout watch can reach is ``seconds`` + the lag of its first poll
after the change (``reconcile.polling``: at most 1 s while polls see changes, 3 s at worst).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs

_TASK = "benchtask-"  # the emulated tasks' ids: benchtask-SERVICE-N
_MEMBER = (
    "<member><Target><Id>10.0.{i}.{j}</Id><Port>80</Port></Target>"
    "<HealthCheckPort>80</HealthCheckPort>"
    "<TargetHealth><State>healthy</State></TargetHealth></member>"
)


@dataclass
class _Rollout:
    ready_at: float  # monotonic
    desired: int
    started: float  # epoch seconds, for createdAt
    task_definition: str
    cluster: str


@dataclass
class EmulatedRollouts:
    seconds: float
    rollouts: dict[str, _Rollout] = field(default_factory=dict)  # service name -> rollout
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def rewrite(self, operation: str, request: bytes, response: bytes) -> bytes:
        """The emulator's answer to ``operation``, with the rollouts as ECS would show them."""
        if operation in ("UpdateService", "CreateService"):
            self._started(response)
        elif operation == "DescribeServices":
            return self._services(response)
        elif operation == "DescribeTargetHealth":
            return self._targets(request, response)
        elif operation == "ListTasks":
            return self._list_tasks(request, response)
        elif operation == "DescribeTasks":
            return self._describe_tasks(request, response)
        return response

    def _ready(self, service: str) -> _Rollout | None:
        with self._lock:
            rollout = self.rollouts.get(service)
        return rollout if rollout is not None and time.monotonic() >= rollout.ready_at else None

    def _task_arns(self, service: str, rollout: _Rollout) -> list[str]:
        return [
            f"arn:aws:ecs:us-west-2:123456789012:task/{rollout.cluster}/{_TASK}{service}-{i}"
            for i in range(rollout.desired)
        ]

    def _list_tasks(self, request: bytes, response: bytes) -> bytes:
        try:
            asked = json.loads(request)
        except ValueError:
            return response
        rollout = self._ready(str(asked.get("serviceName") or ""))
        if rollout is None or asked.get("desiredStatus", "RUNNING") != "RUNNING":
            return response
        arns = self._task_arns(str(asked["serviceName"]), rollout)
        return json.dumps({"taskArns": arns}).encode()

    def _describe_tasks(self, request: bytes, response: bytes) -> bytes:
        try:
            asked, found = json.loads(request), json.loads(response)
        except ValueError:
            return response
        ours = [a for a in asked.get("tasks", []) if f"/{_TASK}" in a]
        if not ours:
            return response
        for arn in ours:
            service = arn.rsplit(f"/{_TASK}", 1)[-1].rsplit("-", 1)[0]
            rollout = self._ready(service)
            if rollout is None:
                continue
            found.setdefault("tasks", []).append(
                {
                    "taskArn": arn,
                    "taskDefinitionArn": rollout.task_definition,
                    "lastStatus": "RUNNING",
                    "desiredStatus": "RUNNING",
                    "launchType": "FARGATE",
                }
            )
            found["failures"] = [f for f in found.get("failures", []) if f.get("arn") != arn]
        return json.dumps(found).encode()

    def _started(self, response: bytes) -> None:
        try:
            service = json.loads(response)["service"]
        except (ValueError, KeyError):
            return
        with self._lock:
            self.rollouts[str(service["serviceName"])] = _Rollout(
                time.monotonic() + self.seconds,
                int(service.get("desiredCount") or 1),
                time.time(),
                str(service.get("taskDefinition") or ""),
                str(service.get("clusterArn") or "").rsplit("/", 1)[-1],
            )

    def _services(self, response: bytes) -> bytes:
        try:
            found = json.loads(response)
        except ValueError:
            return response
        now = time.monotonic()
        for svc in found.get("services", []):
            with self._lock:
                rollout = self.rollouts.get(str(svc.get("serviceName")))
            if rollout is None:
                continue
            done = now >= rollout.ready_at
            desired = int(svc.get("desiredCount") or rollout.desired)
            svc["runningCount"] = desired if done else 0
            svc["pendingCount"] = 0 if done else desired
            at = datetime.fromtimestamp(rollout.started, UTC).timestamp()
            svc["deployments"] = [
                {
                    "id": f"ecs-svc/{int(rollout.started * 1000)}",
                    "status": "PRIMARY",
                    "taskDefinition": svc.get("taskDefinition"),
                    "desiredCount": desired,
                    "runningCount": desired if done else 0,
                    "pendingCount": 0 if done else desired,
                    "failedTasks": 0,
                    "rolloutState": "COMPLETED" if done else "IN_PROGRESS",
                    "rolloutStateReason": "",
                    "createdAt": at,
                    "updatedAt": at,
                    "launchType": "FARGATE",
                }
            ]
        return json.dumps(found).encode()

    def _targets(self, request: bytes, response: bytes) -> bytes:
        arn = (parse_qs(request.decode(errors="replace")).get("TargetGroupArn") or [""])[0]
        name = arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]
        with self._lock:
            matching = sorted(
                (s for s in self.rollouts if name.endswith(f"-{s}")), key=len, reverse=True
            )
            rollout = self.rollouts[matching[0]] if matching else None
        if rollout is None or time.monotonic() < rollout.ready_at:
            return response
        members = "".join(_MEMBER.format(i=k // 250, j=k % 250 + 1) for k in range(rollout.desired))
        text = response.decode()
        empty = re.search(r"<TargetHealthDescriptions\s*/>", text)
        if empty:
            text = text.replace(
                empty.group(0), f"<TargetHealthDescriptions>{members}</TargetHealthDescriptions>"
            )
        return text.encode()
