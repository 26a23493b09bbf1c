"""api_client turns every kind of failure into a one-line ApiError."""

from __future__ import annotations

import pytest

import api_client
from api_client import ApiError, Prediction, predict

from conftest import SETOSA_ANSWER, FakeApi

FEATURES = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def test_success(fake_api: FakeApi) -> None:
    assert predict(fake_api.url, FEATURES) == Prediction(**SETOSA_ANSWER)  # type: ignore[arg-type]
    assert fake_api.requests == [("/api/predict", FEATURES)]


def test_connection_refused(closed_url: str) -> None:
    with pytest.raises(ApiError, match=r"^cannot connect \(.*[Cc]onnection refused.*\)$"):
        predict(closed_url, FEATURES)


def test_timeout(fake_api: FakeApi) -> None:
    fake_api.delay = 1.0
    with pytest.raises(ApiError, match=r"^no answer within 0.2 s$"):
        predict(fake_api.url, FEATURES, timeout=0.2)


def test_validation_errors_are_listed(fake_api: FakeApi) -> None:
    fake_api.status = 422
    fake_api.body = {
        "detail": [
            {"loc": ["body", "sepal_length"], "msg": "Input should be greater than 0"},
            {"loc": ["body", "petal_width"], "msg": "Field required"},
        ]
    }
    with pytest.raises(ApiError) as info:
        predict(fake_api.url, FEATURES)
    assert str(info.value) == (
        "HTTP 422: sepal_length: Input should be greater than 0; petal_width: Field required"
    )


def test_non_json_error_body(fake_api: FakeApi) -> None:
    fake_api.status, fake_api.body = 502, b"<html>Bad Gateway</html>"
    with pytest.raises(ApiError, match=r"^HTTP 502: <html>Bad Gateway</html>$"):
        predict(fake_api.url, FEATURES)


def test_malformed_answer(fake_api: FakeApi) -> None:
    fake_api.body = {"label": "setosa"}
    with pytest.raises(ApiError, match=r"^unexpected answer: "):
        predict(fake_api.url, FEATURES)


def test_api_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("API_URL", raising=False)
    assert api_client.api_url_from_env() == "http://localhost:8000/api"
    monkeypatch.setenv("API_URL", " http://lb.example/api/ ")
    assert api_client.api_url_from_env() == "http://lb.example/api"
    assert api_client.predict_url("http://lb.example/api/") == "http://lb.example/api/predict"
