"""Loading the model from S3 (moto) and what happens when it cannot be loaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from app.main import create_app

from conftest import ClientFactory

BUCKET = "mlapp-models"
KEY = "iris/model.joblib"
SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.fixture
def s3_bucket(model_path: Path) -> Iterator[None]:
    """A moto S3 bucket holding the trained artifact at KEY."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(str(model_path), BUCKET, KEY)
        yield


@pytest.mark.usefixtures("s3_bucket")
def test_model_from_s3_via_env(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"s3://{BUCKET}/{KEY}"
    monkeypatch.setenv("MODEL_URI", uri)
    with TestClient(create_app()) as client:
        health = client.get("/api/health")
        assert health.status_code == 200
        assert health.json()["model"]["source"] == uri
        assert client.post("/api/predict", json=SETOSA).json()["species"] == "setosa"


@pytest.mark.usefixtures("s3_bucket")
def test_missing_s3_object_is_503_with_reason(make_client: ClientFactory) -> None:
    uri = f"s3://{BUCKET}/nope/model.joblib"
    health = make_client(uri).get("/api/health")
    assert health.status_code == 503
    assert health.json()["status"] == "error"
    assert uri in health.json()["reason"]
    assert "404" in health.json()["reason"]


def test_bad_s3_uri_is_503(make_client: ClientFactory) -> None:
    health = make_client("s3://bucket-without-key").get("/api/health")
    assert health.status_code == 503
    assert "expected s3://bucket/key" in health.json()["reason"]


def test_missing_file_is_503_and_predict_refuses(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    missing = tmp_path / "absent.joblib"
    client: TestClient = make_client(str(missing))
    health = client.get("/api/health")
    assert health.status_code == 503
    assert health.json() == {"status": "error", "reason": f"model file not found: {missing}"}
    predict = client.post("/api/predict", json=SETOSA)
    assert predict.status_code == 503
    assert "model file not found" in predict.json()["detail"]


def test_garbage_file_is_503(make_client: ClientFactory, tmp_path: Path) -> None:
    garbage = tmp_path / "model.joblib"
    garbage.write_bytes(b"this is not a pickle")
    health = make_client(f"file://{garbage}").get("/api/health")
    assert health.status_code == 503
    assert "not a readable joblib file" in health.json()["reason"]
