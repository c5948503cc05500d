"""A miss the policy is unsure about but whose likeliest intents are fairly surely right, with articles found.

Which message a model treats so depends on the model, so tests fix the policy's verdict and the help
center's suggestions and keep the rest (the reply, the widget, the click) real.
"""

from __future__ import annotations

import pytest

from bot.model import Prediction
from bot.policy import Decision
from helpcenter.models import Article
from support import conversations, suggest


def unsure_with_articles(monkeypatch: pytest.MonkeyPatch, *, likeliest: list[str], title: str, slug: str) -> None:
    """Every text message becomes such a miss, offering ``likeliest``; suggestions find the one article."""
    article = Article(locale="en", title=title, slug=slug, body="", author="ed")
    found = [suggest.Suggestion(article=article, snippet_html="", words=1.0, similarity=None)]
    monkeypatch.setattr(suggest, "suggest", lambda *args, **kwargs: found)

    def unsure(prediction: Prediction, *args: object, **kwargs: object) -> Decision:
        return Decision("suggest", prediction.locale, confidence=0.3, options=likeliest, related=likeliest)

    monkeypatch.setattr(conversations, "decide", unsure)
