"""Caching: a concurrent LRU cache (compiled), a memoising decorator, and a Redis tier
shared by workers (:class:`RedisCache` under :class:`TieredCache`) with rate limits
they enforce together (:class:`SharedRateLimiter`); the Redis parts need the
``mastra[redis]`` extra and are imported on first use.

Example:
    >>> from mastra.cache import LRUCache, cached
    >>> cache = LRUCache(10_000, max_bytes=64 << 20, ttl=3600)
    >>> cache["prompt:42"] = b"rendered"
    >>> cache.get("prompt:42")
    b'rendered'
"""

from typing import TYPE_CHECKING, Any

from mastra.cache._cached import cached
from mastra.cache._lru import CacheStats, LRUCache

if TYPE_CHECKING:
    from mastra.cache._limits import SharedRateLimiter
    from mastra.cache._redis import RedisCache
    from mastra.cache._tiered import TieredCache, TieredStats

# redis-py is an optional extra: these are imported when first asked for.
_LAZY = {
    "RedisCache": "_redis",
    "SharedRateLimiter": "_limits",
    "TieredCache": "_tiered",
    "TieredStats": "_tiered",
}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'mastra.cache' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"mastra.cache.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CacheStats",
    "LRUCache",
    "RedisCache",
    "SharedRateLimiter",
    "TieredCache",
    "TieredStats",
    "cached",
]
