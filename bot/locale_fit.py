"""Training one locale: its examples' vectors (glossed where a glossary exists), calibration, classifier.

``FaqModel.train`` calls ``train_locale`` for each locale whose examples changed; the fingerprint says
when a locale's previous training can be reused.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from bot.calibration import Calibration, Variants, calibrate
from bot.classifier import Borrowed, LocaleClassifier
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.glossary import Glosser, glossing
from bot.perturb import visitor_style
from bot.resources import generic_out_of_scope
from core.text import language

# Bump when a change to features or training makes old model files incompatible.
FORMAT_VERSION = 4  # 4: saved as arrays and JSON (bot/modelfile.py), served without scikit-learn
# Out-of-scope share assumed for a locale until its traffic says otherwise.
DEFAULT_OOS_SHARE = 0.3
# A locale recalibrates when the examples it borrows grew or shrank by more than this share since its calibration.
RECALIBRATE_AT = 0.1


@dataclass(frozen=True)
class TrainConfig:
    """What training depends on besides the data (part of the model version)."""

    folds: int = 0  # 0: by size, see ``folds_for``
    seed: int = 13
    # Calibration also scores visitor-style copies of held-out examples (at most this many per locale)
    generic_oos: bool = True  # ... and the generic out-of-scope corpus of bot/resources
    max_variants: int = 2000
    # The semantic head also learns from the other locales' examples (see ``borrow``)
    borrow: bool = True
    # Messages' typos are corrected to the examples' words before they are classified (bot/spelling.py)
    spelling: bool = True


@dataclass
class LocaleModel:
    """Classifier and calibration of one locale, with the thresholds in force."""

    classifier: LocaleClassifier
    calibration: Calibration
    threshold: float = 0.5
    options_threshold: float = 0.5
    confirm_threshold: float = 1.01
    related_threshold: float = 1.01
    oos_share: float = DEFAULT_OOS_SHARE  # the out-of-scope share the thresholds are set for
    expected_precision: float = 1.0  # answer precision expected at that share and threshold
    stats: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""  # hash of what this locale was trained on; equal means reusable


def folds_for(config: TrainConfig, n_examples: int) -> int:
    """Calibration folds: more for small FAQs (each fold keeps more of few examples), fewer for large sets."""
    if config.folds:
        return config.folds
    return 6 if n_examples < 5000 else 3


Glossers = dict[str, Glosser]


def gloss_fingerprints(encoder: Encoder | None, glossers: Glossers | None) -> dict[str, str]:
    """The glossers training uses (only with an encoder: glosses feed the semantic head)."""
    return {loc: g.fingerprint for loc, g in (glossers or {}).items()} if encoder else {}


def own_fingerprint(
    data: TrainingData, loc: str, config: TrainConfig, encoder: Encoder | None, glossers: Glossers | None
) -> str:
    """A hash of what the locale itself is trained on (its calibration depends on little else)."""
    texts, labels = data.training_examples(loc)
    payload = [
        FORMAT_VERSION,
        texts,
        labels,
        data.out_of_scope.get(loc, []),
        asdict(config),
        encoder.fingerprint if encoder else None,
    ]
    if gloss := gloss_fingerprints(encoder, glossers).get(loc):
        payload.append(gloss)  # appended only when present, so models without glossaries keep their versions
    return _hash(payload)


def locale_fingerprint(
    data: TrainingData, loc: str, config: TrainConfig, encoder: Encoder | None, glossers: Glossers | None, own: str
) -> str:
    """A hash of everything the locale's model depends on: its own data (``own_fingerprint``) and what it borrows."""
    if encoder is None or not config.borrow or not in_english_space(loc, glossers):
        return own
    # What ``borrow`` lends this locale: an edit in another language retrains it too.
    lent = [
        [other, *data.training_examples(other), gloss_fingerprints(encoder, glossers).get(other)]
        for other in data.locales
        if other != loc and in_english_space(other, glossers)
    ]
    return _hash([own, lent])


def _hash(payload: list[Any]) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def reusable_calibration(previous: LocaleModel | None, own: str, borrowed: Borrowed | None) -> LocaleModel | None:
    """The previous calibration, when only the borrowed examples changed, and by at most ``RECALIBRATE_AT``.

    Calibration is six classifier fits over folds; an English edit would otherwise recalibrate German
    and Dutch too (9.3 s instead of 1.7 s for the demo FAQ). What it learns (blend, acceptors) barely
    moves with one borrowed example more or less; a borrowed set grown or shrunk by more recalibrates.
    """
    if previous is None or previous.stats.get("own_fingerprint") != own:
        return None
    then = previous.stats.get("calibrated_borrowed")
    now = len(borrowed.labels) if borrowed is not None else 0
    if then is None or abs(now - then) > RECALIBRATE_AT * max(then, 1):
        return None
    return previous


def in_english_space(loc: str, glossers: Glossers | None) -> bool:
    """Whether a locale's messages reach the encoder as English: English itself, or glossed into it."""
    return language(loc) == "en" or loc in (glossers or {})


def borrow(
    data: TrainingData, loc: str, encoder: Encoder | None, config: TrainConfig, glossers: Glossers | None
) -> Borrowed | None:
    """The other locales' examples, for ``loc``'s semantic head, where both locales share the English space.

    An FAQ usually has far fewer German or Dutch examples than English ones, and an English encoder
    knows English best: glossed German meets the English examples' vectors as well as its own.
    """
    if encoder is None or not config.borrow or not in_english_space(loc, glossers):
        return None
    labels: list[str] = []
    anchors: list[int] = []
    vectors = []
    for other in data.locales:
        if other == loc or not in_english_space(other, glossers):
            continue
        texts, their_labels = data.training_examples(other)
        if not texts:
            continue
        seen: dict[str, int] = {}
        for label in their_labels:
            anchors.append(seen.get(label, 0))
            seen[label] = anchors[-1] + 1
        labels += their_labels
        vectors.append(glossing(encoder, (glossers or {}).get(other)).encode(texts))
    if not labels:
        return None
    return Borrowed(labels, np.vstack(vectors), np.asarray(anchors, dtype=int))


def train_locale(
    data: TrainingData,
    loc: str,
    encoder: Encoder | None,
    config: TrainConfig,
    glosser: Glosser | None = None,
    borrowed: Borrowed | None = None,
    *,
    own: str = "",
    calibrated: LocaleModel | None = None,
) -> LocaleModel:
    """Calibrate and fit the locale's classifier; with ``calibrated`` (``reusable_calibration``), only fit it.

    ``own`` is the locale's ``own_fingerprint``, kept in its stats to tell when a calibration is reusable.
    """
    t0 = time.perf_counter()
    texts, labels = data.training_examples(loc)
    oos = list(data.out_of_scope.get(loc, []))
    if config.generic_oos:
        oos += generic_out_of_scope(loc)

    embedder = glossing(encoder, glosser) if encoder else None  # German and Dutch: their glosses
    emb = embedder.encode(texts) if embedder else None
    lent = len(borrowed.labels) if borrowed is not None else 0
    if calibrated is not None:
        calibration, calibrated_with = calibrated.calibration, calibrated.stats["calibrated_borrowed"]
        n_variants = calibrated.stats["visitor_variants"]
    else:
        calibrated_with = lent
        variants = _variants(texts, loc, config)
        n_variants = len(variants.texts)
        oos_emb = embedder.encode(oos) if embedder and oos else None
        if embedder and variants.texts:
            variants.embeddings = embedder.encode(variants.texts)
        calibration = calibrate(
            texts,
            labels,
            emb,
            oos,
            oos_emb,
            locale=loc,
            folds=folds_for(config, len(texts)),
            seed=config.seed,
            variants=variants,
            borrowed=borrowed,
            embed=embedder.encode if embedder else None,
            spelling=config.spelling,
        )
    classifier = LocaleClassifier(loc).fit(texts, labels, emb, borrowed, spelling=config.spelling)
    stats: dict[str, Any] = {
        "examples": len(texts),
        "intents": len(set(labels)),
        "out_of_scope_examples": len(oos),
        "visitor_variants": n_variants,  # copies the calibration scored
        "borrowed_examples": lent,
        "blend_weight": calibration.weight,
        "temperature": calibration.temperature,
        "train_seconds": round(time.perf_counter() - t0, 3),
        "own_fingerprint": own,
        "calibrated_borrowed": calibrated_with,
        "calibration_reused": calibrated is not None,
    }
    if glosser:
        stats["glossary"] = glosser.fingerprint  # the chat glosses this locale's messages too
    return LocaleModel(classifier, calibration, stats=stats)


def _variants(texts: list[str], locale: str, config: TrainConfig) -> Variants:
    """Visitor-style copies of (at most ``max_variants``) examples.

    Each copy and the choice of examples depend only on the example's own text, so an edit changes
    only the edited example's copy and retraining encodes almost nothing new.
    """
    keys = [int.from_bytes(hashlib.sha256(f"{config.seed}:{t}".encode()).digest()[:8], "big") for t in texts]
    chosen = sorted(sorted(range(len(texts)), key=keys.__getitem__)[: config.max_variants])
    pairs = [(i, visitor_style(texts[i], locale, np.random.default_rng(keys[i]))) for i in chosen]
    pairs = [(i, copy) for i, copy in pairs if copy and copy != texts[i]]
    return Variants([copy for _, copy in pairs], np.array([i for i, _ in pairs], dtype=int), None)
