"""Locales that share the encoder's English space learn from each other's examples (bot/locale_fit.borrow)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from bot import calibration, store
from bot.classifier import Borrowed, LocaleClassifier
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.glossary import Glosser
from bot.locale_fit import TrainConfig
from bot.model import FaqModel
from tests.bot.dictd import german_glosser


@pytest.fixture()
def german(tmp_path: Path) -> Glosser:
    return german_glosser(tmp_path)


@pytest.fixture()
def glossed(mini_data: TrainingData, encoder: Encoder, german: Glosser) -> FaqModel:
    return FaqModel.train(mini_data, encoder=encoder, glossers={"de": german})


def _edited(data: TrainingData, locale: str, text: str) -> TrainingData:
    changed = copy.deepcopy(data)
    changed.intents["pause_subscription"].examples[locale].append(text)
    return changed


def test_german_learns_from_the_english_examples_and_english_from_the_german(
    mini_data: TrainingData, encoder: Encoder, german: Glosser, glossed: FaqModel
) -> None:
    english, _ = mini_data.training_examples("en")
    german_texts, _ = mini_data.training_examples("de")
    assert glossed.locales["de"].stats["borrowed_examples"] == len(english)
    assert glossed.locales["en"].stats["borrowed_examples"] == len(german_texts)
    # An English example's own vector is among the German classifier's examples of its intent.
    vector = encoder.encode_one("take a break from my subscription")[None, :]
    de = glossed.locales["de"].classifier
    sims = de.score_one("x", vector).sem_sim[0]
    assert sims[list(de.classes).index("pause_subscription")] == pytest.approx(1.0, abs=1e-4)
    unborrowed = FaqModel.train(mini_data, encoder=encoder, glossers={"de": german}, config=TrainConfig(borrow=False))
    plain = unborrowed.locales["de"].classifier
    assert plain.score_one("x", vector).sem_sim[0].max() < 0.999
    assert unborrowed.locales["de"].stats["borrowed_examples"] == 0


def test_a_locale_outside_the_english_space_neither_lends_nor_borrows(
    mini_data: TrainingData, encoder: Encoder
) -> None:
    model = FaqModel.train(mini_data, encoder=encoder)  # no German glossary: German is embedded as written
    assert all(lm.stats["borrowed_examples"] == 0 for lm in model.locales.values())
    assert FaqModel.train(mini_data, encoder=None).locales["en"].stats["borrowed_examples"] == 0


def test_an_edit_retrains_the_locales_it_lends_to(
    mini_data: TrainingData, encoder: Encoder, german: Glosser, glossed: FaqModel
) -> None:
    after_en = FaqModel.train(
        _edited(mini_data, "en", "freeze my subscription"), encoder=encoder, glossers={"de": german}, previous=glossed
    )
    assert after_en.locales["de"].stats.get("reused") is None  # German learns from English: retrained
    assert after_en.locales["de"].stats["borrowed_examples"] == glossed.locales["de"].stats["borrowed_examples"] + 1
    # ... but keeps its calibration: one borrowed example more is not worth six fits over folds
    assert after_en.locales["de"].stats["calibration_reused"] is True
    assert after_en.locales["de"].calibration is glossed.locales["de"].calibration
    assert after_en.locales["de"].classifier is not glossed.locales["de"].classifier
    assert after_en.locales["en"].stats["calibration_reused"] is False  # its own examples changed
    many = copy.deepcopy(mini_data)
    many.intents["pause_subscription"].examples["en"] += [f"pause it for {n} weeks" for n in range(2, 12)]
    grown = FaqModel.train(many, encoder=encoder, glossers={"de": german}, previous=after_en)
    assert grown.locales["de"].stats["calibration_reused"] is False  # borrowed set grew by more than a tenth
    assert grown.locales["de"].stats["calibrated_borrowed"] == grown.locales["de"].stats["borrowed_examples"]
    plain = FaqModel.train(mini_data, encoder=encoder)
    after_plain = FaqModel.train(_edited(mini_data, "en", "freeze my subscription"), encoder=encoder, previous=plain)
    assert after_plain.locales["de"].stats.get("reused") is True  # no glossary, nothing lent: German kept


def test_cross_validation_never_grades_an_example_against_its_translation(
    mini_data: TrainingData, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Borrowed examples at the position of a held-out example are held out with it (translations sit at the
    same position); with exact copies as the borrowed examples, none of them may meet its held-out original."""
    texts, labels = mini_data.training_examples("en")
    vectors = encoder.encode(texts)
    positions: dict[str, int] = {}
    anchors = []
    for label in labels:
        anchors.append(positions.get(label, 0))
        positions[label] = anchors[-1] + 1
    copies = Borrowed(list(labels), vectors.copy(), np.asarray(anchors))
    fits: list[tuple[set[str], Borrowed | None]] = []
    real_fit = LocaleClassifier.fit

    def spy(
        self: LocaleClassifier,
        fold_texts: list[str],
        fold_labels: list[str],
        embeddings: np.ndarray | None,
        borrowed: Borrowed | None = None,
        **options: bool,
    ) -> LocaleClassifier:
        fits.append((set(fold_texts), borrowed))
        return real_fit(self, fold_texts, fold_labels, embeddings, borrowed, **options)

    monkeypatch.setattr(LocaleClassifier, "fit", spy)
    calibration.calibrate(texts, labels, vectors, [], None, locale="en", folds=3, seed=0, borrowed=copies)
    assert len(fits) >= 2
    lent_somewhere = 0
    for trained_on, lent in fits:
        assert lent is not None
        for row in lent.embeddings:
            source = texts[int(np.argmax(vectors @ row))]
            assert source in trained_on  # the copy of an example held out (or hidden) in this fold is not lent
        lent_somewhere += len(lent.labels)
    assert lent_somewhere > 0


def test_a_saved_model_keeps_what_it_borrowed(
    glossed: FaqModel, encoder: Encoder, german: Glosser, tmp_path: Path
) -> None:
    store.save(glossed, tmp_path)
    loaded = store.load(tmp_path, glossed.version)
    loaded.attach(encoder, {"de": german})
    loaded.configure(target_precision=glossed.target_precision)
    for text in ("Wie kann ich mein Abo pausieren?", "Abo kündigen", "Wo ist mein Paket?"):
        fresh, again = glossed.predict(text, locale="de"), loaded.predict(text, locale="de")
        assert [c.intent for c in again.candidates] == [c.intent for c in fresh.candidates]
        assert again.confidence == pytest.approx(fresh.confidence, abs=1e-4)
    assert loaded.config.borrow is True
