"""The neighbour maths (book/neighbours.py): exact top-k with one tie rule, neighbours, retention, intruders."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from explainer.infra import neighbours


def stable_order(scores: np.ndarray) -> np.ndarray:
    """The definition top_k must meet: highest score first, equal scores in index order."""
    return np.argsort(-scores, axis=-1, kind="stable")


@settings(max_examples=200, deadline=None)
@given(
    scores=arrays(
        np.float32,
        st.tuples(st.integers(1, 6), st.integers(1, 40)),
        elements=st.sampled_from([0.0, 0.5, 1.0, -2.0, 3.25]),
    ),
    k=st.integers(1, 45),
)
def test_top_k_is_a_stable_sort_cut_at_k_whatever_the_ties(scores, k):
    expected = stable_order(scores)[:, :k]
    assert np.array_equal(neighbours.top_k(scores, k), expected)
    assert np.array_equal(neighbours.top_k(scores[0], k), expected[0])  # one row


def test_top_k_breaks_ties_by_the_ids_given():
    scores = np.array([[0.5, 0.9, 0.5, 0.5]])
    ids = np.array([[30, 10, 20, 5]])
    assert neighbours.top_k(scores, 3).tolist() == [[1, 0, 2]]
    assert neighbours.top_k(scores, 3, ids=ids).tolist() == [[1, 3, 2]]  # among the ties, ids 5 then 20
    assert neighbours.top_k(scores, 4, ids=ids).tolist() == [[1, 3, 2, 0]]


def test_top_k_of_a_large_matrix_matches_the_sort():
    rng = np.random.default_rng(0)
    scores = np.round(rng.random((300, 2000)), 2).astype(np.float32)  # two decimals: ties everywhere
    scores[np.arange(300), np.arange(300)] = -np.inf
    assert np.array_equal(neighbours.top_k(scores, 15), stable_order(scores)[:, :15])


def test_top_k_except_leaves_out_and_keeps_the_order():
    scores = np.array([0.2, 0.9, 0.9, 0.1, 0.5])
    assert neighbours.top_k_except(scores, 3, [False, True, False, False, False]).tolist() == [2, 4, 0]
    assert neighbours.top_k_except(scores, 9, [True] * 5).tolist() == []


def test_cosine_is_symmetric_bounded_and_one_on_itself():
    x = np.random.default_rng(1).standard_normal((20, 8)).astype(np.float32)
    c = neighbours.cosine(x, x)
    assert np.allclose(c, c.T) and c.min() >= -1 and c.max() <= 1 and np.allclose(np.diag(c), 1, atol=1e-6)


def test_true_neighbours_are_the_closest_others_in_index_order_on_ties():
    x = np.array([[1, 0], [1, 0], [0, 1], [1, 0.01], [-1, 0]], dtype=np.float32)
    near = neighbours.true_neighbours(x, k=2)
    assert near[0].tolist() == [1, 3] and near[1].tolist() == [0, 3]  # a twin first; never itself
    assert all(i not in row for i, row in enumerate(near.tolist()))


@pytest.mark.parametrize("dims", [2, 3])
def test_map_neighbours_by_tree_equal_those_by_brute_force(monkeypatch, dims):
    rng = np.random.default_rng(dims)
    grid = rng.integers(0, 12, (3000, dims))  # an integer grid: many points share a place or a distance
    floats = rng.standard_normal((3000, dims))
    for coords in (grid, floats):
        monkeypatch.setattr(neighbours, "TREE_FROM", 10**12)  # every distance measured
        brute = neighbours.map_neighbours(coords, k=10)
        monkeypatch.setattr(neighbours, "TREE_FROM", 0)  # candidates from the tree
        assert np.array_equal(neighbours.map_neighbours(coords, k=10), brute)
        assert np.array_equal(neighbours.map_neighbours(coords, k=10, rows=[5, 17]), brute[[5, 17]])
        monkeypatch.undo()


def test_map_neighbours_skip_the_point_and_order_ties_by_index():
    coords = [[0, 0], [1, 0], [0, 1], [0, 0], [5, 5]]
    assert neighbours.map_neighbours(coords, k=3)[0].tolist() == [3, 1, 2]
    with pytest.raises(ValueError, match="k = 5 needs more than 5 points"):
        neighbours.map_neighbours(coords, k=5)


def test_retention_of_a_perfect_map_a_random_one_and_bad_input():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((80, 16))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)  # on unit rows, cosine and Euclid rank alike
    assert neighbours.neighbour_retention(unit, unit, k=5) == 1.0
    chance = 5 / 79
    kept = np.mean([neighbours.neighbour_retention(unit, rng.standard_normal((80, 2)), k=5) for _ in range(10)])
    assert abs(kept - chance) < 0.03
    per_point = neighbours.retention_per_point(unit, unit[:, :2], k=5)
    assert per_point.shape == (80,) and set(np.round(per_point * 5, 6)) <= set(range(6))
    with pytest.raises(ValueError, match="one map point per vector"):
        neighbours.retention_per_point(unit, unit[:10], k=5)


def test_kept_counts_count_the_shared_neighbours():
    assert neighbours.kept_counts(np.array([[1, 2, 3], [0, 2, 3]]), np.array([[3, 1, 9], [4, 5, 6]])).tolist() == [2, 0]


def test_intruders_rank_beyond_k_and_a_faithful_map_has_none():
    rng = np.random.default_rng(3)
    unit = rng.standard_normal((50, 8))
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    assert neighbours.intruder_ranks(unit, unit, k=5).size == 0
    ranks = neighbours.intruder_ranks(unit, rng.standard_normal((50, 2)), k=5)
    assert ranks.size and ranks.min() > 5 and ranks.max() <= 49


def test_trustworthiness_of_a_faithful_map_is_one():
    unit = np.random.default_rng(4).standard_normal((40, 6))
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    assert neighbours.trustworthiness(unit, unit, k=5) == pytest.approx(1.0)


def test_central_items_are_nearest_the_cluster_direction():
    vectors = np.array([[1, 0.1], [1, 0], [1, -0.3], [0, 1], [0.2, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # unit rows, as embeddings are
    labels = np.array([0, 0, 0, 1, 1])
    assert neighbours.central_items(vectors, labels, per=2) == [[1, 0], [4, 3]]
