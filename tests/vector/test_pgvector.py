"""PgVectorStore beyond the conformance suite: the HNSW index it builds, ef_search per
query, filtered queries through the index that still return top_k, halfvec."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np
import psycopg
import pytest

from conformance.services import (
    POSTGRES_URL,
    fresh_schema,
    needs_postgres,
    needs_postgres_ctl,
    postgres_ctl,
)
from mastra.errors import StorageUnavailableError, VectorError
from mastra.vector import HNSWSettings, PgVectorStore, VectorStore
from mastra.vector._pg_filter import filter_to_sql

pytestmark = [pytest.mark.anyio, needs_postgres]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema() as name:
        yield name


@pytest.fixture
async def store(schema: str) -> AsyncIterator[PgVectorStore]:
    settings = HNSWSettings(m=8, ef_construction=40, ef_search=40)
    async with PgVectorStore(POSTGRES_URL or "", settings=settings, schema=schema) as pg:
        yield pg


def sql(schema: str, query: str, params: Any = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(POSTGRES_URL or "", autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}", public')
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


async def test_index_is_hnsw_with_the_settings(store: PgVectorStore, schema: str) -> None:
    await store.create_index("docs", 8, "euclidean")
    ((table,),) = sql(schema, "SELECT table_name FROM mastra_vector_indexes")
    ((definition,),) = sql(
        schema,
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE '%%hnsw%%'",
        (table,),
    )
    assert "vector_l2_ops" in definition
    assert "m='8'" in definition
    assert "ef_construction='40'" in definition


async def test_filtered_queries_through_the_index_return_top_k(schema: str) -> None:
    settings = HNSWSettings(m=16, ef_construction=64, ef_search=64)
    async with PgVectorStore(POSTGRES_URL or "", settings=settings, schema=schema) as store:
        await _filtered_recall(store, schema)


async def _filtered_recall(store: PgVectorStore, schema: str) -> None:
    rng = np.random.default_rng(7)
    n, d = 2000, 16
    vectors = unit(rng, n, d)
    await store.create_index("big", d)
    await store.upsert(
        "big",
        vectors,
        [{"tenth": i % 10 == 0, "hundredth": i % 100 == 0} for i in range(n)],
        [f"v{i}" for i in range(n)],
    )
    sql(schema, "ANALYZE")
    queries = unit(rng, 20, d)
    recalls = []
    for flt, allowed in [
        ({"tenth": True}, np.arange(n)[np.arange(n) % 10 == 0]),
        ({"hundredth": True}, np.arange(n)[np.arange(n) % 100 == 0]),
    ]:
        for query in queries:
            hits = await store.query("big", query, top_k=10, filter=flt)
            assert len(hits) == 10
            truth = {f"v{i}" for i in allowed[np.argsort(-(vectors[allowed] @ query))[:10]]}
            recalls.append(len(truth & {h.id for h in hits}) / 10)
    assert np.mean(recalls) >= 0.95
    # The 1 % filter is applied on the HNSW index scan (iterative), not by a table scan.
    ((table,),) = sql(schema, "SELECT table_name FROM mastra_vector_indexes")
    where, params = filter_to_sql({"hundredth": True}) or ("TRUE", [])
    plan = sql(
        schema,
        f'EXPLAIN SELECT id FROM "{table}" WHERE {where} '
        "ORDER BY embedding <=> %s::vector LIMIT 10",
        [*params, "[" + ",".join(["0.1"] * d) + "]"],
    )
    assert "hnsw" in " ".join(str(r[0]) for r in plan)


async def test_halfvec_indexes(schema: str) -> None:
    async with PgVectorStore(POSTGRES_URL or "", halfvec=True, schema=schema) as store:
        await store.create_index("h", 3, "dotproduct")
        await store.upsert("h", [[1, 0, 0], [0.5, 0.5, 0]], [{"a": 1}, {"a": 2}], ["x", "y"])
        hits = await store.query("h", [1, 0, 0], top_k=2, include_vector=True)
        assert [h.id for h in hits] == ["x", "y"]
        assert hits[0].score == pytest.approx(1.0, abs=1e-3)
        assert hits[0].vector == pytest.approx([1, 0, 0], abs=1e-3)
    ((column,),) = sql(
        schema,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attname = 'embedding' AND attrelid = (SELECT table_name FROM "
        "mastra_vector_indexes)::regclass",
    )
    assert column == "halfvec(3)"


async def test_two_workers_share_indexes(schema: str) -> None:
    url = POSTGRES_URL or ""
    async with (
        PgVectorStore(url, schema=schema) as a,
        PgVectorStore(url, schema=schema) as b,
    ):
        await a.create_index("docs", 2)
        await b.create_index("docs", 2)
        await a.upsert("docs", [[1, 0]], [{"from": "a"}], ["p"])
        (hit,) = await b.query("docs", [1, 0], top_k=1)
        assert (hit.id, hit.metadata) == ("p", {"from": "a"})
        with pytest.raises(VectorError, match="exists with dimension 2"):
            await b.create_index("docs", 3)


async def test_nul_in_metadata_is_a_vector_error(store: PgVectorStore) -> None:
    await store.create_index("x", 2)
    with pytest.raises(VectorError, match="U\\+0000"):
        await store.upsert("x", [[1, 0]], [{"s": "a\x00b"}])
    assert (await store.describe_index("x")).count == 0


async def test_unreachable_server_is_retriable() -> None:
    down = PgVectorStore("postgresql://mastra@127.0.0.1:1/x", timeout=0.5)
    with pytest.raises(StorageUnavailableError):
        await down.list_indexes()
    await down.close()


async def test_is_a_vector_store(store: PgVectorStore) -> None:
    assert isinstance(store, VectorStore)


@needs_postgres_ctl
async def test_next_call_after_a_server_restart_succeeds(store: PgVectorStore) -> None:
    await store.create_index("x", 2)
    await store.upsert("x", [[1, 0]], ids=["a"])
    await asyncio.to_thread(postgres_ctl, "restart")
    (hit,) = await store.query("x", [1, 0], top_k=1)
    assert hit.id == "a"


async def test_large_first_batch_is_copied_then_indexed(store: PgVectorStore, schema: str) -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng, 1500, 8)
    await store.create_index("bulk", 8)
    ids = [f"b{i}" for i in range(1500)]
    await store.upsert("bulk", vectors, [{"i": i, "s": "tab\there"} for i in range(1500)], ids)
    # A second large batch goes to a non-empty index: upserted row by row.
    await store.upsert("bulk", vectors[:1200], [{"i": -1}] * 1200, ids[:1200])
    assert (await store.describe_index("bulk")).count == 1500
    (hit,) = await store.query("bulk", vectors[1400], top_k=1)
    assert (hit.id, hit.metadata) == ("b1400", {"i": 1400, "s": "tab\there"})
    (hit,) = await store.query("bulk", vectors[3], top_k=1)
    assert (hit.id, hit.metadata) == ("b3", {"i": -1})
    ((table,),) = sql(schema, "SELECT table_name FROM mastra_vector_indexes")
    ((definition,),) = sql(
        schema,
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE '%%hnsw%%'",
        (table,),
    )
    assert "m='8'" in definition
