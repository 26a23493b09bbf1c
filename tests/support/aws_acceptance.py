"""The steps of the real-AWS acceptance run (`make e2e-aws`, tests/aws/): the spec it
deploys, the CLI run as a subprocess with bounded waits, the account checks through the
Resource Groups Tagging API, the cost line, the HTTP checks, and the cleanup that runs
`ecsdeploy down --yes` once, on success, failure or Ctrl-C.

Only the CLI (`python -m ecsdeploy ...`) and boto3 are used, never ecsdeploy's internals: the
run checks what a user runs. AWS is whatever boto3 finds in the environment (credentials,
and AWS_ENDPOINT_URL when a test points it at the emulator: tests/cli/test_aws_acceptance.py
runs these same steps against the moto server).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import boto3
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "configs" / "example.yaml"
APP = "mlapp"  # configs/example.yaml's app
EXAMPLE_REGION = "us-west-2"
TAG_APP, TAG_ENV = "ecsdeploy:app", "ecsdeploy:env"
HOURS_A_MONTH = 730

# every wait is bounded (seconds)
UP_TIMEOUT = 45 * 60  # a first up: network, NAT gateway, load balancer, two builds, rollout
REDEPLOY_TIMEOUT = 30 * 60
DOWN_TIMEOUT = 40 * 60  # NAT gateway and the tasks' network interfaces take minutes to go
COMMAND_TIMEOUT = 10 * 60  # plan, status
HTTP_DEADLINE = 10 * 60  # a new load balancer's DNS name resolves after a minute or more
LEFTOVER_DEADLINE = 5 * 60  # the tagging API lags deletes
STOP_GRACE = 120  # how long a Ctrl-C'd command may take to stop (and release its lock)

Say = Callable[[str], None]


class AccountNotEmpty(Exception):
    """The account already holds resources of the app and env the run would deploy."""


class CommandTimedOut(Exception):
    """A CLI command did not finish within its bound."""


def new_env_name() -> str:
    """A fresh env name: `e2e-` and 6 hex digits (load balancer names stay short)."""
    return f"e2e-{secrets.token_hex(3)}"


@dataclass
class Run:
    """One `python -m ecsdeploy` run: its exit code and output (kept in files under
    ``logs`` too, so a long `up` can be followed with `tail -f`)."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.stderr.splitlines()[-lines:])


def cli(logs: Path, *args: str, timeout: float, say: Say | None = None) -> Run:
    """Run the CLI with this process's environment. The command gets a session of its own,
    so a Ctrl-C reaches it only through this function: on KeyboardInterrupt (or the
    timeout) it is sent SIGINT, as a user's Ctrl-C would, and given STOP_GRACE seconds to
    stop and release the deploy lock before it is killed."""
    logs.mkdir(parents=True, exist_ok=True)
    stem = f"{time.strftime('%H%M%S')}-{args[0]}"
    out_path, err_path = logs / f"{stem}.out", logs / f"{stem}.err"
    if say:
        say(f"$ ecsdeploy {' '.join(args)}   (log: {err_path})")
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecsdeploy", *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ),
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise CommandTimedOut(
                f"`ecsdeploy {' '.join(args)}` did not finish within {timeout:.0f}s "
                f"(log: {err_path})"
            ) from None
        except KeyboardInterrupt:
            _stop(proc)
            raise
    return Run(args, proc.returncode, out_path.read_text(), err_path.read_text())


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tagged(region: str, env: str, app: str = APP) -> list[str]:
    """ARNs of the resources tagged with the app and env in the region (the tagging API
    lists tagged resources of every service it supports)."""
    client = boto3.client("resourcegroupstaggingapi", region_name=region)
    filters = [{"Key": TAG_APP, "Values": [app]}, {"Key": TAG_ENV, "Values": [env]}]
    arns: list[str] = []
    for page in client.get_paginator("get_resources").paginate(TagFilters=filters):
        arns += [r["ResourceARN"] for r in page.get("ResourceTagMappingList", [])]
    return sorted(arns)


def refuse_if_taken(region: str, env: str, app: str = APP) -> None:
    """Raise AccountNotEmpty when the account already holds the app/env."""
    found = tagged(region, env, app)
    if found:
        shown = "\n  ".join(found[:10]) + ("\n  ..." if len(found) > 10 else "")
        raise AccountNotEmpty(
            f"refusing to run: the account already holds {len(found)} resource(s) tagged "
            f"{TAG_APP}={app}, {TAG_ENV}={env} in {region}:\n  {shown}\n"
            "The acceptance run deploys and then deletes that env; remove them first "
            "(`ecsdeploy down` of a spec with that app and env) or pick another env."
        )


def cost_line(plan: dict[str, Any]) -> str:
    """What the env costs while it is up, from `plan --output json`'s estimate."""
    total = ((plan.get("cost") or {}).get("after") or {}).get("total")
    if not isinstance(total, (int, float)) or total <= 0:
        return "cost: under $1 an hour while up (the plan gave no estimate)"
    return (
        f"cost: ecsdeploy estimates ${total:,.2f} a month for this env, about "
        f"${total / HOURS_A_MONTH:,.2f} an hour while it is up (plus data transfer and "
        "requests); the run keeps it up for about half an hour"
    )


def account_and_partition(region: str) -> tuple[str, str]:
    arn = boto3.client("sts", region_name=region).get_caller_identity()["Arn"]
    parts = arn.split(":")
    return parts[4], parts[1]


@dataclass
class Deployment:
    """The spec files of one run: configs/example.yaml under a fresh env, in ``workdir``."""

    workdir: Path
    env: str
    region: str
    account: str
    partition: str
    prebuilt: bool = False  # images from a registry instead of builds (no Docker)

    @property
    def secret_name(self) -> str:
        """The SSM parameter behind the example's API_TOKEN, one per run (under `mlapp/`,
        where the published deployer policy lets `verify` look)."""
        return f"/{APP}/{self.env}/api-token"

    @property
    def spec(self) -> Path:
        return self.workdir / "example.yaml"

    def write(self, revision: int) -> Path:
        """The example spec for this env and account. Each revision changes the api's
        image (a file in its build context, so a new content tag) and an env value: a new
        task definition revision and a rollout."""
        text = EXAMPLE.read_text()

        def swap(old: str, new: str) -> None:
            nonlocal text
            assert old in text, f"{EXAMPLE} no longer has {old!r}: update {__file__}"
            text = text.replace(old, new)

        swap("env: dev\n", f"env: {self.env}\n")
        swap(f"region: {EXAMPLE_REGION}\n", f"region: {self.region}\n")
        # the example's model bucket is not the user's: the api serves the model its
        # image bakes in
        swap(
            "MODEL_URI: s3://mlapp-models/iris/model.joblib\n",
            f'MODEL_URI: ""\n      ECSDEPLOY_E2E_REVISION: "{revision}"\n',
        )
        swap(
            f"arn:aws:ssm:{EXAMPLE_REGION}:123456789012:parameter/mlapp/api-token",
            f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter{self.secret_name}",
        )
        for service in ("api", "ui"):
            old = f"build: ../examples/{service}"
            if self.prebuilt:
                swap(old, f"image: registry.example.com/{APP}/{service}:1.4.{revision}")
            else:
                swap(old, f"build: {self._context(service, revision)}")
        self.spec.write_text(text)
        return self.spec

    def _context(self, service: str, revision: int) -> Path:
        if service != "api":
            return ROOT / "examples" / service
        context = self.workdir / f"api-{revision}"
        if not context.exists():
            ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".venv")
            shutil.copytree(ROOT / "examples" / "api", context, ignore=ignore)
            (context / "app" / "e2e_revision.py").write_text(
                f'"""The acceptance run\'s image revision."""\n\nREVISION = {revision}\n'
            )
        return context

    def put_secret(self) -> None:
        boto3.client("ssm", region_name=self.region).put_parameter(
            Name=self.secret_name,
            Value=secrets.token_urlsafe(16),
            Type="SecureString",
            Overwrite=True,
            Description="ecsdeploy acceptance run (make e2e-aws); deleted at its end",
        )

    def delete_secret(self) -> None:
        client = boto3.client("ssm", region_name=self.region)
        try:
            client.delete_parameter(Name=self.secret_name)
        except client.exceptions.ParameterNotFound:
            pass


def fetch(url: str, deadline: float, pause: float = 10.0) -> tuple[int, bytes]:
    """GET ``url`` until it answers 200 or ``deadline`` (time.monotonic()) passes; the
    last status (0: no answer) and body."""
    status, body = 0, b""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=15) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            status, body = 0, str(exc).encode()
        if status == 200 or time.monotonic() + pause > deadline:
            return status, body
        time.sleep(pause)


def leftovers(region: str, env: str, deadline: float, pause: float = 15.0) -> list[str]:
    """What is still tagged with the app and env once ``deadline`` passes (empty as soon
    as nothing is). AWS keeps listing some deleted resources for a while, in a state that
    says so (a NAT gateway `deleted`, an ECS cluster or service `INACTIVE`, a task
    definition `INACTIVE` or `DELETE_IN_PROGRESS`): their own service is asked."""
    while True:
        left = [arn for arn in tagged(region, env) if not _deleted(region, arn)]
        if not left or time.monotonic() + pause > deadline:
            return left
        time.sleep(pause)


def _deleted(region: str, arn: str) -> bool:
    """Whether the resource's own service says it is deleted (False when it cannot tell)."""
    service, resource = arn.split(":")[2], arn.split(":", 5)[5]
    kind, _, name = resource.partition("/")
    if service not in ("ec2", "ecs"):
        return False
    client = boto3.client(service, region_name=region)
    try:
        if (service, kind) == ("ec2", "natgateway"):
            gateways = client.describe_nat_gateways(NatGatewayIds=[name])["NatGateways"]
            return all(g["State"] == "deleted" for g in gateways)
        if (service, kind) == ("ecs", "cluster"):
            clusters = client.describe_clusters(clusters=[arn])["clusters"]
            return all(c["status"] == "INACTIVE" for c in clusters)
        if (service, kind) == ("ecs", "service"):
            cluster = f"{arn.split(':service/')[0]}:cluster/{name.split('/')[0]}"
            services = client.describe_services(cluster=cluster, services=[arn])["services"]
            return all(s["status"] == "INACTIVE" for s in services)
        if (service, kind) == ("ecs", "task-definition"):
            found = client.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            return str(found["status"]) in ("INACTIVE", "DELETE_IN_PROGRESS")
    except ClientError as exc:
        return "NotFound" in str(exc) or "ClusterNotFound" in str(exc)
    return False


@dataclass
class Teardown:
    """`ecsdeploy down --yes` of the run's spec, then its SSM parameter: once, however
    the run ends. A failed or abandoned teardown says what is left and how to remove it."""

    deployment: Deployment
    logs: Path
    say: Say
    done: bool = False
    result: Run | None = field(default=None, repr=False)

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        spec = self.deployment.spec
        by_hand = f"`ecsdeploy down {spec} --yes`"
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C now abandons it
        try:
            if spec.exists():
                self.result = cli(
                    self.logs, "down", str(spec), "--yes", timeout=DOWN_TIMEOUT, say=self.say
                )
                if self.result.returncode != 0:
                    self.say(
                        f"cleanup: down exited {self.result.returncode}; resources of env "
                        f"{self.deployment.env} may remain: run {by_hand}\n{self.result.tail()}"
                    )
        except KeyboardInterrupt:
            self.say(f"cleanup abandoned: env {self.deployment.env} may remain; run {by_hand}")
            raise
        except CommandTimedOut as exc:
            self.say(f"cleanup: {exc}; run {by_hand}")
        finally:
            self.deployment.delete_secret()


@contextmanager
def ctrl_c_cleans_up(teardown: Teardown) -> Iterator[None]:
    """The first Ctrl-C stops the running command and cleans up (the caller's finally
    runs ``teardown``); a second one during the cleanup abandons it, with what to run."""

    def first(signum: int, frame: FrameType | None) -> None:
        teardown.say(
            "Ctrl-C: stopping, then `ecsdeploy down --yes` removes what was made "
            "(Ctrl-C again to leave it)"
        )
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def acceptance_run(
    region: str,
    workdir: Path,
    say: Say,
    *,
    prebuilt: bool = False,
    wait: bool = True,
    check_http: bool = True,
) -> None:
    """The whole run (tests/aws/test_real_aws.py's docstring lists its steps). Against the
    emulator: ``prebuilt`` images, no waiting for a rollout, no HTTP (nothing serves)."""
    account, partition = account_and_partition(region)
    deployment = Deployment(
        workdir / "spec", new_env_name(), region, account, partition, prebuilt=prebuilt
    )
    deployment.workdir.mkdir(parents=True)
    logs = workdir / "logs"
    say(f"account {account}, region {region}, app {APP}, env {deployment.env}")
    refuse_if_taken(region, deployment.env)  # before anything exists to clean up
    no_wait = () if wait else ("--no-wait",)

    teardown = Teardown(deployment, logs, say)
    with ctrl_c_cleans_up(teardown):
        try:
            deployment.put_secret()
            spec = str(deployment.write(revision=1))
            plan = cli(logs, "plan", spec, "--output", "json", timeout=COMMAND_TIMEOUT)
            assert plan.returncode == 0, plan.tail()
            say(cost_line(json.loads(plan.stdout)))

            up = cli(logs, "up", spec, "--yes", *no_wait, timeout=UP_TIMEOUT, say=say)
            assert up.returncode == 0, up.tail()
            before = status_of(logs, spec)
            url = str(before["url"]).rstrip("/")
            assert url.startswith("http"), before
            say(f"up: {url}")
            if check_http:
                deadline = time.monotonic() + HTTP_DEADLINE
                for path in ("/api/health", "/"):
                    code, body = fetch(url + path, deadline)
                    assert code == 200, (url + path, code, body[:500])
                    say(f"GET {path}: 200")

            spec = str(deployment.write(revision=2))
            again = cli(logs, "up", spec, "--yes", *no_wait, timeout=REDEPLOY_TIMEOUT, say=say)
            assert again.returncode == 0, again.tail()
            after = status_of(logs, spec)
            assert revision(after, "api") != revision(before, "api"), after["services"]
            if check_http:
                code, body = fetch(url + "/api/health", time.monotonic() + HTTP_DEADLINE)
                assert code == 200, (code, body[:500])
            say(f"redeployed: api revision {revision(after, 'api')}")

            same = cli(logs, "plan", spec, "--detailed-exitcode", timeout=COMMAND_TIMEOUT)
            assert same.returncode == 0, f"plan after the redeploy is not empty:\n{same.stderr}"

            teardown()
            assert teardown.result is not None, "down did not run"
            assert teardown.result.returncode == 0, teardown.result.tail()
            left = leftovers(region, deployment.env, time.monotonic() + LEFTOVER_DEADLINE)
            assert left == [], f"still tagged with env {deployment.env} after down: {left}"
            say("down: nothing tagged with the env remains")
        finally:
            teardown()


def status_of(logs: Path, spec: str) -> dict[str, Any]:
    status = cli(logs, "status", spec, "--output", "json", timeout=COMMAND_TIMEOUT)
    assert status.returncode == 0, status.tail()
    report: dict[str, Any] = json.loads(status.stdout)
    return report


def revision(status: dict[str, Any], service: str) -> Any:
    return next(s["revision"] for s in status["services"] if s["name"] == service)
