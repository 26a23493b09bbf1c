"""Train the iris classifier that the example API serves.

Fits a standardised logistic regression on the iris data set that scikit-learn ships
(no download), prints its accuracy on a held-out split, and writes one joblib artifact:
a dict with the fitted estimator, the feature names (in the API's field order), the
class names and a little metadata. Deterministic: the split and the model use a fixed seed.

    python train.py [OUTPUT]     # OUTPUT defaults to model.joblib next to this script
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the artifact (default: {DEFAULT_OUTPUT})",
    )
    args = parser.parse_args(argv)

    model, class_names, accuracy = train()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(build_artifact(model, class_names, accuracy), args.output)
    print(f"test accuracy: {accuracy:.3f}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
