"""Help-center tests: the demo articles; database fixtures come from tests/db.py via tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

ARTICLES = Path(__file__).resolve().parents[2] / "training_data" / "articles"
