"""Learn from the training data when to answer, ask, or decline.

Cross-validation over examples *and* intents: in fold k the classifier trains without the examples
of fold k and without a whole group of intents. Held-out examples of known intents show how often
the top guess is right; examples of the hidden intents play out-of-scope questions near the domain
(the hardest kind), next to any real out-of-scope examples the data carries. On these predictions we
fit the blend of the two heads, an acceptor (P(top intent is right)) and a set acceptor (P(the right
intent is among the options)), and keep the score curves, so a target precision maps to a threshold
without retraining.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from bot.classifier import LocaleClassifier, RawScores

WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TEMPERATURES = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
N_OPTIONS = 3

EmbedFn = Callable[[list[str]], np.ndarray | None]


def features(logp: np.ndarray, raw: RawScores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acceptor features for the top intent, for the top options, and the class order (best first)."""
    n, k = logp.shape
    order = np.argsort(-logp, axis=1)
    rows = np.arange(n)[:, None]
    top = order[:, :N_OPTIONS]
    lp = logp[rows, top]
    lp1 = lp[:, 0]
    lp2 = lp[:, 1] if k > 1 else np.full(n, -20.0)
    sem1, lex1 = raw.sem_sim[rows[:, 0], top[:, 0]], raw.lex_sim[rows[:, 0], top[:, 0]]
    single = np.column_stack([lp1, np.exp(lp1), lp1 - lp2, sem1, lex1, raw.sem_sim.max(1), raw.lex_sim.max(1)])
    set_p = np.exp(lp).sum(1)
    options = np.column_stack(
        [
            np.log(np.clip(set_p, 1e-9, 1.0)),
            set_p,
            raw.sem_sim[rows, top].max(1),
            raw.lex_sim[rows, top].max(1),
            sem1,
            lex1,
        ]
    )
    return single, options, order


@dataclass
class Curve:
    """Acceptor scores of held-out predictions, their correctness and weights; maps precision to threshold."""

    scores: np.ndarray
    correct: np.ndarray
    weights: np.ndarray

    def threshold(self, target_precision: float) -> float:
        """The lowest score whose accepted set reaches the target precision (above 1 when none does)."""
        order = np.argsort(-self.scores, kind="stable")
        w, c = self.weights[order], self.correct[order]
        precision = np.cumsum(w * c) / np.maximum(np.cumsum(w), 1e-12)
        ok = np.flatnonzero(precision >= target_precision)
        if len(ok) == 0:
            return 1.01
        return float(self.scores[order][ok[-1]])

    def rates(self, threshold: float) -> dict[str, float]:
        """Estimated precision and coverage (share of in-scope answered) at a threshold."""
        accepted = self.scores >= threshold
        w_acc = (self.weights * accepted).sum()
        return {
            "precision": float((self.weights * accepted * self.correct).sum() / w_acc) if w_acc else 1.0,
            "accept_rate": float(accepted.mean()) if len(accepted) else 0.0,
        }


@dataclass
class Calibration:
    """Everything learned from held-out predictions for one locale."""

    weight: float
    temperature: float
    acceptor: Pipeline | None
    set_acceptor: Pipeline | None
    curve: Curve
    set_curve: Curve
    n_heldout: int
    n_out_of_scope: int

    def accept(self, single: np.ndarray) -> np.ndarray:
        """P(the top intent is right) for feature rows."""
        return _prob(self.acceptor, single)

    def accept_set(self, options: np.ndarray) -> np.ndarray:
        """P(the right intent is among the top options) for feature rows."""
        return _prob(self.set_acceptor, options)


def _prob(model: Pipeline | None, x: np.ndarray) -> np.ndarray:
    if model is None:
        return np.full(len(x), 0.5)
    return model.predict_proba(x)[:, 1]


@dataclass
class _Fold:
    classes: np.ndarray
    raw: RawScores
    truth: np.ndarray  # true intent id per row, or "" for out of scope


def calibrate(
    texts: list[str],
    labels: list[str],
    embeddings: np.ndarray | None,
    oos_texts: list[str],
    oos_embeddings: np.ndarray | None,
    *,
    locale: str,
    folds: int,
    oos_prior: float,
    seed: int,
) -> Calibration:
    """Cross-validate a classifier for one locale and learn blend, acceptors and score curves."""
    rng = np.random.default_rng(seed)
    y = np.asarray(labels, dtype=object)
    intents = sorted(set(labels))
    folds = max(2, min(folds, len(intents)))
    group = dict(zip(intents, rng.permutation(len(intents)) % folds, strict=True))
    fold_of = np.empty(len(y), dtype=int)
    for intent in intents:
        idx = np.flatnonzero(y == intent)
        fold_of[rng.permutation(idx)] = (np.arange(len(idx)) + rng.integers(folds)) % folds
    hidden = np.array([group[label] for label in labels])
    oos_fold = rng.permutation(len(oos_texts)) % folds
    results: list[_Fold] = []
    for k in range(folds):
        train = (fold_of != k) & (hidden != k)
        if len(set(y[train])) < 2:
            continue
        clf = LocaleClassifier(locale).fit(
            [texts[i] for i in np.flatnonzero(train)], list(y[train]), _rows(embeddings, train)
        )
        heldout = (fold_of == k) & (hidden != k)
        simulated = hidden == k
        eval_rows = np.flatnonzero(heldout | simulated)
        eval_texts = [texts[i] for i in eval_rows] + [oos_texts[i] for i in np.flatnonzero(oos_fold == k)]
        eval_emb = _stack(_rows(embeddings, eval_rows), _rows(oos_embeddings, oos_fold == k))
        # An intent with no example left in training is unknown to this fold: out of scope here.
        known = heldout[eval_rows] & np.isin(y[eval_rows], clf.classes)
        truth = np.where(known, y[eval_rows], "")
        truth = np.concatenate([truth, np.full(int((oos_fold == k).sum()), "", dtype=object)])
        results.append(_Fold(clf.classes, clf.scores(eval_texts, eval_emb), truth.astype(object)))
    return _fit(results, oos_prior=oos_prior, has_embeddings=embeddings is not None)


def _rows(matrix: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if matrix is None else matrix[rows]


def _stack(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    return a if b is None or len(b) == 0 else np.vstack([a, b])


def _fit(results: list[_Fold], *, oos_prior: float, has_embeddings: bool) -> Calibration:
    if not results:
        # Fewer than two intents: nothing to tell apart, so nothing to learn a threshold from.
        empty = Curve(np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0))
        return Calibration(1.0 if has_embeddings else 0.0, 1.0, None, None, empty, empty, 0, 0)
    weight, temperature = _best_blend(results, has_embeddings)
    single_x, options_x, correct, in_options, in_scope = [], [], [], [], []
    for fold in results:
        logp = fold.raw.blend(weight, temperature)
        single, options, order = features(logp, fold.raw)
        predicted = fold.classes[order[:, 0]]
        shown = fold.classes[order[:, :N_OPTIONS]]
        single_x.append(single)
        options_x.append(options)
        correct.append((predicted == fold.truth) & (fold.truth != ""))
        in_options.append((shown == fold.truth[:, None]).any(1) & (fold.truth != ""))
        in_scope.append(fold.truth != "")
    xs, xo = np.vstack(single_x), np.vstack(options_x)
    ys, yo, scope = np.concatenate(correct), np.concatenate(in_options), np.concatenate(in_scope)
    weights = _traffic_weights(scope, oos_prior)
    acceptor = _fit_acceptor(xs, ys)
    set_acceptor = _fit_acceptor(xo, yo)
    return Calibration(
        weight=weight,
        temperature=temperature,
        acceptor=acceptor,
        set_acceptor=set_acceptor,
        curve=Curve(_prob(acceptor, xs), ys, weights),
        set_curve=Curve(_prob(set_acceptor, xo), yo, weights),
        n_heldout=int(scope.sum()),
        n_out_of_scope=int((~scope).sum()),
    )


def _best_blend(results: list[_Fold], has_embeddings: bool) -> tuple[float, float]:
    """Blend weight and temperature with the best held-out log-likelihood of the true intent."""
    best, best_ll = (1.0, 1.0), -np.inf
    for weight in WEIGHTS if has_embeddings else (0.0,):
        for temperature in TEMPERATURES:
            total, count = 0.0, 0
            for fold in results:
                known = np.flatnonzero(fold.truth != "")
                if not len(known):
                    continue
                logp = fold.raw.take(known).blend(weight, temperature)
                cols = np.searchsorted(fold.classes, fold.truth[known])
                total += float(logp[np.arange(len(known)), cols].sum())
                count += len(known)
            ll = total / max(count, 1)
            if ll > best_ll:
                best, best_ll = (weight, temperature), ll
    return best


def _traffic_weights(in_scope: np.ndarray, oos_prior: float) -> np.ndarray:
    """Weights that make out-of-scope rows an ``oos_prior`` share of traffic."""
    n_in, n_out = int(in_scope.sum()), int((~in_scope).sum())
    if n_out == 0 or n_in == 0:
        return np.ones(len(in_scope))
    return np.where(in_scope, (1.0 - oos_prior) / n_in, oos_prior / n_out) * len(in_scope)


def _fit_acceptor(x: np.ndarray, y: np.ndarray) -> Pipeline | None:
    if len(set(y.tolist())) < 2:
        return None
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=500)).fit(x, y)
