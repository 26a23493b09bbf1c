"""examples/github-actions/deployer-policy.json and deployer-policy-observability.json (and
deployer-policy-strategies.json, for deploy strategies), attached together, allow every AWS
call the CLI makes; each fits a managed policy.

Each scenario runs the commands a deployer runs (verify through `up`, a second `up` that
changes nothing, `status`, `plan`, `logs`, `unlock`, `down`) on a config of this repo
against moto, with every call recorded along with its parameters. Each call is mapped to
the IAM actions it needs, including those that are not API calls of their own: tagging at
creation (ec2:CreateTags, elasticloadbalancing:AddTags, ...), iam:PassRole for a role
handed to ECS, the CloudWatch alarms target tracking makes, the ECR actions of a
`docker push`, and iam:CreateServiceLinkedRole on an account's first use of ECS, ELB and
Application Auto Scaling, elasticloadbalancing:SetWebAcl when WAF (dis)associates a web ACL
with the load balancer. A call added to the code that the policies lack fails here.
`ecsdeploy exec` is covered by its calls against stand-in answers (moto has no
ExecuteCommand and runs no service tasks); `ecsdeploy run` by its calls against the
stand-in that runs tasks (tests/support/run_fake.py), RunTask implying iam:PassRole of the task
definition's roles.

Images are "built" by a stand-in for docker-py that puts a manifest into moto's ECR, so
no Docker engine is needed and a second `up` finds the image and skips the build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from iam_actions import actions_for, allows
from rollout_fakes import FinishedRollout
from test_preflight import issued_certificate, put_image
from typer.testing import CliRunner

from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.images import docker_ops
from ecsdeploy.ops import execute as ecs_exec
from ecsdeploy.resources.rollout_reads import AwsRolloutSource

from conftest import CONFIGS, ROOT, spec_text
from express_fake import install_on_every_deployment

POLICY_DIR = ROOT / "examples" / "github-actions"
# the core policy, and the one for alarms, dashboard, WAF, the buckets, the secrets `verify`
# checks and ECS Exec: one document would exceed a managed policy's size limit, so the
# deployer role gets both; a third for deploy strategies (promote, abort, the traffic role)
POLICY_PATHS = (
    POLICY_DIR / "deployer-policy.json",
    POLICY_DIR / "deployer-policy-observability.json",
    POLICY_DIR / "deployer-policy-strategies.json",
    POLICY_DIR / "deployer-policy-connect.json",  # Cloud Map, for ECS Service Connect
    POLICY_DIR / "deployer-policy-jobs.json",  # scheduled jobs: Scheduler, EventBridge
)
DOCUMENTS: dict[str, dict[str, Any]] = {p.name: json.loads(p.read_text()) for p in POLICY_PATHS}
POLICY: dict[str, Any] = {  # what a role with both attached may do
    "Version": "2012-10-17",
    "Statement": [s for doc in DOCUMENTS.values() for s in doc["Statement"]],
}
MANAGED_POLICY_LIMIT = 6144  # characters, whitespace not counted
REGION = "us-west-2"
runner = CliRunner()

PUSH_ACTIONS = (  # what `docker push` to ECR asks for, besides GetAuthorizationToken
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
)
FIRST_USE = ("iam:CreateServiceLinkedRole",)  # ECS, ELB and scaling make their roles once
TAG_ACTION = {  # IAM prefix -> the action that tagging at creation needs
    "ec2": "ec2:CreateTags",
    "elasticloadbalancing": "elasticloadbalancing:AddTags",
    "ecs": "ecs:TagResource",
    "logs": "logs:TagResource",
    "iam": "iam:TagRole",
    "ecr": "ecr:TagResource",
    "ssm": "ssm:AddTagsToResource",
    "application-autoscaling": "application-autoscaling:TagResource",
    "sns": "sns:TagResource",
    "servicediscovery": "servicediscovery:TagResource",
    "wafv2": "wafv2:TagResource",
    "cloudwatch": "cloudwatch:TagResource",
    "acm": "acm:AddTagsToCertificate",
    "scheduler": "scheduler:TagResource",
    "events": "events:TagResource",
}
TAG_PARAMS = ("Tags", "tags", "TagSpecifications")
ALARMS = {  # target tracking: Application Auto Scaling manages alarms for the caller
    "PutScalingPolicy": ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"),
    "DeleteScalingPolicy": ("cloudwatch:DeleteAlarms",),
}


class ParamRecorder(CallRecorder):
    """Also keeps each call's parameters (before botocore builds the request, so calls that
    a fake answers in ``before-call`` are seen too)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def attach(self, client: Any) -> None:
        super().attach(client)
        client.meta.events.register("before-parameter-build.*.*", self._params)

    def _params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        with self._lock:
            self.requests.append((model.service_model.endpoint_prefix, model.name, dict(params)))


def implied(prefix: str, operation: str, params: dict[str, Any]) -> list[str]:
    """Actions a call needs besides its own: see the module docstring."""
    iam_prefix = actions_for(prefix, operation)[0].split(":")[0]
    out: list[str] = []
    if any(params.get(p) for p in TAG_PARAMS):
        out.append(TAG_ACTION[iam_prefix])
    if any(k.lower().endswith("rolearn") and v for k, v in params.items()):
        out.append("iam:PassRole")
    if (iam_prefix, operation) == ("ecs", "RunTask"):  # the task definition's roles
        out.append("iam:PassRole")
    if params.get("Target", {}).get("RoleArn"):  # a schedule's role, inside its target
        out.append("iam:PassRole")
    if iam_prefix == "application-autoscaling":
        out += ALARMS.get(operation, ())
    return out


def needed(rec: ParamRecorder, pushed: bool) -> dict[str, str]:
    """Every action the recorded run needed -> the call that needed it."""
    out: dict[str, str] = {}
    calls = {(c.service, c.operation): {} for c in rec.calls}
    for prefix, operation, params in rec.requests:
        calls[(prefix, operation)] = params
        for action in implied(prefix, operation, params):
            out.setdefault(action, f"{prefix}:{operation} (implied)")
    for prefix, operation in calls:
        for action in actions_for(prefix, operation):
            out.setdefault(action, f"{prefix}:{operation}")
    for action in (*FIRST_USE, *(PUSH_ACTIONS if pushed else ())):
        out.setdefault(action, "implied")
    return out


def assert_policy_allows(rec: ParamRecorder, pushed: bool) -> None:
    actions = needed(rec, pushed)
    assert len(actions) > 20, sorted(actions)
    missing = {a: why for a, why in sorted(actions.items()) if not allows(POLICY, a)}
    assert not missing, f"{' + '.join(DOCUMENTS)} lack: {missing}"
    # the EC2 creates are allowed on `*` because each one tags what it makes
    creates = next(s for s in POLICY["Statement"] if s["Sid"] == "Ec2CreatesCannotBeScoped")
    for prefix, operation, params in rec.requests:
        if prefix == "ec2" and f"ec2:{operation}" in creates["Action"]:
            tags = [t for spec in params.get("TagSpecifications", []) for t in spec["Tags"]]
            assert any(t["Key"] == "ecsdeploy:app" for t in tags), (operation, params)
    # ec2:CreateTags is allowed only with the create calls that tag
    create_tags = next(s for s in POLICY["Statement"] if "ec2:CreateTags" in s["Action"])
    tagged_creates = {
        op
        for prefix, op, params in rec.requests
        if prefix == "ec2" and params.get("TagSpecifications")
    }
    assert tagged_creates <= set(create_tags["Condition"]["StringEquals"]["ec2:CreateAction"])


@pytest.fixture
def rec(aws: None, monkeypatch: pytest.MonkeyPatch) -> ParamRecorder:
    recorder = ParamRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    return recorder


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """docker-py stood in for: a build does nothing; a push puts a manifest into moto's ECR."""
    pushed: list[str] = []

    def push(client: Any, ref: Any, credentials: Any, note: Callable[[str], None]) -> None:
        digest = "sha256:" + hashlib.sha256(ref.uri.encode()).hexdigest()
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": digest,
            },
            "layers": [],
        }
        boto3.client("ecr", region_name=REGION).put_image(
            repositoryName=ref.repository, imageManifest=json.dumps(manifest), imageTag=ref.tag
        )
        pushed.append(ref.uri)

    monkeypatch.setattr(docker_ops, "connect", lambda: object())
    monkeypatch.setattr(docker_ops, "build", lambda client, ref, on_line: None)
    monkeypatch.setattr(docker_ops, "push", push)
    return pushed


def run(*args: str) -> str:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def deployer_session(config: str, service: str, *down_options: str) -> None:
    """What CI and a person run: plan, up, up again, history, rollback, status, plan, logs,
    unlock, down."""
    run("plan", config)
    assert "Done:" in run("up", config, "--yes", "--no-wait")
    assert "No changes" in run("up", config, "--yes", "--no-wait")
    listed = runner.invoke(cli.app, ["history", config])
    assert listed.exit_code == 0, listed.stderr
    if "no releases yet" not in listed.stdout:  # Express Mode services make none
        run("rollback", config, "--to", "1", "--no-wait")
    run("status", config)
    run("plan", config, "--output", "json", "--detailed-exitcode")
    run("logs", config, service, "--since", "5m")
    run("unlock", config)
    run("down", config, "--yes", *down_options)


def put_secret_parameter() -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/mlapp/api-token", Value="x", Type="SecureString"
    )


def test_prod_config_with_built_images(rec: ParamRecorder, pushes: list[str]) -> None:
    put_secret_parameter()
    deployer_session(str(CONFIGS / "mlapp-prod.yaml"), "api")
    assert len(pushes) == 2  # built once; the second up found the images
    ops = {str(c) for c in rec.calls}
    assert {"ec2:CreateNatGateway", "api.ecr:GetAuthorizationToken", "ssm:PutParameter"} <= ops
    assert_policy_allows(rec, pushed=True)


def test_https_artifacts_and_secrets_manager(
    rec: ParamRecorder, pushes: list[str], tmp_path: Path
) -> None:
    put_secret_parameter()
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="mlapp/db", SecretString="x"
    )["ARN"]
    (tmp_path / "model.joblib").write_bytes(b"weights")
    config = tmp_path / "full.yaml"
    config.write_text(
        f"extends: {CONFIGS / 'example.yaml'}\n"
        "env: full\n"
        f"load_balancer:\n  certificate_arn: {issued_certificate()}\n"
        "artifacts:\n  model:\n    source: model.joblib\n"
        f"services:\n  api:\n    secrets:\n      DB_PASSWORD: {secret}\n"
    )
    deployer_session(str(config), "api", "--purge-data")
    ops = {str(c) for c in rec.calls}
    assert {"acm:DescribeCertificate", "s3:CreateBucket", "s3:PutObject"} <= ops
    assert "secretsmanager:DescribeSecret" in ops
    assert_policy_allows(rec, pushed=True)


def test_private_subnets_without_nat(rec: ParamRecorder, pushes: list[str]) -> None:
    put_secret_parameter()
    deployer_session(str(CONFIGS / "private-no-nat.yaml"), "ui")
    assert "ec2:CreateVpcEndpoint" in {str(c) for c in rec.calls}
    assert_policy_allows(rec, pushed=True)


def test_express_mode(rec: ParamRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    install_on_every_deployment(monkeypatch)
    put_image("receipt-extraction", "v1")
    deployer_session(str(CONFIGS / "express.yaml"), "extract")
    assert {"CreateExpressGatewayService", "DeleteExpressGatewayService"} <= {
        op for _, op, _ in rec.requests
    }
    assert_policy_allows(rec, pushed=False)


def test_own_domain(rec: ParamRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 0)  # issued at once
    boto3.client("route53", region_name=REGION).create_hosted_zone(
        Name="example.com", CallerReference="zone"
    )
    deployer_session(str(CONFIGS / "https.yaml"), "web")
    ops = {str(c) for c in rec.calls}
    assert {"acm:RequestCertificate", "acm:DeleteCertificate"} <= ops
    assert "route53:ChangeResourceRecordSets" in ops
    assert_policy_allows(rec, pushed=False)


def test_scheduled_job(rec: ParamRecorder, pushes: list[str], tmp_path: Path) -> None:
    """The example's nightly job, with an alarm topic: the schedule group and schedule,
    the scheduler role passed to Scheduler, the failure rule and the topic's policy."""
    put_secret_parameter()
    config = tmp_path / "jobs.yaml"
    config.write_text(
        f"extends: {CONFIGS / 'example.yaml'}\nenv: jobs\nalarms:\n  email: ops@example.com\n"
    )
    deployer_session(str(config), "api")
    ops = {str(c) for c in rec.calls}
    assert {
        "scheduler:CreateSchedule",
        "scheduler:DeleteScheduleGroup",
        "events:PutRule",
        "events:DeleteRule",
        "sns:SetTopicAttributes",
    } <= ops
    assert_policy_allows(rec, pushed=True)


def test_matcher_finds_a_missing_action() -> None:
    """The coverage test can fail: an action the policy lacks is reported."""
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": ["ecs:Describe*", "ec2:CreateVpc"], "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:DeleteVpc", "Resource": "*"},
            {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
        ]
    }
    assert allows(policy, "ecs:DescribeServices")
    assert allows(policy, "ECS:describeservices")  # IAM action names ignore case
    assert allows(policy, "ec2:CreateVpc") and allows(policy, "ec2:CreateSubnet")
    assert not allows(policy, "ecs:CreateService")
    assert not allows(policy, "ec2:DeleteVpc")  # an explicit deny wins
    assert not allows({"Statement": policy["Statement"][:1]}, "ec2:CreateSubnet")
    # a call the policy lacks is found by the same path the scenarios use
    rec = ParamRecorder()
    rec.requests.append(("ecs", "CreateService", {"tags": [{"key": "a", "value": "b"}]}))
    wanted = needed(rec, pushed=False)
    assert {"ecs:CreateService", "ecs:TagResource", "iam:CreateServiceLinkedRole"} <= set(wanted)
    assert [a for a in wanted if not allows(policy, a)] == [
        "ecs:TagResource",
        "ecs:CreateService",
        "iam:CreateServiceLinkedRole",
    ]
    with pytest.raises(KeyError):
        actions_for("some-new-service", "DoThing")  # unmapped services fail loudly


def test_role_arn_parameters_imply_pass_role() -> None:
    assert "iam:PassRole" in implied(
        "ecs", "RegisterTaskDefinition", {"executionRoleArn": "arn:aws:iam::1:role/x"}
    )
    assert implied("ecs", "RegisterTaskDefinition", {"family": "x"}) == []


def test_policy_is_scoped_to_the_app_where_aws_allows() -> None:
    """Every statement on `*` is one docs/ci.md lists as broad; the rest name the app."""
    broad = {
        "ReadOnlyEverywhere",
        "Ec2CreatesCannotBeScoped",
        "Ec2TagOnlyWhileCreating",
        "Ec2ChangeOnlyTheAppsResources",
        "EcsTaskDefinitionsCannotBeScoped",
        "ScalingOfTheAppsServices",
        "CustomDomainReads",
        "CertificatesTaggedForTheApp",
        "DeleteOnlyTheAppsCertificates",
        "DnsRecordsOfTheAppsDomain",
        "SnsUnsubscribeCannotBeScoped",
        "ElbSetWebAclCannotBeScoped",
        "CloudMapNamespaceCreatedTagged",
        "CloudMapReadsCannotBeScoped",
        "CloudMapDeleteOnlyTheAppsNamespace",
        "JobListsCannotBeScoped",
        "PriceListCannotBeScoped",
        "TagReadsCannotBeScoped",
    }
    readme = (ROOT / "docs" / "ci.md").read_text()
    for statement in POLICY["Statement"]:
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        if resources == ["*"]:
            assert statement["Sid"] in broad, statement["Sid"]
            assert statement["Sid"] in readme, f"docs/ci.md does not explain {statement['Sid']}"
        else:
            # AWS's managed rule groups are what the web ACL references
            scoped = ("mlapp", "aws-service-role", "managedruleset/AWSManagedRules")
            assert all(any(s in r for s in scoped) for r in resources), statement
    pass_role = next(s for s in POLICY["Statement"] if s["Action"] == ["iam:PassRole"])
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"]
    sids = [statement["Sid"] for statement in POLICY["Statement"]]
    assert len(sids) == len(set(sids))  # the two documents do not overlap


def policy_size(policy: dict[str, Any]) -> int:
    """A policy's size as IAM counts it against the limit: JSON without whitespace."""
    return len(json.dumps(policy, separators=(",", ":")))


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_each_document_fits_a_managed_policy(name: str) -> None:
    assert policy_size(DOCUMENTS[name]) <= MANAGED_POLICY_LIMIT, policy_size(DOCUMENTS[name])


def test_one_document_would_not_fit() -> None:
    """Why there are two: their union is over the limit (merge them if that changes)."""
    assert policy_size(POLICY) > MANAGED_POLICY_LIMIT


def test_hardened_config(rec: ParamRecorder, pushes: list[str]) -> None:
    put_secret_parameter()
    deployer_session(str(CONFIGS / "hardened.yaml"), "api", "--disable-deletion-protection")
    ops = {str(c) for c in rec.calls}
    assert {
        "sns:CreateTopic",
        "sns:Subscribe",
        "wafv2:CreateWebACL",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
        "monitoring:PutDashboard",
        "monitoring:DeleteDashboards",
        "s3:PutBucketPolicy",
        "s3:PutBucketLifecycleConfiguration",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
    } <= ops
    assert_policy_allows(rec, pushed=True)


def test_exec_into_a_task(aws: None) -> None:
    """`ecsdeploy exec`'s calls (moto has no ExecuteCommand and runs no service tasks:
    the three calls are answered in before-call, after the recorder saw them)."""
    task = "arn:aws:ecs:us-west-2:123456789012:task/mlapp-prod/abc"
    answers = {
        "ListTasks": {"taskArns": [task]},
        "DescribeTasks": {
            "tasks": [
                {
                    "taskArn": task,
                    "lastStatus": "RUNNING",
                    "enableExecuteCommand": True,
                    "containers": [{"name": "api", "runtimeId": "abc-1"}],
                }
            ]
        },
        "ExecuteCommand": {"session": {"sessionId": "s-1", "tokenValue": "t"}},
    }
    ecs = boto3.client("ecs", region_name=REGION)
    rec = ParamRecorder()
    rec.attach(ecs)
    for operation, answer in answers.items():
        ecs.meta.events.register(
            f"before-call.ecs.{operation}",
            lambda answer=answer, **_: (SimpleNamespace(status_code=200, headers={}), answer),
        )
    found = ecs_exec.pick_task(ecs, "mlapp-prod", "api", "api")  # type: ignore[arg-type]
    code = ecs_exec.start(ecs, REGION, "mlapp-prod", found, "api", "ls", "plugin",  # type: ignore[arg-type]
                          run=lambda args: 0)  # fmt: skip
    assert code == 0
    assert [op for _, op, _ in rec.requests] == list(answers)
    wanted = needed(rec, pushed=False)
    assert "ecs:ExecuteCommand" in wanted
    assert {a: why for a, why in wanted.items() if not allows(POLICY, a)} == {}
    exec_statement = next(s for s in POLICY["Statement"] if "ecs:ExecuteCommand" in s["Action"])
    assert exec_statement["Sid"].startswith("Optional")  # docs/ci.md says it can go


def test_run_a_task(rec: ParamRecorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`ecsdeploy run`'s calls, against the stand-in that runs tasks (tests/support/run_fake.py):
    RunTask, DescribeTasks, FilterLogEvents, and StopTask at the timeout."""
    from run_fake import RunFake, Script
    from run_fake import install_on_every_deployment as install_run_fake
    from test_run import deploy_api

    fake = install_run_fake(monkeypatch, RunFake(REGION))
    fake.scripts.append(Script(stop_after=None, lines=["working"]))
    config = deploy_api(tmp_path)
    result = runner.invoke(cli.app, ["run", str(config), "api", "--timeout", "1m", "--", "x"])
    assert result.exit_code == 1, result.stderr
    assert {"RunTask", "DescribeTasks", "StopTask"} <= {op for _, op, _ in rec.requests}
    wanted = needed(rec, pushed=False)
    assert {"ecs:RunTask", "ecs:StopTask", "iam:PassRole", "logs:FilterLogEvents"} <= set(wanted)
    assert {a: why for a, why in wanted.items() if not allows(POLICY, a)} == {}
    statement = next(s for s in POLICY["Statement"] if "ecs:RunTask" in s["Action"])
    assert statement["Condition"]["ArnLike"]["ecs:cluster"] == "arn:aws:ecs:*:*:cluster/mlapp-*"


def test_blue_green_pause_promote_and_abort(
    rec: ParamRecorder, pushes: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deploy_fake import DeployFake
    from deploy_fake import install_on_every_deployment as install_deploy_fake

    install_deploy_fake(monkeypatch, DeployFake(REGION))
    put_secret_parameter()
    config = tmp_path / "blue-green.yaml"

    def version(n: int) -> str:
        config.write_text(
            f"extends: {CONFIGS / 'example.yaml'}\n"
            "deploy:\n  strategy: blue_green\n  pause_before_traffic: true\n"
            f"services:\n  api:\n    env:\n      RELEASE: '{n}'\n"
        )
        return str(config)

    run("up", version(1), "--yes")
    assert "paused before production traffic" in run("up", version(2), "--yes")
    run("promote", str(config))
    assert "paused before production traffic" in run("up", version(3), "--yes")
    run("abort", str(config))
    run("down", str(config), "--yes")
    ops = {op for _, op, _ in rec.requests}
    assert {"ContinueServiceDeployment", "StopServiceDeployment"} <= ops
    assert_policy_allows(rec, pushed=True)


IMAGES_ONLY = json.loads((POLICY_DIR / "deployer-policy-images-only.json").read_text())


class WatchedRollout(FinishedRollout):
    """A finished rollout (tests/support/rollout_fakes.py), its target health read
    from AWS too, so that the watch's calls are all recorded."""

    def target_health(self, target_group_arn: str) -> list[dict[str, Any]]:
        AwsRolloutSource.target_health(self, target_group_arn)
        return super().target_health(target_group_arn)


def test_an_images_only_deploy_needs_only_its_own_policy(
    rec: ParamRecorder, pushes: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`up --images-only` from CI, with a built image and a given one, under
    deployer-policy-images-only.json alone: the role that ships images needs no rights on
    the network, the load balancer or IAM beyond passing the app's roles to ECS."""
    monkeypatch.setattr(seams, "rollout_source", lambda dep: WatchedRollout(dep.aws))
    context = tmp_path / "ui"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY app /app\n")
    (context / "app").write_text("v1\n")
    spec = tmp_path / "ecsdeploy.yaml"
    built = "image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/ui:v1"
    spec.write_text(spec_text().replace(built, "build: ui"))
    assert "Done:" in run("up", str(spec), "--yes", "--skip-verify")
    (context / "app").write_text("v2\n")
    spec.write_text(spec.read_text().replace("api:v1", "api:v2"))
    rec.calls.clear()
    rec.requests.clear()
    assert "Done:" in run("up", str(spec), "--yes", "--images-only")
    assert len(pushes) == 2  # the ui's new build
    ops = {str(c) for c in rec.calls}
    assert {"ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecs:DescribeServices"} <= ops
    actions = {a: why for a, why in needed(rec, pushed=True).items() if a not in FIRST_USE}
    assert len(actions) > 15, sorted(actions)
    missing = {a: why for a, why in sorted(actions.items()) if not allows(IMAGES_ONLY, a)}
    assert not missing, f"deployer-policy-images-only.json lacks: {missing}"
    # and it grants nothing that run did not need, but what a failed rollout reads (the
    # stopped tasks and their logs), what a spec with interface endpoints reads, the
    # pruning of the ledger once it holds 50 releases, and a deployment that pauses
    unused = {"ecs:DescribeTasks", "ecs:ListTasks", "ec2:DescribeVpcEndpointServices"}
    unused |= {"ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments"}
    unused |= {"logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"}
    unused |= {"ssm:DeleteParameters"}
    granted = {a for s in IMAGES_ONLY["Statement"] for a in s["Action"]}
    assert granted - set(actions) <= unused, sorted(granted - set(actions) - unused)
    for statement in IMAGES_ONLY["Statement"]:
        if statement["Resource"] != "*":
            assert all("mlapp" in r for r in statement["Resource"]), statement
    assert policy_size(IMAGES_ONLY) < MANAGED_POLICY_LIMIT
