"""Slugs: the rule every article and category slug follows, and a slug made from a title."""

from __future__ import annotations

import hashlib
import re

from core.errors import ValidationError
from core.text import fold

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # also in the API schema, so clients see the rule
_SLUG = re.compile(SLUG_PATTERN)


def slugify(text: str, *, fallback: str = "article") -> str:
    """A URL slug from a title: lowercase ASCII words joined by hyphens. A title without any ("日本語",
    "!!!") gets ``fallback`` and a short hash of itself, so two such titles do not claim the same slug."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return "-".join(words)[:200].strip("-") or f"{fallback}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def check_slug(slug: str) -> str:
    """The slug itself if it follows the rule, else ValidationError."""
    if not _SLUG.match(slug) or len(slug) > 200:
        raise ValidationError(f"invalid slug {slug!r}: use lowercase letters, digits and single hyphens")
    return slug
