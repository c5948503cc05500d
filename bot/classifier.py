"""The intent classifier for one locale: a semantic head and a lexical head, blended.

- semantic: logistic regression on sentence embeddings (calibrated probabilities by construction);
- lexical: a linear SVM on TF-IDF of stems, compound parts and character n-grams of folded text,
  turned into probabilities by a softmax whose temperature is fitted on held-out predictions;
- the blend weight and temperature are fitted on cross-validated predictions (see ``calibration``),
  so a locale the English encoder barely understands leans on the lexical side by itself.

Besides probabilities it reports how close a message is to the nearest training example of each
intent, semantically and lexically: the evidence the out-of-scope acceptor learns from.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bot import linear
from bot.linear import log_softmax
from bot.spelling import Speller
from bot.text import Analyzer

if TYPE_CHECKING:
    from scipy import sparse

SEMANTIC_C = 20.0
LEXICAL_C = 0.5


@dataclass
class Borrowed:
    """Other locales' examples, embedded in the same space as this locale's (English, or glossed into it).

    ``anchors`` is each example's position among its intent's examples in its own locale: translated
    FAQs list a question's translations at the same position, so cross-validation can hold a
    translation out together with its original instead of grading a held-out example against it.
    """

    labels: list[str]
    embeddings: np.ndarray
    anchors: np.ndarray

    def take(self, rows: np.ndarray) -> Borrowed:
        return Borrowed([self.labels[i] for i in rows], self.embeddings[rows], self.anchors[rows])


@dataclass
class RawScores:
    """Per-class evidence for a batch of messages (rows) over ``classes`` (columns)."""

    sem_logp: np.ndarray | None  # log-probabilities of the semantic head
    lex_score: np.ndarray  # decision values of the lexical head
    sem_sim: np.ndarray  # max cosine similarity to an example of each class (0 without encoder)
    lex_sim: np.ndarray  # max TF-IDF cosine similarity to an example of each class

    def blend(self, weight: float, temperature: float) -> np.ndarray:
        """Log-probabilities of the blended heads."""
        lex = log_softmax(self.lex_score / temperature, axis=1)
        if self.sem_logp is None:
            return lex
        return log_softmax(weight * self.sem_logp + (1.0 - weight) * lex, axis=1)

    def take(self, rows: np.ndarray) -> RawScores:
        """The scores of some rows only."""
        return RawScores(
            None if self.sem_logp is None else self.sem_logp[rows],
            self.lex_score[rows],
            self.sem_sim[rows],
            self.lex_sim[rows],
        )


@dataclass
class _Fitted:
    """The scikit-learn estimators behind a freshly fitted classifier: batch scoring in cross-validation.

    A saved model keeps only their arrays (the serving parts), so a serving process never imports
    scikit-learn or SciPy.
    """

    words: Any  # TfidfVectorizer
    chars: Any  # TfidfVectorizer
    lex_head: Any  # LinearSVC | None
    sem_head: Any  # LogisticRegression | None
    examples_lex: sparse.csr_matrix  # l2-normalised tf-idf of the examples, one column each


class LocaleClassifier:
    """Scores messages of one locale against its intents.

    What it serves with are arrays (bot/linear.py): the tf-idf vocabularies and idf weights, the
    heads' coefficients, the examples' tf-idf columns and embeddings; bot/modelfile.py saves them.
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.classes: np.ndarray = np.array([], dtype=object)
        self.analyzer = Analyzer(locale)
        self.speller: Speller | None = None  # None: a model saved before typo correction
        self.words: linear.Tfidf | None = None
        self.chars: linear.Tfidf | None = None
        self.lex_head: linear.LinearHead | None = None
        self.sem_head: linear.LinearHead | None = None
        self._starts = np.zeros(0, dtype=np.int64)
        self._sem_starts = np.zeros(0, dtype=np.int64)  # class blocks of the semantic examples (borrowed too)
        self._examples_lex: linear.SparseRows | None = None
        self._examples_sem: np.ndarray | None = None
        self._fitted: _Fitted | None = None

    def fit(
        self,
        texts: list[str],
        labels: list[str],
        embeddings: np.ndarray | None,
        borrowed: Borrowed | None = None,
        *,
        spelling: bool = True,
    ) -> LocaleClassifier:
        """Fit both heads and remember the examples for the similarity features.

        ``borrowed`` examples (other locales' examples in the same vector space) join the semantic head
        and the semantic similarities only; those of intents this locale has no example of are ignored.
        With ``spelling``, messages' typos are corrected to the examples' words (``spell``).
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import normalize
        from sklearn.svm import LinearSVC

        y = np.asarray(labels, dtype=object)
        self.classes = np.array(sorted(set(labels)), dtype=object)
        order = np.argsort(np.searchsorted(self.classes, y), kind="stable")
        y = y[order]
        texts = [texts[i] for i in order]
        # Examples sorted by class so per-class maxima are one reduceat over contiguous blocks.
        self._starts = np.searchsorted(y, self.classes)
        self.analyzer = Analyzer.fit(texts, self.locale)
        self.speller = Speller.fit(texts, self.locale) if spelling else None
        min_df = 2 if len(texts) > 2000 else 1
        words = TfidfVectorizer(analyzer=self.analyzer.terms, sublinear_tf=True)
        # CharNgrams is scikit-learn's analyzer="char_wb" (ngram_range=(2, 5)) over folded text.
        chars = TfidfVectorizer(analyzer=linear.CharNgrams(self.locale, 2, 5), sublinear_tf=True, min_df=min_df)
        lexical = _hstack([words.fit_transform(texts), chars.fit_transform(texts)])
        examples_lex = normalize(lexical).T.tocsr()
        multi = len(self.classes) > 1
        lex_head = LinearSVC(C=LEXICAL_C, tol=1e-3, random_state=0).fit(lexical, y) if multi else None
        sem_head = None
        self._examples_sem = None
        if embeddings is not None:
            embeddings = embeddings[order]
            sem_y = y
            if borrowed is not None and len(borrowed.labels):
                extra_y = np.asarray(borrowed.labels, dtype=object)
                keep = np.isin(extra_y, self.classes)
                sem_y = np.concatenate([y, extra_y[keep]])
                embeddings = np.vstack([embeddings, borrowed.embeddings[keep]])
                again = np.argsort(np.searchsorted(self.classes, sem_y), kind="stable")
                sem_y, embeddings = sem_y[again], embeddings[again]
            self._sem_starts = np.searchsorted(sem_y, self.classes)
            self._examples_sem = np.ascontiguousarray(embeddings.T)
            if multi:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    sem_head = LogisticRegression(C=SEMANTIC_C, max_iter=300).fit(embeddings, sem_y)
        self._fitted = _Fitted(words, chars, lex_head, sem_head, examples_lex)
        self.words, self.chars = linear.Tfidf.of(words), linear.Tfidf.of(chars)
        self.lex_head = linear.LinearHead.of(lex_head) if lex_head is not None else None
        self.sem_head = linear.LinearHead.of(sem_head) if sem_head is not None else None
        self._examples_lex = linear.SparseRows.of(examples_lex)
        return self

    def spell(self, text: str) -> str:
        """The message with its typos corrected to the examples' words: what the classifier scores, and
        what is embedded for it (``bot.spelling``)."""
        return self.speller.correct(text) if self.speller is not None else text

    def scores(self, texts: list[str], embeddings: np.ndarray | None) -> RawScores:
        """Evidence for each message and class: scikit-learn on a batch after ``fit``, else row by row."""
        if self._fitted is None:  # a loaded model: its serving parts, one message at a time
            rows = [
                self.score_one(t, None if embeddings is None else embeddings[i : i + 1]) for i, t in enumerate(texts)
            ]
            return _stack_scores(rows, len(self.classes))
        from sklearn.preprocessing import normalize

        fitted = self._fitted
        n, k = len(texts), len(self.classes)
        lexical = _hstack([fitted.words.transform(texts), fitted.chars.transform(texts)])
        lex_score = np.zeros((n, k))
        if fitted.lex_head is not None:
            decision = fitted.lex_head.decision_function(lexical)
            lex_score = np.column_stack([-decision, decision]) if k == 2 else decision
        lex_sim = _class_max((normalize(lexical) @ fitted.examples_lex).toarray(), self._starts)
        sem_logp = None
        sem_sim = np.zeros((n, k))
        if embeddings is not None and self._examples_sem is not None:
            sem_sim = _class_max(embeddings @ self._examples_sem, self._sem_starts)
            sem_logp = fitted.sem_head.predict_log_proba(embeddings) if fitted.sem_head else np.zeros((n, k))
        return RawScores(sem_logp, lex_score, sem_sim, lex_sim)

    def score_one(self, text: str, embedding: np.ndarray | None) -> RawScores:
        """``scores`` for one message, from the serving parts alone (bot/linear.py)."""
        if self.words is None or self.chars is None or self._examples_lex is None:
            raise RuntimeError("the classifier is not fitted")
        lexical = linear.hstack_rows(self.words.row(text), self.chars.row(text), self.words.width)
        k = len(self.classes)
        lex_score = np.zeros((1, k))
        if self.lex_head is not None:
            decision = self.lex_head.decision(lexical)
            lex_score = np.column_stack([-decision[:, 0], decision[:, 0]]) if k == 2 else decision
        lex_sim = _class_max(self._examples_lex.times(linear.l2_row(lexical))[None, :], self._starts)
        sem_logp = None
        sem_sim = np.zeros((1, k))
        if embedding is not None and self._examples_sem is not None:
            sem_sim = _class_max(embedding @ self._examples_sem, self._sem_starts)
            sem_logp = self.sem_head.log_proba(embedding) if self.sem_head else np.zeros((1, k))
        return RawScores(sem_logp, lex_score, sem_sim, lex_sim)


def _class_max(sims: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per class, the best similarity among its examples (columns sorted by class, blocks from ``starts``)."""
    return np.maximum.reduceat(sims, starts, axis=1)


def _hstack(parts: list[sparse.csr_matrix]) -> sparse.csr_matrix:
    from scipy import sparse

    return sparse.hstack(parts, format="csr")


def _stack_scores(rows: list[RawScores], k: int) -> RawScores:
    if not rows:
        empty = np.zeros((0, k))
        return RawScores(None, empty, empty, empty)
    sem = None if rows[0].sem_logp is None else np.vstack([r.sem_logp for r in rows if r.sem_logp is not None])
    return RawScores(
        sem,
        np.vstack([r.lex_score for r in rows]),
        np.vstack([r.sem_sim for r in rows]),
        np.vstack([r.lex_sim for r in rows]),
    )
