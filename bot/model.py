"""The trained FAQ model: one calibrated classifier per locale, the intents' answers, a version.

Example:
    >>> model = FaqModel.train(load_training_data("training_data"), encoder=Encoder(path))
    >>> model.predict("Wo ist mein Paket?").candidates[0].intent
    'track_order'
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn import config_context
from threadpoolctl import ThreadpoolController

from bot.calibration import N_OPTIONS, Calibration, calibrate, features
from bot.classifier import LocaleClassifier
from bot.data import Intent, TrainingData
from bot.encoder import Encoder
from bot.locale import LocaleDetector

# Bump when a change to features or training makes old model files incompatible.
FORMAT_VERSION = 2
# BLAS on one thread: our matrices are small, and on two shared cores OpenBLAS threads spin against
# each other (measured: fitting BANKING77's semantic head took 38.6 s with two threads under load,
# 2.7 s with one).
_THREADS = ThreadpoolController()


@dataclass(frozen=True)
class TrainConfig:
    """What training depends on besides the data (part of the model version)."""

    folds: int = 0  # 0: by size, see ``folds_for``
    oos_prior: float = 0.1
    seed: int = 13


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
    latency_ms: float = 0.0

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
    stats: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""  # hash of what this locale was trained on; equal means reusable


def folds_for(config: TrainConfig, n_examples: int) -> int:
    """Calibration folds: more for small FAQs (each fold keeps more of few examples), fewer for large sets."""
    if config.folds:
        return config.folds
    return 6 if n_examples < 5000 else 3


def _locale_fingerprint(data: TrainingData, loc: str, config: TrainConfig, encoder: Encoder | None) -> str:
    texts, labels = data.examples(loc)
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
        texts, labels = data.examples(loc)
        oos = data.out_of_scope.get(loc, [])
        emb = encoder.encode(texts) if encoder else None
        oos_emb = encoder.encode(oos) if encoder and oos else None
        calibration = calibrate(
            texts,
            labels,
            emb,
            oos,
            oos_emb,
            locale=loc,
            folds=folds_for(config, len(texts)),
            oos_prior=config.oos_prior,
            seed=config.seed,
        )
        classifier = LocaleClassifier(loc).fit(texts, labels, emb)
        stats = {
            "examples": len(texts),
            "intents": len(set(labels)),
            "out_of_scope_examples": len(oos),
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
        self, *, target_precision: float, answer_threshold: float | None = None, accurate_locale_detection: bool = False
    ) -> None:
        """Set answer thresholds from a target precision (or a raw threshold) without retraining."""
        if accurate_locale_detection != getattr(self, "accurate_locale_detection", None):
            self.accurate_locale_detection, self._detector = accurate_locale_detection, None
        for lm in self.locales.values():
            cal = lm.calibration
            lm.threshold = answer_threshold if answer_threshold is not None else cal.curve.threshold(target_precision)
            lm.options_threshold = cal.set_curve.threshold(target_precision)
            lm.stats["expected"] = cal.curve.rates(lm.threshold)

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
        else:
            guess = self.detector.guess(text)
            if guess.confident or len(self.locales) == 1:
                prediction = self._predict_in(text, guess.best, embedding)
            elif fallback_locale is not None and fallback_locale in self.locales:
                prediction = self._predict_in(text, fallback_locale, embedding)
            else:
                # Ambiguous and no conversation yet: ask the two likeliest locales, keep the surer one.
                tries = [self._predict_in(text, loc, embedding) for loc, _ in guess.ranked[:2]]
                prediction = max(tries, key=lambda p: p.confidence)
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
        # One message through fitted estimators: scikit-learn's input and parameter checks (dataframe
        # sniffing included) were ~0.5 ms of a ~9 ms prediction, and the inputs are ours and finite.
        checks_off = config_context(assume_finite=True, skip_parameter_validation=True)
        with _THREADS.limit(limits=1, user_api="blas"), checks_off:
            raw = lm.classifier.scores([text], embedding)
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
                }
                for loc, lm in sorted(self.locales.items())
            },
        }
