"""FastAPI app serving the iris classifier under /api.

The load balancer forwards ``/api/*`` unchanged, so every route (docs included) lives
under /api. The model is loaded once at startup from MODEL_URI (see app.model_store);
if that fails the app still starts, /api/health answers 503 with the reason and
/api/predict answers 503, so the failure is visible in the target group's health.

    uvicorn app.main:app --port 8000
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.model_store import LoadedModel, ModelLoadError, load_model, model_uri_from_env

logger = logging.getLogger("uvicorn.error")

Measurement = Annotated[float, Field(gt=0, lt=100, description="centimetres, 0 < x < 100")]


class IrisFeatures(BaseModel):
    """One flower's measurements in centimetres."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
            ]
        },
    )

    sepal_length: Measurement
    sepal_width: Measurement
    petal_length: Measurement
    petal_width: Measurement

    def row(self) -> list[float]:
        return [self.sepal_length, self.sepal_width, self.petal_length, self.petal_width]


class Prediction(BaseModel):
    species: str
    probabilities: dict[str, float]


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[IrisFeatures] = Field(min_length=1, max_length=1000)


class BatchPrediction(BaseModel):
    predictions: list[Prediction]


def create_app(model_uri: str | None = None) -> FastAPI:
    """Build the app; the model is loaded at startup from ``model_uri`` or MODEL_URI."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        uri = model_uri or model_uri_from_env()
        app.state.model, app.state.load_error = None, None
        try:
            app.state.model = load_model(uri)
            logger.info("model loaded: %s", app.state.model.info())
        except ModelLoadError as exc:
            app.state.load_error = str(exc)
            logger.error("model not loaded: %s", exc)
        yield

    app = FastAPI(
        title="Iris model API",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )

    def current_model(request: Request) -> LoadedModel:
        model: LoadedModel | None = getattr(request.app.state, "model", None)
        if model is None:
            reason = getattr(request.app.state, "load_error", None) or "model not loaded"
            raise HTTPException(status_code=503, detail=f"model unavailable: {reason}")
        return model

    @app.get("/api/health")
    def health(request: Request) -> JSONResponse:
        model: LoadedModel | None = getattr(request.app.state, "model", None)
        if model is None:
            reason = getattr(request.app.state, "load_error", None) or "model not loaded"
            return JSONResponse(status_code=503, content={"status": "error", "reason": reason})
        return JSONResponse(content={"status": "ok", "model": model.info()})

    @app.post("/api/predict", response_model=Prediction)
    def predict(features: IrisFeatures, request: Request) -> Prediction:
        return _predict(current_model(request), [features])[0]

    @app.post("/api/predict/batch", response_model=BatchPrediction)
    def predict_batch(batch: BatchRequest, request: Request) -> BatchPrediction:
        return BatchPrediction(predictions=_predict(current_model(request), batch.instances))

    return app


def _predict(model: LoadedModel, rows: list[IrisFeatures]) -> list[Prediction]:
    probabilities = model.estimator.predict_proba(np.array([row.row() for row in rows]))
    return [
        Prediction(
            species=model.labels[int(np.argmax(p))],
            probabilities={label: float(v) for label, v in zip(model.labels, p, strict=True)},
        )
        for p in probabilities
    ]


app = create_app()
