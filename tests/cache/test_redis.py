"""RedisCache, TieredCache and SharedRateLimiter against real Redis servers: the shared
one of ci/services.sh, and private ones this module starts, kills and restarts."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from conformance.services import REDIS_URL, RedisServer, needs_redis
from mastra.cache import LRUCache, RedisCache, SharedRateLimiter, TieredCache
from mastra.errors import ConfigError, StorageUnavailableError

pytestmark = [pytest.mark.anyio, needs_redis]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def namespace() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def l2(namespace: str) -> AsyncIterator[RedisCache]:
    cache = RedisCache(REDIS_URL or "", namespace=namespace)
    try:
        yield cache
    finally:
        await cache.clear()
        await cache.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (ci/services.sh installs it)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---- RedisCache ----------------------------------------------------------------------------


async def test_an_l2_read_is_one_get_with_the_expiry_inside_the_value(
    l2: RedisCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    await l2.set("k", {"n": 1}, ttl=30)
    await l2.set("forever", b"raw")
    await l2.client.set(l2.key("legacy"), b"j[1]")  # stored without the expiry header
    sent: list[str] = []
    execute = l2.client.execute_command

    async def counting(*args: object, **options: object) -> object:
        sent.append(str(args[0]))
        return await execute(*args, **options)

    monkeypatch.setattr(l2.client, "execute_command", counting)
    monkeypatch.setattr(l2.client, "pipeline", None)  # no pipelined second command
    value, left = await l2.get_with_ttl("k")
    assert value == {"n": 1}
    assert left is not None
    assert 29 < left <= 30
    assert sent == ["GET"]
    assert await l2.get_with_ttl("forever") == (b"raw", None)
    assert await l2.get_with_ttl("legacy") == ([1], None)
    assert sent == ["GET"] * 3
    monkeypatch.undo()
    assert 29_000 < await l2.client.pttl(l2.key("k")) <= 30_000  # Redis expires it too


async def test_redis_cache_values_keys_and_ttl(l2: RedisCache) -> None:
    await l2.set("j", {"a": [1, 2.5, None]})
    await l2.set(b"j", b"\x00raw")
    await l2.set("short", "x", ttl=0.05)
    assert await l2.get("j") == {"a": [1, 2.5, None]}
    assert await l2.get(b"j") == b"\x00raw"
    assert await l2.get("nope", "default") == "default"
    _, left = await l2.get_with_ttl("short")
    assert left is not None
    assert 0 < left <= 0.05
    await asyncio.sleep(0.1)
    assert await l2.get("short") is None
    assert await l2.delete("j") is True
    assert await l2.delete("j") is False
    with pytest.raises(ConfigError, match="bytes or JSON"):
        await l2.set("bad", object())
    assert await l2.clear() == 1


async def test_redis_cache_down_is_retriable_error() -> None:
    async with RedisCache("redis://127.0.0.1:1/0", timeout=0.2) as down:
        with pytest.raises(StorageUnavailableError) as info:
            await down.get("k")
        assert isinstance(info.value, ConnectionError)


# ---- TieredCache ---------------------------------------------------------------------------


async def test_reads_l1_then_l2_with_backfill(l2: RedisCache) -> None:
    async with TieredCache(LRUCache(100), l2) as cache:
        await cache.set("k", {"v": 1})
        assert await cache.get("k") == {"v": 1}  # L1
        cache.l1.clear()
        assert await cache.get("k") == {"v": 1}  # L2, copied into L1
        assert cache.l1.get("k") == {"v": 1}
        assert await cache.get("absent", 0) == 0
        stats = cache.stats()
        assert (stats.l1_hits, stats.l2_hits, stats.misses) == (1, 1, 1)
        await cache.delete("k")
        assert await l2.get("k") is None
        assert await cache.get("k") is None


async def test_backfill_keeps_the_l2_expiry(l2: RedisCache) -> None:
    async with TieredCache(LRUCache(100), l2) as cache:
        await l2.set("k", "v", ttl=0.2)
        assert await cache.get("k") == "v"
        await asyncio.sleep(0.3)
        assert cache.l1.get("k") is None


async def test_an_update_on_one_worker_drops_the_others_l1_copy(namespace: str) -> None:
    url = REDIS_URL or ""
    async with (
        TieredCache(LRUCache(100), RedisCache(url, namespace=namespace)) as a,
        TieredCache(LRUCache(100), RedisCache(url, namespace=namespace)) as b,
    ):
        await a.set("k", "old")
        assert await b.get("k") == "old"  # now in b's L1
        await a.set("k", "new")
        start = time.monotonic()
        for _ in range(100):
            if b.l1.get("k") is None:
                break
            await asyncio.sleep(0.001)
        assert b.l1.get("k") is None
        assert time.monotonic() - start < 0.1, "b's stale L1 entry outlived 100 ms"
        assert await b.get("k") == "new"
        assert a.l1.get("k") == "new"  # the writer keeps its own fresh copy
        assert b.stats().invalidations == 1
        await a.l2.clear()


async def test_redis_outage_degrades_to_l1_and_recovers(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    l2 = RedisCache(private_redis.url, timeout=0.2)
    async with TieredCache(LRUCache(100), l2, retry_after=0.2) as cache:
        await cache.set("k", "v")
        private_redis.stop()
        with caplog.at_level(logging.WARNING, logger="mastra.cache"):
            assert await cache.get("k") == "v"  # L1 still answers
            await cache.set("during", 1)  # no error to the caller
            assert await cache.get("during") == 1
            assert await cache.get("gone") is None
        assert cache.stats().l2_errors >= 1
        assert not cache.stats().l2_available
        assert "serving from L1 only" in caplog.text
        private_redis.start()
        await asyncio.sleep(0.3)
        await cache.set("after", 2)
        assert await l2.get("after") == 2
        assert cache.stats().l2_available


# ---- shared rate limits --------------------------------------------------------------------


async def test_two_workers_share_one_rate_limit(namespace: str) -> None:
    url = REDIS_URL or ""
    async with (
        RedisCache(url, namespace=namespace) as r1,
        RedisCache(url, namespace=namespace) as r2,
    ):
        # Almost no refill: the burst is all two workers get, together.
        a = SharedRateLimiter(r1, rate=0.001, burst=5)
        b = SharedRateLimiter(r2, rate=0.001, burst=5)
        waits = await asyncio.gather(*((a if i % 2 else b).acquire("ada") for i in range(20)))
        assert sum(1 for w in waits if w == 0.0) == 5
        assert all(w > 100 for w in waits if w)  # (1 - left) / 0.001 seconds
        assert await a.acquire("rob") == 0.0  # buckets are per key
        await r1.client.delete(*[k async for k in r1.client.scan_iter(f"{namespace}:limit:*")])


async def test_refill_and_cost(l2: RedisCache) -> None:
    limiter = SharedRateLimiter(l2, rate=100, burst=2)
    assert await limiter.acquire("k", cost=2) == 0.0
    wait = await limiter.acquire("k")
    assert 0 < wait <= 0.011
    await asyncio.sleep(wait + 0.01)
    assert await limiter.acquire("k") == 0.0
    with pytest.raises(ConfigError):
        SharedRateLimiter(l2, rate=0, burst=1)


async def test_limits_fall_back_per_worker_when_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with RedisCache("redis://127.0.0.1:1/0", timeout=0.2) as down:
        limiter = SharedRateLimiter(down, rate=0.001, burst=2)
        with caplog.at_level(logging.WARNING, logger="mastra.cache"):
            waits = [await limiter.acquire("ada") for _ in range(3)]
        assert waits[:2] == [0.0, 0.0]
        assert waits[2] > 0
        assert "limiting per worker" in caplog.text
