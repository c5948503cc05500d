"""What the bot says for a decision: the text, the option buttons and the article links; and what a click on
an option means.

``support.conversations`` decides each turn and stores it; this composes the reply from the decision
(reading the help center, never writing) and resolves option clicks against the last bot message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from bot.model import FaqModel
from bot.policy import Decision, escalated
from core.errors import ConflictError
from helpcenter import public
from support import suggest
from support.models import Conversation, Message, Sender
from support.replies import reply

SUGGESTED_ARTICLES = 3


def choose_option(
    session: Session, *, conversation: Conversation, model: FaqModel, option: str
) -> tuple[str, Decision]:
    """A click on a "Did you mean?" option (of a clarifying question, or beside a suggestion's articles)
    resolves as if the visitor had asked that intent."""
    last_bot = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.sender == Sender.bot)
        .order_by(col(Message.id).desc())
    ).first()
    offering = last_bot is not None and last_bot.decision in ("clarify", "suggest")
    offered = {o["intent"]: o for o in (last_bot.options if last_bot is not None and offering else [])}
    if option not in offered or option not in model.intents:
        raise ConflictError(f"{option!r} was not one of the options offered last")
    intent = model.intents[option]
    answer_locale = _answer_locale(intent.answers, str(offered[option].get("locale") or conversation.locale))
    decision = Decision(
        "handoff" if intent.kind == "handoff" else "answer",
        answer_locale,
        intent.id,
        None,
        answer=intent.answers.get(answer_locale),
        article=intent.article,
        counts_as_question=intent.kind == "faq",
        reason="visitor chose this option",
    )
    return str(offered[option]["label"]), decision


def _answer_locale(answers: dict[str, str], locale: str) -> str:
    return locale if locale in answers else next(iter(answers), locale)


def _article_link(session: Session, *, slug: str | None, locale: str) -> list[dict[str, object]]:
    if not slug:
        return []
    found = public.published_link(session, locale=locale, slug=slug)
    if found is None:
        return []
    title, current = found
    return [{"title": title, "url": f"/hc/{locale}/articles/{current}"}]


@dataclass(frozen=True)
class Said:
    decision: Decision  # the policy's, or the handoff it became when a last suggestion had nothing to offer
    text: str
    options: list[dict[str, object]]
    articles: list[dict[str, object]]


def compose(
    session: Session, *, model: FaqModel, decision: Decision, query: str, vector: np.ndarray | None = None
) -> Said:
    """The bot's text, options and article links for a decision (reads only); ``vector`` is the query's
    encoding when the model made one."""
    loc = decision.locale
    options: list[dict[str, object]] = []
    articles: list[dict[str, object]] = []
    if decision.type == "answer":
        text = decision.answer or reply(loc, "suggest_empty")
        articles = _article_link(session, slug=decision.article, locale=loc)
    elif decision.type == "clarify":
        text = reply(loc, "clarify" if len(decision.options) > 1 else "confirm")
        options = _options(model, decision.options, loc)
    elif decision.type == "suggest":
        guesses = [slug for i in decision.options if (slug := model.intents[i].article)]
        found = suggest.suggest(
            session,
            query=query,
            locale=loc,
            encoder=model.encoder_for(loc),
            guesses=guesses,
            limit=SUGGESTED_ARTICLES,
            query_vector=vector,
        )
        articles = [
            {"title": s.article.title, "url": f"/hc/{loc}/articles/{s.article.slug}", "snippet": s.snippet_html}
            for s in found
        ]
        if not articles and decision.escalate:  # missed again with nothing to offer: a person takes over
            return compose(session, model=model, decision=escalated(decision), query=query, vector=vector)
        # The likeliest intents go beside articles only: an article found means the question is on the help
        # center's subject (support.suggest's relevance floor), which keeps them from weather questions.
        options = _options(model, decision.related, loc) if articles else []
        key = "unanswered" if decision.unanswered else "suggest"  # recognised, no answer yet: say so
        text = reply(loc, key if articles else f"{key}_empty")
    else:  # handoff: asked for (the intent's own answer) or after repeated failures
        text = decision.answer or reply(loc, "handoff_failures" if decision.intent is None else "handoff")
    return Said(decision, text, options, articles)


def _options(model: FaqModel, intents: list[str], locale: str) -> list[dict[str, object]]:
    """Intents offered as buttons: a click answers as if the visitor had asked that (``choose_option``)."""
    return [{"intent": i, "label": model.intents[i].label(locale), "locale": locale} for i in intents]
