"""Two `ecsdeploy up` runs of one spec at the same moment, in two threads on one moto:
exactly one acts; the other exits at once, non-zero, naming the run that holds the lock.

Both commands run through the real command line (click parses the arguments; the exit
code is what the process would exit with). They are released together just before their
first write, the lock's PutParameter, so the race is decided by the lock alone.
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import typer

from ecsdeploy.aws.recorder import Call, CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.output.console import err
from ecsdeploy.reconcile import lock

from conftest import owned_anything, spec_text


class PerThread(io.StringIO):
    """A console file that keeps what each thread writes apart."""

    def __init__(self) -> None:
        super().__init__()
        self.by_thread: dict[str, list[str]] = {}

    def write(self, text: str) -> int:
        self.by_thread.setdefault(threading.current_thread().name, []).append(text)
        return len(text)

    def text(self, thread: str) -> str:
        return "".join(self.by_thread.get(thread, []))


def test_two_concurrent_ups_one_acts_the_other_stops_naming_it(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text(nat="single"))
    output = PerThread()
    monkeypatch.setattr(err, "_file", output)  # None again afterwards: sys.stderr
    # the two runs share a process: tell their locks apart by thread
    monkeypatch.setattr(lock, "whoami", lambda command: f"{threading.current_thread().name} "
                        f"({command})")  # fmt: skip
    together = threading.Barrier(2, timeout=60)
    recorders: dict[str, CallRecorder] = {}

    def recorder() -> CallRecorder:
        if threading.current_thread().name not in ("run-a", "run-b"):
            return CallRecorder()  # the down at the end
        rec = recorders.setdefault(threading.current_thread().name, CallRecorder())
        first_write = [True]

        def sync(call: Call) -> None:
            if call.mutating and first_write[0]:
                first_write[0] = False
                together.wait()  # both runs have planned; now both try to take the lock

        rec.listeners.append(sync)
        return rec

    monkeypatch.setattr(seams, "recorder", recorder)
    command = typer.main.get_command(cli.app)
    codes: dict[str, Any] = {}
    finished: dict[str, float] = {}

    def run() -> None:
        args = ["up", str(spec), "--no-wait", "--skip-verify"]
        codes[threading.current_thread().name] = command.main(args, standalone_mode=False)
        finished[threading.current_thread().name] = time.monotonic()

    threads = [threading.Thread(target=run, name=name) for name in ("run-a", "run-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()

    winners = [name for name, code in codes.items() if code in (None, 0)]
    losers = [name for name, code in codes.items() if code not in (None, 0)]
    assert len(winners) == len(losers) == 1, (codes, output.by_thread)
    winner, loser = winners[0], losers[0]
    assert codes[loser] == 3
    said = output.text(loser)
    assert f"lock of this app and env: {winner} (up), since" in said, said
    assert "Traceback" not in said
    # at once: its only write was the failed try for the lock, and it ended first
    assert [c.operation for c in recorders[loser].mutating()] == ["PutParameter"]
    assert finished[loser] < finished[winner]

    ec2 = boto3.client("ec2", region_name="us-west-2")
    tagged = [{"Name": "tag:ecsdeploy:app", "Values": ["mlapp"]}]
    assert len(ec2.describe_vpcs(Filters=tagged)["Vpcs"]) == 1
    nats = ec2.describe_nat_gateways()["NatGateways"]
    assert len([n for n in nats if n["State"] == "available"]) == 1
    elbv2 = boto3.client("elbv2", region_name="us-west-2")
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1
    ecs = boto3.client("ecs", region_name="us-west-2")
    arns = ecs.list_services(cluster="mlapp-dev")["serviceArns"]
    services = ecs.describe_services(cluster="mlapp-dev", services=arns)["services"]
    assert sorted(s["serviceName"] for s in services if s["status"] == "ACTIVE") == ["api", "ui"]
    # the winner released the lock (the next run needs no unlock), kept the record of
    # what it set (reconcile.applied) and recorded its release (resources.releases)
    ssm = boto3.client("ssm", region_name="us-west-2")
    names = sorted(p["Name"] for p in ssm.describe_parameters()["Parameters"])
    assert names == ["/ecsdeploy/mlapp/dev/applied", "/ecsdeploy/mlapp/dev/releases/000001"]
    code = command.main(["down", str(spec), "--yes"], standalone_mode=False)
    assert code in (None, 0), output.text("MainThread")
    assert owned_anything() == []
    assert ssm.describe_parameters()["Parameters"] == []  # down took the record along
