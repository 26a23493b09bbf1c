"""The nightly training job's entry point: retrains, uploads under a new key (never over
an earlier model), the API can load what it uploaded, and it keeps its timeout."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

import train
from app.model_store import load_model

BUCKET = "mlapp-models"
PREFIX = "iris/trained"


@pytest.fixture
def bucket() -> Iterator[None]:
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield


def test_new_key_is_one_per_run_under_the_prefix() -> None:
    assert train.new_key("/iris/trained/", now=0) == "iris/trained/model-19700101T000000Z.joblib"
    assert train.new_key("iris/trained", now=60) != train.new_key("iris/trained", now=0)


@pytest.mark.usefixtures("bucket")
def test_upload_writes_a_new_key_the_api_can_load(capsys: pytest.CaptureFixture[str]) -> None:
    earlier = f"{PREFIX}/model-19700101T000000Z.joblib"
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=BUCKET, Key=earlier, Body=b"an earlier model")
    assert train.main(["--upload", f"s3://{BUCKET}/{PREFIX}/"]) == 0
    uri = capsys.readouterr().out.strip().splitlines()[-1].removeprefix("uploaded ")
    assert uri.startswith(f"s3://{BUCKET}/{PREFIX}/model-")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert len(keys) == 2 and earlier in keys  # the earlier model is untouched
    assert s3.get_object(Bucket=BUCKET, Key=earlier)["Body"].read() == b"an earlier model"
    loaded = load_model(uri)
    assert loaded.labels == ["setosa", "versicolor", "virginica"]


def test_upload_refuses_what_is_not_an_s3_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert train.main(["--upload", "/tmp/models"]) == 2
    assert "s3://BUCKET/PREFIX/" in capsys.readouterr().err


def test_the_timeout_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(train.TIMEOUT_ENV, "7")
    try:
        assert train.keep_timeout() == 7
        assert 0 < signal.alarm(0) <= 7  # an alarm was set (and is now cleared)
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    monkeypatch.setenv(train.TIMEOUT_ENV, "")
    assert train.keep_timeout() is None


def test_a_run_over_its_timeout_exits_124(tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(train.__file__).parent)!r})\n"
        "import train\n"
        "train.keep_timeout()\n"
        "time.sleep(30)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        env={"ECSDEPLOY_TIMEOUT_SECONDS": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == train.TIMED_OUT
    assert "longer than 1 s" in done.stderr
