"""Slugs: the rule every article and category slug follows, and a slug made from a title."""

from __future__ import annotations

import re

from core.errors import ValidationError
from core.text import fold

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # also in the API schema, so clients see the rule
_SLUG = re.compile(SLUG_PATTERN)


def slugify(text: str) -> str:
    """A URL slug from a title: lowercase ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return "-".join(words)[:200] or "article"


def check_slug(slug: str) -> str:
    """The slug itself if it follows the rule, else ValidationError."""
    if not _SLUG.match(slug) or len(slug) > 200:
        raise ValidationError(f"invalid slug {slug!r}: use lowercase letters, digits and single hyphens")
    return slug
