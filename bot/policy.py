"""The decision policy: what the bot does with a prediction.

- ``answer``  the acceptor is confident the top intent is right (a handoff intent hands off instead);
- ``clarify`` not confident in one intent, but confident the right one is among two or three close
  candidates: "Did you mean ...?"; or, with one option, fairly sure of the top intent but short of
  the answer threshold (a confirmation instead of silence: "Did you mean <top>?");
- ``suggest`` not confident, or the top intent has no answer in the locale yet: offer help-center
  articles, a rephrase and a person (offered, not forced); and, where the right intent is fairly likely
  among the top candidates though not likely enough to ask about them alone, those candidates, which the
  caller offers beside any articles it finds (``Decision.related``: "Did you mean: ...");
- ``handoff`` the visitor asked for a person, or the conversation failed ``handoff_after_failures``
  times in a row and this time there is nothing to suggest either (``Decision.escalate``: the caller,
  who searches the articles, makes that last call with ``escalated``).

A miss never pushes a visitor into the handoff form while something useful can still be offered: a
Dutch visitor once got the form on their third message for a question the help center answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from bot.data import Intent
from bot.model import Prediction

DecisionType = Literal["answer", "clarify", "suggest", "handoff"]


@dataclass(frozen=True)
class PolicyConfig:
    """Knobs of the policy (the thresholds themselves come with the prediction)."""

    clarify_ratio: float = 0.3
    clarify_max_options: int = 3
    handoff_after_failures: int = 2


@dataclass(frozen=True)
class ConversationState:
    """What the policy needs to know about the conversation so far."""

    failures: int = 0  # consecutive turns the bot did not understand


@dataclass
class Decision:
    """The bot's move for one message."""

    type: DecisionType
    locale: str
    intent: str | None = None  # set only when the bot acts on one intent (answer, requested handoff)
    confidence: float | None = None
    options: list[str] = field(default_factory=list)
    answer: str | None = None
    article: str | None = None
    counts_as_question: bool = True
    reason: str = ""
    # A suggestion after repeated misses: if no article can be suggested either, hand off instead.
    escalate: bool = False
    # A suggestion for a question the bot recognised but has no answer to in the locale yet: the visitor
    # is told so, not that they were misunderstood.
    unanswered: bool = False
    # A suggestion's likeliest intents, offered beside its articles when one of them is fairly surely right.
    related: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether this turn counts as the bot not understanding."""
        return self.type == "suggest"


def decide(
    prediction: Prediction,
    intents: dict[str, Intent],
    *,
    state: ConversationState | None = None,
    config: PolicyConfig | None = None,
) -> Decision:
    """Turn a prediction into an answer, a clarifying question, suggestions or a handoff."""
    state = state or ConversationState()
    config = config or PolicyConfig()
    top = prediction.top
    loc = prediction.locale
    if top is None:
        return _fail(Decision("suggest", loc, reason="no intents"), state, config)
    intent = intents[top.intent]
    # An intent nobody wrote the answer of in this locale yet (imported from Rasa or a spreadsheet, or
    # not translated) is never an "answer" without text, nor confirmed: articles or a person instead.
    answered = intent.kind == "handoff" or bool(intent.answers.get(loc))
    bar = prediction.threshold
    if intent.kind != "faq" and prediction.builtin_threshold is not None:
        bar = min(bar, prediction.builtin_threshold)  # see Prediction.builtin_threshold
    if not answered and prediction.confidence >= bar:
        unanswered = Decision(
            "suggest",
            loc,
            confidence=prediction.confidence,
            options=_faq_candidates(prediction, intents),
            article=intent.article,
            reason=f"no answer in '{loc}' yet",
            unanswered=True,
        )
        return _fail(unanswered, state, config)
    if prediction.confidence >= bar:
        if intent.kind == "handoff":
            return Decision(
                "handoff",
                loc,
                intent.id,
                prediction.confidence,
                answer=intent.answers.get(loc),
                reason="visitor asked for a person",
            )
        return Decision(
            "answer",
            loc,
            intent.id,
            prediction.confidence,
            answer=intent.answers.get(loc),
            article=intent.article,
            counts_as_question=intent.kind == "faq",
            reason="confident",
        )
    options = _close_options(prediction, intents, config)
    if len(options) >= 2 and prediction.options_confidence >= prediction.options_threshold:
        return Decision(
            "clarify", loc, confidence=prediction.confidence, options=options, reason="top intents are close"
        )
    if answered and intent.kind == "faq" and prediction.confidence >= prediction.confirm_threshold:
        return Decision(
            "clarify", loc, confidence=prediction.confidence, options=[intent.id], reason="fairly sure: confirm"
        )
    related = []
    if prediction.options_confidence >= prediction.related_threshold:
        related = _answerable(prediction, intents, config)
    suggest = Decision(
        "suggest",
        loc,
        confidence=prediction.confidence,
        options=_faq_candidates(prediction, intents),
        reason="not confident",
        related=related,
    )
    return _fail(suggest, state, config)


def _faq_candidates(prediction: Prediction, intents: dict[str, Intent]) -> list[str]:
    """The FAQ intents among the candidates: what a suggestion searches articles for."""
    return [c.intent for c in prediction.candidates if intents[c.intent].kind == "faq"]


def _close_options(prediction: Prediction, intents: dict[str, Intent], config: PolicyConfig) -> list[str]:
    """The answerable candidates within ``clarify_ratio`` of the best one."""
    best = prediction.candidates[0].probability
    close = {c.intent for c in prediction.candidates if c.probability >= config.clarify_ratio * best}
    return [i for i in _answerable(prediction, intents, config) if i in close]


def _answerable(prediction: Prediction, intents: dict[str, Intent], config: PolicyConfig) -> list[str]:
    """The top candidates worth offering: small talk never is, nor an intent without an answer in the locale
    (choosing it would lead nowhere)."""
    return [
        c.intent
        for c in prediction.candidates[: config.clarify_max_options]
        if intents[c.intent].kind != "smalltalk"
        and (intents[c.intent].kind == "handoff" or intents[c.intent].answers.get(prediction.locale))
    ]


def _fail(decision: Decision, state: ConversationState, config: PolicyConfig) -> Decision:
    if state.failures + 1 >= config.handoff_after_failures:
        decision.escalate = True
        decision.reason = f"not understood {state.failures + 1} times in a row"
    return decision


def escalated(decision: Decision) -> Decision:
    """The suggestion of a repeatedly failing conversation had nothing to offer: hand off to a person."""
    if decision.type != "suggest" or not decision.escalate:
        return decision
    return replace(decision, type="handoff", reason=f"{decision.reason}, nothing to suggest")
