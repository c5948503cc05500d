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

import numpy as np
from scipy import sparse
from scipy.special import log_softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from bot import linear
from bot.text import Analyzer, fold

SEMANTIC_C = 20.0
LEXICAL_C = 0.5


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


class LocaleClassifier:
    """Scores messages of one locale against its intents."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.classes: np.ndarray = np.array([], dtype=object)
        self._fast: tuple[linear.Tfidf, linear.Tfidf] | None = None

    def fit(self, texts: list[str], labels: list[str], embeddings: np.ndarray | None) -> LocaleClassifier:
        """Fit both heads and remember the examples for the similarity features."""
        y = np.asarray(labels, dtype=object)
        self.classes = np.array(sorted(set(labels)), dtype=object)
        order = np.argsort(np.searchsorted(self.classes, y), kind="stable")
        y = y[order]
        texts = [texts[i] for i in order]
        # Examples sorted by class so per-class maxima are one reduceat over contiguous blocks.
        self._starts = np.searchsorted(y, self.classes)
        self.analyzer = Analyzer.fit(texts, self.locale)
        min_df = 2 if len(texts) > 2000 else 1
        self.words = TfidfVectorizer(analyzer=self.analyzer.terms, sublinear_tf=True)
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            min_df=min_df,
            preprocessor=self._fold,
        )
        lexical = self._lexical(texts, fit=True)
        self._examples_lex = normalize(lexical).T.tocsr()
        multi = len(self.classes) > 1
        self.lex_head = LinearSVC(C=LEXICAL_C, tol=1e-3, random_state=0).fit(lexical, y) if multi else None
        self.sem_head: LogisticRegression | None = None
        self._examples_sem: np.ndarray | None = None
        if embeddings is not None:
            embeddings = embeddings[order]
            self._examples_sem = np.ascontiguousarray(embeddings.T)
            if multi:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    self.sem_head = LogisticRegression(C=SEMANTIC_C, max_iter=300).fit(embeddings, y)
        return self

    def _fold(self, text: str) -> str:
        return fold(text, self.locale)

    def _lexical(self, texts: list[str], *, fit: bool = False) -> sparse.csr_matrix:
        if fit:
            parts = [self.words.fit_transform(texts), self.chars.fit_transform(texts)]
        else:
            parts = [self.words.transform(texts), self.chars.transform(texts)]
        return sparse.hstack(parts, format="csr")

    def scores(self, texts: list[str], embeddings: np.ndarray | None) -> RawScores:
        """Evidence for each message and class."""
        n, k = len(texts), len(self.classes)
        lexical = self._lexical(texts)
        lex_score = np.zeros((n, k))
        if self.lex_head is not None:
            decision = self.lex_head.decision_function(lexical)
            lex_score = np.column_stack([-decision, decision]) if k == 2 else decision
        lex_sim = self._class_max((normalize(lexical) @ self._examples_lex).toarray())
        sem_logp = None
        sem_sim = np.zeros((n, k))
        if embeddings is not None and self._examples_sem is not None:
            sem_sim = self._class_max(embeddings @ self._examples_sem)
            sem_logp = self.sem_head.predict_log_proba(embeddings) if self.sem_head else np.zeros((n, k))
        return RawScores(sem_logp, lex_score, sem_sim, lex_sim)

    def score_one(self, text: str, embedding: np.ndarray | None) -> RawScores:
        """``scores`` for one message, computed without scikit-learn's per-call checks (bot/linear.py)."""
        if self._fast is None:
            self._fast = (linear.Tfidf(self.words), linear.Tfidf(self.chars))
        words, chars = self._fast
        lexical = sparse.hstack([words.row(text), chars.row(text)], format="csr")
        k = len(self.classes)
        lex_score = np.zeros((1, k))
        if self.lex_head is not None:
            decision = linear.decision(self.lex_head, lexical)
            lex_score = np.column_stack([-decision[:, 0], decision[:, 0]]) if k == 2 else decision
        lex_sim = self._class_max((linear.l2_rows(lexical) @ self._examples_lex).toarray())
        sem_logp = None
        sem_sim = np.zeros((1, k))
        if embedding is not None and self._examples_sem is not None:
            sem_sim = self._class_max(embedding @ self._examples_sem)
            sem_logp = linear.log_proba(self.sem_head, embedding) if self.sem_head else np.zeros((1, k))
        return RawScores(sem_logp, lex_score, sem_sim, lex_sim)

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_fast"] = None  # rebuilt from the vectorizers on first use
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state.setdefault("_fast", None)  # models saved before the fast path existed
        self.__dict__.update(state)

    def _class_max(self, sims: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(sims, self._starts, axis=1)
