"""The serving arithmetic (bot/linear.py) and a saved model give what scikit-learn gives.

A serving process scores with arrays taken from the fitted estimators and never imports
scikit-learn; these tests hold it to scikit-learn's own results on the same fitted model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot import linear, store
from bot.calibration import features, fit_acceptor_pipeline
from bot.classifier import LocaleClassifier
from bot.data import TrainingData
from bot.jsonl import load_test_set
from bot.model import FaqModel
from bot.text import Analyzer, fold
from tests.conftest import ROOT

# The semantic head computes in float32, as the embeddings are (scikit-learn keeps their dtype): its
# log-probabilities agree to float32's precision (log(p) near p = 1: 1e-6 absolute); everything computed
# in float64 agrees to 1e-9.
FLOAT32 = {"rtol": 1e-6, "atol": 1e-6}
FLOAT64 = {"rtol": 0.0, "atol": 1e-9}
MESSAGES = {
    "en": ["where is my parcel??", "i want my money back", "hi", "zzzz qqq", "Can I pay with PayPal or klarna"],
    "de": ["Wo bleibt mein Paket", "Rücksendung", "hallo", "xyzzy", "Kann ich mit Rechnung bezahlen?"],
    "nl": ["waar blijft mijn pakket", "retourneren", "hoi", "blub", "kan ik achteraf betalen"],
}
# Texts that stress the analyzers: accents, umlauts and their spellings, punctuation, digits, odd
# whitespace (tabs, newlines, no-break spaces, runs), one-letter words, emoji, nothing at all.
AWKWARD = [
    "",
    " ",
    "\t\n",
    "a",
    "ab",
    "a b  c\t\td\n\ne",
    "Größe ändern — geht das?",
    "Groesse aendern, geht das???",
    "café crème brûlée",
    "ÇA VA? Ça va!",
    "naïve coöperatie één",
    "Rückerstattung/Umtausch (Artikel-Nr. 4711)",
    "e-mail: jan@example.com, tel. +31 (0)20 123 4567",
    "…¿¡«»„“”‚‘’",
    "  leading and trailing  ",
    "no\u00a0break\u2003em\u3000ideographic spaces",
    "ß ẞ ø æ å ł đ",
    "👋 hallo 😀😀 ok",
    "x" * 40,
    "it's   don't\u200bzero-width",
]


def heldout() -> list[dict[str, str]]:
    return load_test_set(ROOT / "training_data" / "eval" / "heldout.jsonl")


@pytest.mark.parametrize("locale", ["en", "de", "nl"])
def test_char_ngrams_are_scikit_learns_char_wb(locale: str) -> None:
    ours = linear.CharNgrams(locale, 2, 5)
    theirs = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), preprocessor=lambda text: fold(text, locale)
    ).build_analyzer()
    texts = AWKWARD + MESSAGES[locale] + [row["text"] for row in heldout()]
    for text in texts:
        assert ours(text) == theirs(text), text


@pytest.mark.parametrize("locale", ["en", "de", "nl"])
def test_tfidf_rows_are_scikit_learns(demo_data: TrainingData, locale: str) -> None:
    texts, _ = demo_data.training_examples(locale)
    analyzer = Analyzer.fit(texts, locale)
    fitted = [
        TfidfVectorizer(analyzer=analyzer.terms, sublinear_tf=True).fit(texts),
        TfidfVectorizer(analyzer=linear.CharNgrams(locale), sublinear_tf=True, min_df=2).fit(texts),
    ]
    probes = AWKWARD + MESSAGES[locale] + [row["text"] for row in heldout()] + texts[:50]
    for vectorizer in fitted:
        tfidf = linear.Tfidf.of(vectorizer)
        expected = vectorizer.transform(probes)
        for i, text in enumerate(probes):
            columns, values = tfidf.row(text)
            row = np.zeros(tfidf.width)
            row[columns] = values
            assert np.allclose(row, expected[i].toarray()[0], rtol=0, atol=1e-12), text


@pytest.mark.parametrize("locale", ["en", "de", "nl"])
def test_one_message_scores_like_scikit_learn(demo_model: FaqModel, locale: str) -> None:
    lm = demo_model.locales[locale]
    assert demo_model.encoder is not None
    for text in MESSAGES[locale] + AWKWARD[:4]:
        embedding = demo_model.encoder.encode_one(text)[None, :]
        fast = lm.classifier.score_one(text, embedding)
        slow = lm.classifier.scores([text], embedding)  # a freshly fitted classifier: scikit-learn's batch path
        for name in ("sem_logp", "lex_score", "sem_sim", "lex_sim"):
            tolerance = FLOAT32 if name == "sem_logp" else FLOAT64
            assert np.allclose(getattr(fast, name), getattr(slow, name), **tolerance), (text, name)


def test_the_acceptors_give_the_pipelines_probabilities() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 7)) * [1, 3, 0.1, 10, 1, 1, 0.01]
    y = x[:, 0] + x[:, 1] / 3 + rng.normal(size=300) > 0
    pipeline = fit_acceptor_pipeline(x, y, rng.uniform(0.5, 2.0, size=300))
    rows = rng.normal(size=(50, 7)) * 5
    assert np.allclose(linear.Acceptor.of(pipeline).proba(rows), pipeline.predict_proba(rows)[:, 1], rtol=0, atol=1e-12)


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
            tolerance = FLOAT32 if name == "sem_logp" else FLOAT64
            assert np.allclose(getattr(fast, name), getattr(slow, name), **tolerance), (text, name)


def test_a_saved_model_predicts_the_held_out_set_as_scikit_learn_does(demo_model: FaqModel, tmp_path: Path) -> None:
    """The loaded model (arrays only) against the fitted model's scikit-learn batch scores, every locale."""
    store.save(demo_model, tmp_path)
    loaded = store.load(tmp_path, demo_model.version)
    loaded.attach(demo_model.encoder, demo_model.glossers)
    loaded.configure(target_precision=demo_model.target_precision)
    assert demo_model.encoder is not None
    rows = heldout()
    for locale in ("en", "de", "nl"):
        lm = demo_model.locales[locale]
        written = [row["text"] for row in rows if row["locale"] == locale]
        texts = [lm.classifier.spell(t) for t in written]  # the chat scores a message with its typos corrected
        assert texts and texts != written
        encoder = demo_model.encoder_for(locale)  # as the locale's classifier embeds (German and Dutch glossed)
        assert encoder is not None
        embeddings = encoder.encode(texts)
        raw = lm.classifier.scores(texts, embeddings)  # scikit-learn, as in training
        again = loaded.locales[locale].classifier.scores(texts[:8], embeddings[:8])  # a loaded one: row by row
        for name in ("sem_logp", "lex_score", "sem_sim", "lex_sim"):
            tolerance = FLOAT32 if name.startswith("sem") else FLOAT64  # float32 products, row by row or batched
            expected = getattr(raw, name)[:8]
            if name == "sem_logp":  # float32 log-softmax: its error scales with the largest logit, not the value
                tolerance = {**tolerance, "atol": FLOAT32["atol"] * max(1.0, float(np.abs(expected).max()))}
            assert np.allclose(getattr(again, name), expected, **tolerance), name
        logp = raw.blend(lm.calibration.weight, lm.calibration.temperature)
        single, options, order = features(logp, raw)
        confidence, options_confidence = lm.calibration.accept(single), lm.calibration.accept_set(options)
        for i, text in enumerate(written):
            served = loaded.predict(text, locale=locale)
            expected = [str(lm.classifier.classes[j]) for j in order[i, : len(served.candidates)]]
            assert [c.intent for c in served.candidates] == expected, text
            # Blended with the float32 semantic head: equal to float32's precision, whose error in a
            # log-softmax scales with the largest logit (as for sem_logp above).
            scale = max(1.0, float(np.abs(raw.sem_logp[i]).max()))
            probability = {**FLOAT32, "atol": FLOAT32["atol"] * scale}
            assert np.allclose([c.probability for c in served.candidates], np.exp(logp[i, order[i, :3]]), **probability)
            # The acceptors read float32-derived features through scaled coefficients, which amplify
            # float32's rounding a little: 1e-5, not float32's own 1e-6 (a demo model measured 1.06e-6).
            assert served.confidence == pytest.approx(confidence[i], rel=1e-5, abs=1e-5)
            assert served.options_confidence == pytest.approx(options_confidence[i], rel=1e-5, abs=1e-5)
            assert served.threshold == pytest.approx(lm.threshold, abs=1e-12)


_LOAD_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
from bot import store
model = store.load(Path(sys.argv[1]))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"sklearn", "scipy", "joblib", "torch"})
print(json.dumps({"version": model.version, "heavy": heavy}))
"""


def test_loading_a_model_imports_neither_scikit_learn_nor_scipy(demo_model: FaqModel, tmp_path: Path) -> None:
    store.save(demo_model, tmp_path)
    store.activate(tmp_path, demo_model.version)
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_A_FRESH_PROCESS, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["version"] == demo_model.version
    assert answer["heavy"] == []  # no sklearn, no scipy (scipy.stats, scipy.sparse), no joblib, no torch
