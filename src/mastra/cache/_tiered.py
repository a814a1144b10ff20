"""Two cache tiers: each worker's compiled LRU (L1) over a Redis shared by all (L2)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from redis.exceptions import RedisError

from mastra.cache._lru import LRUCache
from mastra.cache._redis import MISSING, Key, RedisCache
from mastra.errors import StorageError

__all__ = ["TieredCache", "TieredStats"]

logger = logging.getLogger("mastra.cache")


@dataclass(frozen=True)
class TieredStats:
    """A snapshot of a tiered cache's counters.

    Attributes:
        l1_hits: Reads answered by the worker's own LRU.
        l2_hits: Reads answered by Redis (and copied into L1).
        misses: Reads found in neither tier.
        l2_errors: Redis calls that failed (the cache went on with L1 alone).
        invalidations: Entries dropped from L1 because another worker changed them.
        l2_available: Whether Redis answered the last time it was asked.
    """

    l1_hits: int
    l2_hits: int
    misses: int
    l2_errors: int
    invalidations: int
    l2_available: bool


def _message(origin: bytes, key: Key) -> bytes:
    return origin + (b"s" + key.encode() if isinstance(key, str) else b"b" + key)


def _parse(message: bytes, origin_length: int) -> tuple[bytes, Key]:
    origin, tag, raw = (
        message[:origin_length],
        message[origin_length : origin_length + 1],
        message[origin_length + 1 :],
    )
    return origin, (raw.decode() if tag == b"s" else raw)


class TieredCache:
    """Reads L1, then L2 (copying what it finds into L1); writes through both.

    Every write or delete is broadcast on Redis pub/sub, so each other worker drops its
    stale L1 copy (within milliseconds on one network). If Redis is out of reach the
    cache serves from L1 alone: the call succeeds, a warning is logged once per outage,
    ``stats().l2_errors`` counts the failures, and Redis is tried again after
    ``retry_after`` seconds. When the broadcast channel comes back after a cut, L1 is
    emptied, since invalidations sent meanwhile were lost.

    Args:
        l1: This worker's :class:`~mastra.cache.LRUCache`.
        l2: The :class:`~mastra.cache.RedisCache` every worker shares.
        retry_after: Seconds to serve from L1 alone after Redis failed.

    Example:
        >>> import asyncio
        >>> from mastra.cache import LRUCache, RedisCache, TieredCache
        >>> async def main() -> object:  # doctest: +SKIP
        ...     l2 = RedisCache("redis://127.0.0.1:6379/0", ttl=300)
        ...     async with TieredCache(LRUCache(10_000, ttl=60), l2) as cache:
        ...         await cache.set("user:1", {"name": "Ada"})
        ...         return await cache.get("user:1")
        >>> asyncio.run(main())  # doctest: +SKIP
        {'name': 'Ada'}
    """

    def __init__(self, l1: LRUCache, l2: RedisCache, *, retry_after: float = 1.0) -> None:
        self.l1 = l1
        self.l2 = l2
        self.retry_after = retry_after
        self.origin = uuid.uuid4().hex.encode()
        self._down_until = 0.0
        self._counts = {"l1": 0, "l2": 0, "miss": 0, "errors": 0, "invalidations": 0}
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    # ---- the two tiers -------------------------------------------------------------

    def _l2_usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _l2_failed(self, exc: StorageError) -> None:
        self._counts["errors"] += 1
        if self._l2_usable():
            logger.warning("shared cache unavailable, serving from L1 only: %s", exc)
        self._down_until = time.monotonic() + self.retry_after

    async def get(self, key: Key, default: Any = None) -> Any:
        """The value under ``key`` from L1, else from L2 (then kept in L1), else
        ``default``. Never raises because Redis is down."""
        value = self.l1.get(key, MISSING)
        if value is not MISSING:
            self._counts["l1"] += 1
            return value
        if self._l2_usable():
            try:
                value, left = await self.l2.get_with_ttl(key)
            except StorageError as exc:
                self._l2_failed(exc)
            else:
                if value is not MISSING:
                    self._counts["l2"] += 1
                    self.l1.set(key, value, ttl=_shorter(left, self.l1.ttl))
                    return value
        self._counts["miss"] += 1
        return default

    async def set(self, key: Key, value: Any, *, ttl: float | None = None) -> None:
        """Stores ``value`` in L2 and L1 and tells the other workers to drop theirs."""
        self.l1.set(key, value, ttl=_shorter(ttl, self.l1.ttl))
        await self._write(self.l2.set(key, value, ttl=ttl), key)

    async def delete(self, key: Key) -> None:
        """Removes ``key`` from both tiers, on every worker."""
        self.l1.delete(key)
        await self._write(self.l2.delete(key), key)

    async def _write(self, call: Any, key: Key) -> None:
        if not self._l2_usable():
            call.close()  # the coroutine is never awaited
            return
        try:
            await call
            await self.l2.publish(_message(self.origin, key))
        except StorageError as exc:
            self._l2_failed(exc)

    def stats(self) -> TieredStats:
        """The counters so far."""
        c = self._counts
        return TieredStats(
            c["l1"], c["l2"], c["miss"], c["errors"], c["invalidations"], self._l2_usable()
        )

    # ---- invalidation broadcast ----------------------------------------------------

    async def start(self, *, timeout: float = 2.0) -> None:
        """Starts listening for other workers' invalidations; waits up to ``timeout``
        for the subscription (and goes on retrying in the background if Redis is
        down)."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="mastra-cache-listener")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout)

    async def _listen(self) -> None:
        lost = False
        while True:
            pubsub = self.l2.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.l2.channel)
                if lost:
                    self.l1.clear()  # invalidations sent during the cut are lost
                self._subscribed.set()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._invalidate(message["data"])
            except (RedisError, OSError) as exc:
                if not lost:
                    logger.warning("cache invalidation channel lost, retrying: %s", exc)
                lost = True
                self._subscribed.clear()
                await asyncio.sleep(self.retry_after)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]

    def _invalidate(self, data: bytes) -> None:
        origin, key = _parse(data, len(self.origin))
        if origin != self.origin and self.l1.delete(key):
            self._counts["invalidations"] += 1

    async def close(self) -> None:
        """Stops the listener and closes L2 (L1 stays usable)."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self.l2.close()

    async def __aenter__(self) -> TieredCache:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _shorter(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
