"""The trained FAQ model: one calibrated classifier per locale, the intents' answers, a version.

Example:
    >>> model = FaqModel.train(load_training_data("training_data"), encoder=Encoder(path))
    >>> model.predict("Wo ist mein Paket?").candidates[0].intent
    'track_order'
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from bot.calibration import N_OPTIONS, Calibration, Variants, calibrate, features
from bot.classifier import LocaleClassifier
from bot.data import Intent, TrainingData
from bot.encoder import Encoder
from bot.locale import LocaleDetector, could_switch
from bot.perturb import visitor_style
from bot.resources import generic_out_of_scope

# Bump when a change to features or training makes old model files incompatible.
FORMAT_VERSION = 4  # 4: saved as arrays and JSON (bot/modelfile.py), served without scikit-learn
# Out-of-scope share assumed for a locale until its traffic says otherwise.
DEFAULT_OOS_SHARE = 0.3
# "Did you mean <top intent>?" is asked where the top intent is right 85% of the time at the default
# target: a wrong guess costs the visitor a click, a wrong answer their trust. At 80%, German weather
# questions were met with "did you mean express delivery?". Never below 60%.
CONFIRM_MARGIN, CONFIRM_FLOOR = 0.10, 0.6
# BLAS on one thread: our matrices are small, and on two shared cores OpenBLAS threads spin against
# each other (measured: fitting BANKING77's semantic head took 38.6 s with two threads under load,
# 2.7 s with one).
_THREADS = ThreadpoolController()
_limited_in: int | None = None  # the process whose BLAS predicting has limited to one thread


def _blas_on_one_thread() -> None:
    """Once per process, for good: a limit per message cost ~3% of a busy server's time (py-spy)."""
    global _limited_in
    if _limited_in != os.getpid():
        _THREADS.limit(limits=1, user_api="blas")  # never restored
        _limited_in = os.getpid()


@dataclass(frozen=True)
class TrainConfig:
    """What training depends on besides the data (part of the model version)."""

    folds: int = 0  # 0: by size, see ``folds_for``
    seed: int = 13
    # Calibration also scores visitor-style copies of held-out examples (at most this many per locale)
    generic_oos: bool = True  # ... and the generic out-of-scope corpus of bot/resources
    max_variants: int = 2000


@dataclass
class Candidate:
    """An intent the message may mean, with its blended probability."""

    intent: str
    probability: float


@dataclass
class Prediction:
    """What the classifier makes of one message."""

    text: str
    locale: str
    candidates: list[Candidate]  # best first, up to N_OPTIONS
    confidence: float  # P(the top candidate is right), from the acceptor
    options_confidence: float  # P(the right intent is among the candidates)
    threshold: float  # answer when confidence reaches it
    options_threshold: float
    confirm_threshold: float = 1.01  # below the answer threshold, ask "did you mean <top>?" from here
    latency_ms: float = 0.0
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)  # suggestions reuse it

    @property
    def top(self) -> Candidate | None:
        """The best candidate, if any."""
        return self.candidates[0] if self.candidates else None


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


def _locale_fingerprint(data: TrainingData, loc: str, config: TrainConfig, encoder: Encoder | None) -> str:
    texts, labels = data.training_examples(loc)
    payload = [
        FORMAT_VERSION,
        texts,
        labels,
        data.out_of_scope.get(loc, []),
        asdict(config),
        encoder.fingerprint if encoder else None,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


class FaqModel:
    """All locales' classifiers plus intent metadata; ``predict`` is the only thing the chat needs."""

    def __init__(
        self,
        *,
        version: str,
        intents: dict[str, Intent],
        locales: dict[str, LocaleModel],
        encoder_fingerprint: str | None,
        config: TrainConfig,
        train_seconds: float,
    ) -> None:
        self.version = version
        self.intents = intents
        self.locales = locales
        self.encoder_fingerprint = encoder_fingerprint
        self.config = config
        self.train_seconds = train_seconds
        self.target_precision = 0.95
        self.answer_threshold: float | None = None
        self.traffic_turns: dict[str, int] = {}  # per locale: turns behind its estimated share
        self.created_at = time.time()
        self.encoder: Encoder | None = None
        self.accurate_locale_detection = False
        self._detector: LocaleDetector | None = None

    # ----- training -------------------------------------------------------------------------
    @staticmethod
    def version_for(data: TrainingData, config: TrainConfig, encoder: Encoder | None) -> str:
        """A hash of data, configuration and encoder: same inputs, same version."""
        payload = json.dumps(
            [FORMAT_VERSION, data.fingerprint(), asdict(config), encoder.fingerprint if encoder else None]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @classmethod
    def train(
        cls,
        data: TrainingData,
        *,
        encoder: Encoder | None,
        config: TrainConfig | None = None,
        target_precision: float = 0.95,
        answer_threshold: float | None = None,
        previous: FaqModel | None = None,
    ) -> FaqModel:
        """Train and calibrate one classifier per locale of the data.

        A locale whose examples are unchanged since ``previous`` reuses its classifier, so an
        edit in one language retrains only that language.
        """
        config = config or TrainConfig()
        started = time.perf_counter()
        locales: dict[str, LocaleModel] = {}
        with _THREADS.limit(limits=1, user_api="blas"):
            for loc in data.locales:
                fingerprint = _locale_fingerprint(data, loc, config, encoder)
                reusable = previous.locales.get(loc) if previous else None
                if reusable is not None and reusable.fingerprint == fingerprint:
                    locales[loc] = LocaleModel(
                        reusable.classifier, reusable.calibration, stats=dict(reusable.stats), fingerprint=fingerprint
                    )
                    locales[loc].stats["reused"] = True
                else:
                    locales[loc] = cls._train_locale(data, loc, encoder, config)
                    locales[loc].fingerprint = fingerprint
        model = cls(
            version=cls.version_for(data, config, encoder),
            intents=dict(data.intents),
            locales=locales,
            encoder_fingerprint=encoder.fingerprint if encoder else None,
            config=config,
            train_seconds=time.perf_counter() - started,
        )
        model.attach(encoder)
        model.configure(target_precision=target_precision, answer_threshold=answer_threshold)
        return model

    @staticmethod
    def _train_locale(data: TrainingData, loc: str, encoder: Encoder | None, config: TrainConfig) -> LocaleModel:
        t0 = time.perf_counter()
        texts, labels = data.training_examples(loc)
        oos = list(data.out_of_scope.get(loc, []))
        if config.generic_oos:
            oos += generic_out_of_scope(loc)
        variants = _variants(texts, loc, config)
        emb = encoder.encode(texts) if encoder else None
        oos_emb = encoder.encode(oos) if encoder and oos else None
        if encoder and variants.texts:
            variants.embeddings = encoder.encode(variants.texts)
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
        stats = {
            "examples": len(texts),
            "intents": len(set(labels)),
            "out_of_scope_examples": len(oos),
            "visitor_variants": len(variants.texts),
            "blend_weight": calibration.weight,
            "temperature": calibration.temperature,
            "train_seconds": round(time.perf_counter() - t0, 3),
        }
        return LocaleModel(classifier, calibration, stats=stats)

    def attach(self, encoder: Encoder | None) -> None:
        """Give a loaded model its encoder (which is never saved with it)."""
        if self.encoder_fingerprint and (encoder is None or encoder.fingerprint != self.encoder_fingerprint):
            raise ValueError("this model was trained with a different encoder; retrain it with `faqdesk train`")
        self.encoder = encoder

    def configure(
        self,
        *,
        target_precision: float,
        answer_threshold: float | None = None,
        accurate_locale_detection: bool = False,
        oos_share: float = DEFAULT_OOS_SHARE,
    ) -> None:
        """Set answer thresholds from a target precision (or a raw threshold) without retraining.

        The threshold that keeps the target depends on how much traffic is out of scope: ``oos_share``
        is assumed for every locale until ``follow_traffic`` gives a locale its estimated share.
        """
        if accurate_locale_detection != getattr(self, "accurate_locale_detection", None):
            self.accurate_locale_detection, self._detector = accurate_locale_detection, None
        self.target_precision, self.answer_threshold = target_precision, answer_threshold
        for lm in self.locales.values():
            self._set_share(lm, oos_share)

    def follow_traffic(self, shares: dict[str, float], turns: dict[str, int] | None = None) -> None:
        """Move each named locale's thresholds to its out-of-scope share estimated from ``turns`` turns."""
        for loc, share in shares.items():
            if loc in self.locales:
                self._set_share(self.locales[loc], share)
        self.traffic_turns = {**self.traffic_turns, **(turns or {})}

    def with_traffic(self, shares: dict[str, float], turns: dict[str, int] | None = None) -> FaqModel:
        """A copy following ``shares`` (``follow_traffic``), so a model in use is never changed under a request."""
        model = copy.copy(self)  # like pickling, copying leaves the encoder and detector out: share them
        model.encoder, model._detector = self.encoder, self._detector
        model.locales = {loc: dataclasses.replace(lm, stats=dict(lm.stats)) for loc, lm in self.locales.items()}
        model.follow_traffic(shares, turns)
        return model

    def _set_share(self, lm: LocaleModel, oos_share: float) -> None:
        cal = lm.calibration
        lm.oos_share = oos_share
        if self.answer_threshold is not None:
            lm.threshold = self.answer_threshold
        else:
            lm.threshold = cal.curve.threshold(self.target_precision, oos_share)
        lm.options_threshold = cal.set_curve.threshold(self.target_precision, oos_share)
        confirm_target = max(CONFIRM_FLOOR, self.target_precision - CONFIRM_MARGIN)
        lm.confirm_threshold = min(lm.threshold, cal.curve.threshold(confirm_target, oos_share))
        expected = cal.curve.rates(lm.threshold, oos_share)
        lm.expected_precision = expected["precision"]
        lm.stats["expected"] = expected

    def rethreshold(self, prediction: Prediction) -> Prediction:
        """The prediction with the thresholds now in force for its locale (after ``configure``)."""
        lm = self.locales[prediction.locale]
        prediction.threshold, prediction.options_threshold = lm.threshold, lm.options_threshold
        prediction.confirm_threshold = lm.confirm_threshold
        return prediction

    # ----- prediction -----------------------------------------------------------------------
    def predict(self, text: str, *, locale: str | None = None, fallback_locale: str | None = None) -> Prediction:
        """Classify one message; without a locale it is detected among the model's locales."""
        started = time.perf_counter()
        if self.encoder is None and self.encoder_fingerprint:
            # Without its encoder the model would quietly fall back to its lexical half.
            raise RuntimeError("model has no encoder attached; call attach() after loading")
        embedding = self.encoder.encode_one(text)[None, :] if self.encoder else None
        if locale is not None and locale in self.locales:
            prediction = self._predict_in(text, locale, embedding)
        elif fallback_locale in self.locales and not could_switch(text):
            # Too short to leave the conversation's locale whatever it looks like: no detection to run.
            prediction = self._predict_in(text, fallback_locale, embedding)
        else:
            guess = self.detector.guess(text)
            if fallback_locale is not None and fallback_locale in self.locales:
                # The page's language wins unless the message is clearly written in another one.
                switch = guess.clearly_not(fallback_locale)
                prediction = self._predict_in(text, guess.best if switch else fallback_locale, embedding)
            elif guess.confident or len(self.locales) == 1:
                prediction = self._predict_in(text, guess.best, embedding)
            else:
                # Ambiguous and no conversation yet: ask the two likeliest locales, keep the surer one.
                tries = [self._predict_in(text, loc, embedding) for loc, _ in guess.ranked[:2]]
                prediction = max(tries, key=lambda p: p.confidence)
        prediction.embedding = embedding[0] if embedding is not None else None
        prediction.latency_ms = (time.perf_counter() - started) * 1000
        return prediction

    @property
    def detector(self) -> LocaleDetector:
        """Locale detector limited to the trained locales (built on first use)."""
        if self._detector is None:
            self._detector = LocaleDetector(sorted(self.locales), accurate=self.accurate_locale_detection)
        return self._detector

    def _predict_in(self, text: str, locale: str, embedding: np.ndarray | None) -> Prediction:
        lm = self.locales[locale]
        # One message through the fitted estimators' arithmetic (bot/linear.py), not scikit-learn's
        # per-call checks; BLAS on one thread, as tiny products only slow down on more.
        _blas_on_one_thread()
        raw = lm.classifier.score_one(text, embedding)
        logp = raw.blend(lm.calibration.weight, lm.calibration.temperature)
        single, options, order = features(logp, raw)
        confidence = float(lm.calibration.accept(single)[0])
        options_confidence = float(lm.calibration.accept_set(options)[0])
        classes = lm.classifier.classes
        top = order[0, :N_OPTIONS]
        return Prediction(
            text=text,
            locale=locale,
            candidates=[Candidate(str(classes[i]), float(np.exp(logp[0, i]))) for i in top],
            confidence=confidence,
            options_confidence=options_confidence,
            threshold=lm.threshold,
            options_threshold=lm.options_threshold,
            confirm_threshold=lm.confirm_threshold,
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["encoder"] = None  # the encoder is shared and loaded from its own path
        state["_detector"] = None
        return state

    def summary(self) -> dict[str, Any]:
        """Version, sizes and learned thresholds, for ``faqdesk train`` and the back office."""
        return {
            "version": self.version,
            "intents": len(self.intents),
            "train_seconds": round(self.train_seconds, 2),
            "locales": {
                loc: {
                    **lm.stats,
                    "threshold": round(lm.threshold, 4),
                    "options_threshold": round(lm.options_threshold, 4),
                    "confirm_threshold": round(lm.confirm_threshold, 4),
                    "oos_share": round(lm.oos_share, 3),
                    "expected_precision": round(lm.expected_precision, 4),
                }
                for loc, lm in sorted(self.locales.items())
            },
        }


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
