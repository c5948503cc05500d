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
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from bot.calibration import N_OPTIONS, features
from bot.data import Intent, TrainingData
from bot.encoder import Encoder
from bot.glossary import TextEncoder, glossing
from bot.locale import LIKELY_OTHER_LOCALE, LocaleDetector, could_switch
from bot.locale_fit import (
    DEFAULT_OOS_SHARE,
    FORMAT_VERSION,
    Glossers,
    LocaleModel,
    TrainConfig,
    borrow,
    gloss_fingerprints,
    locale_fingerprint,
    own_fingerprint,
    reusable_calibration,
    train_locale,
)
from bot.reviewed import Reviewed, precision_at
from bot.reviewed import threshold as reviewed_threshold

log = logging.getLogger(__name__)

# "Did you mean <top intent>?" is asked where the top intent is right 85% of the time at the default
# target: a wrong guess costs the visitor a click, a wrong answer their trust. At 80%, German weather
# questions were met with "did you mean express delivery?". Never below 60%.
CONFIRM_MARGIN, CONFIRM_FLOOR = 0.10, 0.6
# Below both, a miss that finds help-center articles also offers the likeliest intents beside them ("Did you
# mean: ...") where the right intent is among them for 85% of such turns at the default target. On the demo
# FAQ's visitor-style messages that put the right intent one click away for another 5.7 / 12.4 / 10.4% of
# in-scope questions (en / de / nl; 10.4 / 5.7 / 8.8% with 6 examples per intent), while 5 of 300
# out-of-scope questions got options (1 with 6 examples), all about the shop (bench/nlu.py --only related);
# at 80%, 14 of 300; without the articles' relevance floor, the weather in Hamburg was offered express delivery.
RELATED_MARGIN, RELATED_FLOOR = 0.10, 0.6
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
    related_threshold: float = 1.01  # a miss offers the candidates beside its articles from here
    # Greetings, thanks and requests for a person answer from here: the FAQ's held-out data alone sets it.
    # Reviews judge FAQ answers; when they raise the answer threshold above 1 (answers wrong at every
    # confidence), "Hello" and "I want a person" must still work (None: the answer threshold).
    builtin_threshold: float | None = None
    latency_ms: float = 0.0
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)  # suggestions reuse it

    @property
    def top(self) -> Candidate | None:
        """The best candidate, if any."""
        return self.candidates[0] if self.candidates else None


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
        self.glossers: Glossers = {}  # per locale, only where the locale was trained with glosses
        self.accurate_locale_detection = False
        self._detector: LocaleDetector | None = None

    # ----- training -------------------------------------------------------------------------
    @staticmethod
    def version_for(
        data: TrainingData, config: TrainConfig, encoder: Encoder | None, glossers: Glossers | None = None
    ) -> str:
        """A hash of data, configuration, encoder and glossaries: same inputs, same version."""
        parts: list[Any] = [FORMAT_VERSION, data.fingerprint(), asdict(config)]
        parts.append(encoder.fingerprint if encoder else None)
        gloss = sorted((loc, fp) for loc, fp in gloss_fingerprints(encoder, glossers).items() if loc in data.locales)
        if gloss:
            parts.append(gloss)
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]

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
        glossers: Glossers | None = None,
    ) -> FaqModel:
        """Train and calibrate one classifier per locale of the data.

        A locale whose examples (and the examples it borrows, ``locale_fit.borrow``) are unchanged since
        ``previous`` reuses its classifier; one whose own examples are unchanged keeps its calibration
        (``locale_fit.reusable_calibration``), so an edit in one language recalibrates only that language.
        """
        config = config or TrainConfig()
        started = time.perf_counter()
        locales: dict[str, LocaleModel] = {}
        with _THREADS.limit(limits=1, user_api="blas"):
            for loc in data.locales:
                own = own_fingerprint(data, loc, config, encoder, glossers)
                fingerprint = locale_fingerprint(data, loc, config, encoder, glossers, own)
                reusable = previous.locales.get(loc) if previous else None
                if reusable is not None and reusable.fingerprint == fingerprint:
                    locales[loc] = LocaleModel(
                        reusable.classifier, reusable.calibration, stats=dict(reusable.stats), fingerprint=fingerprint
                    )
                    locales[loc].stats["reused"] = True
                else:
                    glosser = (glossers or {}).get(loc) if encoder else None
                    lent = borrow(data, loc, encoder, config, glossers)
                    calibrated = reusable_calibration(reusable, own, lent)
                    locales[loc] = train_locale(
                        data, loc, encoder, config, glosser, lent, own=own, calibrated=calibrated
                    )
                    locales[loc].fingerprint = fingerprint
        model = cls(
            version=cls.version_for(data, config, encoder, glossers),
            intents=dict(data.intents),
            locales=locales,
            encoder_fingerprint=encoder.fingerprint if encoder else None,
            config=config,
            train_seconds=time.perf_counter() - started,
        )
        model.attach(encoder, glossers)
        model.configure(target_precision=target_precision, answer_threshold=answer_threshold)
        return model

    def attach(self, encoder: Encoder | None, glossers: Glossers | None = None) -> None:
        """Give a loaded model its encoder and glossers (which are never saved with it).

        A locale trained with glosses is glossed at prediction time too; where this machine lacks the
        locale's dictionaries its messages are embedded as written, which works but answers less.
        """
        if self.encoder_fingerprint and (encoder is None or encoder.fingerprint != self.encoder_fingerprint):
            raise ValueError("this model was trained with a different encoder; retrain it with `faqdesk train`")
        self.encoder = encoder
        self.glossers = {}
        for loc, lm in self.locales.items():
            if lm.stats.get("glossary"):
                glosser = (glossers or {}).get(loc)
                if glosser is None:
                    log.warning("model %s glosses %s, but this machine has no %s glossary", self.version, loc, loc)
                else:
                    self.glossers[loc] = glosser
            if lm.classifier.speller is not None:
                lm.classifier.speller.load()  # its word lists now, not on a visitor's first typo

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

    def follow_traffic(
        self,
        shares: dict[str, float],
        turns: dict[str, int] | None = None,
        reviewed: dict[str, Reviewed] | None = None,
    ) -> None:
        """Move each named locale's thresholds to its out-of-scope share estimated from ``turns`` turns, and
        to what its ``reviewed`` turns say about precision above each score (``bot.reviewed``)."""
        for loc, share in shares.items():
            if loc in self.locales:
                self._set_share(self.locales[loc], share, (reviewed or {}).get(loc))
        self.traffic_turns = {**self.traffic_turns, **(turns or {})}

    def with_traffic(
        self,
        shares: dict[str, float],
        turns: dict[str, int] | None = None,
        reviewed: dict[str, Reviewed] | None = None,
    ) -> FaqModel:
        """A copy following ``shares`` (``follow_traffic``), so a model in use is never changed under a request."""
        model = copy.copy(self)  # like pickling, copying leaves the encoder and detector out: share them
        model.encoder, model._detector, model.glossers = self.encoder, self._detector, self.glossers
        model.locales = {loc: dataclasses.replace(lm, stats=dict(lm.stats)) for loc, lm in self.locales.items()}
        model.follow_traffic(shares, turns, reviewed)
        return model

    def _set_share(self, lm: LocaleModel, oos_share: float, reviewed: Reviewed | None = None) -> None:
        cal = lm.calibration
        lm.oos_share = oos_share
        # The precision expected there is the curve's pooled with what reviewers found (the curve's alone
        # without reviews).
        if self.answer_threshold is None:
            lm.threshold, precision = reviewed_threshold(cal.curve, self.target_precision, oos_share, reviewed)
        else:
            lm.threshold = self.answer_threshold
            precision = float(precision_at(cal.curve, oos_share, reviewed, np.array([lm.threshold]))[0])
        lm.options_threshold = cal.set_curve.threshold(self.target_precision, oos_share)
        confirm_target = max(CONFIRM_FLOOR, self.target_precision - CONFIRM_MARGIN)
        lm.confirm_threshold = min(lm.threshold, cal.curve.threshold(confirm_target, oos_share))
        related_target = max(RELATED_FLOOR, self.target_precision - RELATED_MARGIN)
        lm.related_threshold = min(lm.options_threshold, cal.set_curve.threshold(related_target, oos_share))
        own = cal.curve.threshold(self.target_precision, oos_share) if self.answer_threshold is None else lm.threshold
        lm.stats["builtin_threshold"] = min(lm.threshold, own)
        expected = cal.curve.rates(lm.threshold, oos_share) | {"precision": precision}
        lm.expected_precision = expected["precision"]
        lm.stats["expected"] = expected

    def rethreshold(self, prediction: Prediction) -> Prediction:
        """The prediction with the thresholds now in force for its locale (after ``configure``)."""
        lm = self.locales[prediction.locale]
        prediction.threshold, prediction.options_threshold = lm.threshold, lm.options_threshold
        prediction.confirm_threshold = lm.confirm_threshold
        prediction.related_threshold = lm.related_threshold
        prediction.builtin_threshold = lm.stats.get("builtin_threshold")
        return prediction

    # ----- prediction -----------------------------------------------------------------------
    def predict(self, text: str, *, locale: str | None = None, fallback_locale: str | None = None) -> Prediction:
        """Classify one message; without a locale it is detected among the model's locales."""
        started = time.perf_counter()
        if self.encoder is None and self.encoder_fingerprint:
            # Without its encoder the model would quietly fall back to its lexical half.
            raise RuntimeError("model has no encoder attached; call attach() after loading")
        if locale is not None and locale in self.locales:
            prediction = self._predict_in(text, locale)
        elif fallback_locale in self.locales and not could_switch(text):
            # Too short to leave the conversation's locale whatever it looks like: no detection to run.
            prediction = self._predict_in(text, fallback_locale)
        else:
            guess = self.detector.guess(text)
            if fallback_locale is not None and fallback_locale in self.locales:
                # The page's language wins unless the message is clearly written in another one. A message
                # that is probably, not clearly, in another one ("where is my parcel" on a French page) is
                # read in both, and the surer reading kept: the conversation moves only if it is answered.
                switch = guess.clearly_not(fallback_locale)
                prediction = self._predict_in(text, guess.best if switch else fallback_locale)
                if not switch and guess.best != fallback_locale and guess.ranked[0][1] >= LIKELY_OTHER_LOCALE:
                    other = self._predict_in(text, guess.best)
                    prediction = other if other.confidence > prediction.confidence else prediction
            elif guess.confident or len(self.locales) == 1:
                prediction = self._predict_in(text, guess.best)
            else:
                # Ambiguous and no conversation yet: ask the two likeliest locales, keep the surer one.
                seen: dict[tuple[int, str], np.ndarray | None] = {}  # locales that embed alike share one encoding
                tries = [self._predict_in(text, loc, seen) for loc, _ in guess.ranked[:2]]
                prediction = max(tries, key=lambda p: p.confidence)
        prediction.latency_ms = (time.perf_counter() - started) * 1000
        return prediction

    @property
    def detector(self) -> LocaleDetector:
        """Locale detector limited to the trained locales (built on first use)."""
        if self._detector is None:
            self._detector = LocaleDetector(sorted(self.locales), accurate=self.accurate_locale_detection)
        return self._detector

    def _predict_in(
        self, text: str, locale: str, seen: dict[tuple[int, str], np.ndarray | None] | None = None
    ) -> Prediction:
        lm = self.locales[locale]
        encoder = self.encoder_for(locale)  # German and Dutch: their gloss's vector
        spelled = lm.classifier.spell(text)  # typos corrected to the FAQ's words of this locale
        seen = {} if seen is None else seen
        key = (id(encoder), spelled)
        if key not in seen:
            seen[key] = encoder.encode_one(spelled) if encoder is not None else None
        vector = seen[key]  # what suggestions compare with, as the classifier saw it
        embedding = vector[None, :] if vector is not None else None
        # One message through the fitted estimators' arithmetic (bot/linear.py), not scikit-learn's
        # per-call checks; BLAS on one thread, as tiny products only slow down on more.
        _blas_on_one_thread()
        raw = lm.classifier.score_one(spelled, embedding)
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
            related_threshold=lm.related_threshold,
            builtin_threshold=lm.stats.get("builtin_threshold"),
            embedding=vector,
        )

    def encoder_for(self, locale: str) -> TextEncoder | None:
        """The encoder as this locale's classifier uses it: glossing where the locale was trained so."""
        return glossing(self.encoder, self.glossers.get(locale)) if self.encoder is not None else None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["encoder"] = None  # the encoder is shared and loaded from its own path
        state["glossers"] = {}
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
                    "related_threshold": round(lm.related_threshold, 4),
                    "oos_share": round(lm.oos_share, 3),
                    "expected_precision": round(lm.expected_precision, 4),
                }
                for loc, lm in sorted(self.locales.items())
            },
        }
