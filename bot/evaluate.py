"""Evaluate a model on labelled messages with the same policy the chat uses.

Report keys (fractions in [0, 1]; ``None`` where a share has no base, e.g. ``oos_recall`` without
out-of-scope messages), overall and under ``per_locale``:

- ``in_scope_accuracy``: in-scope messages whose top intent is right (thresholds ignored);
- ``answer_rate``: in-scope messages the bot acted on directly with the right intent
  (an answer, or the handoff a visitor asked for);
- ``answer_precision``: of all direct actions on an intent, the share that was right;
- ``clarify_rate``: messages answered with "did you mean ...?" (of all messages);
- ``oos_recall`` / ``oos_false_accept_rate``: out-of-scope messages not answered / answered;
- ``oos_auroc``: how well the confidence separates in-scope from out-of-scope messages;
- ``macro_f1``: macro F1 over the in-scope intents, a message not acted on counting as "oos";
- ``train_seconds``, ``predict_ms_p50``, ``predict_ms_p99``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bot.data import OOS, Intent
from bot.model import FaqModel, Prediction
from bot.policy import PolicyConfig, decide
from bot.traffic import estimate_shares

REPORT_KEYS = (
    "n_test",
    "in_scope_accuracy",
    "answer_rate",
    "answer_precision",
    "clarify_rate",
    "oos_recall",
    "oos_false_accept_rate",
    "macro_f1",
    "train_seconds",
    "predict_ms_p50",
    "predict_ms_p99",
)


@dataclass
class Outcome:
    """One test message and what the bot made of it."""

    truth: str
    locale: str
    top: str | None
    acted: str | None  # the intent the bot acted on directly, if any
    decision: str
    confidence: float
    latency_ms: float


def with_stand_in_answers(intents: dict[str, Intent]) -> dict[str, Intent]:
    """Intent sets that carry no answer at all (public benchmarks, JSON lines of examples) get a stand-in
    answer per locale: the policy never answers an intent without one, so the answer rate would read 0%
    instead of measuring the classifier. An FAQ where some intents have answers is evaluated as it is."""
    if any(intent.answers for intent in intents.values()):
        return intents
    return {
        iid: replace(i, answers={loc: f"(the answer of {iid})" for loc in i.examples}) for iid, i in intents.items()
    }


def run(
    model: FaqModel,
    rows: Iterable[dict[str, str]],
    *,
    policy: PolicyConfig | None = None,
    follow_traffic: bool = True,
) -> list[Outcome]:
    """Predict and decide every test row, one message at a time as in a chat.

    The test messages play the bot's recent traffic: as the chat does, the out-of-scope share of each
    locale is estimated from their confidence scores (never their labels) and the thresholds follow
    it (``follow_traffic=False`` keeps the configured share).
    """
    rows = list(rows)
    intents = with_stand_in_answers(model.intents)
    predictions = [model.predict(row["text"], locale=row.get("locale")) for row in rows]
    if follow_traffic:
        model = model.with_traffic(traffic_shares(model, predictions))
    outcomes = []
    for row, prediction in zip(rows, predictions, strict=True):
        model.rethreshold(prediction)
        decision = decide(prediction, intents, config=policy)
        top = prediction.top
        outcomes.append(
            Outcome(
                truth=row["intent"],
                locale=row.get("locale") or prediction.locale,
                top=top.intent if top else None,
                acted=decision.intent,
                decision=decision.type,
                confidence=prediction.confidence,
                latency_ms=prediction.latency_ms,
            )
        )
    return outcomes


def traffic_shares(model: FaqModel, predictions: list[Prediction]) -> dict[str, float]:
    """Each locale's out-of-scope share estimated from the confidence of its predictions."""
    scores: dict[str, list[float]] = {}
    for p in predictions:
        scores.setdefault(p.locale, []).append(p.confidence)
    return estimate_shares(model, scores)


def report(
    outcomes: list[Outcome],
    *,
    train_seconds: float,
    train_seconds_per_locale: dict[str, float] | None = None,
    model_version: str | None = None,
) -> dict[str, Any]:
    """Overall and per-locale metrics of evaluated outcomes."""
    out = _metrics(outcomes, train_seconds)
    per_locale_train = train_seconds_per_locale or {}
    out["per_locale"] = {
        loc: _metrics([o for o in outcomes if o.locale == loc], per_locale_train.get(loc, train_seconds))
        for loc in sorted({o.locale for o in outcomes})
    }
    if model_version:
        out["model_version"] = model_version
    return out


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _metrics(outcomes: list[Outcome], train_seconds: float) -> dict[str, Any]:
    # Imported here: bot.runtime imports this module, and a serving process never needs scikit-learn.
    from sklearn.metrics import f1_score, roc_auc_score

    in_scope = [o for o in outcomes if o.truth != OOS]
    oos = [o for o in outcomes if o.truth == OOS]
    acted = [o for o in outcomes if o.acted is not None]
    oos_answered = sum(o.acted is not None for o in oos)
    labels = sorted({o.truth for o in in_scope})
    latencies = np.array([o.latency_ms for o in outcomes]) if outcomes else np.zeros(1)
    auroc = None
    if in_scope and oos:
        auroc = float(roc_auc_score([o.truth != OOS for o in outcomes], [o.confidence for o in outcomes]))
    return {
        "n_test": len(outcomes),
        "in_scope_accuracy": _share(sum(o.top == o.truth for o in in_scope), len(in_scope)),
        "answer_rate": _share(sum(o.acted == o.truth for o in in_scope), len(in_scope)),
        "answer_precision": _share(sum(o.acted == o.truth for o in acted), len(acted)),
        "clarify_rate": _share(sum(o.decision == "clarify" for o in outcomes), len(outcomes)),
        "oos_recall": _share(len(oos) - oos_answered, len(oos)),
        "oos_false_accept_rate": _share(oos_answered, len(oos)),
        "macro_f1": float(
            f1_score(
                [o.truth for o in outcomes],
                [o.acted or OOS for o in outcomes],
                labels=labels,
                average="macro",
                zero_division=0,
            )
        )
        if labels
        else None,
        "train_seconds": round(float(train_seconds), 3),
        "predict_ms_p50": round(float(np.percentile(latencies, 50)), 3),
        "predict_ms_p99": round(float(np.percentile(latencies, 99)), 3),
        "n_in_scope": len(in_scope),
        "n_oos": len(oos),
        "oos_auroc": auroc,
        "best_answer_rate_at_90": best_answer_rate(outcomes, 0.90),
    }


def best_answer_rate(outcomes: list[Outcome], precision: float) -> float | None:
    """The highest share of in-scope rows answered right by answering every row above some confidence, among
    the thresholds whose answers reach ``precision``: what the confidence ranking allows, whatever the
    threshold the bot chose."""
    in_scope = np.array([o.truth != OOS for o in outcomes], dtype=bool)
    if not in_scope.any():
        return None
    right = np.array([o.truth != OOS and o.top == o.truth for o in outcomes], dtype=bool)
    return best_rate(np.array([o.confidence for o in outcomes]), right, in_scope, precision)


def best_rate(
    confidence: np.ndarray, right: np.ndarray, in_scope: np.ndarray, precision: float, weights: np.ndarray | None = None
) -> float:
    """``best_answer_rate`` on arrays: rows' confidence, whether their top intent is right (in-scope rows only)
    and whether they are in scope, each row counting ``weights`` in the precision (1 without)."""
    order = np.argsort(-confidence, kind="stable")
    w = (np.ones(len(confidence)) if weights is None else weights)[order]
    hits = right[order]
    reaching = np.flatnonzero(np.cumsum(w * hits) / np.cumsum(w) >= precision - 1e-9)
    return float(hits[: reaching[-1] + 1].sum() / max(int(in_scope.sum()), 1)) if len(reaching) else 0.0


def format_table(result: dict[str, Any]) -> str:
    """The report as a readable table: one row overall, one per locale."""
    columns = [
        ("n", "n_test"),
        ("accuracy", "in_scope_accuracy"),
        ("answered", "answer_rate"),
        ("precision", "answer_precision"),
        ("clarify", "clarify_rate"),
        ("oos recall", "oos_recall"),
        ("oos auroc", "oos_auroc"),
        ("macro F1", "macro_f1"),
        ("p50 ms", "predict_ms_p50"),
        ("p99 ms", "predict_ms_p99"),
    ]
    rows = [("all", result)] + list(result["per_locale"].items())
    header = f"{'locale':<8}" + "".join(f"{title:>11}" for title, _ in columns)
    lines = [header, "-" * len(header)]
    for name, metrics in rows:
        cells = []
        for _, key in columns:
            value = metrics.get(key)
            if value is None:
                cells.append(f"{'-':>11}")
            elif key == "n_test":
                cells.append(f"{value:>11d}")
            elif key.startswith("predict_ms"):
                cells.append(f"{value:>11.1f}")
            else:
                cells.append(f"{100 * value:>10.1f}%" if key != "oos_auroc" else f"{value:>11.3f}")
        lines.append(f"{name:<8}" + "".join(cells))
    lines.append(f"train {result['train_seconds']:.1f} s")
    return "\n".join(lines)
