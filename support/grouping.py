"""Grouping similar questions without scikit-learn or SciPy: the misunderstood-questions page runs in
serving processes, and importing scikit-learn there kept ~110 MB resident for good (a serving process
otherwise holds ~340 MB, issue 12's bar is 400 MB).

- ``lexical_similarity``: cosine similarity of TF-IDF vectors of character n-grams inside word
  boundaries (``bot.linear.CharNgrams``, 2–4 characters over folded text), sublinear term counts and
  smoothed IDF, as scikit-learn's ``TfidfVectorizer`` computes them.
- ``average_linkage_labels``: average-linkage agglomerative clustering on a distance matrix, cut at a
  threshold (pairs merge while their linkage distance is below it), by the nearest-neighbour chain
  algorithm with Lance-Williams updates: O(n²) time, so the queue's 2,000 questions per locale group
  in well under a second.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from bot.linear import CharNgrams


def lexical_similarity(texts: list[str], *, locale: str) -> np.ndarray:
    """n x n cosine similarities of the texts' character n-gram TF-IDF vectors (rows without n-grams: 0)."""
    analyzer = CharNgrams(locale, 2, 4)
    counts = [Counter(analyzer(text)) for text in texts]
    vocabulary: dict[str, int] = {}
    for grams in counts:
        for gram in grams:
            vocabulary.setdefault(gram, len(vocabulary))
    if not vocabulary:  # punctuation only: nothing is like anything else
        return np.eye(len(texts))
    matrix = np.zeros((len(texts), len(vocabulary)))
    for row, grams in enumerate(counts):
        for gram, count in grams.items():
            matrix[row, vocabulary[gram]] = 1.0 + np.log(count)
    document_frequency = np.count_nonzero(matrix, axis=0)
    matrix *= np.log((1.0 + len(texts)) / (1.0 + document_frequency)) + 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms > 0, norms, 1.0)
    return matrix @ matrix.T


def average_linkage_labels(distances: np.ndarray, threshold: float) -> np.ndarray:
    """A cluster label per point: average-linkage clusters whose merges all lie below ``threshold``."""
    n = len(distances)
    if n <= 1:
        return np.zeros(n, dtype=int)
    d = np.array(distances, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    size = np.ones(n)
    active = np.ones(n, dtype=bool)
    merges: list[tuple[int, int, float]] = []
    chain: list[int] = []
    while len(merges) < n - 1:
        if not chain:
            chain.append(int(np.flatnonzero(active)[0]))
        a = chain[-1]
        row = np.where(active, d[a], np.inf)
        b = int(np.argmin(row))
        if len(chain) > 1 and row[chain[-2]] <= row[b]:
            b = chain[-2]  # ties go back down the chain, so it always ends in a reciprocal pair
        if len(chain) < 2 or b != chain[-2]:
            chain.append(b)
            continue
        chain.pop()
        chain.pop()
        keep, drop = min(a, b), max(a, b)
        merges.append((keep, drop, float(d[a, b])))
        merged = (size[a] * d[a] + size[b] * d[b]) / (size[a] + size[b])  # Lance-Williams, average
        d[keep, :] = merged
        d[:, keep] = merged
        d[keep, keep] = np.inf
        d[drop, :] = np.inf
        d[:, drop] = np.inf
        size[keep] += size[drop]
        active[drop] = False
    # Average linkage has no inversions: the merges below the cut are exactly the cut's clusters.
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for keep, drop, distance in merges:
        if distance < threshold:
            parent[root(drop)] = root(keep)
    roots = [root(i) for i in range(n)]
    first = {r: label for label, r in enumerate(dict.fromkeys(roots))}
    return np.array([first[r] for r in roots], dtype=int)
