"""Two runs on one app and env: one holds the lock, the other stops at once naming it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.recorder import CallRecorder
from ecsdeploy.cli import app as cli
from ecsdeploy.cli import seams
from ecsdeploy.reconcile.lock import Lock, LockHeld, lock_name, unlock
from ecsdeploy.spec.naming import Owner

from conftest import spec_text

OWNER = Owner("mlapp", "dev")
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("no_preflight")


def test_second_lock_fails_naming_the_holder(aws: None) -> None:
    first = Lock(Aws("us-west-2"), OWNER, "up")
    first.acquire()
    try:
        with pytest.raises(LockHeld) as caught:
            Lock(Aws("us-west-2"), OWNER, "down").acquire()
        assert "pid" in caught.value.holder and "(up)" in caught.value.holder
        assert "ecsdeploy unlock" in str(caught.value)
    finally:
        first.release()
    # released: the next run gets it
    with Lock(Aws("us-west-2"), OWNER, "down"):
        pass
    assert Lock(Aws("us-west-2"), OWNER, "x").current() is None


def test_an_expired_lock_is_taken_over(aws: None) -> None:
    import boto3

    stale = {"token": "dead", "who": "ci@old pid 1 (up)", "since": "then", "expires": 1.0}
    boto3.client("ssm", region_name="us-west-2").put_parameter(
        Name=lock_name(OWNER), Value=json.dumps(stale), Type="String"
    )
    lock = Lock(Aws("us-west-2"), OWNER, "up")
    lock.acquire()
    try:
        held = lock.current()
        assert held is not None and held.token == lock.token
        assert held.expires > time.time()
    finally:
        lock.release()


def test_unlock_removes_anyones_lock(aws: None) -> None:
    lock = Lock(Aws("us-west-2"), OWNER, "up")
    lock.acquire()
    held = unlock(Aws("us-west-2"), OWNER)
    assert held is not None and held.token == lock.token
    assert unlock(Aws("us-west-2"), OWNER) is None
    lock.release()  # its lock is gone: releasing deletes nothing and does not fail


def test_up_while_another_run_holds_the_lock_stops_at_once(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = CallRecorder()
    monkeypatch.setattr(seams, "recorder", lambda: recorder)
    spec = tmp_path / "ecsdeploy.yaml"
    spec.write_text(spec_text())
    other = Lock(Aws("us-west-2"), OWNER, "up")
    other.acquire()
    try:
        result = runner.invoke(cli.app, ["up", str(spec), "--no-wait"])
        assert result.exit_code == 3
        assert other.who in result.stderr and "since" in result.stderr
        assert [c.operation for c in recorder.mutating()] == ["PutParameter"]  # the try only
        result = runner.invoke(cli.app, ["down", str(spec), "--yes"])
        assert result.exit_code == 0  # nothing deployed: nothing to delete, no lock needed
        result = runner.invoke(cli.app, ["unlock", str(spec)])
        assert result.exit_code == 0 and other.who in result.stderr
        result = runner.invoke(cli.app, ["up", str(spec), "--no-wait"])
        assert result.exit_code == 0, result.stderr
        assert Lock(Aws("us-west-2"), OWNER, "x").current() is None  # released after up
    finally:
        other.release()
