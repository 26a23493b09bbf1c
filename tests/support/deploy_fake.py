"""A stand-in for ECS's deployment strategies (canary, linear, blue/green), lifecycle hooks
and service deployments, which moto (5.2.5) does not implement: it drops (or refuses) the
new members of CreateService/UpdateService and has no List/Describe/Continue/Stop
ServiceDeployment(s).

Built on ``ModelChecked`` (express_fake.py): each request is checked against botocore's
model, each answer against the output shape, each error code against the errors the model
lists. CreateService, UpdateService and DescribeServices are answered by moto with the
strategy members taken out, and the fake puts them back (what AWS returns), so the cluster,
task definitions and network are moto's.

What it plays, from the ECS developer guide:

* deployment-type-blue-green: behind an Application Load Balancer a service deploying
  BLUE_GREEN (or CANARY, LINEAR) needs ``loadBalancers[].advancedConfiguration`` with the
  alternate target group, the production listener rule, which must forward to both target
  groups, and the infrastructure role; ``bakeTimeInMinutes`` is required with BLUE_GREEN.
  A deployment runs the stages PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
  TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
  POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP; ECS moves the listener rules' weights
  (the test rule at TEST_TRAFFIC_SHIFT, the production rule at PRODUCTION_TRAFFIC_SHIFT)
  to the target group that was idle, which then carries production traffic.
* canary-deployment / linear-deployment: the production shift goes through the canary
  percent (or each step) first; ``shifts`` keeps the weights set, in order.
* deployment-lifecycle-hooks: a PAUSE hook stops the deployment when it reaches its stage
  (hook AWAITING_ACTION in DescribeServiceDeployments' lifecycleHookDetails); PAUSE hooks
  cannot be set at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT.
* continue-service-deployment: ContinueServiceDeployment with the hook's id continues
  (CONTINUE) or rolls back (ROLLBACK); StopServiceDeployment with ROLLBACK rolls back. A
  rollback puts the weights back and the service on its previous revision.
* update-bluegreen-to-rolling: a strategy cannot change while a deployment is in progress.
* Where the healthy targets are: a service's tasks are in the target group it was created
  with; a traffic-shifting deployment starts the new revision's tasks in the idle group
  (SCALE_UP) and, once done, only those run; a rolling deployment (a new revision, or the
  service moved to another group) has its tasks registered when it is done. Every
  production rule the fake has seen must send traffic only to groups with healthy targets:
  each ECS call and each tick checks, and ``outages`` lists what did not.

Time is ticks: every DescribeServices or DescribeServiceDeployments moves each deployment
in progress one stage on (``advance`` does too), unless it waits at a PAUSE hook. A
service's first deployment (CreateService) has no previous revision to shift from: it is
SUCCESSFUL at once.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import boto3

from express_fake import Fault, ModelChecked

OPERATIONS = (
    "CreateService",
    "UpdateService",
    "DescribeServices",
    "ListServiceDeployments",
    "DescribeServiceDeployments",
    "ContinueServiceDeployment",
    "StopServiceDeployment",
)
STAGES = (
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
)
NO_PAUSE = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
# the members moto does not know, put back on every answer
STRATEGY_MEMBERS = (
    "strategy",
    "bakeTimeInMinutes",
    "canaryConfiguration",
    "linearConfiguration",
    "lifecycleHooks",
    "alarms",
)
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
BAD = "InvalidParameterException"


@dataclass
class _Deployment:
    arn: str
    service_arn: str
    cluster_arn: str
    target: str  # task definition
    source: str | None
    config: dict[str, Any]
    tick: int
    status: str = "IN_PROGRESS"
    stage: int = -1  # index in STAGES
    hook: str | None = None  # the id of the PAUSE hook waited at
    reason: str = ""
    green: str | None = None  # the target group the new revision's tasks are in
    scaled: bool = False  # the new revision's tasks run (after SCALE_UP)
    created: datetime | None = None  # createdAt, when set apart from the fake's ticks

    @property
    def created_at(self) -> datetime:
        return self.created or EPOCH + timedelta(seconds=self.tick)


@dataclass
class _Service:
    arn: str
    cluster_arn: str
    config: dict[str, Any]  # deploymentConfiguration, as last sent
    balancers: list[dict[str, Any]]  # as sent, with advancedConfiguration
    task_definition: str
    deployments: list[_Deployment] = field(default_factory=list)
    serving: str = ""  # the target group the running tasks are healthy in
    rules: set[str] = field(default_factory=set)  # the production rules seen


class DeployFake(ModelChecked):
    params_key: ClassVar[str] = "deploy_fake_params"

    def __init__(self, region: str = "us-west-2") -> None:
        self.region = region
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[str] = []
        self.services: dict[str, _Service] = {}
        self.shifts: list[tuple[str, list[tuple[str, int]]]] = []  # (rule, weights) set
        self.ticks = 0
        self.outages: list[str] = []  # traffic sent to a group without healthy targets
        # ListServiceDeployments documents no order and pages by 20 (maxResults): the
        # fake lists newest first unless told otherwise, a page at a time
        self.oldest_first = False
        self.created_at: datetime | None = None  # the next deployments' createdAt, if set
        self._ids = itertools.count(1)
        self._ecs = boto3.client("ecs", region_name=region)
        self._elbv2 = boto3.client("elbv2", region_name=region)
        self._iam = boto3.client("iam", region_name=region)

    def install(self, raw_client: Any) -> DeployFake:
        events = raw_client.meta.events
        for op in OPERATIONS:
            events.register(f"before-parameter-build.ecs.{op}", self._check_request)
            events.register(f"before-call.ecs.{op}", self._answer)
        return self

    def handlers(self) -> Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "CreateService": self._create,
            "UpdateService": self._update,
            "DescribeServices": self._describe,
            "ListServiceDeployments": self._list_deployments,
            "DescribeServiceDeployments": self._describe_deployments,
            "ContinueServiceDeployment": self._continue,
            "StopServiceDeployment": self._stop,
        }

    def advance(self, ticks: int = 1) -> None:
        for _ in range(ticks):
            self._tick()

    def time_out_pauses(self) -> None:
        """What ECS does to a deployment nobody continues before its PAUSE hook times out
        (ECS developer guide, deployment-lifecycle-hooks): it rolls the deployment back."""
        for svc in self.services.values():
            for dep in svc.deployments:
                if dep.hook is not None and dep.status == "IN_PROGRESS":
                    dep.hook = None
                    self._roll_back(dep, "The lifecycle hook timed out.")

    def deployment_of(self, service_name: str) -> _Deployment | None:
        for svc in self.services.values():
            if svc.arn.endswith(f"/{service_name}") and svc.deployments:
                return svc.deployments[-1]
        return None

    # --- operations --------------------------------------------------------------------
    def _create(self, p: dict[str, Any]) -> dict[str, Any]:
        config = copy.deepcopy(p.get("deploymentConfiguration") or {})
        balancers = copy.deepcopy(p.get("loadBalancers") or [])
        self._validate(config, balancers)
        answer = self._ecs.create_service(**_stripped(p))["service"]
        svc = _Service(
            answer["serviceArn"],
            answer["clusterArn"],
            config,
            balancers,
            answer["taskDefinition"],
        )
        self.services[svc.arn] = svc
        self._remember(svc)
        svc.serving = balancers[0]["targetGroupArn"] if balancers else ""
        first = self._deployment(svc, svc.task_definition, None)
        first.status, first.stage = "SUCCESSFUL", len(STAGES) - 1
        return {"service": self._augment(answer)}

    def _update(self, p: dict[str, Any]) -> dict[str, Any]:
        self.check_traffic()
        svc = self._find(p.get("cluster", "default"), p["service"])
        config = dict(svc.config)
        if "deploymentConfiguration" in p:
            config = copy.deepcopy(p["deploymentConfiguration"])
        balancers = copy.deepcopy(p.get("loadBalancers", svc.balancers))
        busy = svc.deployments and svc.deployments[-1].status == "IN_PROGRESS"
        if busy and config.get("strategy") != svc.config.get("strategy"):
            raise Fault(
                BAD, "The deployment strategy cannot change while a deployment is in progress."
            )
        self._validate(config, balancers)
        answer = self._ecs.update_service(**_stripped(p))["service"]
        moved = _group(balancers) != _group(svc.balancers)
        svc.config, svc.balancers = config, balancers
        self._remember(svc)
        source = svc.task_definition
        if answer["taskDefinition"] != source or p.get("forceNewDeployment") or moved:
            svc.task_definition = answer["taskDefinition"]
            self._deployment(svc, svc.task_definition, source)
        return {"service": self._augment(answer)}

    def _describe(self, p: dict[str, Any]) -> dict[str, Any]:
        self._tick()
        answer = self._ecs.describe_services(**p)
        answer.pop("ResponseMetadata", None)
        answer["services"] = [self._augment(s) for s in answer.get("services", [])]
        return answer

    def _list_deployments(self, p: dict[str, Any]) -> dict[str, Any]:
        svc = self._find(p.get("cluster", "default"), p["service"])
        wanted = set(p.get("status") or [])
        briefs = [
            {
                "serviceDeploymentArn": d.arn,
                "serviceArn": d.service_arn,
                "clusterArn": d.cluster_arn,
                "status": d.status,
                "targetServiceRevisionArn": f"{d.service_arn}/revision/{d.tick}",
                "createdAt": d.created_at,
            }
            for d in (svc.deployments if self.oldest_first else reversed(svc.deployments))
            if not wanted or d.status in wanted
        ]
        start = int(p.get("nextToken") or 0)
        end = start + int(p.get("maxResults") or 20)
        page: dict[str, Any] = {"serviceDeployments": briefs[start:end]}
        if end < len(briefs):
            page["nextToken"] = str(end)
        return page

    def _describe_deployments(self, p: dict[str, Any]) -> dict[str, Any]:
        self._tick()
        found, failures = [], []
        for arn in p["serviceDeploymentArns"]:
            dep = self._deployment_by_arn(arn)
            if dep is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            found.append(self._render(dep))
        return {"serviceDeployments": found, "failures": failures}

    def _continue(self, p: dict[str, Any]) -> dict[str, Any]:
        dep = self._deployment_by_arn(p["serviceDeploymentArn"])
        if dep is None:
            raise Fault("ServiceDeploymentNotFoundException", "Service deployment not found.")
        if dep.hook is None or dep.hook != p["hookId"]:
            raise Fault(BAD, f"The service deployment is not waiting at hook {p['hookId']}.")
        dep.hook = None
        if p.get("action") == "ROLLBACK":
            self._roll_back(dep, "rolled back by ContinueServiceDeployment")
        return {"serviceDeploymentArn": dep.arn}

    def _stop(self, p: dict[str, Any]) -> dict[str, Any]:
        dep = self._deployment_by_arn(p["serviceDeploymentArn"])
        if dep is None:
            raise Fault("ServiceDeploymentNotFoundException", "Service deployment not found.")
        if dep.status != "IN_PROGRESS":
            raise Fault("ConflictException", f"The service deployment is {dep.status}.")
        dep.hook = None
        self._roll_back(dep, "stopped by StopServiceDeployment")
        return {"serviceDeploymentArn": dep.arn}

    # --- the rules AWS enforces --------------------------------------------------------
    def _validate(self, config: dict[str, Any], balancers: list[dict[str, Any]]) -> None:
        strategy = config.get("strategy", "ROLLING")
        if strategy == "BLUE_GREEN" and "bakeTimeInMinutes" not in config:
            raise Fault(BAD, "bakeTimeInMinutes is required for the BLUE_GREEN strategy.")
        for hook in config.get("lifecycleHooks") or []:
            if hook.get("targetType") == "PAUSE" and set(hook["lifecycleStages"]) & set(NO_PAUSE):
                raise Fault(BAD, "PAUSE hooks cannot be configured at traffic shift stages.")
        for lb in balancers:
            adv = lb.get("advancedConfiguration")
            if strategy != "ROLLING" and adv is None:
                raise Fault(
                    BAD,
                    f"The {strategy} deployment strategy requires advancedConfiguration for "
                    "load balancer target group " + lb.get("targetGroupArn", "?"),
                )
            if adv is None:
                continue
            role = adv.get("roleArn", "")
            try:
                self._iam.get_role(RoleName=role.rsplit("/", 1)[-1])
            except self._iam.exceptions.NoSuchEntityException:
                raise Fault(BAD, f"Unable to assume role {role}.") from None
            groups = {lb["targetGroupArn"], adv["alternateTargetGroupArn"]}
            for member in ("productionListenerRule", "testListenerRule"):
                if member not in adv:
                    continue
                forwarded = {arn for arn, _ in self._weights(adv[member])}
                if forwarded != groups:
                    raise Fault(
                        BAD,
                        f"The {member} {adv[member]} must forward to both the target group "
                        "and the alternate target group.",
                    )

    # --- the lifecycle -------------------------------------------------------------------
    def _deployment(self, svc: _Service, target: str, source: str | None) -> _Deployment:
        n = next(self._ids)
        dep = _Deployment(
            arn=f"{svc.arn.replace(':service/', ':service-deployment/')}/d{n:04d}",
            service_arn=svc.arn,
            cluster_arn=svc.cluster_arn,
            target=target,
            source=source,
            config=copy.deepcopy(svc.config),
            tick=self.ticks,
            created=self.created_at,
        )
        svc.deployments.append(dep)
        return dep

    def _tick(self) -> None:
        self.ticks += 1
        for svc in self.services.values():
            for dep in svc.deployments:
                if dep.status == "IN_PROGRESS" and dep.hook is None:
                    self._step(svc, dep)
        self.check_traffic()

    def check_traffic(self) -> None:
        """Record each production rule sending traffic to a group without healthy
        targets."""
        for svc in self.services.values():
            healthy = {svc.serving} | {
                d.green
                for d in svc.deployments
                if d.status == "IN_PROGRESS" and d.scaled and d.green is not None
            }
            for rule in sorted(svc.rules):
                try:
                    weights = self._weights(rule)
                except Fault:
                    continue  # deleted
                for group, weight in weights:
                    if weight > 0 and group not in healthy:
                        name = group.rsplit("/", 2)[-2] if "/" in group else group
                        self.outages.append(f"tick {self.ticks}: traffic to {name}, no targets")

    def _remember(self, svc: _Service) -> None:
        for lb in svc.balancers:
            adv = lb.get("advancedConfiguration") or {}
            if "productionListenerRule" in adv:
                svc.rules.add(adv["productionListenerRule"])

    def _step(self, svc: _Service, dep: _Deployment) -> None:
        if dep.config.get("strategy", "ROLLING") == "ROLLING":
            dep.status, dep.stage = "SUCCESSFUL", len(STAGES) - 1
            svc.serving = _group(svc.balancers) or svc.serving  # registered once done
            return
        dep.stage += 1
        stage = STAGES[dep.stage]
        adv = svc.balancers[0].get("advancedConfiguration") or {}
        live, idle = self._live_and_idle(svc)
        if stage == "PRE_SCALE_UP":
            dep.green = idle
        if stage == "SCALE_UP":
            dep.scaled = True
        if stage == "TEST_TRAFFIC_SHIFT" and "testListenerRule" in adv:
            self._shift(adv["testListenerRule"], live, idle, [100])
        if stage == "PRODUCTION_TRAFFIC_SHIFT":
            self._shift(adv["productionListenerRule"], live, idle, _steps(dep.config))
        if stage == "CLEAN_UP":
            dep.status = "SUCCESSFUL"
            svc.serving = dep.green or svc.serving
            return
        for hook in dep.config.get("lifecycleHooks") or []:
            if hook.get("targetType") == "PAUSE" and stage in hook["lifecycleStages"]:
                dep.hook = f"hook-{next(self._ids):04d}"

    def _roll_back(self, dep: _Deployment, reason: str) -> None:
        svc = self.services[dep.service_arn]
        adv = svc.balancers[0].get("advancedConfiguration") or {} if svc.balancers else {}
        if adv and dep.stage >= STAGES.index("TEST_TRAFFIC_SHIFT"):
            live, idle = self._live_and_idle(svc)
            for member in ("testListenerRule", "productionListenerRule"):
                if member in adv:  # all traffic back on the group the old revision is in
                    self._set(adv[member], [(live, 100), (idle, 0)])
        dep.status, dep.reason = "ROLLBACK_SUCCESSFUL", reason
        if dep.source is not None:
            self._ecs.update_service(
                cluster=svc.cluster_arn, service=svc.arn, taskDefinition=dep.source
            )
            svc.task_definition = dep.source

    def _live_and_idle(self, svc: _Service) -> tuple[str, str]:
        """The target group production traffic goes to, and the other."""
        lb = svc.balancers[0]
        adv = lb.get("advancedConfiguration") or {}
        weights = self._weights(adv["productionListenerRule"])
        live = max(weights, key=lambda w: w[1])[0]
        pair = [lb["targetGroupArn"], adv["alternateTargetGroupArn"]]
        return live, next(g for g in pair if g != live)

    def _shift(self, rule: str, live: str, idle: str, percents: list[float]) -> None:
        for percent in percents:
            self._set(rule, [(live, round(100 - percent)), (idle, round(percent))])

    def _set(self, rule: str, weights: list[tuple[str, int]]) -> None:
        current = self._elbv2.describe_rules(RuleArns=[rule])["Rules"][0]
        order = [arn for arn, _ in self._weights(rule)]  # the rule's own order, kept
        ordered = sorted(weights, key=lambda w: order.index(w[0]) if w[0] in order else 9)
        self._elbv2.modify_rule(
            RuleArn=rule,
            Conditions=current["Conditions"],
            Actions=[
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [{"TargetGroupArn": arn, "Weight": w} for arn, w in ordered]
                    },
                }
            ],
        )
        self.shifts.append((rule, ordered))

    def _weights(self, rule: str) -> list[tuple[str, int]]:
        try:
            found = self._elbv2.describe_rules(RuleArns=[rule])["Rules"]
        except Exception:
            raise Fault(BAD, f"Listener rule {rule} not found.") from None
        for action in found[0].get("Actions", []):
            groups = action.get("ForwardConfig", {}).get("TargetGroups")
            if groups:
                return [(g["TargetGroupArn"], int(g.get("Weight", 1))) for g in groups]
            if action.get("TargetGroupArn"):
                return [(action["TargetGroupArn"], 1)]
        return []

    # --- answers -------------------------------------------------------------------------
    def _augment(self, answer: dict[str, Any]) -> dict[str, Any]:
        svc = self.services.get(answer.get("serviceArn", ""))
        if svc is None:
            return answer
        out = copy.deepcopy(answer)
        config = {"minimumHealthyPercent": 100, "maximumPercent": 200, "strategy": "ROLLING"}
        out["deploymentConfiguration"] = {**config, **copy.deepcopy(svc.config)}
        if svc.balancers:
            out["loadBalancers"] = copy.deepcopy(svc.balancers)
        count = int(out.get("desiredCount", 1))
        latest = svc.deployments[-1] if svc.deployments else None
        at = EPOCH + timedelta(seconds=self.ticks)
        if latest is not None and latest.status == "IN_PROGRESS":
            out["deployments"] = [
                _brief(latest.arn, "PRIMARY", latest.target, "IN_PROGRESS", count, at),
                _brief(latest.arn + "-old", "ACTIVE", latest.source or "", "COMPLETED", count, at),
            ]
        else:
            out["deployments"] = [
                _brief(f"{svc.arn}-steady", "PRIMARY", svc.task_definition, "COMPLETED", count, at)
            ]
        out["runningCount"], out["pendingCount"] = count, 0
        return out

    def _render(self, dep: _Deployment) -> dict[str, Any]:
        out: dict[str, Any] = {
            "serviceDeploymentArn": dep.arn,
            "serviceArn": dep.service_arn,
            "clusterArn": dep.cluster_arn,
            "status": dep.status,
            "createdAt": dep.created_at,
            "targetServiceRevision": {"arn": f"{dep.service_arn}/revision/{dep.target}"},
        }
        adv = self._advanced(dep)
        if dep.green is not None and adv:
            # the API reference of ServiceRevisionSummary: the shares of production and
            # test traffic the new revision gets (a snapshot of the rules' weights)
            revision = out["targetServiceRevision"]
            revision["requestedProductionTrafficWeight"] = self._share(
                adv["productionListenerRule"], dep.green
            )
            if "testListenerRule" in adv:
                revision["requestedTestTrafficWeight"] = self._share(
                    adv["testListenerRule"], dep.green
                )
        if dep.reason:
            out["statusReason"] = dep.reason
        if dep.stage >= 0:
            out["lifecycleStage"] = STAGES[dep.stage]
        if dep.hook is not None:
            out["lifecycleHookDetails"] = [
                {"hookId": dep.hook, "targetType": "PAUSE", "status": "AWAITING_ACTION"}
            ]
        return out

    def _advanced(self, dep: _Deployment) -> dict[str, Any]:
        svc = self.services[dep.service_arn]
        return dict(svc.balancers[0].get("advancedConfiguration") or {}) if svc.balancers else {}

    def _share(self, rule: str, group: str) -> float:
        weights = self._weights(rule)
        total = sum(w for _, w in weights) or 1
        return 100.0 * sum(w for g, w in weights if g == group) / total

    def _find(self, cluster: str, service: str) -> _Service:
        for svc in self.services.values():
            short = svc.cluster_arn.rsplit("/", 1)[-1]
            if cluster in (short, svc.cluster_arn) and service in (
                svc.arn,
                svc.arn.rsplit("/", 1)[-1],
            ):
                return svc
        raise Fault("ServiceNotFoundException", f"Service {service} not found.")

    def _deployment_by_arn(self, arn: str) -> _Deployment | None:
        for svc in self.services.values():
            for dep in svc.deployments:
                if dep.arn == arn:
                    return dep
        return None


def _stripped(p: Mapping[str, Any]) -> dict[str, Any]:
    """The request as moto takes it: without the members it does not know."""
    out = copy.deepcopy(dict(p))
    config = out.get("deploymentConfiguration")
    if config is not None:
        out["deploymentConfiguration"] = {
            k: v for k, v in config.items() if k not in STRATEGY_MEMBERS
        }
    for lb in out.get("loadBalancers") or []:
        lb.pop("advancedConfiguration", None)
    return out


def _group(balancers: list[dict[str, Any]]) -> str:
    return str(balancers[0].get("targetGroupArn", "")) if balancers else ""


def _steps(config: Mapping[str, Any]) -> list[float]:
    """The production weights of the new revision, in order, for the strategy."""
    if config.get("strategy") == "CANARY":
        return [float(config.get("canaryConfiguration", {}).get("canaryPercent", 5.0)), 100.0]
    if config.get("strategy") == "LINEAR":
        step = float(config.get("linearConfiguration", {}).get("stepPercent", 10.0))
        out, at = [], step
        while at < 100:
            out.append(at)
            at += step
        return [*out, 100.0]
    return [100.0]


def _brief(
    ident: str, status: str, task: str, state: str, count: int, at: datetime
) -> dict[str, Any]:
    return {
        "id": ident.rsplit("/", 1)[-1],
        "status": status,
        "taskDefinition": task,
        "desiredCount": count,
        "runningCount": count,
        "pendingCount": 0,
        "rolloutState": state,
        "createdAt": at,
        "updatedAt": at,
        "launchType": "FARGATE",
    }


def install_on_every_deployment(monkeypatch: Any, fake: DeployFake) -> DeployFake:
    """``fake`` on every deployment the CLI or a test connects (``monkeypatch``: pytest's
    fixture), with fake time that passes when the code under test sleeps."""
    from ecsdeploy.ops.stages import Stages
    from ecsdeploy.resources.base import Timing

    clock = [0.0]
    connect = Stages.connect

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    def connect_with_fake(
        target: Any, recorder: Any = None, timing: Any = None, kinds: Any = None
    ) -> Stages:
        dep = connect(
            target, recorder, Timing(poll=1.0, sleep=sleep, clock=lambda: clock[0]), kinds
        )
        fake.install(dep.aws.client("ecs").raw)
        return dep

    monkeypatch.setattr(Stages, "connect", connect_with_fake)
    return fake
