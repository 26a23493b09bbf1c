"""spec -> the app's alarms, their SNS topic and its CloudWatch dashboard. Pure.

Alarms (each unless ``alarms: false``, per service unless ``services.X.alarms: false``):

* per app, when there is a load balancer: 5xx responses (load balancer's own plus the
  targets') as a percent of requests, by metric math, ignored below ``MIN_REQUESTS`` a
  minute so that one failed request of two at night does not page anyone;
* per routed service (its target group; both groups, by metric math, for a service with
  an alternate group: ``on_both_groups``): p95 target response time; unhealthy targets > 0
  for ``unhealthy_minutes``;
* per ECS service: average CPU and memory utilisation (AWS/ECS); running tasks below
  desired for ``TASKS_SHORT_MINUTES``, from Container Insights' RunningTaskCount and
  DesiredTaskCount (AWS/ECS has no task-count metric; ecsdeploy's cluster has Container
  Insights on). A rollout or scale-out is short of tasks for a minute or two: the alarm
  waits longer than that.

Dimensions are Refs to the load balancer's and target groups' ``full_name``
(``app/NAME/ID``, ``targetgroup/NAME/ID``) and to the cluster's and services' names, so
they are what AWS created. Express Mode services get the ECS alarms only: their load
balancer is AWS's and not known before it exists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.cloudwatch_alarm import AlarmProps, dimensions, normalise_query
from ecsdeploy.resources.cloudwatch_dashboard import DashboardProps, dashboard_name
from ecsdeploy.resources.ecs_common import cluster_name
from ecsdeploy.resources.sns_subscription import SubscriptionProps
from ecsdeploy.resources.sns_topic import TopicProps
from ecsdeploy.spec.models import Alarms, Service, Spec
from ecsdeploy.spec.naming import Owner

DEFAULTS = {"cpu": 80, "memory": 80, "p95_ms": 2000, "unhealthy_minutes": 5, "error_rate": 5.0}
PERIOD = 60  # seconds; AWS/ECS and ALB metrics are per minute
SUSTAINED = 5  # minutes a utilisation or latency breach must last
MIN_REQUESTS = 10  # per minute, below which the 5xx rate is not judged
TASKS_SHORT_MINUTES = 10
ALB = "AWS/ApplicationELB"


def threshold(spec: Spec, svc: Service | None, key: str) -> float:
    """A service's value, else the app-wide one, else ecsdeploy's default."""
    for source in (svc.alarms if svc else None, spec.alarms):
        value = getattr(source, key, None) if source is not None else None
        if value is not None:
            return float(value)
    return float(DEFAULTS[key])


def _actions(alarms: Alarms) -> list[str | Ref]:
    if alarms.sns_topic_arn:
        return [alarms.sns_topic_arn]
    if alarms.email:
        return [Ref(keys.ALARM_TOPIC, "arn")]
    return []


def _alarm(
    owner: Owner,
    key: str,
    name: str,
    description: str,
    actions: list[str | Ref],
    **params: Any,
) -> Desired:
    props = AlarmProps(
        AlarmDescription=description,
        AlarmActions=actions,
        OKActions=actions,
        Namespace=None,
        MetricName=None,
        Dimensions=[],
        Statistic=None,
        ExtendedStatistic=None,
        Period=PERIOD,
        EvaluationPeriods=SUSTAINED,
        DatapointsToAlarm=SUSTAINED,
        Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        Metrics=[],
    )
    props = dataclasses.replace(props, **params)
    if props.Metrics:
        props = dataclasses.replace(props, Period=None)  # a metric-math alarm: per query
    return Desired("cloudwatch.alarm", key, owner.name(*name.split("/")), props)


def _query(qid: str, namespace: str, metric: str, dims: Mapping[str, Any], stat: str) -> Any:
    return normalise_query(
        {
            "Id": qid,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": metric,
                           "Dimensions": dimensions(dims)},
                "Period": PERIOD,
                "Stat": stat,
            },
        }
    )  # fmt: skip


def _expression(qid: str, expression: str, label: str) -> Any:
    return normalise_query({"Id": qid, "Expression": expression, "Label": label})


def build_alarms(spec: Spec, owner: Owner, has_lb: bool) -> list[Desired]:
    """Every alarm, plus the topic and subscriptions when ``alarms.email`` is set."""
    alarms = spec.alarms
    if alarms is None:
        return []
    out: list[Desired] = []
    if alarms.email and not alarms.sns_topic_arn:
        out.append(Desired("sns.topic", keys.ALARM_TOPIC, owner.name("alarms"),
                           TopicProps(name=owner.name("alarms"))))  # fmt: skip
        for address in alarms.email:
            props = SubscriptionProps(
                topic=Ref(keys.ALARM_TOPIC, "arn"), protocol="email", endpoint=address
            )
            out.append(Desired("sns.subscription", keys.subscription("email", address),
                               address, props))  # fmt: skip
    actions = _actions(alarms)
    if has_lb:
        lb = {"LoadBalancer": Ref(keys.LOAD_BALANCER, "full_name")}
        out.append(
            _alarm(
                owner,
                keys.LOAD_BALANCER_ALARM,
                "lb/5xx-rate",
                f"5xx responses above {threshold(spec, None, 'error_rate'):g}% of requests "
                f"(at {MIN_REQUESTS}+ requests a minute)",
                actions,
                Threshold=threshold(spec, None, "error_rate"),
                Metrics=[
                    _query("requests", ALB, "RequestCount", lb, "Sum"),
                    _query("lb5xx", ALB, "HTTPCode_ELB_5XX_Count", lb, "Sum"),
                    _query("target5xx", ALB, "HTTPCode_Target_5XX_Count", lb, "Sum"),
                    _expression(
                        "rate",
                        f"IF(requests >= {MIN_REQUESTS}, 100 * (FILL(lb5xx, 0) + "
                        "FILL(target5xx, 0)) / requests, 0)",
                        "5xx percent",
                    ),
                ],
            )
        )
    for name, svc in spec.services.items():
        if svc.alarms is None:
            continue
        if svc.mode == "classic" and svc.routed and has_lb:
            out += _target_alarms(spec, owner, name, svc, actions)
        out += _service_alarms(spec, owner, name, svc, actions)
    return out


def _target_alarms(
    spec: Spec, owner: Owner, name: str, svc: Service, actions: list[str | Ref]
) -> list[Desired]:
    dims = dimensions(
        {
            "LoadBalancer": Ref(keys.LOAD_BALANCER, "full_name"),
            "TargetGroup": Ref(keys.target_group(name), "full_name"),
        }
    )
    p95 = threshold(spec, svc, "p95_ms")
    minutes = int(threshold(spec, svc, "unhealthy_minutes"))
    return [
        _alarm(
            owner,
            keys.service_alarm(name, "p95"),
            f"{name}/p95-latency",
            f"{name}: p95 response time above {p95:g} ms for {SUSTAINED} minutes",
            actions,
            Namespace=ALB,
            MetricName="TargetResponseTime",
            Dimensions=dims,
            ExtendedStatistic="p95",
            Threshold=p95 / 1000,  # the metric is in seconds
        ),
        _alarm(
            owner,
            keys.service_alarm(name, "unhealthy"),
            f"{name}/unhealthy-targets",
            f"{name}: a target failing health checks for {minutes} minutes",
            actions,
            Namespace=ALB,
            MetricName="UnHealthyHostCount",
            Dimensions=dims,
            Statistic="Maximum",
            EvaluationPeriods=minutes,
            DatapointsToAlarm=minutes,
        ),
    ]


def on_both_groups(desired: Sequence[Desired], name: str) -> list[Desired]:
    """``desired`` with service ``name``'s target-group alarms (p95 latency, unhealthy
    targets) reading both of its groups, for a service with an alternate target group.

    A blue/green, canary or linear deployment leaves the new revision, and all production
    traffic, on whichever group the previous one did not use (ECS developer guide,
    deployment-type-blue-green: the groups swap roles at each deployment). An alarm on one
    group would watch an empty group after every other deployment, and ECS, which rolls the
    service back on it, would not see a slow release. Metric math takes the larger of the
    two groups' values minute by minute (CloudWatch user guide, using-metric-math: MAX of
    an array of time series is a time series); a group without requests has no data point,
    filled with 0."""
    out = list(desired)
    own = Ref(keys.target_group(name), "full_name")
    alternate = Ref(keys.alternate_target_group(name), "full_name")
    for check in ("p95", "unhealthy"):
        key = keys.service_alarm(name, check)
        found = next((d for d in out if d.key == key), None)
        if found is None or not isinstance(found.props, AlarmProps) or found.props.Metrics:
            continue
        props = found.props
        assert props.Namespace is not None and props.MetricName is not None
        stat = props.ExtendedStatistic or props.Statistic
        assert stat is not None
        dims = {str(d["Name"]): d["Value"] for d in props.Dimensions}
        metrics = [
            _query(qid, props.Namespace, props.MetricName, {**dims, "TargetGroup": group}, stat)
            for qid, group in (("own", own), ("alternate", alternate))
        ]
        metrics.append(
            _expression("worst", "MAX([FILL(own, 0), FILL(alternate, 0)])", f"{stat}, worse group")
        )
        watched = dataclasses.replace(
            props, Namespace=None, MetricName=None, Dimensions=[], Statistic=None,
            ExtendedStatistic=None, Period=None, Metrics=metrics,
        )  # fmt: skip
        out[out.index(found)] = dataclasses.replace(found, props=watched)
    return out


def _service_alarms(
    spec: Spec, owner: Owner, name: str, svc: Service, actions: list[str | Ref]
) -> list[Desired]:
    # The names are known before anything exists (a service is named after its spec key,
    # the cluster after the app and env), so these alarms wait for nothing: the executor
    # makes them while the services' own chain (network, load balancer) is still going.
    ecs = {"ClusterName": cluster_name(owner), "ServiceName": name}
    express = svc.mode == "express"
    out = []
    for metric, key in (("CPUUtilization", "cpu"), ("MemoryUtilization", "memory")):
        limit = threshold(spec, svc, key)
        out.append(
            _alarm(
                owner,
                keys.service_alarm(name, key),
                f"{name}/{key}-high",
                f"{name}: average {key} above {limit:g}% for {SUSTAINED} minutes",
                actions,
                Namespace="AWS/ECS",
                MetricName=metric,
                Dimensions=dimensions(ecs),
                Statistic="Average",
                Threshold=limit,
            )
        )
    insights = "ECS/ContainerInsights"
    out.append(
        _alarm(
            owner,
            keys.service_alarm(name, "tasks"),
            f"{name}/tasks-short",
            f"{name}: fewer tasks running than desired for {TASKS_SHORT_MINUTES} minutes",
            actions,
            EvaluationPeriods=TASKS_SHORT_MINUTES,
            DatapointsToAlarm=TASKS_SHORT_MINUTES,
            # no data (Container Insights still starting) keeps the state it has
            TreatMissingData="missing",
            Metrics=[
                _query("desired", insights, "DesiredTaskCount", ecs, "Average"),
                _query("running", insights, "RunningTaskCount", ecs, "Average"),
                _expression("short", "desired - running", "tasks short"),
            ],
        )
    )
    if express:  # the alarms wait for the service to exist
        out = [
            Desired(d.kind, d.key, d.name, d.props, depends_on=(keys.express_service(name),))
            for d in out
        ]
    return out


# --- dashboard ---------------------------------------------------------------------------


def _widget(title: str, metrics: list[list[Any]], region: str, stat: str, y: int,
            x: int = 0) -> dict[str, Any]:  # fmt: skip
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "stat": stat,
            "period": PERIOD,
            "view": "timeSeries",
            "metrics": metrics,
        },
    }


def build_dashboard(
    spec: Spec, owner: Owner, routed: Sequence[str], ecs_services: Mapping[str, Any]
) -> list[Desired]:
    """One dashboard: requests, 5xx, p95 latency and healthy targets of the load
    balancer (when there is one); CPU, memory and running tasks of each service.

    ``ecs_services`` maps each service to its ServiceName dimension value (a Ref for a
    classic service).
    """
    if not spec.dashboard or not ecs_services:
        return []
    region = spec.region
    lb = Ref(keys.LOAD_BALANCER, "full_name")
    widgets: list[dict[str, Any]] = []
    if routed:
        widgets.append(
            _widget("Requests", [[ALB, "RequestCount", "LoadBalancer", lb]], region, "Sum", 0)
        )
        widgets.append(
            _widget(
                "5xx responses",
                [
                    [ALB, "HTTPCode_ELB_5XX_Count", "LoadBalancer", lb],
                    [ALB, "HTTPCode_Target_5XX_Count", "LoadBalancer", lb],
                ],
                region,
                "Sum",
                0,
                12,
            )
        )
        per_target = [
            (
                "LoadBalancer",
                lb,
                "TargetGroup",
                Ref(keys.target_group(n), "full_name"),
                {"label": n},
            )
            for n in routed
        ]
        widgets.append(
            _widget(
                "p95 response time (s)",
                [[ALB, "TargetResponseTime", *dims] for dims in per_target],
                region,
                "p95",
                6,
            )
        )
        widgets.append(
            _widget(
                "Healthy targets",
                [[ALB, "HealthyHostCount", *dims] for dims in per_target],
                region,
                "Minimum",
                6,
                12,
            )
        )
    cluster = Ref(keys.CLUSTER, "name")
    y = 12

    def per_service(namespace: str, metric: str) -> list[list[Any]]:
        return [
            [namespace, metric, "ClusterName", cluster, "ServiceName", service, {"label": n}]
            for n, service in ecs_services.items()
        ]

    widgets.append(_widget("CPU %", per_service("AWS/ECS", "CPUUtilization"), region,
                           "Average", y))  # fmt: skip
    widgets.append(_widget("Memory %", per_service("AWS/ECS", "MemoryUtilization"), region,
                           "Average", y, 12))  # fmt: skip
    widgets.append(
        _widget("Running tasks", per_service("ECS/ContainerInsights", "RunningTaskCount"),
                region, "Average", y + 6)
    )  # fmt: skip
    name = dashboard_name(owner)
    depends = tuple(
        keys.express_service(n) for n, s in spec.services.items() if s.mode == "express"
    )
    return [Desired("cloudwatch.dashboard", keys.DASHBOARD, name,
                    DashboardProps(body={"widgets": widgets}), depends_on=depends)]  # fmt: skip
