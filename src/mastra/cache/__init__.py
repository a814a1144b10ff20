"""In-process caching: a concurrent LRU cache (compiled) and a memoising decorator.

Example:
    >>> from mastra.cache import LRUCache, cached
    >>> cache = LRUCache(10_000, max_bytes=64 << 20, ttl=3600)
    >>> cache["prompt:42"] = b"rendered"
    >>> cache.get("prompt:42")
    b'rendered'
"""

from mastra.cache._cached import cached
from mastra.cache._lru import CacheStats, LRUCache

__all__ = ["CacheStats", "LRUCache", "cached"]
