"""``/metrics``: Prometheus text for the operator's scraper (not in the API docs; access in api/observability.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from api import observability
from api.deps import SettingsDep

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request, settings: SettingsDep) -> Response:
    """Every server process's request latency and bot decisions, queue depths and model versions."""
    observability.check_metrics_access(request, settings)
    return Response(observability.scrape(request.app), media_type=CONTENT_TYPE_LATEST)
