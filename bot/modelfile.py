"""A trained model as one file of plain arrays and JSON: what serving needs, nothing pickled.

The file is a NumPy ``.npz`` archive: every array of the model under a name (``<locale>/<part>``) and
one more, ``model.json``, holding the rest as UTF-8 JSON (intents, vocabularies, calibration scalars,
statistics). Loading it imports neither scikit-learn nor SciPy (~110 MB of a serving process's
memory) and executes nothing from the file (``allow_pickle=False``): model files also travel between
machines through the database (support/model_files.py).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from typing import Any

import numpy as np

from bot import linear
from bot.calibration import Calibration, Curve
from bot.classifier import LocaleClassifier
from bot.data import Intent, Location
from bot.model import FaqModel, LocaleModel, TrainConfig
from bot.spelling import Speller
from bot.text import Analyzer

_JSON = "model.json"


class _Arrays:
    """Arrays collected under prefixed names while writing, read back by the same names."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    def put(self, name: str, value: np.ndarray | None) -> bool:
        if value is None:
            return False
        self.arrays[name] = np.asarray(value)
        return True

    def get(self, name: str) -> np.ndarray:
        return self.arrays[name]


def dumps(model: FaqModel) -> bytes:
    """The model's file content."""
    arrays = _Arrays({})
    doc = {
        "version": model.version,
        "intents": [_intent_doc(intent) for intent in model.intents.values()],
        "encoder_fingerprint": model.encoder_fingerprint,
        "config": asdict(model.config),
        "train_seconds": model.train_seconds,
        "created_at": model.created_at,
        "target_precision": model.target_precision,
        "answer_threshold": model.answer_threshold,
        "locales": {loc: _locale_doc(loc, lm, arrays) for loc, lm in model.locales.items()},
    }
    arrays.arrays[_JSON] = np.frombuffer(json.dumps(doc, ensure_ascii=False, default=_plain).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    savez: Any = np.savez_compressed  # its stubs type every keyword as its allow_pickle flag
    savez(buffer, **arrays.arrays)
    return buffer.getvalue()


def loads(content: bytes) -> FaqModel:
    """A model from its file content (without its encoder: ``attach`` it next)."""
    with np.load(io.BytesIO(content), allow_pickle=False) as archive:
        arrays = _Arrays({name: archive[name] for name in archive.files})
    doc = json.loads(arrays.get(_JSON).tobytes().decode())
    model = FaqModel(
        version=doc["version"],
        intents={d["id"]: _intent(d) for d in doc["intents"]},
        locales={loc: _locale(loc, d, arrays) for loc, d in doc["locales"].items()},
        encoder_fingerprint=doc["encoder_fingerprint"],
        config=TrainConfig(**{"borrow": False, **doc["config"]}),  # files from before borrowing lack the key
        train_seconds=doc["train_seconds"],
    )
    model.created_at = doc["created_at"]
    model.target_precision, model.answer_threshold = doc["target_precision"], doc["answer_threshold"]
    return model


def _plain(value: Any) -> Any:
    """NumPy scalars in statistics as JSON numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ----- intents ------------------------------------------------------------------------------
def _intent_doc(intent: Intent) -> dict[str, Any]:
    doc = asdict(intent)
    doc["source"] = asdict(intent.source) if intent.source else None
    return doc


def _intent(doc: dict[str, Any]) -> Intent:
    source = doc.pop("source")
    return Intent(**doc, source=Location(**source) if source else None)


# ----- one locale -----------------------------------------------------------------------------
def _locale_doc(loc: str, lm: LocaleModel, arrays: _Arrays) -> dict[str, Any]:
    return {
        "classifier": _classifier_doc(lm.classifier, arrays, f"{loc}/"),
        "calibration": _calibration_doc(lm.calibration, arrays, f"{loc}/"),
        "threshold": lm.threshold,
        "options_threshold": lm.options_threshold,
        "confirm_threshold": lm.confirm_threshold,
        "related_threshold": lm.related_threshold,
        "oos_share": lm.oos_share,
        "expected_precision": lm.expected_precision,
        "stats": lm.stats,
        "fingerprint": lm.fingerprint,
    }


def _locale(loc: str, doc: dict[str, Any], arrays: _Arrays) -> LocaleModel:
    return LocaleModel(
        classifier=_classifier(loc, doc["classifier"], arrays, f"{loc}/"),
        calibration=_calibration(doc["calibration"], arrays, f"{loc}/"),
        threshold=doc["threshold"],
        options_threshold=doc["options_threshold"],
        confirm_threshold=doc["confirm_threshold"],
        related_threshold=doc.get("related_threshold", 1.01),  # files saved before it existed
        oos_share=doc["oos_share"],
        expected_precision=doc["expected_precision"],
        stats=doc["stats"],
        fingerprint=doc["fingerprint"],
    )


def _classifier_doc(clf: LocaleClassifier, arrays: _Arrays, p: str) -> dict[str, Any]:
    words, chars, examples = clf.words, clf.chars, clf._examples_lex
    if words is None or chars is None or examples is None:
        raise ValueError("an unfitted classifier cannot be saved")
    if not isinstance(chars.analyze, linear.CharNgrams):
        raise ValueError("the character analyzer must be bot.linear.CharNgrams")
    arrays.put(p + "words_idf", words.idf)
    arrays.put(p + "chars_idf", chars.idf)
    arrays.put(p + "starts", clf._starts)
    arrays.put(p + "sem_starts", clf._sem_starts)
    arrays.put(p + "examples_lex_indptr", examples.indptr)
    arrays.put(p + "examples_lex_indices", examples.indices)
    arrays.put(p + "examples_lex_data", examples.data)
    for name, head in (("lex", clf.lex_head), ("sem", clf.sem_head)):
        if head is not None:
            arrays.put(f"{p}{name}_coef", head.coef)
            arrays.put(f"{p}{name}_intercept", head.intercept)
    return {
        "classes": [str(c) for c in clf.classes],
        "analyzer_vocabulary": sorted(clf.analyzer.vocabulary),
        "speller_vocabulary": clf.speller.vocabulary if clf.speller is not None else None,
        "words": {"terms": words.terms(), "sublinear": words.sublinear},
        "chars": {
            "terms": chars.terms(),
            "sublinear": chars.sublinear,
            "ngrams": [chars.analyze.min_n, chars.analyze.max_n],
        },
        "examples": examples.n_columns,
        "lex_head": clf.lex_head is not None,
        "sem_head": clf.sem_head is not None,
        "examples_sem": arrays.put(p + "examples_sem", clf._examples_sem),
    }


def _classifier(loc: str, doc: dict[str, Any], arrays: _Arrays, p: str) -> LocaleClassifier:
    clf = LocaleClassifier(loc)
    clf.classes = np.array(doc["classes"], dtype=object)
    clf.analyzer = Analyzer(loc, doc["analyzer_vocabulary"])
    if doc.get("speller_vocabulary") is not None:  # files from before typo correction have none
        clf.speller = Speller(loc, doc["speller_vocabulary"])
    clf.words = linear.Tfidf(
        clf.analyzer.terms,
        _vocabulary(doc["words"]["terms"]),
        arrays.get(p + "words_idf"),
        sublinear=doc["words"]["sublinear"],
    )
    min_n, max_n = doc["chars"]["ngrams"]
    clf.chars = linear.Tfidf(
        linear.CharNgrams(loc, min_n, max_n),
        _vocabulary(doc["chars"]["terms"]),
        arrays.get(p + "chars_idf"),
        sublinear=doc["chars"]["sublinear"],
    )
    clf._starts = arrays.get(p + "starts")
    # Files from before borrowing (FORMAT_VERSION 4 too) have one set of examples for both similarities.
    clf._sem_starts = arrays.arrays.get(p + "sem_starts", clf._starts)
    clf._examples_lex = linear.SparseRows(
        arrays.get(p + "examples_lex_indptr"),
        arrays.get(p + "examples_lex_indices"),
        arrays.get(p + "examples_lex_data"),
        doc["examples"],
    )
    if doc["lex_head"]:
        clf.lex_head = linear.LinearHead(arrays.get(p + "lex_coef"), arrays.get(p + "lex_intercept"))
    if doc["sem_head"]:
        clf.sem_head = linear.LinearHead(arrays.get(p + "sem_coef"), arrays.get(p + "sem_intercept"))
    clf._examples_sem = arrays.get(p + "examples_sem") if doc["examples_sem"] else None
    return clf


def _vocabulary(terms: list[str]) -> dict[str, int]:
    return {term: i for i, term in enumerate(terms)}


def _calibration_doc(cal: Calibration, arrays: _Arrays, p: str) -> dict[str, Any]:
    acceptors = {}
    for name, acceptor in (("acceptor", cal.acceptor), ("set_acceptor", cal.set_acceptor)):
        acceptors[name] = acceptor is not None
        if acceptor is not None:
            arrays.put(f"{p}{name}_mean", acceptor.mean)
            arrays.put(f"{p}{name}_scale", acceptor.scale)
            arrays.put(f"{p}{name}_coef", acceptor.head.coef)
            arrays.put(f"{p}{name}_intercept", acceptor.head.intercept)
    for name, curve in (("curve", cal.curve), ("set_curve", cal.set_curve)):
        arrays.put(f"{p}{name}_scores", curve.scores)
        arrays.put(f"{p}{name}_correct", curve.correct)
        arrays.put(f"{p}{name}_kinds", curve.kinds)
    return {
        "weight": cal.weight,
        "temperature": cal.temperature,
        "n_heldout": cal.n_heldout,
        "n_out_of_scope": cal.n_out_of_scope,
        **acceptors,
    }


def _calibration(doc: dict[str, Any], arrays: _Arrays, p: str) -> Calibration:
    def acceptor(name: str) -> linear.Acceptor | None:
        if not doc[name]:
            return None
        return linear.Acceptor(*(arrays.get(f"{p}{name}_{part}") for part in ("mean", "scale", "coef", "intercept")))

    def curve(name: str) -> Curve:
        return Curve(*(arrays.get(f"{p}{name}_{part}") for part in ("scores", "correct", "kinds")))

    return Calibration(
        weight=doc["weight"],
        temperature=doc["temperature"],
        acceptor=acceptor("acceptor"),
        set_acceptor=acceptor("set_acceptor"),
        curve=curve("curve"),
        set_curve=curve("set_curve"),
        n_heldout=doc["n_heldout"],
        n_out_of_scope=doc["n_out_of_scope"],
    )
