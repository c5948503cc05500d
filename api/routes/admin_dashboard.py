"""The dashboard: every DESIGN.md section 3 figure for a date range and locale, as a page, CSV and JSON."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.admin_ui import page, secure_headers, ui_locale
from api.auth import UserDep, api_user
from api.deps import OptionalModelDep, SessionDep, SettingsDep
from api.metrics_schemas import AnswerPrecisionOut, LocalePrecisionOut, MetricsOut
from api.params import OptionalDay
from core.accounts import User
from core.i18n import DEFAULT_UI_LOCALE, gettext_for
from core.settings import Settings
from support import metrics, review, traffic
from support.hours import business_hours
from support.metrics import DAILY_DEFINITIONS, Metrics

router = APIRouter()
DEFAULT_DAYS = 30

StartQuery = Annotated[OptionalDay, Query(description="first local day, YYYY-MM-DD (default: 29 days ago)")]
EndQuery = Annotated[OptionalDay, Query(description="last local day, YYYY-MM-DD (default: today)")]
LocaleQuery = Annotated[str, Query(max_length=16, description="one locale; empty: all")]


def _filters(settings: Settings, start: date | None, end: date | None, locale: str) -> tuple[date, date, str | None]:
    """The range and locale asked for; bad input is a 422 with a message, never a 500."""
    last = end or datetime.now(metrics.zone(settings.timezone)).date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    loc = settings.locale_filter(locale)
    metrics.check_range(first, last)
    return first, last, loc


def _metrics(
    session: SessionDep,
    settings: SettingsDep,
    start: StartQuery = None,
    end: EndQuery = None,
    locale: LocaleQuery = "",
) -> Metrics:
    """The figures for the range and locale the query string asks for: the page, the CSV and the API
    take the same filters. Declared after the user, so a stranger is refused before anything is computed."""
    first, last, loc = _filters(settings, start, end, locale)
    hours = business_hours(settings)
    return metrics.compute(session, start=first, end=last, locale=loc, tz=settings.timezone, hours=hours)


MetricsDep = Annotated[Metrics, Depends(_metrics)]


def display(figure_unit: str, value: int | float | None, locale: str = DEFAULT_UI_LOCALE) -> str:
    """A value as the dashboard shows it, in the reader's number format ("12,5 %"); an empty base is a dash."""
    if value is None:
        return "—"
    _ = gettext_for(locale)
    if figure_unit == "rate":
        return format_decimal(value * 100, "0.0", locale=locale) + "\u00a0%"  # no line break inside a figure
    if figure_unit == "minutes":
        return format_decimal(value, "0.0", locale=locale) + "\u00a0" + _("min")
    if figure_unit == "ratio":
        return format_decimal(value, "0.00", locale=locale)
    return str(value)


def _percent(value: float | None) -> float | None:
    return round(value * 100, 2) if value is not None else None


def _series(m: Metrics) -> dict[str, object]:
    """The daily series for the charts (rates in percent; null where the day has no base)."""
    return {
        "labels": [d.day.isoformat() for d in m.daily],
        "conversations": [d.conversations for d in m.daily],
        "automated_resolution_rate": [_percent(d.automated_resolution_rate) for d in m.daily],
        "handoff_rate": [_percent(d.handoff_rate) for d in m.daily],
        "csat": [_percent(d.csat) for d in m.daily],
    }


@router.get("/admin/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard(
    request: Request,
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    m: MetricsDep,
) -> Response:
    """The dashboard page for any signed-in role."""
    language = ui_locale(request, user)
    context = {
        "m": m,
        "precision": traffic.describe(session, model),
        "measured": _measured(session, m, settings),
        "target_precision": settings.target_precision,
        "fixed_threshold": settings.answer_threshold,
        "fmt": lambda f: display(f.unit, f.value, language),
        "percent": lambda v: display("rate", v, language),
        "series": _series(m),
        "daily_definitions": DAILY_DEFINITIONS,
        "locales": settings.locales,
        "filters": {"start": m.start.isoformat(), "end": m.end.isoformat(), "locale": m.locale or ""},
    }
    return page(request, "admin/dashboard.html", context, user=user)


def _measured(session: SessionDep, m: Metrics, settings: Settings) -> review.Measured:
    """Answer precision on reviewed turns of the dashboard's range and locale."""
    low, high = metrics.utc_bounds(m.start, m.end, metrics.zone(settings.timezone))
    return review.measured_precision(session, since=low, until=high, locale=m.locale)


def _safe(cell: object) -> object:
    # Visitors typed the search queries: a leading = + - @ would run as a formula in a spreadsheet.
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def _blank(value: object) -> object:
    return "" if value is None else value


def to_csv(m: Metrics) -> str:
    """Every number in one tidy table: kind, key, label, item, column, value, definition."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["kind", "key", "label", "item", "column", "value", "definition"])
    scope = f"{m.start.isoformat()}..{m.end.isoformat()} {m.locale or 'all locales'} ({m.timezone})"
    writer.writerow(["range", "range", "Range", scope, "", "", "Local days, both ends included."])
    for f in m.figures.values():
        writer.writerow(["figure", f.key, f.label, "", f.unit, _blank(f.value), f.definition])
    for t in m.tables.values():
        for row in t.rows:
            for column, cell in zip(t.columns[1:], row[1:], strict=True):
                writer.writerow(["table", t.key, t.label, _safe(row[0]), column, _safe(_blank(cell)), t.definition])
    for d in m.daily:
        values: dict[str, int | float | None] = {
            "conversations": d.conversations,
            "automated_resolution_rate": d.automated_resolution_rate,
            "handoff_rate": d.handoff_rate,
            "csat": d.csat,
        }
        for key, value in values.items():
            label = key.replace("_", " ")
            writer.writerow(["daily", key, label, d.day.isoformat(), "", _blank(value), DAILY_DEFINITIONS[key]])
    return out.getvalue()


@router.get("/admin/dashboard.csv", include_in_schema=False)
def dashboard_csv(user: UserDep, m: MetricsDep) -> Response:
    """The dashboard's numbers as CSV, with the same filters."""
    name = f"faqdesk-metrics-{m.start.isoformat()}-{m.end.isoformat()}{'-' + m.locale if m.locale else ''}.csv"
    response = Response(
        to_csv(m).encode("utf-8-sig"),  # the BOM makes spreadsheet programs read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    return secure_headers(response)


@router.get("/api/v1/admin/metrics", response_model=MetricsOut, tags=["admin"])
def metrics_api(
    user: Annotated[User, Depends(api_user)],
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    m: MetricsDep,
) -> MetricsOut:
    """The dashboard's numbers with their definitions (any working API token: an editor's or an admin's)."""
    measured = _measured(session, m, settings)
    estimates = [LocalePrecisionOut(**asdict(e)) for e in traffic.describe(session, model)]
    precision = AnswerPrecisionOut(
        target=settings.target_precision,
        estimates=estimates,
        reviewed=measured.reviewed,
        measured=measured.precision,
        measured_low=measured.low,
        measured_high=measured.high,
    )
    return MetricsOut.of(m).model_copy(update={"answer_precision": precision})
