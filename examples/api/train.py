"""Train the iris classifier that the example API serves.

Fits a standardised logistic regression on the iris data set that scikit-learn ships
(no download), prints its accuracy on a held-out split, and writes one joblib artifact:
a dict with the fitted estimator, the feature names (in the API's field order), the
class names and a little metadata. Deterministic: the split and the model use a fixed seed.

    python train.py [OUTPUT]     # OUTPUT defaults to model.joblib next to this script
    python train.py --upload s3://BUCKET/PREFIX/   # the nightly job: retrain, upload

With ``--upload``, the artifact goes to S3 under a new key, ``PREFIX/model-<UTC time>.joblib``
(an earlier model is never overwritten), and the key is printed; point the API's
MODEL_URI at it to serve it. Run as an ecsdeploy job, it stops itself (exit code 124) once
ECSDEPLOY_TIMEOUT_SECONDS have passed: ECS has no task timeout, so the program keeps it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlparse

import joblib
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

MODEL_NAME = "iris-logreg"
MODEL_VERSION = "1"
# The API's request fields, in the column order of load_iris().data.
FEATURE_NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SEED = 42
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "model.joblib"
TIMEOUT_ENV = "ECSDEPLOY_TIMEOUT_SECONDS"  # set by ecsdeploy on a job's task
TIMED_OUT = 124  # the exit code of a run stopped by its timeout (as timeout(1) uses)


def train(seed: int = SEED) -> tuple[Pipeline, list[str], float]:
    """Fit the model; return it, the class names and its held-out accuracy."""
    iris = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.25, random_state=seed, stratify=iris.target
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
    model.fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    return model, [str(name) for name in iris.target_names], accuracy


def build_artifact(model: Pipeline, class_names: list[str], accuracy: float) -> dict[str, Any]:
    """The dict that goes into model.joblib and that the API expects to load."""
    return {
        "estimator": model,
        "feature_names": list(FEATURE_NAMES),
        "class_names": class_names,
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "sklearn_version": sklearn.__version__,
        "test_accuracy": accuracy,
    }


def new_key(prefix: str, now: float | None = None) -> str:
    """The S3 key of a newly trained model under ``prefix``: one per run, by UTC time."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return f"{prefix.strip('/')}/model-{stamp}.joblib".lstrip("/")


def upload(path: Path, destination: str, now: float | None = None) -> str:
    """Upload the artifact at ``path`` under a new key of ``destination`` (s3://bucket/prefix/);
    return its URI."""
    parsed = urlparse(destination)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"--upload takes s3://BUCKET/PREFIX/, not {destination!r}")
    import boto3  # only the upload needs AWS

    key = new_key(parsed.path, now)
    boto3.client("s3").upload_file(str(path), parsed.netloc, key)
    return f"s3://{parsed.netloc}/{key}"


def _timed_out(signum: int, frame: FrameType | None) -> None:
    print(f"stopped: the run took longer than {os.environ.get(TIMEOUT_ENV)} s", file=sys.stderr)
    raise SystemExit(TIMED_OUT)


def keep_timeout() -> int | None:
    """Stop the run with exit code 124 after ECSDEPLOY_TIMEOUT_SECONDS, when set."""
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    if not value.isdigit() or int(value) <= 0:
        return None
    signal.signal(signal.SIGALRM, _timed_out)
    signal.alarm(int(value))
    return int(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=None,
        help=f"where to write the artifact (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--upload",
        metavar="S3_PREFIX",
        help="upload the artifact to s3://BUCKET/PREFIX/model-<UTC time>.joblib",
    )
    args = parser.parse_args(argv)
    keep_timeout()

    model, class_names, accuracy = train()
    artifact = build_artifact(model, class_names, accuracy)
    print(f"test accuracy: {accuracy:.3f}")
    if args.upload:
        with tempfile.TemporaryDirectory(prefix="model-") as tmp:
            path = args.output or Path(tmp) / "model.joblib"
            path.parent.mkdir(parents=True, exist_ok=True)
            joblib.dump(artifact, path)
            try:
                uri = upload(path, args.upload)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        print(f"uploaded {uri}")
        return 0
    output = args.output or DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, output)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
