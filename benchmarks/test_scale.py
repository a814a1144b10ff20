"""The scale-out backends beside the embedded ones: PgVectorStore vs the in-process HNSW
store, PostgresStorage vs SQLiteStorage, the tiered cache vs a bare redis-py GET.

Run (needs the servers: ``source ci/services.sh`` starts them)::

    pytest benchmarks/test_scale.py --benchmark-only -q

The vector set is ``MASTRA_BENCH_SCALE_VECTORS`` (default 100,000) seeded clustered unit
vectors of 384 dimensions (as embeddings spread) with a ``bucket`` field, queried with
top_k=10 unfiltered and filtered to 10 % and 1 % of the set; each record carries
recall@10 against brute force over 100 queries and the share of queries that returned
all top_k hits. Storage:
``save_messages`` of 10 messages and ``get_last_messages`` (20) per call. Cache, 100
reads per round (one event-loop turn per round): the bare ``LRUCache.get``, the same
inside an ``async def`` (what any awaited get costs at least), the tier's
L1 hit, its L2 hit (L1 dropped before each read) and redis-py's own GET of the same key
(an L2 hit is one GET: the expiry is stored inside the value); and the L2 hit beside
the GET in alternating rounds, whose ratio other load on the machine skews least.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from benchmarks.conftest import record
from mastra.cache import LRUCache
from mastra.storage import Message, SQLiteStorage, Storage
from mastra.vector import HNSWSettings, InMemoryVectorStore, VectorStore

POSTGRES_URL = os.environ.get("MASTRA_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MASTRA_TEST_REDIS_URL")
N = int(os.environ.get("MASTRA_BENCH_SCALE_VECTORS", "100000"))
DIM = 384
K = 10
SETTINGS = HNSWSettings(m=16, ef_construction=64, ef_search=100)
FILTERS: dict[str, dict[str, Any] | None] = {
    "unfiltered": None,
    "10 %": {"bucket": {"$lt": 10}},
    "1 %": {"bucket": 0},
}

needs_postgres = pytest.mark.skipif(POSTGRES_URL is None, reason="MASTRA_TEST_POSTGRES_URL unset")
needs_redis = pytest.mark.skipif(REDIS_URL is None, reason="MASTRA_TEST_REDIS_URL unset")


class Loop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


# ---- vectors -------------------------------------------------------------------------------


def clustered(rng: np.random.Generator, count: int) -> npt.NDArray[np.float32]:
    """Unit vectors the way embeddings spread (benchmarks/test_vector_store.py's recipe):
    100 clusters, each a 24-dimensional spread plus a little noise in all 384. Uniform
    random vectors would not do: in 384 dimensions all their distances are nearly equal,
    so no approximate index finds their top 10 (recall@10 near 0.1 for both stores)."""
    centers = np.random.default_rng(2026).standard_normal((100, DIM))
    basis = np.random.default_rng(2027).standard_normal((24, DIM)) / np.sqrt(24)
    local = rng.standard_normal((count, 24)) @ basis + 0.05 * rng.standard_normal((count, DIM))
    x = (centers[rng.integers(0, 100, count)] + 0.8 * local).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class VectorHarness(Loop):
    def __init__(self, kind: str) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.vectors, self.queries = clustered(rng, N), clustered(rng, 100)
        self.buckets = np.arange(N) % 100
        self.kind = kind
        self.schema = f"bench_{uuid.uuid4().hex[:8]}"
        self.store: VectorStore
        if kind == "pgvector":
            from mastra.vector import PgVectorStore

            self.store = PgVectorStore(POSTGRES_URL or "", settings=SETTINGS, schema=self.schema)
        else:
            self.store = InMemoryVectorStore(SETTINGS)
        self.run(self.fill())

    async def fill(self) -> None:
        await self.store.create_index("bench", DIM)
        ids = [str(i) for i in range(N)]
        metas = [{"bucket": int(b)} for b in self.buckets]
        await self.store.upsert("bench", self.vectors, metas, ids)

    def recall(self, selectivity: str) -> tuple[float, float]:
        """recall@10 against brute force over the queries, and the share of queries
        that returned all top_k hits."""
        masks = {
            "unfiltered": np.ones(N, bool),
            "10 %": self.buckets < 10,
            "1 %": self.buckets == 0,
        }
        rows = np.flatnonzero(masks[selectivity])
        found = full = 0
        for q in self.queries:
            truth = set(rows[np.argsort(-(self.vectors[rows] @ q))[:K]].tolist())
            hits = self.run(self.store.query("bench", q, top_k=K, filter=FILTERS[selectivity]))
            found += len(truth & {int(h.id) for h in hits})
            full += len(hits) == K
        return found / (K * len(self.queries)), full / len(self.queries)

    def close(self) -> None:
        self.run(self.store.close())
        if self.kind == "pgvector":
            import psycopg

            with psycopg.connect(POSTGRES_URL or "", autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
        self.loop.close()


@pytest.fixture(scope="module", params=["embedded", pytest.param("pgvector", marks=needs_postgres)])
def vectors(request: pytest.FixtureRequest) -> Iterator[VectorHarness]:
    h = VectorHarness(request.param)
    try:
        yield h
    finally:
        h.close()


@pytest.mark.parametrize("selectivity", list(FILTERS))
def test_vector_query(benchmark: Any, vectors: VectorHarness, selectivity: str) -> None:
    flt = FILTERS[selectivity]
    queries = itertools.cycle(vectors.queries)

    def query() -> None:
        vectors.run(vectors.store.query("bench", next(queries), top_k=K, filter=flt))

    benchmark.pedantic(query, rounds=200, iterations=1, warmup_rounds=10)
    times = sorted(benchmark.stats.stats.data)
    recall, full = vectors.recall(selectivity)
    record(
        benchmark,
        group=f"vector query top_{K}, {N} x {DIM}, {selectivity}",
        name=f"mastra {'PgVectorStore' if vectors.kind == 'pgvector' else 'InMemoryVectorStore'}",
        p50_ms=round(times[len(times) // 2] * 1e3, 3),
        p99_ms=round(times[int(len(times) * 0.99)] * 1e3, 3),
        recall_at_10=round(recall, 3),
        returned_top_k=round(full, 3),
    )


# ---- storage -------------------------------------------------------------------------------

CONTENT = [{"type": "text", "text": "lorem ipsum dolor sit amet " * 10}]
counter = itertools.count()


class StorageHarness(Loop):
    def __init__(self, kind: str, folder: Path) -> None:
        super().__init__()
        self.kind = kind
        self.schema = f"bench_{uuid.uuid4().hex[:8]}"
        self.store: Storage
        if kind == "postgres":
            from mastra.storage import PostgresStorage

            self.store = PostgresStorage(POSTGRES_URL or "", schema=self.schema)
        else:
            self.store = SQLiteStorage(folder / "bench.db")
        self.run(self.fill())

    async def fill(self) -> None:
        for t in range(20):
            await self.store.create_thread(resource_id="r", id=f"t{t}")
            await self.store.save_messages([self.message(t) for _ in range(100)])

    @staticmethod
    def message(thread: int) -> Message:
        return Message(f"m{next(counter)}", f"t{thread}", "user", CONTENT, "r")

    def close(self) -> None:
        self.run(self.store.close())
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(POSTGRES_URL or "", autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
        self.loop.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=needs_postgres)])
def storage(request: pytest.FixtureRequest) -> Iterator[StorageHarness]:
    with tempfile.TemporaryDirectory() as folder:
        h = StorageHarness(request.param, Path(folder))
        try:
            yield h
        finally:
            h.close()


def test_storage_save_10(benchmark: Any, storage: StorageHarness) -> None:
    threads = itertools.cycle(range(20))

    def save() -> None:
        t = next(threads)
        storage.run(storage.store.save_messages([storage.message(t) for _ in range(10)]))

    benchmark.pedantic(save, rounds=300, iterations=1, warmup_rounds=10)
    record(
        benchmark,
        group="storage save_messages, 10 per call",
        name=f"mastra {type(storage.store).__name__}",
        messages_per_s=round(10 / benchmark.stats.stats.mean),
    )


def test_storage_get_last_20(benchmark: Any, storage: StorageHarness) -> None:
    threads = itertools.cycle(range(20))

    def get() -> None:
        storage.run(storage.store.get_last_messages(f"t{next(threads)}", 20))

    benchmark.pedantic(get, rounds=500, iterations=1, warmup_rounds=10)
    record(
        benchmark,
        group="storage get_last_messages(thread, 20)",
        name=f"mastra {type(storage.store).__name__}",
        ops_per_s=round(1 / benchmark.stats.stats.mean),
    )


# ---- cache ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiered() -> Iterator[tuple[Loop, Any]]:
    from mastra.cache import RedisCache, TieredCache

    loop = Loop()
    cache = TieredCache(LRUCache(1000), RedisCache(REDIS_URL or "", namespace="bench"))
    loop.run(cache.start())
    loop.run(cache.set("k", b"x" * 100, ttl=3600))  # with a TTL: the expiry is read too
    try:
        yield loop, cache
    finally:
        loop.run(cache.l2.clear())
        loop.run(cache.close())
        loop.loop.close()


READS = 100  # per round: one event-loop turn per round, not per read
TIERS = {
    "LRUCache get": "mastra LRUCache get (no tier)",
    "awaited LRUCache get": "mastra LRUCache get, awaited",  # the least an async get costs
    "L1 hit": "mastra TieredCache L1 hit",
    "L2 hit": "mastra TieredCache L2 hit",
    "redis-py GET": "redis-py GET",
}


def _one_read(cache: Any, tier: str) -> Callable[[], Awaitable[Any]]:
    """A function starting one read of ``tier`` (each is one await deep)."""

    async def awaited_lru() -> Any:
        return cache.l1.get("k")

    def l2_hit() -> Awaitable[Any]:
        cache.l1.delete("k")
        return cache.get("k")  # type: ignore[no-any-return]

    key = cache.l2.key("k")
    readers: dict[str, Callable[[], Awaitable[Any]]] = {
        "awaited LRUCache get": awaited_lru,
        "L1 hit": lambda: cache.get("k"),  # type: ignore[no-any-return]
        "L2 hit": l2_hit,
        "redis-py GET": lambda: cache.l2.client.get(key),  # type: ignore[no-any-return]
    }
    return readers[tier]


@needs_redis
@pytest.mark.parametrize("tier", list(TIERS))
def test_cache_hit(benchmark: Any, tiered: tuple[Loop, Any], tier: str) -> None:
    loop, cache = tiered
    if tier == "LRUCache get":  # the bare L1, no tier above it

        def read() -> None:
            for _ in range(READS):
                cache.l1.get("k")

    else:
        one = _one_read(cache, tier)

        async def reads() -> None:
            for _ in range(READS):
                await one()

        def read() -> None:
            loop.run(reads())

    benchmark.pedantic(read, rounds=200, iterations=1, warmup_rounds=10)
    record(
        benchmark,
        group=f"cache read of a 100-byte value ({READS} per round)",
        name=TIERS[tier],
        us_per_read=round(benchmark.stats.stats.median / READS * 1e6, 2),
    )


@needs_redis
def test_l2_hit_against_redis_get_interleaved(benchmark: Any, tiered: tuple[Loop, Any]) -> None:
    """An L2 hit and redis-py's GET, 100 reads of each per round, in alternating order:
    load that comes and goes on a shared machine weighs on both alike."""
    loop, cache = tiered
    reads = {"L2 hit": _one_read(cache, "L2 hit"), "GET": _one_read(cache, "redis-py GET")}
    times: dict[str, list[float]] = {name: [] for name in reads}
    turn = itertools.count()

    async def pair() -> None:
        order = list(reads) if next(turn) % 2 else list(reversed(reads))
        for name in order:
            start = time.perf_counter()
            for _ in range(READS):
                await reads[name]()
            times[name].append((time.perf_counter() - start) / READS)

    benchmark.pedantic(lambda: loop.run(pair()), rounds=200, iterations=1, warmup_rounds=10)
    l2, get = statistics.median(times["L2 hit"]), statistics.median(times["GET"])
    record(
        benchmark,
        group="cache: L2 hit against redis-py GET, interleaved",
        name="mastra TieredCache L2 hit + GET",
        l2_hit_us=round(l2 * 1e6, 1),
        redis_get_us=round(get * 1e6, 1),
        l2_over_get=round(l2 / get, 3),
    )
