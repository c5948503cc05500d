"""The response of ``GET /api/v1/admin/metrics``: the dashboard's numbers, definitions included."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from support.metrics import DAILY_DEFINITIONS, Metrics


class FigureOut(BaseModel):
    """One figure. Rates are fractions in [0, 1]; times are minutes; an empty base gives null."""

    key: str
    section: str
    label: str
    value: int | float | None
    unit: Literal["count", "rate", "minutes", "ratio"]
    definition: str


class TableOut(BaseModel):
    """A ranked list; each row has one value per column."""

    key: str
    label: str
    definition: str
    columns: list[str]
    rows: list[list[str | int | float | None]]


class DayOut(BaseModel):
    """One local day of the daily series."""

    day: date
    conversations: int
    with_question: int
    resolved: int
    handed_off: int
    ratings: int
    automated_resolution_rate: float | None
    handoff_rate: float | None
    csat: float | None


class LocalePrecisionOut(BaseModel):
    """The bot's own view of one locale: the out-of-scope share it estimates and what it expects."""

    locale: str
    turns: int = Field(description="recent turns behind the estimate")
    oos_share: float = Field(description="estimated out-of-scope share of the locale's traffic")
    threshold: float = Field(description="answer threshold in force (above 1: answers nothing)")
    expected_precision: float = Field(
        description="answer precision the bot expects at that share and threshold: its calibration's, pooled with "
        "what reviewers found of answers above the threshold"
    )
    reviewed: float = Field(
        description="reviewed turns behind the share and the threshold (answer review; effective number, as "
        "sampling weights them)"
    )


class AnswerPrecisionOut(BaseModel):
    """Answer precision three ways: the operator's target, the bot's own estimate, the measured one."""

    target: float
    estimates: list[LocalePrecisionOut]
    reviewed: int = Field(description="reviewed answers in the range (answer review)")
    measured: float | None = Field(description="share of reviewed answers that were right, weighted by sampling")
    measured_low: float | None = Field(description="95% Wilson interval, lower end")
    measured_high: float | None = Field(description="95% Wilson interval, upper end")


class MetricsOut(BaseModel):
    """Every dashboard figure for the range (local days, both ends included) and locale."""

    start: date
    end: date
    locale: str | None = Field(description="null: every locale")
    timezone: str
    generated_at: datetime
    figures: dict[str, FigureOut]
    tables: dict[str, TableOut]
    daily: list[DayOut]
    daily_definitions: dict[str, str]
    answer_precision: AnswerPrecisionOut | None = None

    @classmethod
    def of(cls, metrics: Metrics) -> MetricsOut:
        """The response for computed metrics."""
        return cls(
            start=metrics.start,
            end=metrics.end,
            locale=metrics.locale,
            timezone=metrics.timezone,
            generated_at=metrics.generated_at,
            figures={
                k: FigureOut(
                    key=f.key, section=f.section, label=f.label, value=f.value, unit=f.unit, definition=f.definition
                )
                for k, f in metrics.figures.items()
            },
            tables={
                k: TableOut(
                    key=t.key,
                    label=t.label,
                    definition=t.definition,
                    columns=list(t.columns),
                    rows=[list(r) for r in t.rows],
                )
                for k, t in metrics.tables.items()
            },
            daily=[
                DayOut(
                    day=d.day,
                    conversations=d.conversations,
                    with_question=d.with_question,
                    resolved=d.resolved,
                    handed_off=d.handed_off,
                    ratings=d.ratings,
                    automated_resolution_rate=d.automated_resolution_rate,
                    handoff_rate=d.handoff_rate,
                    csat=d.csat,
                )
                for d in metrics.daily
            ],
            daily_definitions=dict(DAILY_DEFINITIONS),
        )
