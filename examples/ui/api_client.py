"""The UI's only contact with the model API: POST {API_URL}/predict.

Every failure (refused connection, timeout, HTTP error, malformed answer) becomes an
ApiError whose message names what went wrong in one line, so the page can show it
with st.error instead of a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import requests

DEFAULT_API_URL = "http://localhost:8000/api"
TIMEOUT_SECONDS = 5.0


class ApiError(Exception):
    """The API could not be reached or gave no usable answer; str() says why."""


@dataclass(frozen=True)
class Prediction:
    species: str
    probabilities: dict[str, float]


def api_url_from_env() -> str:
    """API_URL without a trailing slash, or the local default when unset or empty."""
    return (os.environ.get("API_URL", "").strip() or DEFAULT_API_URL).rstrip("/")


def predict_url(api_url: str) -> str:
    return f"{api_url.rstrip('/')}/predict"


def predict(
    api_url: str, features: dict[str, float], timeout: float = TIMEOUT_SECONDS
) -> Prediction:
    """Ask the API for the species of one flower; raise ApiError on any failure."""
    url = predict_url(api_url)
    try:
        response = requests.post(url, json=features, timeout=timeout)
    except requests.Timeout:
        raise ApiError(f"no answer within {timeout:g} s") from None
    except requests.ConnectionError as exc:
        raise ApiError(f"cannot connect ({_root_cause(exc)})") from None
    except requests.RequestException as exc:
        raise ApiError(f"request failed: {exc}") from None

    if not response.ok:
        raise ApiError(f"HTTP {response.status_code}: {_error_detail(response)}")
    try:
        body = response.json()
        return Prediction(
            species=str(body["species"]),
            probabilities={str(k): float(v) for k, v in body["probabilities"].items()},
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ApiError(f"unexpected answer: {response.text[:200]!r}") from None


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's message: 'Connection refused' rather than urllib3's chain."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc)
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text or type(exc).__name__


def _error_detail(response: requests.Response) -> str:
    """FastAPI's {"detail": ...} made readable, else the start of the body."""
    try:
        detail: Any = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):  # validation errors: [{"loc": [...], "msg": ...}, ...]
        return "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', [])[1:]) or 'request'}: {e.get('msg', e)}"
            for e in detail
            if isinstance(e, dict)
        ) or str(detail)
    if detail:
        return str(detail)
    return response.text.strip()[:200] or response.reason or "no body"
