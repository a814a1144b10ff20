"""Small queries are answered on the caller's thread, with the same answers as on a
worker thread; large ones, new filters and busy collections go to a worker thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mastra.vector import HNSWSettings, InMemoryVectorStore
from mastra.vector.store_engine import INLINE_WORK, Collection

DIM = 16


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def filled(n: int, settings: HNSWSettings | None = None) -> Collection:
    collection = Collection("c", DIM, "cosine", settings or HNSWSettings())
    rng = np.random.default_rng(n)
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    ids = [f"v{i}" for i in range(n)]
    metas = [{"group": i % 3, "all": True} for i in range(n)]
    collection.upsert(ids, collection.plan_keys(ids), vectors, metas)
    return collection


def query(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


@pytest.mark.parametrize("flt", [None, {"group": 1}, {"group": {"$in": [0, 2]}}])
def test_inline_answers_equal_worker_answers(flt: dict[str, object] | None) -> None:
    collection = filled(300)
    if flt is not None:
        assert collection.query_inline(query(0), 5, flt, False, None) is None  # new filter
        collection.query(query(0), 5, flt, False, None)  # now remembered
    for seed in range(5):
        inline = collection.query_inline(query(seed), 7, flt, True, 0.0)
        assert inline is not None
        assert inline == collection.query(query(seed), 7, flt, True, 0.0)


def test_a_filter_keeping_every_vector_searches_without_it() -> None:
    collection = filled(200, HNSWSettings(exact_threshold=50))  # graph search
    plain = collection.query(query(1), 10, None, False, None)
    assert collection.query(query(1), 10, {"all": True}, False, None) == plain


def test_large_searches_and_busy_collections_go_to_a_worker() -> None:
    no_graph = HNSWSettings(exact_threshold=10**9, graph_buffer=10**9)
    big = filled(INLINE_WORK // DIM + 1, no_graph)
    assert big.query_inline(query(2), 3, None, False, None) is None
    small = filled(50)
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with small.lock:
            held.set()
            release.wait()

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait()
    try:
        assert small.query_inline(query(3), 3, None, False, None) is None
    finally:
        release.set()
        thread.join()
    assert small.query_inline(query(3), 3, None, False, None) is not None


@pytest.mark.anyio
async def test_store_queries_answer_the_same_inline_or_not() -> None:
    async with InMemoryVectorStore() as store:
        await store.create_index("docs", DIM)
        rng = np.random.default_rng(7)
        await store.upsert(
            "docs", rng.standard_normal((40, DIM)), [{"k": i % 2} for i in range(40)]
        )
        first = await store.query("docs", query(4), top_k=5, filter={"k": 1})  # worker thread
        again = await store.query("docs", query(4), top_k=5, filter={"k": 1})  # inline
        assert first == again
        assert len(first) == 5


def test_unfiltered_graph_searches_run_inline_with_the_waiting_vectors() -> None:
    collection = filled(120, HNSWSettings(exact_threshold=20, graph_buffer=100))
    assert len(collection.hnsw) == 120  # one batch went straight into the graph
    rng = np.random.default_rng(9)
    for step in range(6):  # small writes wait for the graph; some replace, some delete
        ids = [f"w{step}", "v3", f"v{10 + step}"]
        vectors = rng.standard_normal((3, DIM)).astype(np.float32)
        collection.upsert(ids, collection.plan_keys(ids), vectors, [{"group": 0}] * 3)
        collection.delete([f"v{50 + step}"])
        assert collection.pending
        for seed in range(3):
            inline = collection.query_inline(query(seed), 8, None, False, None)
            assert inline is not None
            assert inline == collection.query(query(seed), 8, None, False, None)
            found = collection.query_inline(query(seed), 200, None, False, None)
            assert found is not None
            assert len({hit.id for hit in found}) == len(found) == collection.count
    collection.query(query(0), 5, {"group": 0}, False, None)  # remembered, yet filtered
    assert collection.query_inline(query(0), 5, {"group": 0}, False, None) is None
