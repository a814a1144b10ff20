"""HNSWIndex: recall against exact search, keys, filters, replacement and removal."""

from __future__ import annotations

import copy
import pickle
import threading
from typing import Any

import numpy as np
import pytest
from tests.vector.conftest import clustered

from mastra.errors import VectorError
from mastra.vector import HNSWIndex, exact_search


def recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


@pytest.fixture(scope="module")
def data_20k() -> tuple[np.ndarray, np.ndarray]:
    vectors = clustered(20_000, 48, seed=1)
    queries = clustered(300, 48, seed=2)
    return vectors, queries


@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
def test_recall_at_default_ef_on_20k_clustered(
    data_20k: tuple[np.ndarray, np.ndarray], metric: str
) -> None:
    vectors, queries = data_20k
    index = HNSWIndex(48, metric)  # type: ignore[arg-type]
    index.add(np.arange(len(vectors)), vectors)
    truth, truth_dist = exact_search(queries, vectors, k=10, metric=metric)  # type: ignore[arg-type]
    keys, dist = index.search(queries, k=10)
    assert recall_at_10(keys, truth) >= 0.95
    # Distances mean the same as exact_search's: equal wherever the key agrees.
    same = keys == truth
    np.testing.assert_allclose(dist[same], truth_dist[same], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("dtype", "floor"), [("f16", 0.95), ("i8", 0.85)])
def test_compact_storage_keeps_recall(
    data_20k: tuple[np.ndarray, np.ndarray], dtype: str, floor: float
) -> None:
    vectors, queries = data_20k
    index = HNSWIndex(48, "cosine", dtype=dtype)  # type: ignore[arg-type]
    index.add(np.arange(len(vectors)), vectors)
    truth, _ = exact_search(queries, vectors, k=10)
    keys, _ = index.search(queries, k=10)
    assert recall_at_10(keys, truth) >= floor
    full = HNSWIndex(48, "cosine")
    full.add(np.arange(1000), vectors[:1000])
    small = HNSWIndex(48, "cosine", dtype=dtype)  # type: ignore[arg-type]
    small.add(np.arange(1000), vectors[:1000])
    assert small.stats()["bytes"] < full.stats()["bytes"]


def test_one_query_gives_flat_arrays_and_padding() -> None:
    index = HNSWIndex(3, "l2")
    index.add([5, 6], np.array([[0, 0, 0], [1, 0, 0]], dtype=np.float32))
    keys, dist = index.search(np.zeros(3, dtype=np.float32), k=4)
    assert keys.tolist() == [5, 6, -1, -1]
    assert dist[:2].tolist() == [0.0, 1.0]
    assert np.isinf(dist[2:]).all()
    batch_keys, _ = index.search(np.zeros((2, 3), dtype=np.float32), k=1)
    assert batch_keys.shape == (2, 1)


def test_empty_index_returns_padding() -> None:
    index = HNSWIndex(4)
    keys, dist = index.search(np.ones(4, dtype=np.float32), k=3)
    assert keys.tolist() == [-1, -1, -1]
    assert np.isinf(dist).all()


def test_add_replaces_existing_keys_and_remove_forgets_them() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((500, 16)).astype(np.float32)
    index = HNSWIndex(16, "l2")
    index.add(np.arange(500), vectors)
    replacement = vectors[0] + 100.0
    index.add(7, replacement)
    assert len(index) == 500
    np.testing.assert_array_equal(index.get(7), replacement)
    keys, _ = index.search(replacement, k=1)
    assert keys.tolist() == [7]
    assert index.remove([7, 8, 10_000]) == 2
    assert 7 not in index
    assert 8 not in index
    assert 9 in index
    assert len(index) == 498
    keys, _ = index.search(vectors[:50], k=10, ef=500)
    assert not np.isin(keys, [7, 8]).any()
    index.add([7], vectors[7])  # a removed key can come back; its slot is reused
    assert index.stats()["slots"] == 500
    assert sorted(index.keys().tolist()) == sorted(set(range(500)) - {8})


def test_duplicate_keys_in_one_batch_keep_the_last_vector() -> None:
    index = HNSWIndex(2, "l2")
    index.add([1, 1, 2], np.array([[0, 0], [5, 5], [1, 1]], dtype=np.float32))
    assert len(index) == 2
    np.testing.assert_array_equal(index.get(1), [5, 5])


def test_a_shuffled_batch_with_repeats_keeps_each_keys_last_vector() -> None:
    rng = np.random.default_rng(11)
    keys = rng.integers(0, 300, size=1000)
    vectors = rng.standard_normal((1000, 8)).astype(np.float32)
    index = HNSWIndex(8, "l2")
    index.add(keys, vectors)
    last = {int(k): i for i, k in enumerate(keys)}
    assert len(index) == len(last)
    for key, row in last.items():
        np.testing.assert_array_equal(index.get(key), vectors[row])


def test_removing_everything_then_adding_again() -> None:
    index = HNSWIndex(4, "cosine")
    vectors = np.random.default_rng(4).standard_normal((100, 4)).astype(np.float32)
    index.add(np.arange(100), vectors)
    assert index.remove(np.arange(100)) == 100
    assert len(index) == 0
    assert index.search(vectors[0], k=1)[0].tolist() == [-1]
    index.add([42], vectors[0])
    assert index.search(vectors[0], k=1)[0].tolist() == [42]


@pytest.mark.parametrize("kind", ["list", "array", "set", "callable"])
def test_filters_return_k_matching_keys(kind: str) -> None:
    vectors = clustered(5000, 16, seed=5)
    index = HNSWIndex(16, "cosine")
    index.add(np.arange(5000), vectors)
    allowed = np.arange(0, 5000, 7)  # 715 keys, spread over every cluster
    filt: Any = {
        "list": allowed.tolist(),
        "array": allowed,
        "set": set(allowed.tolist()),
        "callable": lambda key: key % 7 == 0,
    }[kind]
    keys, _ = index.search(vectors[:20], k=10, filter=filt)
    assert (keys >= 0).all()
    assert (keys % 7 == 0).all()
    truth, _ = exact_search(vectors[:20], vectors[allowed], k=10)
    assert recall_at_10(keys, allowed[truth]) >= 0.9


@pytest.mark.parametrize("kind", ["array", "callable"])
def test_very_selective_filters_are_exact(kind: str) -> None:
    vectors = clustered(5000, 16, seed=6)
    index = HNSWIndex(16, "l2")
    index.add(np.arange(5000), vectors)
    allowed = np.array([3, 999, 4321, 77, 2500])
    filt: Any = allowed if kind == "array" else (lambda key: key in set(allowed.tolist()))
    keys, dist = index.search(vectors[10], k=10, filter=filt)
    assert sorted(keys[:5].tolist()) == sorted(allowed.tolist())
    assert keys[5:].tolist() == [-1] * 5
    truth, truth_dist = exact_search(vectors[10], vectors[allowed], k=5, metric="l2")
    assert keys[:5].tolist() == allowed[truth].tolist()
    np.testing.assert_allclose(dist[:5], truth_dist, rtol=1e-5)


@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
def test_exact_searches_match_exact_search(metric: str) -> None:
    vectors = clustered(3000, 16, seed=12)
    index = HNSWIndex(16, metric, ef_search=16)  # type: ignore[arg-type]
    index.add(np.arange(3000) * 2, vectors)
    keys, dist = index.search(vectors[:40], k=10, exact=True)
    truth, truth_dist = exact_search(vectors[:40], vectors, k=10, metric=metric)  # type: ignore[arg-type]
    np.testing.assert_array_equal(keys, truth * 2)
    np.testing.assert_allclose(dist, truth_dist, rtol=1e-5, atol=1e-4)
    walked, _ = index.search(vectors[:40], k=10, exact=False)
    assert recall_at_10(walked, truth * 2) >= 0.9  # a beam of 16 over 3,000: approximate


def test_a_beam_wide_for_a_small_index_scans_it() -> None:
    vectors = np.random.default_rng(13).standard_normal((600, 32)).astype(np.float32)
    index = HNSWIndex(32, "cosine", m=4, ef_construction=16)  # a deliberately weak graph
    index.add(np.arange(600), vectors, threads=1)
    truth, _ = exact_search(vectors[:100], vectors, k=10)
    scanned, _ = index.search(vectors[:100], k=10, ef=64)  # 600 slots <= 16 x 64: a scan
    np.testing.assert_array_equal(scanned, truth)
    walked, _ = index.search(vectors[:100], k=10, ef=64, exact=False)
    assert recall_at_10(walked, truth) < 1.0  # the weak graph's walk misses some


def test_exact_takes_only_a_bool() -> None:
    index = HNSWIndex(4)
    index.add([1], np.ones((1, 4), np.float32))
    with pytest.raises(VectorError, match="exact must be True, False or None"):
        index.search(np.ones(4, np.float32), exact=1)  # type: ignore[arg-type]


def test_a_failing_predicate_raises_its_exception() -> None:
    index = HNSWIndex(2)
    index.add([1, 2], np.eye(2, dtype=np.float32))

    def broken(key: int) -> bool:
        raise RuntimeError(f"cannot decide {key}")

    with pytest.raises(RuntimeError, match="cannot decide"):
        index.search(np.ones(2, dtype=np.float32), k=1, filter=broken)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda ix: ix.add([1], np.ones((1, 5), np.float32)),
            "dimension 5 but the index has dimension 4",
        ),
        (lambda ix: ix.add([-1], np.ones((1, 4), np.float32)), "keys must be >= 0"),
        (lambda ix: ix.add([1, 2], np.ones((1, 4), np.float32)), "2 keys for 1 vectors"),
        (lambda ix: ix.add([1], np.full((1, 4), np.nan, np.float32)), "holds NaN"),
        (lambda ix: ix.add([1.5], np.ones((1, 4), np.float32)), "keys must be integers"),
        (lambda ix: ix.search(np.ones(4, np.float32), k=0), "k must be >= 1"),
        (lambda ix: ix.search(np.ones(3, np.float32)), "dimension 3 but the index has dimension 4"),
        (lambda ix: ix.search(np.array([np.inf, 0, 0, 0], np.float32)), "holds infinity"),
    ],
)
def test_bad_input_raises_vector_error(call: Any, message: str) -> None:
    index = HNSWIndex(4)
    index.add([1], np.ones((1, 4), np.float32))
    with pytest.raises(VectorError, match=message):
        call(index)
    assert len(index) == 1  # nothing was lost


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim": 0}, "dim must be"),
        ({"dim": 4, "m": 1}, "m must be"),
        ({"dim": 4, "metric": "hamming"}, "unknown metric"),
        ({"dim": 4, "dtype": "f64"}, "unknown dtype"),
    ],
)
def test_bad_parameters_raise_vector_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(VectorError, match=message):
        HNSWIndex(**kwargs)


def test_pickle_and_copy_are_deep() -> None:
    vectors = clustered(300, 8, seed=7)
    index = HNSWIndex(8, "l2", dtype="f16", ef_search=40)
    index.add(np.arange(300), vectors)
    for clone in (pickle.loads(pickle.dumps(index)), copy.copy(index), copy.deepcopy(index)):
        assert len(clone) == 300
        assert clone.dtype == "f16"
        assert clone.ef_search == 40
        np.testing.assert_array_equal(
            clone.search(vectors[:5], k=3)[0], index.search(vectors[:5], k=3)[0]
        )
        clone.remove([0])
        assert 0 in index


def test_single_thread_builds_are_reproducible() -> None:
    vectors = clustered(2000, 12, seed=8)
    a, b = HNSWIndex(12, seed=9), HNSWIndex(12, seed=9)
    a.add(np.arange(2000), vectors, threads=1)
    b.add(np.arange(2000), vectors, threads=1)
    assert pickle.dumps(a) == pickle.dumps(b)


def test_saved_bytes_do_not_depend_on_how_the_index_grew() -> None:
    vectors = clustered(600, 12, seed=8)
    grown, reserved = HNSWIndex(12, seed=9), HNSWIndex(12, seed=9, capacity=5000)
    for start in range(0, 600, 50):  # one batch at a time: the first grows, step by step
        grown.add(np.arange(start, start + 50), vectors[start : start + 50], threads=1)
        reserved.add(np.arange(start, start + 50), vectors[start : start + 50], threads=1)
    assert pickle.dumps(grown) == pickle.dumps(reserved)


def test_threads_may_add_and_search_at_once() -> None:
    vectors = clustered(8000, 16, seed=10)
    index = HNSWIndex(16, "l2")
    index.add(np.arange(1000), vectors[:1000])
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for lo in range(start, start + 3000, 500):
                index.add(np.arange(lo, lo + 500), vectors[lo : lo + 500], threads=2)
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            for i in range(200):
                keys, _ = index.search(vectors[i % 1000], k=5)
                assert keys[0] == i % 1000
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s,)) for s in (1000, 4000)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(index) == 7000
    truth, _ = exact_search(vectors[7000:7100], vectors[:7000], k=10, metric="l2")
    keys, _ = index.search(vectors[7000:7100], k=10)
    assert recall_at_10(keys, truth) >= 0.95


def test_stats_describe_the_graph() -> None:
    index = HNSWIndex(8, m=8)
    index.add(np.arange(3000), clustered(3000, 8, seed=11))
    stats = index.stats()
    assert stats["size"] == 3000
    assert stats["levels"] >= 2
    assert stats["nodes_per_level"][0] == 3000
    assert stats["nodes_per_level"][1] < 3000
    assert 3000 <= stats["edges"] <= 3000 * 16 + 3000 * 8
    assert stats["bytes"] > 3000 * 8 * 4
    assert stats["unreachable"] == 0
    assert "size=3000" in repr(index)


def test_adds_leave_no_vector_unreachable() -> None:
    # m=8 on 16-d Gaussian data: pruning sometimes drops the last link into a node,
    # which the add then links again, so every vector can still be found.
    vectors = np.random.default_rng(6).standard_normal((3000, 16)).astype(np.float32)
    index = HNSWIndex(16, "l2", m=8, ef_construction=64)
    for lo in range(0, 3000, 100):
        index.add(np.arange(lo, lo + 100), vectors[lo : lo + 100], threads=1)
        assert index.stats()["unreachable"] == 0
        keys, _ = index.search(vectors[: lo + 100], k=1, ef=lo + 99, exact=False)
        assert (keys[:, 0] == np.arange(lo + 100)).all()
