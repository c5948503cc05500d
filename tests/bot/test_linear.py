"""The chat path's arithmetic (bot/linear.py) gives what scikit-learn gives for the same fitted model."""

from __future__ import annotations

import numpy as np
import pytest

from bot.classifier import LocaleClassifier
from bot.data import TrainingData
from bot.model import FaqModel

MESSAGES = {
    "en": ["where is my parcel??", "i want my money back", "hi", "zzzz qqq", "Can I pay with PayPal or klarna"],
    "de": ["Wo bleibt mein Paket", "Rücksendung", "hallo", "xyzzy", "Kann ich mit Rechnung bezahlen?"],
    "nl": ["waar blijft mijn pakket", "retourneren", "hoi", "blub", "kan ik achteraf betalen"],
}


@pytest.mark.parametrize("locale", ["en", "de", "nl"])
def test_one_message_scores_like_scikit_learn(demo_model: FaqModel, locale: str) -> None:
    lm = demo_model.locales[locale]
    assert demo_model.encoder is not None
    for text in MESSAGES[locale]:
        embedding = demo_model.encoder.encode_one(text)[None, :]
        fast = lm.classifier.score_one(text, embedding)
        slow = lm.classifier.scores([text], embedding)
        for name in ("sem_logp", "lex_score", "sem_sim", "lex_sim"):
            assert np.allclose(getattr(fast, name), getattr(slow, name), atol=1e-9), (text, name)


def test_the_acceptors_give_the_pipelines_probabilities(demo_model: FaqModel) -> None:
    calibration = demo_model.locales["en"].calibration
    assert calibration.acceptor is not None
    rows = np.random.default_rng(0).normal(size=(20, calibration.acceptor[0].n_features_in_))
    assert np.allclose(calibration.accept(rows), calibration.acceptor.predict_proba(rows)[:, 1], atol=1e-12)


def test_two_intents_use_the_binary_forms(mini_data: TrainingData) -> None:
    texts, labels = [], []
    for intent in list(mini_data.intents.values())[:2]:
        for text in intent.examples["en"]:
            texts.append(text)
            labels.append(intent.id)
    rng = np.random.default_rng(1)
    embeddings = rng.normal(size=(len(texts), 8))
    classifier = LocaleClassifier("en").fit(texts, labels, embeddings)
    for text, embedding in zip(texts[:4] + ["something else entirely"], embeddings[:5], strict=True):
        fast = classifier.score_one(text, embedding[None, :])
        slow = classifier.scores([text], embedding[None, :])
        assert fast.lex_score.shape == (1, 2)
        for name in ("sem_logp", "lex_score", "sem_sim", "lex_sim"):
            assert np.allclose(getattr(fast, name), getattr(slow, name), atol=1e-9), (text, name)
