"""The intents editor's "try a phrase": what the bot in service would do with a message, and why.

Editors check a new example or a visitor's wording against the model that is serving, before and
after a retrain. It runs the same ``predict`` and ``policy.decide`` as a chat turn, on a fresh
conversation (no earlier misses), and writes nothing: no conversation, no metrics, no review sample.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import FaqModel, Prediction
from bot.policy import Decision, PolicyConfig, decide
from core.errors import ValidationError

MAX_PHRASE = 500  # a chat message may be longer, but a phrase to try is a question


@dataclass(frozen=True)
class Candidate:
    """One intent the classifier considered, with what the editor needs to recognise it."""

    intent: str
    kind: str
    title: str
    probability: float
    has_answer: bool  # in the phrase's locale


@dataclass(frozen=True)
class Trial:
    """The bot's decision for one phrase and what lies behind it."""

    text: str
    prediction: Prediction
    decision: Decision
    candidates: list[Candidate]
    model_version: str

    @property
    def margin(self) -> float:
        """How far the confidence is above (or, negative, below) the answer threshold."""
        return self.prediction.confidence - self.prediction.threshold


def try_phrase(model: FaqModel, *, text: str, locale: str | None, config: PolicyConfig) -> Trial:
    """Classify ``text`` (in ``locale``, or detected when None) and decide as a first chat turn would."""
    text = " ".join(text.split())
    if not text:
        raise ValidationError("type a phrase to try")
    if len(text) > MAX_PHRASE:
        raise ValidationError(f"a phrase to try is at most {MAX_PHRASE} characters")
    prediction = model.predict(text, locale=locale)
    decision = decide(prediction, model.intents, config=config)
    loc = prediction.locale
    candidates = []
    for candidate in prediction.candidates:
        intent = model.intents.get(candidate.intent)
        if intent is None:
            continue
        candidates.append(
            Candidate(
                intent=intent.id,
                kind=intent.kind,
                title=intent.label(loc),
                probability=candidate.probability,
                has_answer=bool(intent.answers.get(loc)),
            )
        )
    return Trial(text, prediction, decision, candidates, model.version)
