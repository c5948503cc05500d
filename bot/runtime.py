"""The bot wired to settings: build the encoder, train and activate, load the active model, evaluate."""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import evaluate as evaluation
from bot import glossary, store
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.jsonl import load_test_set
from bot.loaders import load_training_data
from bot.model import FaqModel, Glossers, TrainConfig
from bot.policy import PolicyConfig
from bot.rasa import load_rasa_test
from core.settings import Settings


@lru_cache(maxsize=4)
def _encoder(
    path: str, cache_dir: str, batch_size: int, threads: int, inference_threads: int, backend: str, arena: bool
) -> Encoder:
    return Encoder(
        path,
        cache_dir=Path(cache_dir),
        batch_size=batch_size,
        batch_threads=threads,
        inference_threads=inference_threads,
        backend=backend,
        memory_arena=arena,
    )


def load_encoder(settings: Settings) -> Encoder | None:
    """The configured encoder (one per process), or ``None`` when set to "none"."""
    if settings.encoder_model.strip().lower() == "none":
        return None
    return _encoder(
        settings.encoder_path(),
        str(settings.cache_dir),
        settings.encoder_batch_size,
        settings.encoder_threads,
        settings.inference_threads,
        settings.encoder_backend,
        settings.encoder_memory_arena,
    )


def load_glossers(settings: Settings) -> Glossers:
    """The glossers of the configured locales whose dictionaries this machine has (one set per process)."""
    encoder = load_encoder(settings)
    if encoder is None or settings.glossary_dir.strip().lower() == "none":
        return {}
    return _glossers(settings.glossary_dir, str(settings.cache_dir), encoder.model_path, tuple(settings.locales))


@lru_cache(maxsize=4)
def _glossers(folder: str, cache_dir: str, encoder_path: str, locales: tuple[str, ...]) -> Glossers:
    vocabulary_file = Path(encoder_path) / "vocab.txt"  # word pieces: the gloss picks the encoder's commonest word
    vocabulary = (
        frozenset(vocabulary_file.read_text(encoding="utf-8").split()) if vocabulary_file.is_file() else frozenset()
    )
    found = {loc: glossary.load(Path(folder), loc, Path(cache_dir), vocabulary) for loc in locales}
    return {loc: glosser for loc, glosser in found.items() if glosser is not None}


def train_config(settings: Settings) -> TrainConfig:
    """Training configuration from settings."""
    return TrainConfig(folds=settings.calibration_folds, seed=settings.seed)


def policy_config(settings: Settings) -> PolicyConfig:
    """Policy knobs from settings."""
    return PolicyConfig(
        clarify_ratio=settings.clarify_ratio,
        clarify_max_options=settings.clarify_max_options,
        handoff_after_failures=settings.handoff_after_failures,
    )


def configured(model: FaqModel, settings: Settings) -> FaqModel:
    """The model with the thresholds and locale detection the settings ask for (a trained or loaded
    model carries what it was trained with; serving follows the settings)."""
    model.configure(
        target_precision=settings.target_precision,
        answer_threshold=settings.answer_threshold,
        accurate_locale_detection=settings.accurate_locale_detection,
        oos_share=settings.oos_prior,
    )
    return model


def fit(data: TrainingData, settings: Settings, *, previous: FaqModel | None = None) -> FaqModel:
    """Train a model on loaded data with the configured encoder and thresholds."""
    model = FaqModel.train(
        data,
        encoder=load_encoder(settings),
        config=train_config(settings),
        target_precision=settings.target_precision,
        answer_threshold=settings.answer_threshold,
        previous=previous,
        glossers=load_glossers(settings),
    )
    return configured(model, settings)


def train_and_activate(settings: Settings, data_path: Path | None = None, *, locale: str | None = None) -> FaqModel:
    """Load and validate training data, train (unless this exact version exists), save and activate."""
    data = load_training_data(data_path or settings.training_data, locale=locale, locales=settings.locales)
    _report_notes(data)
    encoder = load_encoder(settings)
    version = FaqModel.version_for(data, train_config(settings), encoder, load_glossers(settings))
    try:
        model = load_version(settings, version)
    except FileNotFoundError:
        model = fit(data, settings, previous=_active_or_none(settings))
        store.save(model, settings.model_dir)
    store.activate(settings.model_dir, model.version)
    return model


def _active_or_none(settings: Settings) -> FaqModel | None:
    try:
        return load_active(settings)
    except (FileNotFoundError, ValueError, OSError, EOFError):
        return None  # no usable previous model: everything is trained afresh


def load_active(settings: Settings) -> FaqModel:
    """The active model with its encoder attached and thresholds from settings."""
    return load_version(settings, None)


def load_version(settings: Settings, version: str | None) -> FaqModel:
    """A saved model version (the active one for None) with its encoder attached and thresholds from settings."""
    model = store.load(settings.model_dir, version)
    model.attach(load_encoder(settings), load_glossers(settings))
    return configured(model, settings)


def evaluate_paths(settings: Settings, train: Path, test: Path, *, locale: str | None = None) -> dict[str, Any]:
    """Train on ``train`` (not activated), decide every message of ``test`` and report."""
    data = load_training_data(train, locale=locale)
    _report_notes(data)
    if test.suffix in {".yml", ".yaml"}:  # Rasa's test stories or NLU test data, in the data's one locale
        given = locale or (data.locales[0] if len(data.locales) == 1 else None)
        rows = [row | {"locale": given} if given else row for row in load_rasa_test(test)]
    else:
        rows = load_test_set(test, locale=locale)
    started = time.perf_counter()
    model = fit(data, settings)
    train_seconds = time.perf_counter() - started
    outcomes = evaluation.run(model, rows, policy=policy_config(settings))
    per_locale = {loc: lm.stats["train_seconds"] for loc, lm in model.locales.items()}
    return evaluation.report(
        outcomes, train_seconds=train_seconds, train_seconds_per_locale=per_locale, model_version=model.version
    )


def _report_notes(data: TrainingData) -> None:
    """What reading another tool's files decided (conflicts resolved, parts skipped), one log line each."""
    for note in data.notes:
        logging.getLogger("faqdesk.import").warning(note)
