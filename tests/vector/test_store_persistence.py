"""SQLiteVectorStore across restarts: same answers, graphs reloaded, deleted ids gone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from mastra.errors import StorageError
from mastra.vector import HNSWIndex, HNSWSettings, QueryResult, SQLiteVectorStore

pytestmark = pytest.mark.anyio
# A beam wider than the collection: graph answers are exact, so runs compare equal.
# Every write joins the graph at once: answers before and after reopening come from
# the same graph.
SETTINGS = HNSWSettings(exact_threshold=64, ef_search=512, graph_buffer=0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def data(n: int = 400, d: int = 16) -> tuple[np.ndarray, list[dict[str, int]], list[str]]:
    rng = np.random.default_rng(11)
    return (
        rng.standard_normal((n, d)).astype(np.float32),
        [{"group": i % 10, "i": i} for i in range(n)],
        [f"id-{i}" for i in range(n)],
    )


async def answers(store: SQLiteVectorStore, queries: np.ndarray) -> list[list[QueryResult]]:
    out = []
    for q in queries:
        out.append(await store.query("docs", q, top_k=8))
        out.append(await store.query("docs", q, top_k=8, filter={"group": {"$in": [1, 2]}}))
    return out


async def test_reopen_gives_the_same_answers_from_the_saved_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v.db"
    vectors, metas, ids = data()
    queries = np.random.default_rng(5).standard_normal((6, 16)).astype(np.float32)
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        await store.create_index("docs", 16)
        for start in range(0, 400, 100):
            end = start + 100
            await store.upsert("docs", vectors[start:end], metas[start:end], ids[start:end])
        assert await store.delete("docs", ["id-3", "id-4"]) == 2
        await store.update("docs", "id-5", metadata={"group": 1, "i": 5, "moved": True})
        before = await answers(store, queries)
    graph = tmp_path / "v.db.hnsw" / "1.hnsw"
    assert graph.exists()
    saved_at = graph.stat().st_mtime_ns
    opened: list[str] = []
    real_load, real_view = HNSWIndex.load, HNSWIndex.view

    def spy_load(cls: type[HNSWIndex], file: str) -> HNSWIndex:
        opened.append(f"load {file}")
        return real_load(file)

    def spy_view(cls: type[HNSWIndex], file: str) -> HNSWIndex:
        opened.append(f"view {file}")
        return real_view(file)

    monkeypatch.setattr(HNSWIndex, "load", classmethod(spy_load))
    monkeypatch.setattr(HNSWIndex, "view", classmethod(spy_view))
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        # Opened from the saved files (mapped), neither rebuilt nor read into memory.
        assert opened == [f"view {graph}"]
        assert await answers(store, queries) == before
        assert (await store.describe_index("docs")).count == 398
        for q in (vectors[3], vectors[4]):
            hits = await store.query("docs", q, top_k=398)
            assert {"id-3", "id-4"}.isdisjoint(h.id for h in hits)
    # Nothing changed in the second session: the graph was not rewritten.
    assert graph.stat().st_mtime_ns == saved_at
    # The first write copies the mapped graph into memory; answers stay the same.
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        await store.upsert("docs", vectors[3:5], metas[3:5], ids[3:5])
        assert opened[-1] == f"load {graph}"
        assert await store.delete("docs", ["id-3", "id-4"]) == 2
        assert await answers(store, queries) == before
    assert graph.stat().st_mtime_ns != saved_at


async def test_stale_or_missing_graph_is_rebuilt_from_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    vectors, metas, ids = data()
    queries = vectors[:4]
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        await store.create_index("docs", 16)
        await store.upsert("docs", vectors, metas, ids)
        before = await answers(store, queries)
    # A session that crashed after a delete: SQLite has it, the saved graph does not.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM vectors WHERE id = 'id-0'")
    conn.execute("UPDATE vector_indexes SET generation = generation + 1")
    conn.close()
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        hits = await store.query("docs", vectors[0], top_k=400)
        assert "id-0" not in {h.id for h in hits}
        assert len(hits) == 399
        middle = await answers(store, queries)
    assert middle[2:] == before[2:]
    (tmp_path / "v.db.hnsw" / "1.hnsw").unlink()
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        assert await answers(store, queries) == middle


async def test_corrupt_graph_file_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    vectors, metas, ids = data()
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        await store.create_index("docs", 16)
        await store.upsert("docs", vectors, metas, ids)
        before = await answers(store, vectors[:3])
    graph = tmp_path / "v.db.hnsw" / "1.hnsw"
    graph.write_bytes(graph.read_bytes()[:100])
    async with SQLiteVectorStore(path, settings=SETTINGS) as store:
        assert await answers(store, vectors[:3]) == before


async def test_delete_index_removes_vectors_and_graph(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    vectors, metas, ids = data(50)
    async with SQLiteVectorStore(path) as store:
        await store.create_index("docs", 16)
        await store.upsert("docs", vectors, metas, ids)
        await store.checkpoint()
        assert (tmp_path / "v.db.hnsw" / "1.hnsw").exists()
        await store.delete_index("docs")
        assert not (tmp_path / "v.db.hnsw" / "1.hnsw").exists()
    async with SQLiteVectorStore(path) as store:
        assert await store.list_indexes() == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM vector_data").fetchone()[0] == 0
    conn.close()


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    async with SQLiteVectorStore(path) as store:
        await store.create_index("docs", 4)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE mastra_vector_schema SET version = 99")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        await SQLiteVectorStore(path).open()
