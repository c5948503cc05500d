"""Rows named in the path: loaded by their bounded id (``api.params``) through their service, or 404.

Plain ``def`` dependencies: they read the database, so FastAPI runs them in its thread pool. Declare
them after the user dependency: FastAPI solves a signature in order, and a stranger gets the login page
or a 403, not a 404 that says whether the row exists.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import SessionDep
from api.params import RowId
from helpcenter import categories, editorial
from helpcenter.models import Article, Category
from support import handoffs, intents
from support.models import FaqIntent, Handoff


def handoff_in_path(handoff_id: RowId, session: SessionDep) -> Handoff:
    """The handoff ``{handoff_id}`` names."""
    return handoffs.get_handoff(session, handoff_id=handoff_id)


HandoffDep = Annotated[Handoff, Depends(handoff_in_path)]


def intent_in_path(intent_id: str, session: SessionDep) -> FaqIntent:
    """The intent ``{intent_id}`` names (intent ids are words, not numbers)."""
    return intents.get_intent(session, intent_id=intent_id)


IntentDep = Annotated[FaqIntent, Depends(intent_in_path)]


def article_in_path(article_id: RowId, session: SessionDep) -> Article:
    """The article ``{article_id}`` names, in any status."""
    return editorial.get_article(session, article_id=article_id)


ArticleDep = Annotated[Article, Depends(article_in_path)]


def category_in_path(category_id: RowId, session: SessionDep) -> Category:
    """The category ``{category_id}`` names."""
    return categories.get_category_by_id(session, category_id=category_id)


CategoryDep = Annotated[Category, Depends(category_in_path)]
