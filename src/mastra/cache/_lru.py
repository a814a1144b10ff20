"""The in-process LRU cache: a typed face on the compiled ``mastra._cache.LRUCache``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mastra import _cache

__all__ = ["CacheStats", "LRUCache"]


@dataclass(frozen=True)
class CacheStats:
    """A snapshot of a cache's counters.

    Attributes:
        hits: ``get``/``[]`` calls that found a live entry.
        misses: ``get``/``[]`` calls that found nothing (or an expired entry).
        evictions: Live entries removed to stay within ``max_entries``/``max_bytes``.
        expirations: Expired entries removed (on access, by ``expire()``/``len()``, or
            when they were the eviction victim).
        entries: Entries stored now.
        bytes: Their total size (key bytes + value size).
    """

    hits: int
    misses: int
    evictions: int
    expirations: int
    entries: int
    bytes: int


class LRUCache(_cache.LRUCache):
    """A thread-safe LRU cache bounded by entries and by bytes, with optional TTL.

    Keys are ``str`` or ``bytes`` (``"a"`` and ``b"a"`` are different keys); anything else
    raises ``TypeError``. Values are any Python objects, stored by reference.

    Size of an entry: the key's bytes (UTF-8 for ``str``) plus the value's size: ``len()``
    of a ``bytes`` value, ``len() * bytes per code point`` (1, 2 or 4) of a ``str``
    value, and ``sizeof(value)`` (default ``sys.getsizeof``) for any other object. An
    entry larger than ``max_bytes`` is not stored: ``set`` drops it (and any old value
    under that key) and evicts nothing else.

    Eviction order: when a ``set`` exceeds a bound, the least recently used entries are
    evicted until both bounds hold. "Used" means stored by ``set``/``[]=`` or read by
    ``get``/``[]``; ``in``, ``keys()``, ``pop`` and ``delete`` do not refresh an entry. The
    order is exact whenever operations do not overlap in time, which under the GIL is
    always (every operation runs start to finish while holding it). Where callers truly
    run in parallel, the victim is the oldest entry as seen a moment earlier.

    Concurrency: the table is split into shards, each with its own short lock, so
    readers never wait on one global lock. Values are released only after every lock
    has been dropped, so a value's ``__del__`` may safely use the cache.

    TTL: ``ttl`` (seconds) is the default lifetime of entries, ``set(..., ttl=)`` sets one
    entry's. Time comes from a monotonic clock, or from ``clock`` (a callable returning
    seconds, like ``time.monotonic``) for tests. Expired entries read as missing; they are
    removed when touched, when they reach the eviction end, by ``expire()`` and by
    ``len()``.

    Args:
        max_entries: Most entries kept (>= 1).
        max_bytes: Most total bytes kept, or None for no byte bound.
        ttl: Default time to live in seconds, or None for no expiry.
        sizeof: Size in bytes of values that are neither ``bytes`` nor ``str``.
        clock: Time source in seconds (monotonic); the default is the system's
            monotonic clock.

    Raises:
        ConfigError: A bound or ttl is out of range, or sizeof/clock is not callable.

    Example:
        >>> cache = LRUCache(2, max_bytes=1 << 20)
        >>> cache["a"] = b"x"
        >>> cache.set("b", b"y", ttl=60)
        >>> cache.get("a")
        b'x'
        >>> cache["c"] = b"z"  # evicts "b", the least recently used
        >>> cache.keys()
        ['a', 'c']
    """

    __slots__ = ()

    def __init__(
        self,
        max_entries: int,
        *,
        max_bytes: int | None = None,
        ttl: float | None = None,
        sizeof: Callable[[Any], int] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(max_entries, max_bytes=max_bytes, ttl=ttl, sizeof=sizeof, clock=clock)

    def stats(self) -> CacheStats:
        """Returns the hit/miss/eviction/expiration counters and the current size."""
        return CacheStats(*self._stats_tuple())

    def __repr__(self) -> str:
        return (
            f"LRUCache(max_entries={self.max_entries}, max_bytes={self.max_bytes}, ttl={self.ttl})"
        )
