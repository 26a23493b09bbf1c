"""Health, prediction and input validation against a model loaded from a local path."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import train
from app.model_store import DEFAULT_MODEL_PATH, model_uri_from_env

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
SPECIES = {"setosa", "versicolor", "virginica"}


def test_train_is_deterministic_and_accurate() -> None:
    _, classes_a, accuracy_a = train.train()
    _, classes_b, accuracy_b = train.train()
    assert classes_a == classes_b == ["setosa", "versicolor", "virginica"]
    assert accuracy_a == accuracy_b
    assert accuracy_a >= 0.9


def test_health_reports_the_model(client: TestClient, model_path: Path) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["model"]["name"] == train.MODEL_NAME
    assert body["model"]["version"] == train.MODEL_VERSION
    assert body["model"]["source"] == str(model_path)
    assert len(body["model"]["sha256"]) == 12


def test_predict_setosa(client: TestClient) -> None:
    response = client.post("/api/predict", json=SETOSA)
    assert response.status_code == 200
    body = response.json()
    assert body["species"] == "setosa"
    assert set(body["probabilities"]) == SPECIES
    assert math.isclose(sum(body["probabilities"].values()), 1.0, abs_tol=1e-6)
    assert body["probabilities"]["setosa"] > 0.9


@pytest.mark.parametrize(
    ("features", "species"),
    [
        ((5.9, 3.0, 4.2, 1.5), "versicolor"),
        ((6.9, 3.1, 5.4, 2.1), "virginica"),
    ],
)
def test_predict_other_species(
    client: TestClient, features: tuple[float, ...], species: str
) -> None:
    payload = dict(zip(SETOSA, features, strict=True))
    assert client.post("/api/predict", json=payload).json()["species"] == species


def test_predict_batch(client: TestClient) -> None:
    virginica = {"sepal_length": 6.9, "sepal_width": 3.1, "petal_length": 5.4, "petal_width": 2.1}
    response = client.post("/api/predict/batch", json={"instances": [SETOSA, virginica]})
    assert response.status_code == 200
    assert [p["species"] for p in response.json()["predictions"]] == ["setosa", "virginica"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("sepal_length", -1.0), ("petal_width", 0), ("sepal_width", 100), ("petal_length", "long")],
)
def test_bad_value_is_422_naming_the_field(client: TestClient, field: str, value: object) -> None:
    response = client.post("/api/predict", json={**SETOSA, field: value})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", field]]
    assert errors[0]["msg"]


def test_missing_and_unknown_fields_are_422(client: TestClient) -> None:
    payload = {k: v for k, v in SETOSA.items() if k != "petal_width"} | {"petal_widht": 0.2}
    response = client.post("/api/predict", json=payload)
    assert response.status_code == 422
    problems = {(e["loc"][-1], e["type"]) for e in response.json()["detail"]}
    assert problems == {("petal_width", "missing"), ("petal_widht", "extra_forbidden")}


def test_empty_batch_is_422(client: TestClient) -> None:
    response = client.post("/api/predict/batch", json={"instances": []})
    assert response.status_code == 422


def test_model_uri_defaults_to_the_baked_in_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert model_uri_from_env() == str(DEFAULT_MODEL_PATH)
    assert DEFAULT_MODEL_PATH.parent.name == "api"
    monkeypatch.setenv("MODEL_URI", "s3://bucket/key.joblib")
    assert model_uri_from_env() == "s3://bucket/key.joblib"
