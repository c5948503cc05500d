"""Fitted scikit-learn estimators applied to one chat message without scikit-learn's per-call checks.

On the chat path every estimator sees one row: scikit-learn's input validation (dataframe sniffing,
dtype and shape checks) cost about as much as the arithmetic, ~1 ms of a turn's ~6 ms of Python
under load. These functions do the same arithmetic from the estimators' public fitted attributes
(``vocabulary_``, ``idf_``, ``coef_``, ``intercept_``, ``mean_``, ``scale_``); training and
cross-validation keep using scikit-learn itself, and tests/bot/test_linear.py holds the two equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit, log_softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline


class Tfidf:
    """``TfidfVectorizer.transform`` for fitted vectorizers with the default ``norm="l2"`` and idf on."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("only l2-normalised tf-idf is supported")
        self._analyze: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._sublinear = bool(vectorizer.sublinear_tf)
        self.width = len(self._idf)

    def row(self, text: str) -> sparse.csr_matrix:
        """The message as one l2-normalised tf-idf row."""
        counts = Counter(i for term in self._analyze(text) if (i := self._vocabulary.get(term)) is not None)
        indices = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
        data = np.fromiter((counts[i] for i in indices), dtype=np.float64, count=len(indices))
        if self._sublinear:
            np.log(data, out=data)
            data += 1.0
        data *= self._idf[indices]
        norm = np.sqrt(np.dot(data, data))
        if norm > 0:
            data /= norm
        return sparse.csr_matrix((data, indices, np.array([0, len(indices)])), shape=(1, self.width))


def decision(estimator: Any, x: Any) -> np.ndarray:
    """``decision_function`` of a fitted linear classifier, always one column per class seen as 2-D."""
    scores = x @ estimator.coef_.T
    scores = np.asarray(scores) + estimator.intercept_
    return np.asarray(scores)


def log_proba(estimator: Any, x: Any) -> np.ndarray:
    """``predict_log_proba`` of a fitted (multinomial or binary) ``LogisticRegression``."""
    scores = decision(estimator, x)
    if scores.shape[1] == 1:  # binary: one column of decision values for the second class
        p = expit(scores[:, 0])
        return np.log(np.column_stack([1.0 - p, p]))
    return np.asarray(log_softmax(scores, axis=1))


def acceptor_proba(pipeline: Pipeline, x: np.ndarray) -> np.ndarray:
    """P(class 1) of a fitted ``StandardScaler`` + binary ``LogisticRegression`` pipeline."""
    scaler, logistic = pipeline[0], pipeline[-1]
    scaled = (x - scaler.mean_) / scaler.scale_
    return np.asarray(expit(decision(logistic, scaled)[:, 0]))


def l2_rows(x: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to unit length (``sklearn.preprocessing.normalize``), zero rows left as they are."""
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(x.multiply(1.0 / norms[:, None]))
