"""Grouping without scikit-learn gives scikit-learn's groups: the same TF-IDF similarities and the same
average-linkage clusters at a distance cut, on texts and on random distance matrices."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.linear import CharNgrams
from support.grouping import average_linkage_labels, lexical_similarity

TEXTS = [
    "mijn kortingscode doet het niet",
    "kortingscode werkt niet",
    "de schoenen passen niet, hoe stuur ik ze terug",
    "hoe stuur ik mijn schoenen terug?",
    "Wo ist meine Bestellung?",
    "Bestellung nicht angekommen",
    "!!!",
    "",
]


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs_a = {(i, j) for i in range(len(a)) for j in range(len(a)) if a[i] == a[j]}
    pairs_b = {(i, j) for i in range(len(b)) for j in range(len(b)) if b[i] == b[j]}
    return pairs_a == pairs_b


def test_lexical_similarity_is_scikit_learns_tfidf_cosine() -> None:
    analyzer = CharNgrams("nl", 2, 4)
    reference = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True).fit_transform(TEXTS)
    expected = (reference @ reference.T).toarray()
    assert np.allclose(lexical_similarity(TEXTS, locale="nl"), expected, atol=1e-12)
    assert np.allclose(lexical_similarity(["!!", "?"], locale="en"), np.eye(2))  # nothing in common


@pytest.mark.parametrize("seed", range(12))
def test_average_linkage_cut_matches_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    points = rng.normal(size=(n, 5)) + rng.integers(0, 4, size=(n, 1)) * 3.0  # a few blobs
    distances = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    for threshold in (0.5, 2.0, 4.0, 50.0):
        reference = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
        ).fit_predict(distances)
        assert same_partition(average_linkage_labels(distances, threshold), reference), (seed, threshold)


def test_edge_cases() -> None:
    assert average_linkage_labels(np.zeros((1, 1)), 0.5).tolist() == [0]
    assert average_linkage_labels(np.zeros((0, 0)), 0.5).tolist() == []
    twins = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    assert average_linkage_labels(twins, 0.5).tolist() == [0, 0, 1]


def test_grouping_imports_no_scikit_learn_or_scipy() -> None:
    code = (
        "import sys, numpy as np; from support import misunderstood, grouping; "
        "grouping.average_linkage_labels(1 - grouping.lexical_similarity(['a b', 'a c'], locale='en'), 0.5); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
