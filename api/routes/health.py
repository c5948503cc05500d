"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import OptionalModelDep, SessionDep
from support import training

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    """Whether this process can serve: ``ok``, or ``unavailable`` with the reason in ``detail``."""

    status: str
    detail: str | None = None
    model_version: str | None = None
    active_version: str | None = None
    # Suggestions' article vectors: "building" right after a start (answers come meanwhile, but a cold
    # first build keeps a core busy), "ready", or "on first use" (no encoder, or the warm-up failed).
    article_vectors: str | None = None


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request, session: SessionDep, model: OptionalModelDep) -> JSONResponse:
    """The database answers and a model is loaded."""
    try:
        active = training.active_version(session)  # a query: the database answers
    except Exception as exc:  # any driver error means not ready
        return JSONResponse({"status": "unavailable", "detail": f"database: {type(exc).__name__}"}, status_code=503)
    if model is None:
        return JSONResponse({"status": "unavailable", "detail": "no trained model"}, status_code=503)
    # model_version is what this process serves; active_version what the database says every process
    # should serve (they differ for a few seconds after a retrain, or while a version fails to load here).
    vectors = getattr(request.app.state, "article_vectors", None)
    return JSONResponse(
        {"status": "ok", "model_version": model.version, "active_version": active, "article_vectors": vectors}
    )
