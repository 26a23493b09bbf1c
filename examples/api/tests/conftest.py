"""Shared fixtures: the API directory on sys.path, a trained model, a client factory."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

API_DIR = Path(__file__).resolve().parent.parent
if str(API_DIR) not in sys.path:
    sys.path.insert(0, str(API_DIR))

import train  # noqa: E402
from app.main import create_app  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may see real AWS settings, credentials or the developer's MODEL_URI."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "MODEL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The artifact train.py writes, trained once per session into a temp dir."""
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    assert train.main([str(path)]) == 0
    return path


ClientFactory = Callable[[str], TestClient]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Start the app (lifespan included) with MODEL_URI set to the given URI."""
    clients: list[TestClient] = []

    def make(model_uri: str) -> TestClient:
        client = TestClient(create_app(model_uri))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory, model_path: Path) -> TestClient:
    return make_client(str(model_path))
