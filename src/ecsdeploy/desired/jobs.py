"""spec -> the scheduled jobs: per job a log group, a task role, a security group and a task
definition like a service's, an EventBridge Scheduler schedule in the app's schedule group
with a role of its own, and an EventBridge rule that tells the alarm topic when a run
fails (with the topic's policy letting EventBridge publish, when ecsdeploy owns the topic).
Pure.

The scheduler role may do exactly two things: ``ecs:RunTask`` of the job's task-definition
family in the app's cluster, and ``iam:PassRole`` of the job's two roles (execution and
task) to ECS; only EventBridge Scheduler of this account may assume it (AWS: "Set up the
execution role", https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html
#setting-up-execution-role, and its confused-deputy condition ``aws:SourceAccount``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ecsdeploy.aws.regions import partition
from ecsdeploy.desired.env import REFERENCE, env_value
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import ImageRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.ecs_task_definition import TaskDefinitionProps
from ecsdeploy.resources.events_rule import RuleProps, failure_pattern
from ecsdeploy.resources.iam_role import RoleProps, canonical, trust_policy
from ecsdeploy.resources.log_group import LogGroupProps
from ecsdeploy.resources.scheduler_group import ScheduleGroupProps
from ecsdeploy.resources.scheduler_schedule import ScheduleProps, task_group
from ecsdeploy.resources.security_group import SecurityGroupProps
from ecsdeploy.resources.sns_topic_policy import TopicPolicyProps, topic_policy
from ecsdeploy.spec.models import Job, Spec
from ecsdeploy.spec.naming import Owner, fit
from ecsdeploy.spec.network_models import Network

TIMEOUT_ENV = "ECSDEPLOY_TIMEOUT_SECONDS"  # what a job's program reads to bound its run
RULE_NAME_LIMIT = 64  # EventBridge rule names


def failure_rule_name(owner: Owner, job: str) -> str:
    return fit(owner.name(job, "failed"), RULE_NAME_LIMIT)


def job_resources(
    spec: Spec,
    owner: Owner,
    net: Network,
    images: Mapping[str, ImageRef] | None,
    artifacts: Mapping[str, ArtifactRef],
    account: str | None,
) -> list[Desired]:
    """Everything the spec's jobs need; the ECS and scheduling parts only once ``images``
    are known (as for the services)."""
    if not spec.jobs:
        return []
    out: list[Desired] = []
    for name, job in spec.jobs.items():
        out += _base(spec, owner, net, name, job, artifacts)
    if images is None:
        return out
    out.append(
        Desired(
            "scheduler.group",
            keys.SCHEDULE_GROUP,
            owner.prefix,
            ScheduleGroupProps(name=owner.prefix),
        )
    )
    for name, job in spec.jobs.items():
        out += _scheduled(spec, owner, net, name, job, images[name], artifacts, account)
    out += _notifications(spec, owner, account)
    return out


def _used(job: Job, artifacts: Mapping[str, ArtifactRef]) -> list[str]:
    return sorted(
        {
            m.group(2)
            for value in job.env.values()
            for m in REFERENCE.finditer(value)
            if m.group(1) == "artifacts" and m.group(2) in artifacts
        }
    )


def _base(
    spec: Spec,
    owner: Owner,
    net: Network,
    name: str,
    job: Job,
    artifacts: Mapping[str, ArtifactRef],
) -> list[Desired]:
    """A job's log group, task role and security group (no one connects to it)."""
    policy: dict[str, str] = {}
    statements: list[dict[str, object]] = [
        {"Effect": p.effect, "Action": list(p.actions), "Resource": p.resources}
        for p in job.permissions
    ]
    used = _used(job, artifacts)
    if used:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [
                    f"arn:{partition(spec.region)}:s3:::"
                    f"{artifacts[a].bucket}/{artifacts[a].prefix}/*"
                    for a in used
                ],
            }
        )
    if statements:
        policy["permissions"] = canonical({"Version": "2012-10-17", "Statement": statements})
    return [
        Desired(
            "logs.log_group",
            keys.log_group(name),
            owner.log_group(name),
            LogGroupProps(retention_days=spec.logs.retention_days),
        ),
        Desired(
            "iam.role",
            keys.task_role(name),
            owner.role_name(name, "task"),
            RoleProps(
                path=owner.iam_path(),
                trust=trust_policy("ecs-tasks.amazonaws.com"),
                managed=frozenset(),
                inline=policy,
            ),
        ),
        Desired(
            "ec2.security_group",
            keys.service_group(name),
            owner.name(name),
            SecurityGroupProps(
                vpc=Ref(keys.VPC),
                group_name=owner.name(name),
                description=f"ecsdeploy {owner.prefix}: job {name}",
                ingress=frozenset(),
            ),
        ),
    ]


def _scheduled(
    spec: Spec,
    owner: Owner,
    net: Network,
    name: str,
    job: Job,
    image: ImageRef,
    artifacts: Mapping[str, ArtifactRef],
    account: str | None,
) -> list[Desired]:
    """A job's task definition, its scheduler role and its schedule."""
    env = {k: env_value(spec, v, artifacts) for k, v in sorted(job.env.items())}
    env[TIMEOUT_ENV] = str(job.timeout_minutes * 60)
    task_definition = Desired(
        "ecs.task_definition",
        keys.task_definition(name),
        owner.name(name),
        TaskDefinitionProps(
            cpu=str(job.cpu),
            memory=str(job.memory),
            execution_role=Ref(keys.EXECUTION_ROLE, "arn"),
            task_role=Ref(keys.task_role(name), "arn"),
            container=name,
            image=image.uri,
            port=None,
            env=dict(sorted(env.items())),
            secrets=dict(sorted(job.secrets.items())),
            log_group=owner.log_group(name),
            health=None,
            arch=job.cpu_architecture,
            command=tuple(job.command) if job.command else None,
        ),
        depends_on=(
            keys.log_group(name),
            *((keys.image(name),) if image.built else ()),
            *(keys.artifact(a) for a in _used(job, artifacts)),
        ),
    )
    arn = f"arn:{partition(spec.region)}"
    acct = account or "*"
    path = owner.iam_path()
    family = owner.name(name)
    role_arns = [
        f"{arn}:iam::{acct}:role{path}{owner.role_name('execution')}",
        f"{arn}:iam::{acct}:role{path}{owner.role_name(name, 'task')}",
    ]
    cluster_arn = f"{arn}:ecs:{spec.region}:{acct}:cluster/{owner.prefix}"
    run = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": [
                    f"{arn}:ecs:{spec.region}:{acct}:task-definition/{family}:*",
                    f"{arn}:ecs:{spec.region}:{acct}:task-definition/{family}",
                ],
                "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": role_arns,
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
        ],
    }
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "scheduler.amazonaws.com"},
                "Action": "sts:AssumeRole",
                **(
                    {"Condition": {"StringEquals": {"aws:SourceAccount": account}}}
                    if account
                    else {}
                ),
            }
        ],
    }
    role = Desired(
        "iam.role",
        keys.scheduler_role(name),
        owner.role_name(name, "scheduler"),
        RoleProps(
            path=path,
            trust=canonical(trust),
            managed=frozenset(),
            inline={"run-task": canonical(run)},
        ),
    )
    schedule = Desired(
        "scheduler.schedule",
        keys.schedule(name),
        name,
        ScheduleProps(
            group=owner.prefix,
            expression=job.schedule,
            timezone=job.timezone,
            cluster=Ref(keys.CLUSTER, "arn"),
            task_definition=Ref(keys.task_definition(name), "arn"),
            role=Ref(keys.scheduler_role(name), "arn"),
            subnets=frozenset(Ref(keys.subnet("private", i)) for i in range(net.azs)),
            security_groups=frozenset({Ref(keys.service_group(name))}),
            task_group=task_group(name),
        ),
        depends_on=(
            keys.SCHEDULE_GROUP,
            *(keys.private_route_table(i) for i in range(net.azs)),
            *(keys.vpc_endpoint(e) for e in net.endpoints),
        ),
    )
    return [task_definition, role, schedule]


def _notifications(spec: Spec, owner: Owner, account: str | None) -> list[Desired]:
    """Per job, the rule that tells the alarm topic of a failed run; the topic's policy
    when ecsdeploy owns the topic. None without a topic (alarms off, or no one to tell)."""
    alarms = spec.alarms
    if alarms is None or not (alarms.email or alarms.sns_topic_arn):
        return []
    owned = not alarms.sns_topic_arn
    topic: str | Ref = Ref(keys.ALARM_TOPIC, "arn") if owned else str(alarms.sns_topic_arn)
    acct = account or "*"
    cluster_arn = f"arn:{partition(spec.region)}:ecs:{spec.region}:{acct}:cluster/{owner.prefix}"
    out: list[Desired] = []
    rules = []
    for name in spec.jobs:
        rule = failure_rule_name(owner, name)
        rules.append(f"arn:{partition(spec.region)}:events:{spec.region}:{acct}:rule/{rule}")
        out.append(
            Desired(
                "events.rule",
                keys.job_failure_rule(name),
                rule,
                RuleProps(
                    pattern=failure_pattern(cluster_arn, task_group(name)),
                    topic=topic,
                    message=f"ecsdeploy {owner.prefix}: job {name} failed: task <task> "
                    "stopped with exit code <code>: <reason>",
                ),
                depends_on=(keys.ALARM_TOPIC_POLICY,) if owned else (),
            )
        )
    if owned:
        topic_arn = f"arn:{partition(spec.region)}:sns:{spec.region}:{acct}:{owner.name('alarms')}"
        out.append(
            Desired(
                "sns.topic_policy",
                keys.ALARM_TOPIC_POLICY,
                owner.name("alarms"),
                TopicPolicyProps(topic=topic_arn, policy=topic_policy(topic_arn, acct, rules)),
                depends_on=(keys.ALARM_TOPIC,),
            )
        )
    return out
