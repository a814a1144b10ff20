"""HNSWIndex against a plain dict model: with ef >= size the index is exact."""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mastra.vector import HNSWIndex, exact_search

DIM = 6
KEYS = st.integers(0, 60) | st.integers(2**32 - 3, 2**32 + 3)  # both of the key tables
VECTORS = st.lists(
    st.floats(-4, 4, allow_nan=False, allow_subnormal=False, width=32),
    min_size=DIM,
    max_size=DIM,
).map(lambda xs: np.array(xs, dtype=np.float32))


class IndexModel(RuleBasedStateMachine):
    """Random adds, replacements and removals; searches compared with brute force."""

    def __init__(self) -> None:
        super().__init__()
        self.index = HNSWIndex(DIM, "l2", m=4, ef_construction=16, seed=3)
        self.model: dict[int, np.ndarray] = {}

    @rule(keys=st.lists(KEYS, min_size=1, max_size=8), data=st.data())
    def add(self, keys: list[int], data: st.DataObject) -> None:
        vectors = np.stack([data.draw(VECTORS) for _ in keys])
        self.index.add(keys, vectors, threads=data.draw(st.sampled_from([1, 2])))
        for key, vector in zip(keys, vectors, strict=True):
            self.model[key] = vector

    @rule(keys=st.lists(KEYS, max_size=5))
    def remove(self, keys: list[int]) -> None:
        expected = len(set(keys) & self.model.keys())
        assert self.index.remove(keys) == expected
        for key in keys:
            self.model.pop(key, None)

    @precondition(lambda self: len(self.model) > 0)
    @rule(query=VECTORS, k=st.integers(1, 12))
    def search_is_exact_with_a_wide_beam(self, query: np.ndarray, k: int) -> None:
        keys, dist = self.index.search(query, k=k, ef=max(64, 2 * len(self.model)))
        model_keys = np.array(sorted(self.model))
        vectors = np.stack([self.model[key] for key in model_keys])
        _ref_rows, ref_dist = exact_search(query, vectors, k=k, metric="l2")
        found = min(k, len(self.model))
        np.testing.assert_allclose(dist[:found], ref_dist[:found], rtol=1e-5, atol=1e-5)
        assert set(keys[:found].tolist()) <= set(self.model)
        assert keys[found:].tolist() == [-1] * (k - found)

    @precondition(lambda self: len(self.model) > 1)
    @rule(query=VECTORS, k=st.integers(1, 12))
    def graph_search_returns_live_keys_at_their_true_distance(
        self, query: np.ndarray, k: int
    ) -> None:
        keys, dist = self.index.search(query, k=k, ef=len(self.model) - 1, exact=False)
        found = keys[keys >= 0]
        assert len(set(found.tolist())) == len(found)
        assert set(found.tolist()) <= set(self.model)
        assert len(found) == min(k, len(self.model))
        true = [float(((self.model[key] - query) ** 2).sum()) for key in found.tolist()]
        np.testing.assert_allclose(dist[: len(found)], true, rtol=1e-5, atol=1e-5)
        assert np.all(np.diff(dist[: len(found)]) >= 0)

    @precondition(lambda self: len(self.model) > 0)
    @rule(data=st.data())
    def filtered_search_only_returns_allowed_keys(self, data: st.DataObject) -> None:
        allowed = data.draw(st.sets(st.sampled_from(sorted(self.model)), min_size=1))
        keys, _ = self.index.search(data.draw(VECTORS), k=5, filter=allowed)
        found = keys[keys >= 0].tolist()
        assert set(found) <= allowed
        assert len(found) == min(5, len(allowed))

    @invariant()
    def same_keys_and_vectors(self) -> None:
        assert len(self.index) == len(self.model)
        assert sorted(self.index.keys().tolist()) == sorted(self.model)
        for key, vector in list(self.model.items())[:5]:
            np.testing.assert_array_equal(self.index.get(key), vector)


IndexModel.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestIndexModel = IndexModel.TestCase
