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
from bot.classifier import LocaleClassifier
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.glossary import Glosser, glossing
from bot.perturb import visitor_style
from bot.resources import generic_out_of_scope

# Bump when a change to features or training makes old model files incompatible.
FORMAT_VERSION = 4  # 4: saved as arrays and JSON (bot/modelfile.py), served without scikit-learn
# Out-of-scope share assumed for a locale until its traffic says otherwise.
DEFAULT_OOS_SHARE = 0.3


@dataclass(frozen=True)
class TrainConfig:
    """What training depends on besides the data (part of the model version)."""

    folds: int = 0  # 0: by size, see ``folds_for``
    seed: int = 13
    # Calibration also scores visitor-style copies of held-out examples (at most this many per locale)
    generic_oos: bool = True  # ... and the generic out-of-scope corpus of bot/resources
    max_variants: int = 2000


@dataclass
class LocaleModel:
    """Classifier and calibration of one locale, with the thresholds in force."""

    classifier: LocaleClassifier
    calibration: Calibration
    threshold: float = 0.5
    options_threshold: float = 0.5
    confirm_threshold: float = 1.01
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


def locale_fingerprint(
    data: TrainingData, loc: str, config: TrainConfig, encoder: Encoder | None, glossers: Glossers | None
) -> str:
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
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def train_locale(
    data: TrainingData, loc: str, encoder: Encoder | None, config: TrainConfig, glosser: Glosser | None = None
) -> LocaleModel:
    t0 = time.perf_counter()
    texts, labels = data.training_examples(loc)
    oos = list(data.out_of_scope.get(loc, []))
    if config.generic_oos:
        oos += generic_out_of_scope(loc)
    variants = _variants(texts, loc, config)

    embedder = glossing(encoder, glosser) if encoder else None  # German and Dutch: their glosses
    emb = embedder.encode(texts) if embedder else None
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
    )
    classifier = LocaleClassifier(loc).fit(texts, labels, emb)
    stats: dict[str, Any] = {
        "examples": len(texts),
        "intents": len(set(labels)),
        "out_of_scope_examples": len(oos),
        "visitor_variants": len(variants.texts),
        "blend_weight": calibration.weight,
        "temperature": calibration.temperature,
        "train_seconds": round(time.perf_counter() - t0, 3),
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
