"""Settings from the environment: lists as comma-separated values or JSON arrays."""

from __future__ import annotations

import logging

import pytest

from core.settings import InsecureSettingsError, Settings, check_start


def test_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQDESK_LOCALES", "en, de")
    monkeypatch.setenv("FAQDESK_CORS_ORIGINS", "https://shop.example, https://www.shop.example")
    monkeypatch.setenv("FAQDESK_WEBHOOK_URLS", '["https://hooks.example/faqdesk"]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.locales == ["en", "de"]
    assert settings.cors_origins == ["https://shop.example", "https://www.shop.example"]
    assert settings.webhook_urls == ["https://hooks.example/faqdesk"]


def secure(**overrides: object) -> Settings:
    """Production settings that pass, changed by the overrides."""
    values: dict[str, object] = {"env": "production", "cookie_secure": True, "cors_origins": ["https://shop.example"]}
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[arg-type]


def test_production_mode_and_trusted_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAQDESK_ENV", "production")
    monkeypatch.setenv("FAQDESK_FORWARDED_ALLOW_IPS", "10.0.0.5, 10.1.0.0/16")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "production"
    assert settings.forwarded_allow_ips == ["10.0.0.5", "10.1.0.0/16"]
    monkeypatch.delenv("FAQDESK_FORWARDED_ALLOW_IPS")
    assert Settings(_env_file=None).forwarded_allow_ips == []  # type: ignore[call-arg]  # default: trust no proxy


def test_production_refuses_insecure_settings_listing_every_problem() -> None:
    insecure = secure(
        cookie_secure=False,
        webhook_urls=["https://hooks.example/faqdesk"],
        cors_origins=["https://shop.example", "*"],
        secret_key="changeme",
    )
    with pytest.raises(InsecureSettingsError) as refused:
        check_start(insecure)
    message = str(refused.value)
    assert len(refused.value.problems) == 4
    for name in ("FAQDESK_COOKIE_SECURE", "FAQDESK_WEBHOOK_SECRET", "FAQDESK_CORS_ORIGINS", "FAQDESK_SECRET_KEY"):
        assert name in message
    assert "*" in message  # says which origin is the problem


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"cookie_secure": False}, "FAQDESK_COOKIE_SECURE"),
        ({"webhook_urls": ["https://hooks.example/faqdesk"]}, "FAQDESK_WEBHOOK_SECRET"),
        ({"cors_origins": ["https://*.shop.example"]}, "FAQDESK_CORS_ORIGINS"),
        ({"cors_origins": ["null"]}, "FAQDESK_CORS_ORIGINS"),
        ({"secret_key": "short"}, "FAQDESK_SECRET_KEY"),
    ],
)
def test_production_refuses_each_insecure_setting(overrides: dict[str, object], setting: str) -> None:
    with pytest.raises(InsecureSettingsError, match=setting):
        check_start(secure(**overrides))


def test_production_accepts_secure_settings() -> None:
    check_start(secure())  # an empty secret key is fine: a random one is generated into the data folder
    check_start(secure(webhook_urls=["https://hooks.example/faqdesk"], webhook_secret="s" * 40, secret_key="k" * 48))


def test_outside_production_a_webhook_without_secret_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    development = Settings(_env_file=None, webhook_urls=["https://hooks.example/faqdesk"])  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING, logger="core.settings"):
        check_start(development)  # starts, but says so
    assert "FAQDESK_WEBHOOK_SECRET is empty" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.settings"):
        check_start(Settings(_env_file=None, webhook_urls=["https://h.example"], webhook_secret="s" * 32))  # type: ignore[call-arg]
        check_start(Settings(_env_file=None))  # type: ignore[call-arg]
    assert caplog.text == ""
