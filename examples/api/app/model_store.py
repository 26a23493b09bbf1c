"""Load the model artifact written by train.py from S3 or a local path.

MODEL_URI is either ``s3://bucket/key`` (fetched with boto3, so the standard AWS
credential chain, AWS_REGION and AWS_ENDPOINT_URL all apply) or a local path
(``file://`` accepted). Every failure becomes a ModelLoadError with a one-line reason.

The artifact is a joblib pickle: load it only from a bucket or path you trust.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import joblib

# The API's request fields; the artifact must list the same features in this order.
FEATURE_NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "model.joblib"


class ModelLoadError(Exception):
    """The model could not be fetched, read or validated; str() is the reason."""


@dataclass(frozen=True)
class LoadedModel:
    """A validated estimator plus what /api/health reports about it."""

    estimator: Any
    labels: list[str]  # class name of each predict_proba column
    name: str
    version: str
    sha256: str
    source: str

    def info(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256[:12],
            "source": self.source,
        }


def model_uri_from_env() -> str:
    """MODEL_URI, or model.joblib next to the app package when it is unset or empty."""
    return os.environ.get("MODEL_URI", "").strip() or str(DEFAULT_MODEL_PATH)


def load_model(uri: str) -> LoadedModel:
    """Fetch and validate the artifact at ``uri``; raise ModelLoadError on any problem."""
    if uri.startswith("s3://"):
        return _load_from_s3(uri)
    path = Path(uri.removeprefix("file://")).expanduser()
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    return _load_file(path, source=uri)


def _load_from_s3(uri: str) -> LoadedModel:
    parsed = urlparse(uri)
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    if not bucket or not key:
        raise ModelLoadError(f"bad S3 URI {uri!r}: expected s3://bucket/key")

    import boto3  # imported here so local-path deployments never touch AWS config
    from botocore.exceptions import BotoCoreError, ClientError

    with tempfile.TemporaryDirectory(prefix="model-") as tmp:
        local = Path(tmp) / "model.joblib"
        try:
            boto3.client("s3").download_file(bucket, key, str(local))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "?"), error.get("Message", str(exc))
            raise ModelLoadError(f"could not download {uri}: {code} {message}".strip()) from exc
        except BotoCoreError as exc:
            raise ModelLoadError(f"could not download {uri}: {exc}") from exc
        return _load_file(local, source=uri)


def _load_file(path: Path, source: str) -> LoadedModel:
    data = path.read_bytes()
    try:
        artifact = joblib.load(path)
    except Exception as exc:  # a pickle can fail in many ways; all mean "not a model"
        raise ModelLoadError(f"{source} is not a readable joblib file: {exc}") from exc
    return _validate(artifact, source=source, sha256=hashlib.sha256(data).hexdigest())


def _validate(artifact: Any, source: str, sha256: str) -> LoadedModel:
    if not isinstance(artifact, dict) or "estimator" not in artifact:
        raise ModelLoadError(f"{source} is not an artifact written by train.py (no 'estimator')")
    estimator = artifact["estimator"]
    if not hasattr(estimator, "predict_proba"):
        raise ModelLoadError(f"{source}: the estimator has no predict_proba")
    features = tuple(artifact.get("feature_names", ()))
    if features != FEATURE_NAMES:
        raise ModelLoadError(
            f"{source}: model features {list(features)} differ from {list(FEATURE_NAMES)}"
        )
    class_names = [str(name) for name in artifact.get("class_names", ())]
    try:
        labels = [class_names[int(cls)] for cls in estimator.classes_]
    except (AttributeError, IndexError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{source}: class names do not match the estimator") from exc
    return LoadedModel(
        estimator=estimator,
        labels=labels,
        name=str(artifact.get("name", "unnamed")),
        version=str(artifact.get("version", "unknown")),
        sha256=sha256,
        source=source,
    )
