"""The vector-store contract, on every implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from mastra.errors import VectorError
from mastra.vector import HNSWSettings, InMemoryVectorStore, SQLiteVectorStore, VectorStore

from .services import POSTGRES_URL, fresh_schema, needs_postgres

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "sqlite", pytest.param("pgvector", marks=needs_postgres)])
async def vstore(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[VectorStore]:
    # Exact-enough graphs (beam wider than any test collection), so answers are stable.
    settings = HNSWSettings(exact_threshold=32, ef_search=1024)
    if request.param == "pgvector":
        from mastra.vector import PgVectorStore

        with fresh_schema() as schema:
            pg = PgVectorStore(POSTGRES_URL or "", settings=settings, schema=schema)
            try:
                yield pg
            finally:
                await pg.close()
        return
    impl: VectorStore = (
        InMemoryVectorStore(settings)
        if request.param == "memory"
        else SQLiteVectorStore(tmp_path / "vectors.db", settings=settings)
    )
    try:
        yield impl
    finally:
        await impl.close()


def unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


async def test_index_lifecycle(vstore: VectorStore) -> None:
    await vstore.create_index("b", 4, "euclidean")
    await vstore.create_index("a", 8)
    await vstore.create_index("a", 8, "cosine")
    assert await vstore.list_indexes() == ["a", "b"]
    stats = await vstore.describe_index("b")
    assert (stats.dimension, stats.count, stats.metric) == (4, 0, "l2")
    with pytest.raises(VectorError, match="exists with dimension 8"):
        await vstore.create_index("a", 16)
    await vstore.delete_index("a")
    assert await vstore.list_indexes() == ["b"]
    with pytest.raises(VectorError, match="no index named 'a'"):
        await vstore.describe_index("a")
    with pytest.raises(VectorError, match="metric"):
        await vstore.create_index("c", 4, "hamming")  # type: ignore[arg-type]
    with pytest.raises(VectorError, match="dimension"):
        await vstore.create_index("c", 0)


async def test_upsert_query_update_delete(vstore: VectorStore) -> None:
    rng = np.random.default_rng(0)
    vectors = unit(rng, 100, 16)
    await vstore.create_index("docs", 16)
    ids = await vstore.upsert(
        "docs",
        vectors,
        [{"n": i, "even": i % 2 == 0} for i in range(100)],
        [f"d{i}" for i in range(100)],
    )
    assert ids == [f"d{i}" for i in range(100)]
    assert (await vstore.describe_index("docs")).count == 100
    hits = await vstore.query("docs", vectors[7], top_k=3, include_vector=True)
    assert hits[0].id == "d7"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0].metadata == {"n": 7, "even": False}
    assert hits[0].vector == pytest.approx(vectors[7].tolist())
    assert hits[1].vector is not None
    odd = await vstore.query("docs", vectors[8], top_k=5, filter={"even": False})
    assert len(odd) == 5
    assert all(h.metadata["n"] % 2 == 1 for h in odd)
    assert [h.score for h in odd] == sorted((h.score for h in odd), reverse=True)

    await vstore.update("docs", "d7", metadata={"n": 7, "even": True, "edited": True})
    await vstore.update("docs", "d8", vector=-vectors[8])
    (hit,) = await vstore.query("docs", vectors[7], top_k=1)
    assert hit.metadata["edited"] is True
    assert (await vstore.query("docs", vectors[8], top_k=1))[0].id != "d8"
    with pytest.raises(VectorError, match="no vector 'nope'"):
        await vstore.update("docs", "nope", metadata={})

    assert await vstore.delete("docs", ["d7", "d7", "zzz"]) == 1
    assert (await vstore.describe_index("docs")).count == 99
    assert "d7" not in {h.id for h in await vstore.query("docs", vectors[7], top_k=99)}


async def test_min_score_and_generated_ids(vstore: VectorStore) -> None:
    await vstore.create_index("x", 2, "dotproduct")
    ids = await vstore.upsert("x", [[1, 0], [0.5, 0], [-1, 0]])
    assert len(set(ids)) == 3
    hits = await vstore.query("x", [2, 0], top_k=3, min_score=0.5)
    assert [round(h.score, 5) for h in hits] == [2.0, 1.0]
    assert (await vstore.query("x", [1, 0], top_k=10, filter={"nothing": 1})) == []


async def test_bad_batches_write_nothing(vstore: VectorStore) -> None:
    await vstore.create_index("x", 3)
    await vstore.upsert("x", [[1, 0, 0]], [{"v": 1}], ["keep"])
    bad_calls = [
        ({"vectors": [[1, 2]]}, "3-dimensional"),
        ({"vectors": [[1, 2, 3], [np.nan, 0, 0]]}, "NaN"),
        ({"vectors": [[1, 2, 3], [1, 1, 1]], "ids": ["a", "a"]}, "duplicate ids"),
        ({"vectors": [[1, 2, 3]], "ids": ["a", "b"]}, "ids"),
        ({"vectors": [[1, 2, 3]], "metadata": [{"bad": object()}]}, "JSON"),
        ({"vectors": [[1, 2, 3]], "metadata": [1]}, "object"),
    ]
    for kwargs, message in bad_calls:
        with pytest.raises(VectorError, match=message):
            await vstore.upsert("x", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(VectorError, match="no index"):
        await vstore.upsert("nope", [[1, 2, 3]])
    assert (await vstore.describe_index("x")).count == 1
    (hit,) = await vstore.query("x", [1, 0, 0], top_k=5)
    assert (hit.id, hit.metadata) == ("keep", {"v": 1})


async def test_bad_queries_raise(vstore: VectorStore) -> None:
    await vstore.create_index("x", 3)
    await vstore.upsert("x", [[1, 0, 0]])
    for kwargs, message in [
        ({"vector": [1, 0]}, "3-dimensional"),
        ({"vector": [np.inf, 0, 0]}, "NaN or infinity"),
        ({"vector": [1, 0, 0], "top_k": 0}, "top_k"),
        ({"vector": [1, 0, 0], "filter": {"a": {"$bogus": 1}}}, "bogus"),
        ({"vector": [1, 0, 0], "min_score": float("nan")}, "min_score"),
    ]:
        with pytest.raises(VectorError, match=message):
            await vstore.query("x", **kwargs)  # type: ignore[arg-type]


async def test_filtered_queries_return_top_k_whenever_that_many_match(vstore: VectorStore) -> None:
    rng = np.random.default_rng(3)
    n = 600
    vectors = unit(rng, n, 24)
    await vstore.create_index("big", 24)
    await vstore.upsert("big", vectors, [{"bucket": i % 50} for i in range(n)])
    buckets = np.arange(n) % 50
    # 12 of 600 match (the exact path), then 60 of 600 (inside the graph walk).
    for flt, allowed in [
        ({"bucket": 7}, np.flatnonzero(buckets == 7)),
        ({"bucket": {"$lt": 5}}, np.flatnonzero(buckets < 5)),
    ]:
        for query in unit(rng, 5, 24):
            hits = await vstore.query("big", query, top_k=10, filter=flt)
            expected = np.sort(vectors[allowed] @ query)[::-1][:10]
            assert [h.score for h in hits] == pytest.approx(expected.tolist(), abs=1e-5)
