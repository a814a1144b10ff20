"""Vector stores side by side: mastra's SQLiteVectorStore beside sqlite-vec and chromadb.

Run: ``pytest benchmarks/test_vector_store.py --benchmark-only -q`` (set
``MASTRA_BENCH_VECTORS`` for another collection size; 100,000 by default).

Data: seeded clustered vectors, 384 dimensions, each with metadata ``category`` (10
values: a filter on one matches 10 %) and ``shard`` (100 values: 1 %). Every store gets
the same vectors, ids and metadata, and answers the same queries through its public API,
one query per call (as an agent asks): unfiltered, 10 % and 1 % filters. Recorded beside
the speed: recall@10 against exact search over the filtered set, upsert throughput,
and the time from opening the stored collection to its first answer. The summary prints
each peer's time as a ratio of mastra's.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from benchmarks.conftest import RECORDS, Record, record
from mastra.vector import SQLiteVectorStore, exact_search

F32 = npt.NDArray[np.float32]
N = int(os.environ.get("MASTRA_BENCH_VECTORS", "100000"))
DIM = 384
QUERIES = 200
BATCH = 5000
FILTERS: dict[str, dict[str, Any] | None] = {
    "unfiltered": None,
    "10%": {"category": 3},
    "1%": {"shard": 42},
}


@dataclass
class Data:
    vectors: F32
    queries: F32
    category: npt.NDArray[np.int64]
    shard: npt.NDArray[np.int64]
    truth: dict[str, npt.NDArray[np.int64]]

    def metadata(self, start: int, end: int) -> list[dict[str, Any]]:
        return [
            {"category": int(c), "shard": int(s), "title": f"doc {i}"}
            for i, c, s in zip(
                range(start, end), self.category[start:end], self.shard[start:end], strict=True
            )
        ]


@functools.cache
def data() -> Data:
    rng = np.random.default_rng(2026)
    centers = rng.standard_normal((100, DIM))
    basis = rng.standard_normal((24, DIM)) / np.sqrt(24)

    def draw(count: int) -> F32:
        local = rng.standard_normal((count, 24)) @ basis + 0.05 * rng.standard_normal((count, DIM))
        return (centers[rng.integers(0, 100, count)] + 0.8 * local).astype(np.float32)

    vectors, queries = draw(N), draw(QUERIES)
    ids = np.arange(N)
    category, shard = ids % 10, (ids * 7) % 100
    truth = {}
    for case, flt in FILTERS.items():
        allowed = (
            ids if flt is None else ids[category == 3] if "category" in flt else ids[shard == 42]
        )
        found, _ = exact_search(queries, vectors[allowed], k=10)
        truth[case] = allowed[found]
    return Data(vectors, queries, category, shard, truth)


# ---- adapters ----------------------------------------------------------------------


class Adapter:
    """Builds a store in ``folder`` from the data, then answers one query at a time."""

    name: str
    queries_per_case = QUERIES

    def build(self, folder: Path, d: Data) -> None:
        raise NotImplementedError

    def query(self, vector: F32, flt: dict[str, Any] | None) -> list[int]:
        raise NotImplementedError

    def reopen(self, folder: Path) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class Mastra(Adapter):
    name = "mastra SQLiteVectorStore"

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.store: SQLiteVectorStore | None = None

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def build(self, folder: Path, d: Data) -> None:
        store = self.store = SQLiteVectorStore(folder / "mastra.db")
        self.run(store.create_index("docs", DIM))
        for start in range(0, N, BATCH):
            end = min(N, start + BATCH)
            ids = [str(i) for i in range(start, end)]
            self.run(store.upsert("docs", d.vectors[start:end], d.metadata(start, end), ids))
        self.run(store.checkpoint())

    def query(self, vector: F32, flt: dict[str, Any] | None) -> list[int]:
        assert self.store is not None
        hits = self.run(self.store.query("docs", vector, top_k=10, filter=flt))
        return [int(h.id) for h in hits]

    def reopen(self, folder: Path) -> None:
        self.close()
        self.loop = asyncio.new_event_loop()
        self.store = SQLiteVectorStore(folder / "mastra.db")
        self.run(self.store.open())

    def close(self) -> None:
        if self.store is not None:
            self.run(self.store.close())
        self.loop.close()


class SqliteVec(Adapter):
    name = "sqlite-vec (vec0)"
    queries_per_case = 30

    def __init__(self) -> None:
        self.conn: Any = None

    def connect(self, folder: Path) -> None:
        try:
            import pysqlite3.dbapi2 as sqlite  # stdlib sqlite3 may lack extension loading
        except ImportError:
            import sqlite3 as sqlite
        import sqlite_vec

        self.conn = sqlite.connect(folder / "sqlite-vec.db")
        self.conn.enable_load_extension(True)
        sqlite_vec.load(self.conn)

    def build(self, folder: Path, d: Data) -> None:
        self.connect(folder)
        self.conn.execute(
            f"CREATE VIRTUAL TABLE items USING vec0(embedding float[{DIM}] "
            "distance_metric=cosine, category integer, shard integer)"
        )
        for start in range(0, N, BATCH):
            end = min(N, start + BATCH)
            rows = [
                (i, d.vectors[i].tobytes(), int(d.category[i]), int(d.shard[i]))
                for i in range(start, end)
            ]
            self.conn.executemany(
                "INSERT INTO items (rowid, embedding, category, shard) VALUES (?, ?, ?, ?)", rows
            )
            self.conn.commit()

    def query(self, vector: F32, flt: dict[str, Any] | None) -> list[int]:
        where, params = "", []
        for column, value in (flt or {}).items():
            where += f" AND {column} = ?"
            params.append(value)
        rows = self.conn.execute(
            f"SELECT rowid FROM items WHERE embedding MATCH ? AND k = 10{where} ORDER BY distance",
            (vector.tobytes(), *params),
        ).fetchall()
        return [r[0] for r in rows]

    def reopen(self, folder: Path) -> None:
        self.close()
        self.connect(folder)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Chroma(Adapter):
    name = "chromadb (persistent)"
    queries_per_case = 100

    def __init__(self) -> None:
        self.collection: Any = None

    def open(self, folder: Path) -> Any:
        import chromadb

        return chromadb.PersistentClient(path=str(folder / "chroma"))

    def build(self, folder: Path, d: Data) -> None:
        client = self.open(folder)
        self.collection = client.create_collection(
            "docs",
            metadata={"hnsw:space": "cosine", "hnsw:M": 16, "hnsw:construction_ef": 200},
        )
        for start in range(0, N, BATCH):
            end = min(N, start + BATCH)
            self.collection.add(
                ids=[str(i) for i in range(start, end)],
                embeddings=d.vectors[start:end],
                metadatas=d.metadata(start, end),
            )

    def query(self, vector: F32, flt: dict[str, Any] | None) -> list[int]:
        found = self.collection.query(query_embeddings=[vector], n_results=10, where=flt)
        return [int(i) for i in found["ids"][0]]

    def reopen(self, folder: Path) -> None:
        self.collection = self.open(folder).get_collection("docs")

    def close(self) -> None:
        self.collection = None


def _available() -> list[Callable[[], Adapter]]:
    adapters: list[Callable[[], Adapter]] = [Mastra]
    try:
        import sqlite_vec  # noqa: F401

        adapters.append(SqliteVec)
    except ImportError:
        pass
    try:
        import chromadb  # noqa: F401

        adapters.append(Chroma)
    except ImportError:
        pass
    return adapters


@pytest.fixture(scope="module", params=_available(), ids=lambda a: a.name.split()[0])
def built(request: pytest.FixtureRequest) -> Iterator[tuple[Adapter, Path]]:
    d = data()
    adapter: Adapter = request.param()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        start = time.perf_counter()
        adapter.build(path, d)
        seconds = time.perf_counter() - start
        RECORDS.append(
            Record(
                f"upsert {N} x {DIM} with metadata",
                adapter.name,
                seconds,
                0,
                {"vectors/s": round(N / seconds)},
            )
        )
        try:
            yield adapter, path
        finally:
            adapter.close()


@pytest.mark.parametrize("case", list(FILTERS))
def test_query(benchmark: Any, built: tuple[Adapter, Path], case: str) -> None:
    adapter, _ = built
    d = data()
    flt = FILTERS[case]
    count = adapter.queries_per_case
    found = [adapter.query(q, flt) for q in d.queries[:count]]
    truth = d.truth[case][:count]
    recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))
    assert all(len(f) == 10 for f in found), "a filtered query returned fewer than top_k"
    queries = iter(range(10**9))
    benchmark.pedantic(
        lambda: adapter.query(d.queries[next(queries) % count], flt), rounds=count, iterations=1
    )
    times = np.asarray(benchmark.stats.stats.data)
    record(
        benchmark,
        group=f"query top-10 of {N} x {DIM}, {case}",
        name=adapter.name,
        recall=round(recall, 3),
        p50_ms=round(float(np.percentile(times, 50)) * 1e3, 3),
        p99_ms=round(float(np.percentile(times, 99)) * 1e3, 3),
        qps=round(1 / float(np.mean(times))),
    )


def test_reopen(benchmark: Any, built: tuple[Adapter, Path]) -> None:
    adapter, folder = built
    d = data()

    def reopen_and_answer() -> None:
        adapter.reopen(folder)
        adapter.query(d.queries[0], None)

    benchmark.pedantic(reopen_and_answer, rounds=3, iterations=1)
    record(benchmark, group=f"reopen {N} x {DIM} and answer one query", name=adapter.name)
