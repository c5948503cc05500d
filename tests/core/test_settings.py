"""Settings from the environment: lists as comma-separated values or JSON arrays."""

from __future__ import annotations

import pytest

from core.settings import Settings


def test_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQDESK_LOCALES", "en, de")
    monkeypatch.setenv("FAQDESK_CORS_ORIGINS", "https://shop.example, https://www.shop.example")
    monkeypatch.setenv("FAQDESK_WEBHOOK_URLS", '["https://hooks.example/faqdesk"]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.locales == ["en", "de"]
    assert settings.cors_origins == ["https://shop.example", "https://www.shop.example"]
    assert settings.webhook_urls == ["https://hooks.example/faqdesk"]
