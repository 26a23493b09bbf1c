"""The Streamlit page, driven with AppTest against a fake API or a closed port."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import UI_DIR, FakeApi

APP = str(UI_DIR / "app.py")


def run_app(monkeypatch: pytest.MonkeyPatch, api_url: str | None) -> AppTest:
    if api_url is None:
        monkeypatch.delenv("API_URL", raising=False)
    else:
        monkeypatch.setenv("API_URL", api_url)
    at = AppTest.from_file(APP, default_timeout=15)
    at.run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest) -> AppTest:
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_form_renders_four_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(monkeypatch, None)
    assert [n.label for n in at.number_input] == [
        "Sepal length (cm)",
        "Sepal width (cm)",
        "Petal length (cm)",
        "Petal width (cm)",
    ]
    assert [n.value for n in at.number_input] == [5.1, 3.5, 1.4, 0.2]
    assert at.button[0].label == "Predict"
    assert "http://localhost:8000/api" in at.caption[0].value
    assert not at.error and not at.success


def test_submit_shows_species_and_probabilities(
    monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi
) -> None:
    at = run_app(monkeypatch, fake_api.url + "/")
    at.number_input(key="petal_length").set_value(1.6)
    submit(at)

    assert fake_api.requests == [
        (
            "/api/predict",
            {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.6, "petal_width": 0.2},
        )
    ]
    assert not at.error
    assert "setosa" in at.success[0].value
    table = at.table[0].value
    assert list(table["species"]) == ["setosa", "versicolor", "virginica"]
    assert list(table["probability"]) == ["97.0%", "2.5%", "0.5%"]


def test_unreachable_api_shows_error(monkeypatch: pytest.MonkeyPatch, closed_url: str) -> None:
    at = submit(run_app(monkeypatch, closed_url))
    assert not at.success
    message = at.error[0].value
    assert f"{closed_url}/predict" in message
    assert "cannot connect" in message
    assert "Traceback" not in message


def test_api_error_status_shows_error(monkeypatch: pytest.MonkeyPatch, fake_api: FakeApi) -> None:
    fake_api.status, fake_api.body = 503, {"detail": "model unavailable: model file not found"}
    at = submit(run_app(monkeypatch, fake_api.url))
    assert not at.success
    assert "HTTP 503: model unavailable: model file not found" in at.error[0].value
