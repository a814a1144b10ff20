"""Small writes wait in an exactly searched buffer and join the graph together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mastra.vector import HNSWIndex, HNSWSettings, SQLiteVectorStore
from mastra.vector.store_engine import Collection

DIM = 8
SETTINGS = HNSWSettings(exact_threshold=0, ef_search=64, graph_buffer=4)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def unit_rows(n: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    unit: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return unit


def write(collection: Collection, ids: list[str], vectors: np.ndarray) -> None:
    keys = collection.plan_keys(ids)
    collection.upsert(ids, keys, vectors, [{"n": i} for i in ids])


def top_id(collection: Collection, query: np.ndarray) -> str:
    return collection.query(query, 1, None, False, None)[0].id


def test_waiting_vectors_are_found_and_join_the_graph_at_the_threshold() -> None:
    collection = Collection("c", DIM, "cosine", SETTINGS)
    vectors = unit_rows(7, 1)
    write(collection, ["a", "b", "c"], vectors[:3])
    assert len(collection.hnsw) == 0
    assert len(collection.pending) == 3
    assert top_id(collection, vectors[1]) == "b"
    write(collection, ["d"], vectors[3:4])  # the fourth waiting vector: all join
    assert len(collection.hnsw) == 4
    assert not collection.pending
    write(collection, ["e"], vectors[4:5])
    assert [top_id(collection, v) for v in vectors[:5]] == ["a", "b", "c", "d", "e"]
    write(collection, ["f", "g", "h", "i"], unit_rows(4, 2))  # a batch goes straight in
    assert len(collection.hnsw) == 9


def test_a_replaced_vector_is_found_by_its_new_value_only() -> None:
    collection = Collection("c", DIM, "cosine", SETTINGS)
    vectors = unit_rows(6, 3)
    write(collection, ["a", "b", "c", "d"], vectors[:4])
    write(collection, ["a"], vectors[4:5])  # waits; the graph must forget the old one
    results = collection.query(vectors[0], 10, None, False, None)
    assert sorted(r.id for r in results) == ["a", "b", "c", "d"]
    (score,) = [r.score for r in results if r.id == "a"]
    assert abs(score - float(vectors[0] @ vectors[4])) < 1e-5
    assert top_id(collection, vectors[4]) == "a"


def test_deleted_waiting_vectors_are_gone() -> None:
    collection = Collection("c", DIM, "cosine", SETTINGS)
    vectors = unit_rows(3, 4)
    write(collection, ["a", "b", "c"], vectors)
    assert collection.delete(["b"]) == [collection.plan_keys(["a"])[0] + 1]
    assert "b" not in {r.id for r in collection.query(vectors[1], 3, None, False, None)}
    collection.flush()
    assert len(collection.hnsw) == 2


@pytest.mark.anyio
async def test_a_checkpoint_saves_the_waiting_vectors_in_the_graph(tmp_path: Path) -> None:
    vectors = unit_rows(3, 5)
    async with SQLiteVectorStore(tmp_path / "v.db", settings=SETTINGS) as store:
        await store.create_index("docs", DIM)
        await store.upsert("docs", vectors, ids=["a", "b", "c"])
        await store.checkpoint()
    graph = HNSWIndex.load(tmp_path / "v.db.hnsw" / "1.hnsw")
    assert len(graph) == 3
