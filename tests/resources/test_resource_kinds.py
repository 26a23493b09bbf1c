"""Every resource kind through its whole life on moto: create, observe (empty diff),
update or replace, delete, and delete again (nothing left, no error).

Adding a kind = one ``Case`` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.desired.hardening import log_bucket_policy
from ecsdeploy.desired.iam import EXECUTION_POLICY, managed_policy
from ecsdeploy.images.artifacts import digest
from ecsdeploy.ops.stages import Stages
from ecsdeploy.ops.target import Target
from ecsdeploy.plan.planner import delete_all
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Desired, Timing
from ecsdeploy.resources.ecs_task_definition import container_health
from ecsdeploy.resources.iam_role import canonical, trust_policy
from ecsdeploy.spec.naming import Owner

REGION = "us-west-2"
OWNER = Owner("kinds", "test")
Props = dict[str, Any]


def _ec2() -> Any:
    return boto3.client("ec2", region_name=REGION)


def _vpc() -> dict[str, str]:
    return {"vpc": _ec2().create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]}


def _vpc_subnet() -> dict[str, str]:
    refs = _vpc()
    refs["subnet"] = _ec2().create_subnet(
        VpcId=refs["vpc"], CidrBlock="10.9.1.0/24", AvailabilityZone=f"{REGION}a"
    )["Subnet"]["SubnetId"]
    refs["subnet2"] = _ec2().create_subnet(
        VpcId=refs["vpc"], CidrBlock="10.9.2.0/24", AvailabilityZone=f"{REGION}b"
    )["Subnet"]["SubnetId"]
    return refs


def _network() -> dict[str, str]:
    refs = _vpc_subnet()
    ec2 = _ec2()
    refs["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=refs["igw"], VpcId=refs["vpc"])
    refs["eip"] = ec2.allocate_address(Domain="vpc")["AllocationId"]
    refs["rt"] = ec2.create_route_table(VpcId=refs["vpc"])["RouteTable"]["RouteTableId"]
    refs["rt2"] = ec2.create_route_table(VpcId=refs["vpc"])["RouteTable"]["RouteTableId"]
    return refs


def _policy(action: str) -> str:
    return canonical(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": [action], "Resource": ["*"]}],
        }
    )


def _cluster() -> dict[str, str]:
    """The owner's cluster, tagged as ecsdeploy tags it (scaling kinds check that)."""
    ecs = boto3.client("ecs", region_name=REGION)
    arn = ecs.create_cluster(
        clusterName=OWNER.prefix,
        tags=[{"key": k, "value": v} for k, v in OWNER.tags("cluster").items()],
    )["cluster"]["clusterArn"]
    return {"cluster": arn}


def _roles() -> dict[str, str]:
    iam = boto3.client("iam", region_name=REGION)
    trust = trust_policy("ecs-tasks.amazonaws.com")
    refs = {}
    for name in ("execution", "task"):
        refs[name] = iam.create_role(RoleName=f"kinds-{name}", AssumeRolePolicyDocument=trust)[
            "Role"
        ]["Arn"]
    return refs


def _service_setup() -> dict[str, str]:
    refs = {**_vpc_subnet(), **_cluster(), **_roles()}
    refs["sg"] = _ec2().create_security_group(
        GroupName="svc", Description="svc", VpcId=refs["vpc"]
    )["GroupId"]
    ecs = boto3.client("ecs", region_name=REGION)
    for revision in ("1", "2"):
        refs[f"td{revision}"] = ecs.register_task_definition(
            family="kinds-test-api",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "api", "image": f"repo/api:v{revision}"}],
        )["taskDefinition"]["taskDefinitionArn"]
    return refs


def _task_props(image: str) -> Callable[[dict[str, str]], Props]:
    def props(r: dict[str, str]) -> Props:
        return {
            "cpu": "512",
            "memory": "1024",
            "execution_role": r["execution"],
            "task_role": r["task"],
            "container": "api",
            "image": image,
            "port": 8000,
            "env": {"MODEL_URI": "s3://models/iris.joblib", "API_URL": "http://lb/api"},
            "secrets": {"TOKEN": "arn:aws:ssm:us-west-2:123456789012:parameter/token"},
            "log_group": "/ecsdeploy/kinds/test/api",
            "health": container_health(["CMD-SHELL", "curl -f localhost:8000/ || exit 1"], 60),
        }

    return props


def _service_props(task: str, count: int, cluster: str = "cluster") -> Callable[..., Props]:
    def props(r: dict[str, str]) -> Props:
        return {
            "cluster": r.get(cluster, cluster),
            "launch_type": "FARGATE",
            "task_definition": r[task],
            "subnets": frozenset({r["subnet"], r["subnet2"]}),
            "security_groups": frozenset({r["sg"]}),
            "public_ip": False,
            "load_balancers": frozenset(),
            "grace_period": None,
            "circuit_breaker": True,
            "min_healthy": 100,
            "max_percent": 200,
            "desired_count": count,
            "exec": count > 1,  # the update turns ECS Exec on
        }

    return props


def _scaling_props(maximum: int) -> Callable[[dict[str, str]], Props]:
    return lambda r: {"resource_id": "service/kinds-test/api", "min": 1, "max": maximum}


def _with_service() -> dict[str, str]:
    refs = _service_setup()
    boto3.client("ecs", region_name=REGION).create_service(
        cluster=OWNER.prefix, serviceName="api", taskDefinition=refs["td1"], desiredCount=1
    )
    return refs


def _repository() -> dict[str, str]:
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="kinds/test/api")
    return {}


def _fake_push(dep: Stages) -> None:
    """Pushing = the image's manifest appearing in ECR (moto has no registry endpoint)."""

    def push(service: str, note: Callable[[str], None]) -> None:
        boto3.client("ecr", region_name=REGION).put_image(
            repositoryName="kinds/test/api",
            imageManifest='{"schemaVersion": 2, "config": {"digest": "sha256:00"}}',
            imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
            imageTag="c-0123456789abcdef",
        )

    assert dep.ctx.images is not None
    dep.ctx.images.pusher = push


def _image_props(tag: str) -> Callable[[dict[str, str]], Props]:
    return lambda r: {
        "registry": "123456789012.dkr.ecr.us-west-2.amazonaws.com",
        "repository": "kinds/test/api",
        "tag": tag,
    }


def _bucket() -> dict[str, str]:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(
        Bucket="kinds-test-data", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return {}


ARTIFACT = Path(__file__).parents[1] / "spec_cases" / "memory_invalid_for_cpu.yaml"


def _object_props(key: str) -> Callable[[dict[str, str]], Props]:
    return lambda r: {"bucket": "kinds-test-data", "key": key, "sha256": digest(ARTIFACT)}


def _express_setup() -> dict[str, str]:
    refs = {**_cluster(), **_roles()}
    refs["infrastructure"] = boto3.client("iam", region_name=REGION).create_role(
        RoleName="kinds-infrastructure",
        AssumeRolePolicyDocument=trust_policy("ecs.amazonaws.com"),
    )["Role"]["Arn"]
    return refs


def _express_props(image: str) -> Callable[[dict[str, str]], Props]:
    return lambda r: {
        "cluster": OWNER.prefix,
        "execution_role": r["execution"],
        "infrastructure_role": r["infrastructure"],
        "task_role": r["task"],
        "image": image,
        "port": 8000,
        "cpu": "256",
        "memory": "512",
        "health_path": "/health",
        "env": {"MODE": "express"},
        "secrets": {},
        "log_group": "/ecsdeploy/kinds/test/extract",
        "subnets": None,
        "security_groups": None,
        "scaling": {"metric": "AVERAGE_CPU", "target": 70, "min": 1, "max": 3},
    }


def _install_express_fake(dep: Stages) -> None:
    """moto has no Express Mode: a fake validated against botocore's model stands in."""
    from express_fake import ExpressFake

    ExpressFake(clock=dep.ctx.timing.clock).install(dep.aws.client("ecs").raw)


def _policy_setup() -> dict[str, str]:
    refs = _with_service()
    boto3.client("application-autoscaling", region_name=REGION).register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/kinds-test/api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=3,
    )
    return refs


def _policy_props(target: float, name: str = "kinds-test-api-cpu") -> Callable[..., Props]:
    return lambda r: {
        "resource_id": "service/kinds-test/api",
        "policy_name": name,
        "metric": "ECSServiceAverageCPUUtilization",
        "resource_label": None,
        "target": target,
    }


@dataclass
class Case:
    kind: str
    name: str
    setup: Callable[[], dict[str, str]]
    props: Callable[[dict[str, str]], Props]
    update: Callable[[dict[str, str]], Props] | None = None  # in-place change
    replace: Callable[[dict[str, str]], Props] | None = None  # change AWS can't make in place
    prepare: Callable[[Stages], None] | None = None  # e.g. a stand-in for docker push
    key: str | None = None  # for kinds whose observe derives the key (no tags to hold it)


CASES = [
    Case(
        "ec2.vpc",
        "kinds-test-vpc",
        dict,
        lambda r: {"cidr": "10.0.0.0/16", "dns_support": True, "dns_hostnames": True},
        update=lambda r: {"cidr": "10.0.0.0/16", "dns_support": True, "dns_hostnames": False},
        replace=lambda r: {"cidr": "10.1.0.0/16", "dns_support": True, "dns_hostnames": True},
    ),
    Case(
        "ec2.subnet",
        "kinds-test-public-a",
        _vpc,
        lambda r: {"vpc": r["vpc"], "cidr": "10.9.0.0/20", "az": f"{REGION}a"},
        replace=lambda r: {"vpc": r["vpc"], "cidr": "10.9.16.0/20", "az": f"{REGION}a"},
    ),
    Case(
        "ec2.internet_gateway",
        "kinds-test-igw",
        _vpc,
        lambda r: {"vpc": r["vpc"]},
        replace=lambda r: {"vpc": None},
    ),
    Case("ec2.elastic_ip", "kinds-test-nat-0", dict, lambda r: {}),
    Case(
        "ec2.nat_gateway",
        "kinds-test-nat-a",
        _network,
        lambda r: {"subnet": r["subnet"], "allocation": r["eip"]},
        replace=lambda r: {"subnet": r["subnet2"], "allocation": r["eip"]},
    ),
    Case(
        "ec2.route_table",
        "kinds-test-public",
        _network,
        lambda r: {
            "vpc": r["vpc"],
            "routes": {"0.0.0.0/0": r["igw"]},
            "subnets": frozenset({r["subnet"]}),
        },
        update=lambda r: {"vpc": r["vpc"], "routes": {}, "subnets": frozenset({r["subnet2"]})},
    ),
    Case(
        "ec2.security_group",
        "kinds-test-lb",
        _vpc,
        lambda r: {
            "vpc": r["vpc"],
            "group_name": "kinds-test-lb",
            "description": "test",
            "ingress": frozenset({("tcp", 80, 80, "0.0.0.0/0")}),
        },
        update=lambda r: {
            "vpc": r["vpc"],
            "group_name": "kinds-test-lb",
            "description": "test",
            "ingress": frozenset({("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 80, 80, "10.0.0.0/8")}),
        },
        replace=lambda r: {
            "vpc": r["vpc"],
            "group_name": "kinds-test-lb2",
            "description": "test",
            "ingress": frozenset(),
        },
    ),
    Case(
        "ec2.vpc_endpoint",
        "kinds-test-endpoint-s3",
        _network,
        lambda r: {
            "vpc": r["vpc"],
            "service": f"com.amazonaws.{REGION}.s3",
            "type": "Gateway",
            "route_tables": frozenset({r["rt"], r["rt2"]}),
        },
        # (removing a table, not adding one: moto's ModifyVpcEndpoint does not add the
        # prefix-list route for an added table, and then fails the delete)
        update=lambda r: {
            "vpc": r["vpc"],
            "service": f"com.amazonaws.{REGION}.s3",
            "type": "Gateway",
            "route_tables": frozenset({r["rt"]}),
        },
    ),
    Case(
        "iam.role",
        "kinds-test-execution",
        dict,
        lambda r: {
            "path": OWNER.iam_path(),
            "trust": trust_policy("ecs-tasks.amazonaws.com"),
            "managed": frozenset({managed_policy("us-west-2", EXECUTION_POLICY)}),
            "inline": {"read": _policy("ssm:GetParameters")},
        },
        update=lambda r: {
            "path": OWNER.iam_path(),
            "trust": trust_policy("ecs.amazonaws.com"),
            "managed": frozenset(),
            "inline": {"other": _policy("s3:GetObject")},
        },
        replace=lambda r: {
            "path": "/elsewhere/",
            "trust": trust_policy("ecs-tasks.amazonaws.com"),
            "managed": frozenset(),
            "inline": {},
        },
    ),
    Case(
        "ecs.cluster",
        "kinds-test",
        dict,
        lambda r: {"name": "kinds-test", "insights": "enabled"},
        update=lambda r: {"name": "kinds-test", "insights": "disabled"},
        replace=lambda r: {"name": "kinds-other", "insights": "enabled"},
    ),
    Case(
        "ecs.task_definition",
        "kinds-test-api",
        _roles,
        _task_props("repo/api:v1"),
        update=_task_props("repo/api:v2"),
    ),
    Case(
        "ecs.service",
        "api",
        _service_setup,
        _service_props("td1", 1),
        update=_service_props("td2", 2),
        replace=_service_props("td1", 1, cluster="arn:aws:ecs:us-west-2:123456789012:cluster/x"),
    ),
    Case(
        "autoscaling.target",
        "service/kinds-test/api",
        _with_service,
        _scaling_props(3),
        update=_scaling_props(6),
        replace=lambda r: {"resource_id": "service/kinds-test/ui", "min": 1, "max": 3},
    ),
    Case(
        "autoscaling.policy",
        "kinds-test-api-cpu",
        _policy_setup,
        _policy_props(70.0),
        update=_policy_props(50.0),
        replace=_policy_props(70.0, name="kinds-test-api-other"),
    ),
    Case(
        "ecr.repository",
        "kinds/test/api",
        dict,
        lambda r: {"name": "kinds/test/api", "scan_on_push": True, "keep": 10},
        update=lambda r: {"name": "kinds/test/api", "scan_on_push": False, "keep": 3},
        replace=lambda r: {"name": "kinds/test/ui", "scan_on_push": True, "keep": 10},
    ),
    Case(
        "ecr.image",
        "kinds/test/api:c-0123456789abcdef",
        _repository,
        _image_props("c-0123456789abcdef"),
        replace=_image_props("c-fedcba9876543210"),
        prepare=_fake_push,
    ),
    Case(
        "s3.bucket",
        "kinds-test-artifacts-123456789012",
        dict,
        lambda r: {
            "name": "kinds-test-artifacts-123456789012",
            "private": True,
            "encryption": "AES256",
        },
        update=lambda r: {
            "name": "kinds-test-artifacts-123456789012",
            "private": True,
            "encryption": "AES256",
            "expire_days": 30,
            "policy": log_bucket_policy(
                "kinds-test-artifacts-123456789012", "123456789012", REGION
            ),
        },
        replace=lambda r: {
            "name": "kinds-test-other-123456789012",
            "private": True,
            "encryption": "AES256",
        },
    ),
    Case(
        "s3.object",
        "s3://kinds-test-data/model/abc/model.joblib",
        _bucket,
        _object_props("model/abc/model.joblib"),
        replace=_object_props("model/def/model.joblib"),
    ),
    Case(
        "ecs.express_service",
        "extract",
        _express_setup,
        _express_props("repo/extract:v1"),
        update=_express_props("repo/extract:v2"),
        replace=lambda r: {**_express_props("repo/extract:v1")(r), "cluster": "other"},
        prepare=_install_express_fake,
    ),
    Case(
        "logs.log_group",
        "/ecsdeploy/kinds/test/api",
        dict,
        lambda r: {"retention_days": 30},
        update=lambda r: {"retention_days": 7},
    ),
    Case(
        "servicediscovery.namespace",
        "kinds-test",
        dict,
        lambda r: {"name": "kinds-test", "description": "ecsdeploy kinds-test"},
        replace=lambda r: {"name": "kinds-test-2", "description": "ecsdeploy kinds-test"},
    ),
]


def _elbv2_cases() -> list[Case]:
    from kind_cases_domain import CASES as DOMAIN
    from kind_cases_elbv2 import CASES as ELBV2
    from kind_cases_jobs import CASES as JOBS
    from kind_cases_monitoring import CASES as OBSERVE

    return [Case(**case) for case in ELBV2 + OBSERVE + DOMAIN + JOBS]


CASES += _elbv2_cases()


def test_every_registered_kind_has_a_case() -> None:
    assert {c.kind for c in CASES} == {k.kind for k in registry.KINDS}


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_lifecycle(aws: None, fast_timing: Timing, case: Case) -> None:
    recorder = CallRecorder()
    dep = Stages.connect(Target(OWNER, REGION), recorder, fast_timing)
    handler = dep.handlers[case.kind]
    refs = case.setup()
    if case.prepare is not None:
        case.prepare(dep)
    key = {"autoscaling.target": "scaling/api", "autoscaling.policy": "scaling/api/cpu"}

    def typed(props: Props) -> Any:
        """The case's props as the kind's props class holds them."""
        return handler.props_class(**props)

    want = Desired(
        case.kind,
        case.key or key.get(case.kind, "thing/1"),
        case.name,
        typed(case.props(refs)),
        initial={"path": str(ARTIFACT)},  # the file an s3.object uploads
    )

    created = handler.create(want, want.props)
    assert created.key == want.key

    def observe_one() -> Any:
        found = [o for o in handler.observe([want]) if o.key == want.key]
        assert len(found) <= 1
        return found[0] if found else None

    have = observe_one()
    assert have is not None, "created resource is not found by observe"
    assert have.owned
    # scaling kinds are owned through the app's cluster; images through their repository;
    # subscriptions through their topic, associations through their load balancer and
    # web ACL; a dashboard by its name; a job's schedule through its schedule group, the
    # topic's policy through its topic
    untagged = ("autoscaling.", "ecr.image", "s3.object", "sns.subscription",
                "wafv2.association", "cloudwatch.dashboard", "scheduler.schedule",
                "sns.topic_policy")  # fmt: skip
    if not case.kind.startswith(untagged):
        assert have.tags["ecsdeploy:app"] == "kinds"
        assert have.tags["ecsdeploy:key"] == want.key
    assert handler.diff(want.props, have) == []

    if case.update is not None:
        new_props = typed(case.update(refs))
        changes = handler.diff(new_props, have)
        assert changes and not any(c.replace for c in changes)
        updated = handler.update(want, new_props, have, changes)
        if handler.tidies:  # what an update takes away comes once its users have moved
            handler.tidy(want, new_props, updated)
        have = observe_one()
        assert handler.diff(new_props, have) == [], "update did not converge"

    if case.replace is not None:
        changes = handler.diff(typed(case.replace(refs)), have)
        assert changes and any(c.replace for c in changes)

    recorder.clear()
    assert dep.apply(delete_all([have], dep.handlers)).ok
    if case.kind in ("ecr.image", "s3.object"):
        return  # these go with their repository / bucket, never one by one
    assert recorder.mutating(), "delete made no call"
    assert observe_one() is None
    # deleting what is already gone is not an error
    assert dep.apply(delete_all([have], dep.handlers)).ok
