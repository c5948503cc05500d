"""What the help center keeps of its visitors' own words, for as long as conversations are kept.

Searches that found nothing keep the query as typed and "What was missing?" answers keep the comment:
both may hold a name, an order number or an address. With a retention period set
(``FAQDESK_RETENTION_DAYS``), the worker deletes older misses and clears older comments; the votes
themselves (helpful or not) stay, as they are counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlmodel import Session, col

from helpcenter.models import ArticleVote, SearchMiss


def forget_older_than(session: Session, *, cutoff: datetime) -> int:
    """Delete search misses and clear vote comments made before ``cutoff``; returns how many rows changed."""
    misses = session.execute(delete(SearchMiss).where(col(SearchMiss.created_at) < cutoff))
    comments = session.execute(
        update(ArticleVote)
        .where(col(ArticleVote.created_at) < cutoff, col(ArticleVote.comment).is_not(None))
        .values(comment=None)
    )
    return sum(int(cast(CursorResult[Any], result).rowcount or 0) for result in (misses, comments))
