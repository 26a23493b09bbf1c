"""ECS Express Mode services, on moto plus ``express_fake`` (moto has no Express API).

The cluster, the roles, subnets and security groups are real moto resources; the Express
calls are answered by the fake, installed on the Stages' own ECS client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ParamValidationError

from ecsdeploy.aws.errors import AccessDenied, InvalidRequest, NotFound
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.model import Action, Plan
from ecsdeploy.plan.planner import delete_all, make_plan
from ecsdeploy.reconcile.executor import Executor, Result
from ecsdeploy.resources.base import Desired, Handler, Observed, Timing
from ecsdeploy.resources.express_service import (
    ExpressServiceFailed,
    ExpressServiceHandler,
    ExpressServiceProps,
)
from ecsdeploy.resources.iam_role import trust_policy
from ecsdeploy.resources.waiting import WaitTimeout
from ecsdeploy.spec.naming import Owner

from express_fake import ExpressFake, check_output

REGION = "us-west-2"
OWNER = Owner("rx", "dev")
KIND = "ecs.express_service"
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/extract"
CREATE = "CreateExpressGatewayService"
UPDATE = "UpdateExpressGatewayService"


@dataclass
class Env:
    dep: Stages
    recorder: CallRecorder
    fake: ExpressFake
    handler: Handler
    roles: dict[str, str]
    timing: Timing

    def props(self, **changes: Any) -> ExpressServiceProps:
        props: dict[str, Any] = {
            "cluster": OWNER.prefix,
            "execution_role": self.roles["execution"],
            "infrastructure_role": self.roles["infrastructure"],
            "task_role": self.roles["task"],
            "image": f"{IMAGE}:v1",
            "port": 8000,
            "cpu": "256",
            "memory": "512",
            "health_path": "/health",
            "env": {"MODE": "receipts", "LOG_LEVEL": "info"},
            "secrets": {"API_TOKEN": "arn:aws:ssm:us-west-2:123456789012:parameter/rx/token"},
            "log_group": "/ecsdeploy/rx/dev/extract",
            "subnets": None,
            "security_groups": None,
            "scaling": {"metric": "AVERAGE_CPU", "target": 70, "min": 1, "max": 3},
        }
        return ExpressServiceProps(**{**props, **changes})

    def want(self, name: str = "extract", **changes: Any) -> Desired:
        return Desired(KIND, f"express/{name}", name, self.props(**changes))

    def observe(self, want: Desired) -> Observed | None:
        found = [o for o in self.handler.observe([want]) if o.key == want.key]
        assert len(found) <= 1
        return found[0] if found else None

    def run(self, plan: Plan) -> Result:
        """The executor, as ``up``/``down`` run it (with this kind's rank known)."""
        handlers = {**self.dep.handlers, KIND: self.handler}
        return Executor(self.dep.ctx, handlers).run(plan)

    def sent(self, operation: str) -> list[dict[str, Any]]:
        return [params for op, params in self.fake.requests if op == operation]


def _roles() -> dict[str, str]:
    iam = boto3.client("iam", region_name=REGION)
    roles = {}
    for name, principal in (
        ("execution", "ecs-tasks.amazonaws.com"),
        ("task", "ecs-tasks.amazonaws.com"),
        ("infrastructure", "ecs.amazonaws.com"),
    ):
        roles[name] = iam.create_role(
            RoleName=f"rx-dev-extract-{name}",
            Path=OWNER.iam_path(),
            AssumeRolePolicyDocument=trust_policy(principal),
        )["Role"]["Arn"]
    return roles


def _cluster() -> None:
    boto3.client("ecs", region_name=REGION).create_cluster(
        clusterName=OWNER.prefix,
        tags=[{"key": k, "value": v} for k, v in OWNER.tags("cluster").items()],
    )


@pytest.fixture
def env(aws: None, fast_timing: Timing) -> Iterator[Env]:
    recorder = CallRecorder()
    dep = Stages.connect(Target(OWNER, REGION), recorder, fast_timing)
    fake = ExpressFake(REGION, clock=fast_timing.clock).install(dep.aws.client("ecs").raw)
    handler = dep.handlers.get(KIND) or ExpressServiceHandler(dep.ctx)
    _cluster()
    yield Env(dep, recorder, fake, handler, _roles(), fast_timing)


def _network() -> tuple[list[str], str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24", AvailabilityZone=f"{REGION}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName="extract", Description="x", VpcId=vpc)["GroupId"]
    return subnets, group


# --- lifecycle ------------------------------------------------------------------------


def test_create_then_observe_matches_desired_with_url(env: Env) -> None:
    want = env.want()
    created = env.handler.create(want, want.props)

    assert created.id.endswith(":service/rx-dev/extract")
    assert created.attrs["url"].startswith("https://ex-")
    assert created.attrs["url"].endswith(f".ecs.{REGION}.on.aws")
    have = env.observe(want)
    assert have is not None and have.owned
    assert have.id == created.id
    assert have.attrs == {"arn": created.id, "url": created.attrs["url"]}
    assert have.tags["ecsdeploy:key"] == "express/extract"
    assert env.handler.diff(want.props, have) == []
    # the create waited for the rollout: the deployment is done, one revision active
    current = env.fake.services[created.id].deployment
    assert current is not None
    deployment = env.dep.aws.client("ecs").describe_service_deployments(
        serviceDeploymentArns=[current.arn]
    )["serviceDeployments"][0]
    assert deployment["status"] == "SUCCESSFUL"
    assert env.timing.clock() >= env.fake.deploy_for
    request = env.sent(CREATE)[0]
    assert request["primaryContainer"] == {
        "image": f"{IMAGE}:v1",
        "containerPort": 8000,
        "environment": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "MODE", "value": "receipts"},
        ],
        "secrets": [{"name": "API_TOKEN", "valueFrom": want.props.secrets["API_TOKEN"]}],
        "awsLogsConfiguration": {"logGroup": "/ecsdeploy/rx/dev/extract", "logStreamPrefix": "ecs"},
    }
    assert request["scalingTarget"] == {
        "autoScalingMetric": "AVERAGE_CPU",
        "autoScalingTargetValue": 70,
        "minTaskCount": 1,
        "maxTaskCount": 3,
    }
    assert {"key": "ecsdeploy:app", "value": "rx"} in request["tags"]


def test_second_pass_is_a_no_op(env: Env) -> None:
    want = env.want()
    env.handler.create(want, want.props)
    env.recorder.clear()
    calls_before = dict(env.fake.calls)

    plan = make_plan([want], env.handler.observe([want]), {**env.dep.handlers, KIND: env.handler})
    assert [s.action for s in plan.steps] == [Action.NOOP]
    assert env.run(plan).ok

    assert env.recorder.mutating() == []
    assert env.fake.calls[UPDATE] == calls_before.get(UPDATE, 0) == 0
    assert env.fake.calls[CREATE] == calls_before[CREATE] == 1


def test_image_change_is_one_update_with_only_the_container(env: Env) -> None:
    want = env.want()
    env.handler.create(want, want.props)
    new = env.want(image=f"{IMAGE}:v2")

    plan = make_plan([new], env.handler.observe([new]), {**env.dep.handlers, KIND: env.handler})
    (step,) = plan.steps
    assert step.action is Action.UPDATE
    assert [c.field for c in step.changes] == ["image"]
    assert env.run(plan).ok

    assert env.fake.calls[UPDATE] == 1
    (request,) = env.sent(UPDATE)
    assert set(request) == {"serviceArn", "primaryContainer"}
    assert request["primaryContainer"]["image"] == f"{IMAGE}:v2"
    have = env.observe(new)
    assert have is not None
    assert env.handler.diff(new.props, have) == []
    # it waited for the rollout: only the new revision is active now
    svc = env.fake.services[have.id]
    assert len(svc.active) == 1 and svc.active[0]["primaryContainer"]["image"].endswith(":v2")


def test_cpu_change_sends_the_pair_and_nothing_else(env: Env) -> None:
    want = env.want()
    env.handler.create(want, want.props)
    have = env.observe(want)
    assert have is not None
    props = env.props(cpu="512", memory="1024", health_path="/ready")
    changes = env.handler.diff(props, have)
    assert {c.field for c in changes} == {"cpu", "memory", "health_path"}

    env.handler.update(want, props, have, changes)

    (request,) = env.sent(UPDATE)
    assert request == {
        "serviceArn": have.id,
        "cpu": "512",
        "memory": "1024",
        "healthCheckPath": "/ready",
    }


def test_delete_then_gone_then_delete_again(env: Env) -> None:
    want = env.want()
    created = env.handler.create(want, want.props)

    assert env.run(delete_all([created], {**env.dep.handlers, KIND: env.handler})).ok
    assert env.fake.calls["DeleteExpressGatewayService"] == 1
    assert env.observe(want) is None
    # it waited until the service was INACTIVE, not just DRAINING
    described = env.dep.aws.client("ecs").describe_express_gateway_service(serviceArn=created.id)
    assert described["service"]["status"]["statusCode"] == "INACTIVE"
    # no longer listed in its cluster
    listed = env.dep.aws.client("ecs").list_services(cluster=OWNER.prefix)["serviceArns"]
    assert created.id not in listed

    env.handler.delete(created)  # already gone: no error
    assert env.run(delete_all([created], {**env.dep.handlers, KIND: env.handler})).ok


def test_delete_of_an_unknown_service_is_done(env: Env) -> None:
    ghost = Observed(
        KIND, "express/x", f"arn:aws:ecs:{REGION}:123456789012:service/rx-dev/x", "x", {}
    )
    env.handler.delete(ghost)
    assert env.fake.calls["DeleteExpressGatewayService"] == 1


# --- IAM propagation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code,message",
    [
        (
            "InvalidParameterException",
            "ECS was unable to assume the configured ECS Infrastructure Role '{role}'. Please "
            "verify that the role being passed has the proper trust relationship with Amazon ECS.",
        ),
        ("AccessDeniedException", "Cannot assume role {role}."),
    ],
    ids=["invalid-parameter", "access-denied"],
)
def test_create_retries_while_the_role_is_not_assumable(env: Env, code: str, message: str) -> None:
    env.fake.role_failures = 2
    env.fake.role_error = (code, message)
    want = env.want()

    created = env.handler.create(want, want.props)

    assert env.fake.calls[CREATE] == 3
    assert created.attrs["url"].startswith("https://")
    assert env.observe(want) is not None


def test_a_role_that_never_becomes_assumable_fails_within_the_bound(env: Env) -> None:
    env.fake.role_failures = 10_000
    want = env.want()

    with pytest.raises(WaitTimeout, match="assumable"):
        env.handler.create(want, want.props)

    assert env.fake.calls[CREATE] > 3
    bound = env.timing.iam_propagation
    assert bound <= env.timing.clock() <= bound + env.timing.poll


def test_other_create_errors_fail_at_once(env: Env) -> None:
    want = env.want(memory="4096")  # no Fargate size has 256 CPU and 4 GiB

    with pytest.raises(InvalidRequest, match="No Fargate configuration"):
        env.handler.create(want, want.props)

    assert env.fake.calls[CREATE] == 1
    assert env.timing.clock() == 0


def test_access_denied_for_another_reason_is_not_retried(env: Env) -> None:
    env.fake.role_failures = 5
    env.fake.role_error = (
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:PassRole",
    )
    want = env.want()

    with pytest.raises(AccessDenied, match="iam:PassRole"):
        env.handler.create(want, want.props)

    assert env.fake.calls[CREATE] == 1


def test_missing_cluster_fails_at_once(env: Env) -> None:
    want = env.want(cluster="nope")

    with pytest.raises(NotFound):
        env.handler.create(want, want.props)

    assert env.fake.calls[CREATE] == 1


# --- rollouts -------------------------------------------------------------------------


def test_a_rolled_back_update_fails_instead_of_waiting(env: Env) -> None:
    want = env.want()
    env.handler.create(want, want.props)
    have = env.observe(want)
    assert have is not None
    env.fake.rollbacks = 1
    props = env.props(image=f"{IMAGE}:broken")

    with pytest.raises(ExpressServiceFailed, match="ROLLBACK_SUCCESSFUL"):
        env.handler.update(want, props, have, env.handler.diff(props, have))

    # it failed when the deployment ended, long before the resource_ready deadline
    assert env.timing.clock() < 2 * env.fake.deploy_for + env.fake.endpoint_after + 10
    again = env.observe(want)
    assert again is not None and again.props["image"] == f"{IMAGE}:v1"


# --- networks -------------------------------------------------------------------------


def test_default_vpc_sends_no_network_and_is_not_drift(env: Env) -> None:
    want = env.want()
    env.handler.create(want, want.props)

    assert "networkConfiguration" not in env.sent(CREATE)[0]
    have = env.observe(want)
    assert have is not None
    # AWS reports the default VPC's subnets it chose: not a change
    defaults = boto3.client("ec2", region_name=REGION).describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}]
    )["Subnets"]
    assert have.props["subnets"] == {s["SubnetId"] for s in defaults}
    assert have.props["security_groups"]
    assert env.handler.diff(want.props, have) == []


def test_custom_network_sends_subnets_and_security_groups(env: Env) -> None:
    subnets, group = _network()
    want = env.want(subnets=frozenset(subnets), security_groups=frozenset({group}))
    env.handler.create(want, want.props)

    assert env.sent(CREATE)[0]["networkConfiguration"] == {
        "subnets": sorted(subnets),
        "securityGroups": [group],
    }
    have = env.observe(want)
    assert have is not None
    assert have.props["subnets"] == frozenset(subnets)
    assert have.props["security_groups"] == frozenset({group})
    assert env.handler.diff(want.props, have) == []

    # moving to one subnet changes the network, and only it
    fewer = env.props(subnets=frozenset(subnets[:1]), security_groups=frozenset({group}))
    env.handler.update(want, fewer, have, env.handler.diff(fewer, have))
    (request,) = env.sent(UPDATE)
    assert request == {
        "serviceArn": have.id,
        "networkConfiguration": {"subnets": subnets[:1], "securityGroups": [group]},
    }


# --- observe --------------------------------------------------------------------------


def test_observe_skips_classic_services_and_flags_names_it_does_not_own(env: Env) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    definition = ecs.register_task_definition(
        family="rx-dev-api",
        containerDefinitions=[{"name": "api", "image": "api:v1", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=OWNER.prefix, serviceName="api", taskDefinition=definition)
    # an Express service named as the spec wants, not created by this app
    foreign = env.want(name="billing")
    env.dep.aws.client("ecs").create_express_gateway_service(
        serviceName="billing",
        cluster=OWNER.prefix,
        executionRoleArn=env.roles["execution"],
        infrastructureRoleArn=env.roles["infrastructure"],
        primaryContainer={"image": "billing:v1"},
        tags=[{"key": "team", "value": "other"}],
    )

    found = env.handler.observe([env.want(), foreign])

    assert [(o.name, o.owned) for o in found] == [("billing", False)]
    assert env.fake.calls["DescribeExpressGatewayService"] >= 2  # the classic one was asked too


def test_observe_finds_a_service_list_services_does_not_show_yet(env: Env) -> None:
    want = env.want()
    created = env.handler.create(want, want.props)
    env.fake.listed = False  # ListServices is eventually consistent

    assert (
        created.id
        not in env.dep.aws.client("ecs").list_services(cluster=OWNER.prefix)["serviceArns"]
    )
    have = env.observe(want)
    assert have is not None and have.id == created.id


def test_observe_without_the_cluster_is_empty(env: Env) -> None:
    boto3.client("ecs", region_name=REGION).delete_cluster(cluster=OWNER.prefix)
    assert env.handler.observe([env.want()]) == []


# --- the fake itself can fail ---------------------------------------------------------


def _request(env: Env, **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "serviceName": "extract",
        "cluster": OWNER.prefix,
        "executionRoleArn": env.roles["execution"],
        "infrastructureRoleArn": env.roles["infrastructure"],
        "primaryContainer": {"image": f"{IMAGE}:v1", "containerPort": 8000},
    }
    return {**request, **changes}


@pytest.mark.parametrize(
    "changes,complaint",
    [
        ({"healthCheckPat": "/health"}, 'Unknown parameter in input: "healthCheckPat"'),
        ({"primaryContainer": {"image": "x", "containerPort": "8000"}}, "Invalid type"),
        ({"scalingTarget": {"minTaskCount": 1, "maxTaskCount": 3, "metric": "CPU"}}, "metric"),
        ({"infrastructureRoleArn": None}, "infrastructureRoleArn"),
    ],
    ids=["misspelled", "wrong-type", "misspelled-nested", "missing-required"],
)
def test_the_fake_rejects_requests_off_the_model(
    env: Env, changes: dict[str, Any], complaint: str
) -> None:
    request = {k: v for k, v in _request(env, **changes).items() if v is not None}
    # a client that does not validate parameters itself: only the fake can refuse
    raw = boto3.client("ecs", region_name=REGION, config=Config(parameter_validation=False))
    env.fake.install(raw)

    with pytest.raises(ParamValidationError, match=complaint):
        raw.create_express_gateway_service(**request)

    assert env.fake.rejected and complaint in env.fake.rejected[-1]
    assert env.fake.calls[CREATE] == 0
    raw.create_express_gateway_service(**_request(env))  # the well-formed request passes
    assert env.fake.calls[CREATE] == 1


def test_the_fake_checks_its_own_responses() -> None:
    model = boto3.client("ecs", region_name=REGION).meta.service_model
    operation = model.operation_model("DescribeExpressGatewayService")
    check_output(operation, {"service": {"serviceArn": "arn", "status": {"statusCode": "ACTIVE"}}})
    with pytest.raises(AssertionError, match="off-model"):
        check_output(operation, {"service": {"serviceArn": "arn", "url": "https://x"}})
    with pytest.raises(AssertionError, match="off-model"):
        check_output(operation, {"service": {"activeConfigurations": [{"ingressPaths": [{}]}]}})


def test_the_fake_answers_unknown_arns_as_aws_does(env: Env) -> None:
    ecs = env.dep.aws.client("ecs")
    arn = f"arn:aws:ecs:{REGION}:123456789012:service/rx-dev/nothing"
    with pytest.raises(NotFound) as described:
        ecs.describe_express_gateway_service(serviceArn=arn)
    assert described.value.code == "ResourceNotFoundException"
    with pytest.raises(NotFound) as updated:
        ecs.update_express_gateway_service(serviceArn=arn, cpu="512")
    assert updated.value.code == "ServiceNotFoundException"
    out = ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    assert out["serviceDeployments"] == [] and out["failures"][0]["reason"] == "MISSING"
