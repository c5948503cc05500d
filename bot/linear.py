"""The chat path's arithmetic on plain arrays: no scikit-learn, no SciPy.

A serving process scores one message at a time with estimators fitted by scikit-learn during
training. Their public fitted attributes (``vocabulary_``, ``idf_``, ``coef_``, ``intercept_``,
``mean_``, ``scale_``) are all the arithmetic needs, so a model is saved as those arrays
(bot/modelfile.py) and served by the classes here. Importing scikit-learn and SciPy cost a serving
process ~110 MB of its ~430 MB, and their per-call input checks cost about as much time as the
arithmetic on one row. Training and cross-validation keep using scikit-learn itself;
tests/bot/test_linear.py holds the two equal.

A message's tf-idf row is sparse: a pair of arrays (term indices, values), which the dot products
below take as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from core.text import fold

SparseRow = tuple[np.ndarray, np.ndarray]  # (column indices, values) of one sparse row

_WHITE_SPACES = re.compile(r"\s\s+")


class CharNgrams:
    """scikit-learn's ``analyzer="char_wb"`` over folded text: character n-grams inside word boundaries.

    A reimplementation of ``CountVectorizer._char_wb_ngrams`` with our folding as its preprocessor
    (a custom preprocessor replaces scikit-learn's lowercasing); it is picklable and small, so training
    and serving share it. Each word is padded with one space on each side; a word shorter than an
    n-gram length counts once, padded whole.
    """

    def __init__(self, locale: str, min_n: int = 2, max_n: int = 5) -> None:
        self.locale, self.min_n, self.max_n = locale, min_n, max_n

    def __call__(self, text: str) -> list[str]:
        """The n-grams of one text, in scikit-learn's order."""
        text = _WHITE_SPACES.sub(" ", fold(text, self.locale))
        ngrams: list[str] = []
        append = ngrams.append
        for word in text.split():
            padded = f" {word} "
            length = len(padded)
            for n in range(self.min_n, self.max_n + 1):
                offset = 0
                append(padded[offset : offset + n])
                while offset + n < length:
                    offset += 1
                    append(padded[offset : offset + n])
                if offset == 0:  # the whole padded word was shorter than n: counted once
                    break
        return ngrams


class Tfidf:
    """``TfidfVectorizer.transform`` of one text (l2 norm, idf on, counts optionally sublinear)."""

    def __init__(
        self, analyze: Callable[[str], list[str]], vocabulary: dict[str, int], idf: np.ndarray, *, sublinear: bool
    ) -> None:
        self.analyze, self.vocabulary, self.sublinear = analyze, vocabulary, sublinear
        self.idf = np.asarray(idf, dtype=np.float64)
        self.width = len(self.idf)

    @classmethod
    def of(cls, vectorizer: Any) -> Tfidf:
        """The arrays of a fitted ``TfidfVectorizer`` whose analyzer is a callable of ours."""
        if vectorizer.norm != "l2" or not vectorizer.use_idf or not callable(vectorizer.analyzer):
            raise ValueError("only l2-normalised tf-idf over a callable analyzer is supported")
        return cls(
            vectorizer.analyzer, vectorizer.vocabulary_, vectorizer.idf_, sublinear=bool(vectorizer.sublinear_tf)
        )

    def terms(self) -> list[str]:
        """The vocabulary in column order."""
        out = [""] * self.width
        for term, index in self.vocabulary.items():
            out[index] = term
        return out

    def row(self, text: str) -> SparseRow:
        """The text as one l2-normalised tf-idf row, columns ascending."""
        vocabulary = self.vocabulary
        counts = Counter(i for term in self.analyze(text) if (i := vocabulary.get(term)) is not None)
        indices = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        data = np.fromiter((counts[i] for i in indices), dtype=np.float64, count=len(indices))
        if self.sublinear:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf[indices]
        norm = np.sqrt(np.dot(data, data))
        if norm > 0:
            data /= norm
        return indices, data


def hstack_rows(left: SparseRow, right: SparseRow, left_width: int) -> SparseRow:
    """Two sparse rows side by side (the right one's columns shifted by the left one's width)."""
    return np.concatenate([left[0], right[0] + left_width]), np.concatenate([left[1], right[1]])


def l2_row(row: SparseRow) -> SparseRow:
    """The row scaled to unit length (``sklearn.preprocessing.normalize``); a zero row stays zero."""
    norm = np.sqrt(np.dot(row[1], row[1]))
    return (row[0], row[1] / norm) if norm > 0 else row


class SparseRows:
    """A CSR matrix as its three arrays; ``times`` multiplies one sparse row with it."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_columns: int) -> None:
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices)  # int32 as scipy keeps them: half the memory of int64
        self.data = np.asarray(data, dtype=np.float64)
        self.n_columns = int(n_columns)

    @classmethod
    def of(cls, matrix: Any) -> SparseRows:
        """From a ``scipy.sparse`` CSR matrix."""
        return cls(matrix.indptr, matrix.indices, matrix.data, matrix.shape[1])

    def times(self, row: SparseRow) -> np.ndarray:
        """``row @ self`` as a dense 1-D array: the stored rows named by the row's columns, weighted."""
        columns, values = row
        starts = self.indptr[columns]
        lengths = self.indptr[columns + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self.n_columns)
        # Positions of every stored entry of the selected rows, in one gather.
        positions = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
        weights = self.data[positions] * np.repeat(values, lengths)
        return np.bincount(self.indices[positions], weights=weights, minlength=self.n_columns)


class LinearHead:
    """A fitted linear classifier (``LinearSVC``, ``LogisticRegression``): ``coef_`` and ``intercept_``."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        # The fitted dtype is kept: a head fitted on float32 embeddings computes in float32, as in scikit-learn.
        self.coef, self.intercept = np.asarray(coef), np.asarray(intercept)

    @classmethod
    def of(cls, estimator: Any) -> LinearHead:
        """From a fitted scikit-learn linear classifier."""
        return cls(estimator.coef_, estimator.intercept_)

    def decision(self, x: np.ndarray | SparseRow) -> np.ndarray:
        """``decision_function``, always 2-D: rows of a dense matrix, or one sparse row."""
        if isinstance(x, tuple):
            columns, values = x
            return (self.coef[:, columns] @ values + self.intercept)[None, :]
        return np.asarray(x @ self.coef.T + self.intercept)

    def log_proba(self, x: np.ndarray) -> np.ndarray:
        """``predict_log_proba`` of a (multinomial or binary) logistic regression."""
        scores = self.decision(x)
        if scores.shape[1] == 1:  # binary: one column of decision values for the second class
            p = expit(scores[:, 0])
            return np.log(np.column_stack([1.0 - p, p]))
        return log_softmax(scores, axis=1)


class Acceptor:
    """A fitted ``StandardScaler`` + binary ``LogisticRegression`` pipeline: P(class 1)."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.head = LinearHead(coef, intercept)

    @classmethod
    def of(cls, pipeline: Any) -> Acceptor:
        """From a fitted scaler + logistic regression pipeline."""
        scaler, logistic = pipeline[0], pipeline[-1]
        return cls(scaler.mean_, scaler.scale_, logistic.coef_, logistic.intercept_)

    def proba(self, x: np.ndarray) -> np.ndarray:
        """P(class 1) for feature rows."""
        return expit(self.head.decision((x - self.mean) / self.scale)[:, 0])


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function (``scipy.special.expit``)."""
    x = np.asarray(x)
    with np.errstate(over="ignore"):  # exp overflows to inf for very negative x: the value is 0 then
        return np.asarray(1 / (1 + np.exp(-x)))


def log_softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    """``scipy.special.log_softmax``: shifted by the maximum for stability, infinite maxima as 0."""
    x = np.asarray(x)
    x_max = np.amax(x, axis=axis, keepdims=True)
    x_max[~np.isfinite(x_max)] = 0
    shifted = x - x_max
    with np.errstate(divide="ignore"):
        return np.asarray(shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)))
