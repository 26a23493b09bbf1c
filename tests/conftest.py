"""Shared fixtures: fake credentials, moto in-process, fast timing, spec builders."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The environment as the user's shell gave it: only the real-AWS acceptance run
# (tests/aws/, `make e2e-aws`) puts it back.
USER_ENVIRON = dict(os.environ)
# Never let a test reach real AWS: fake credentials, no profile, a fixed region.
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-west-2",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    # moto's thousands of default AMIs cost a second per fresh EC2 backend; nothing here
    # launches an instance
    MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    # the cost estimate uses its dated table, never the AWS Price List API (moto has none;
    # tests/plan/test_price_list.py answers it with tests/support/pricing_fake.py)
    ECSDEPLOY_PRICE_LIST="off",
)

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"

# moto never finishes an ECS rollout: in-process moto plays a clean one, as the emulator
# does (scripts/moto_rollouts.py); tests of unfinished rollouts set the deployment by hand
sys.path.insert(0, str(ROOT / "scripts"))
import moto_rollouts  # noqa: E402

moto_rollouts.finish_rollouts()


@pytest.fixture
def user_environ() -> dict[str, str]:
    """The environment before this module replaced the credentials (tests/aws/ only)."""
    return dict(USER_ENVIRON)


@pytest.fixture
def moto_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process moto answers one request at a time, for the length of the test.

    moto's in-process backends are not thread-safe (IAM's ``get_role`` iterates over its
    roles while another thread's CreateRole adds one: "dictionary changed size during
    iteration"), and the executor calls AWS from several threads: as one AWS endpoint
    behind a queue would. The lock is held only while moto answers (botocore's
    ``before-send``): the fault hooks in tests/support/faults.py run in ``before-call`` and
    ``after-call`` and may wait for other threads without deadlocking."""
    from moto.core.models import BotocoreStubber

    answer = BotocoreStubber.__call__
    one_at_a_time = threading.RLock()

    def serialised(self: BotocoreStubber, event_name: str, request: Any, **kw: Any) -> Any:
        with one_at_a_time:
            return answer(self, event_name, request, **kw)

    monkeypatch.setattr(BotocoreStubber, "__call__", serialised)


@pytest.fixture
def aws(moto_one_at_a_time: None) -> Iterator[None]:
    """moto in-process, with AWS managed IAM policies (the execution role attaches one),
    answering one request at a time (``moto_one_at_a_time``)."""
    from moto import mock_aws

    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield


class FakeClock:
    """Time that passes only when the code under test sleeps: waits cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fast_timing() -> object:
    """Real-AWS deadlines, on a fake clock."""
    from ecsdeploy.resources.base import Timing

    clock = FakeClock()
    return Timing(sleep=clock.sleep, clock=clock)


SPEC = """\
app: {app}
env: {env}
region: us-west-2
network:
  cidr: {cidr}
  azs: {azs}
  nat: {nat}
  endpoints: [{endpoints}]
services:
  api:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/api:v1
    port: 8000
    cpu: 512
    memory: 1024
    route: /api/*
    secrets:
      API_TOKEN: arn:aws:ssm:us-west-2:123456789012:parameter/mlapp/api-token
    permissions:
      - actions: [s3:GetObject]
        resources: ["arn:aws:s3:::mlapp-models/*"]
  ui:
    image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/ui:v1
    port: 8501
    route: /*
    env:
      API_URL: ${{services.api.url}}
"""


def spec_text(
    app: str = "mlapp",
    env: str = "dev",
    nat: str = "single",
    azs: int = 2,
    cidr: str = "10.0.0.0/16",
    endpoints: str | None = None,
) -> str:
    if endpoints is None:  # without NAT, private tasks need endpoints to pull, log, read secrets
        endpoints = "s3, ecr.api, ecr.dkr, logs, ssm" if nat == "none" else "s3"
    return SPEC.format(app=app, env=env, nat=nat, azs=azs, cidr=cidr, endpoints=endpoints)


class Harness:
    """A deployment of a spec text against moto, with every AWS call recorded."""

    def __init__(self, timing: object) -> None:
        from ecsdeploy.aws.recorder import CallRecorder

        self.recorder = CallRecorder()
        self.timing = timing

    def deployment(self, text: str) -> object:
        from ecsdeploy.ops.stages import Stages
        from ecsdeploy.ops.target import Target
        from ecsdeploy.spec import parse_spec

        spec = parse_spec(text, "test.yaml")
        return Stages.connect(Target.of(spec), self.recorder, self.timing)  # type: ignore[arg-type]

    def up(self, text: str) -> object:
        dep = self.deployment(text)
        result = dep.apply(dep.plan_up())  # type: ignore[attr-defined]
        assert result.ok, [(s.key, str(e)) for s, e in result.failed]
        return result

    def assert_up_changes_nothing(self, text: str) -> None:
        """A second up on ``text`` plans nothing and makes no mutating call."""
        self.recorder.clear()
        dep: Any = self.deployment(text)
        plan = dep.plan_up()
        assert plan.empty, [(s.key, s.action, s.changes) for s in plan.changes]
        assert dep.apply(plan).ok
        assert self.recorder.mutating() == []
        assert len(self.recorder.reads()) > 0

    def down(self, text: str) -> object:
        dep = self.deployment(text)
        result = dep.apply(dep.plan_down())  # type: ignore[attr-defined]
        assert result.ok, [(s.key, str(e)) for s, e in result.failed]
        return result


@pytest.fixture
def harness(aws: None, fast_timing: object) -> Harness:
    return Harness(fast_timing)


def owned_anything(region: str = "us-west-2", app: str = "mlapp", env: str = "dev") -> list[str]:
    """Every resource still carrying the app's tags, found independently of ecsdeploy's code."""
    import boto3

    left: list[str] = []
    filters = [
        {"Name": "tag:ecsdeploy:app", "Values": [app]},
        {"Name": "tag:ecsdeploy:env", "Values": [env]},
    ]
    ec2 = boto3.client("ec2", region_name=region)
    left += [v["VpcId"] for v in ec2.describe_vpcs(Filters=filters)["Vpcs"]]
    left += [s["SubnetId"] for s in ec2.describe_subnets(Filters=filters)["Subnets"]]
    left += [
        g["InternetGatewayId"]
        for g in ec2.describe_internet_gateways(Filters=filters)["InternetGateways"]
    ]
    left += [a["AllocationId"] for a in ec2.describe_addresses(Filters=filters)["Addresses"]]
    left += [  # moto's NAT gateway filter ignores tags: check them here
        n["NatGatewayId"]
        for n in ec2.describe_nat_gateways(Filter=filters)["NatGateways"]
        if n["State"] not in ("deleted", "deleting")
        and {"Key": "ecsdeploy:app", "Value": app} in n.get("Tags", [])
        and {"Key": "ecsdeploy:env", "Value": env} in n.get("Tags", [])
    ]
    left += [r["RouteTableId"] for r in ec2.describe_route_tables(Filters=filters)["RouteTables"]]
    left += [g["GroupId"] for g in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]]
    left += [
        e["VpcEndpointId"]
        for e in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
        if e["State"].lower() not in ("deleted", "deleting")
    ]
    iam = boto3.client("iam", region_name=region)
    left += [r["RoleName"] for r in iam.list_roles(PathPrefix=f"/ecsdeploy/{app}/{env}/")["Roles"]]
    elbv2 = boto3.client("elbv2", region_name=region)
    arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    arns += [tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]]
    for i in range(0, len(arns), 20):
        for described in elbv2.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]:
            tags = {t["Key"]: t["Value"] for t in described.get("Tags", [])}
            if tags.get("ecsdeploy:app") == app and tags.get("ecsdeploy:env") == env:
                left.append(described["ResourceArn"])
    ecs = boto3.client("ecs", region_name=region)
    for cluster in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"])["clusters"]:
        if cluster["status"] == "ACTIVE" and cluster["clusterName"] == f"{app}-{env}":
            left.append(cluster["clusterArn"])
    left += [
        arn for arn in ecs.list_task_definitions(familyPrefix=f"{app}-{env}-")["taskDefinitionArns"]
    ]
    logs = boto3.client("logs", region_name=region)
    left += [
        g["logGroupName"]
        for g in logs.describe_log_groups(logGroupNamePrefix=f"/ecsdeploy/{app}/{env}/")[
            "logGroups"
        ]
    ]
    return left + monitoring_left(region, app, env)


def monitoring_left(region: str = "us-west-2", app: str = "mlapp", env: str = "dev") -> list[str]:
    """Alarms, topics, web ACLs and buckets carrying the app's tags, and its dashboard."""
    import boto3

    def ours(tags: list[dict[str, str]]) -> bool:
        found = {t["Key"]: t["Value"] for t in tags}
        return found.get("ecsdeploy:app") == app and found.get("ecsdeploy:env") == env

    left: list[str] = []
    cw = boto3.client("cloudwatch", region_name=region)
    for alarm in cw.describe_alarms()["MetricAlarms"]:
        if ours(cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]):
            left.append(alarm["AlarmName"])
    left += [
        d["DashboardName"]
        for d in cw.list_dashboards()["DashboardEntries"]
        if d["DashboardName"] == f"ecsdeploy_{app}_{env}"
    ]
    sns = boto3.client("sns", region_name=region)
    for topic in sns.list_topics()["Topics"]:
        if ours(sns.list_tags_for_resource(ResourceArn=topic["TopicArn"])["Tags"]):
            left.append(topic["TopicArn"])
    wafv2 = boto3.client("wafv2", region_name=region)
    for acl in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]:
        info = wafv2.list_tags_for_resource(ResourceARN=acl["ARN"])["TagInfoForResource"]
        if ours(info.get("TagList", [])):
            left.append(acl["ARN"])
    s3 = boto3.client("s3", region_name=region)
    for bucket in s3.list_buckets()["Buckets"]:
        try:
            tags = s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"]
        except s3.exceptions.ClientError:
            continue
        if ours(tags):
            left.append(bucket["Name"])
    return left


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "emulator.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"moto server did not start on {url} within 30s")
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_cli(url: str, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    """The installed CLI as a subprocess, pointed at the emulator at ``url``."""
    env = {**os.environ, "AWS_ENDPOINT_URL": url, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "ecsdeploy", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def no_preflight(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI tests about other things: the `verify` checks (tests/plan/test_preflight.py) would
    otherwise ask for the spec's SSM parameter and ECR images to exist in moto."""
    from ecsdeploy.cli import seams

    monkeypatch.setattr(seams, "preflight", lambda target, deployment: [])
