"""LRUCache: the mapping API, bounds, TTL, statistics and the release of values."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

from mastra.cache import CacheStats, LRUCache
from mastra.errors import ConfigError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Blob:
    """A weak-referenceable value."""


def test_mapping_api() -> None:
    cache = LRUCache(10)
    cache["a"] = 1
    cache.set(b"a", 2)
    assert cache["a"] == 1
    assert cache.get(b"a") == 2
    assert cache.get("missing") is None
    assert cache.get("missing", 7) == 7
    assert "a" in cache
    assert "missing" not in cache
    assert len(cache) == 2
    assert sorted(cache, key=repr) == sorted(["a", b"a"], key=repr)
    with pytest.raises(KeyError):
        cache["missing"]
    assert cache.pop("a") == 1
    assert cache.pop("a", "gone") == "gone"
    with pytest.raises(KeyError):
        cache.pop("a")
    assert cache.delete(b"a") is True
    assert cache.delete(b"a") is False
    cache["x"] = 1
    del cache["x"]
    with pytest.raises(KeyError):
        del cache["x"]
    cache["y"] = None
    assert cache.get("y", 5) is None
    cache.clear()
    assert len(cache) == 0
    assert cache.keys() == []


@pytest.mark.parametrize("bad_key", [1, 1.5, None, ("a",), bytearray(b"a")])
def test_non_str_bytes_keys_raise_type_error(bad_key: object) -> None:
    cache = LRUCache(10)
    with pytest.raises(TypeError, match="str or bytes"):
        cache.get(bad_key)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str or bytes"):
        cache.set(bad_key, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str or bytes"):
        _ = bad_key in cache


def test_str_subclass_keys_match_plain_str() -> None:
    class Name(str):
        def __hash__(self) -> int:
            return 1

    cache = LRUCache(10)
    cache[Name("k")] = 1
    assert cache["k"] == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_entries": 0}, "max_entries"),
        ({"max_entries": 1, "max_bytes": 0}, "max_bytes"),
        ({"max_entries": 1, "ttl": 0}, "ttl"),
        ({"max_entries": 1, "ttl": -1.0}, "ttl"),
        ({"max_entries": 1, "sizeof": 3}, "callable"),
    ],
)
def test_bad_configuration_raises_config_error(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        LRUCache(**kwargs)  # type: ignore[arg-type]


def test_evicts_least_recently_used_and_reads_refresh() -> None:
    cache = LRUCache(3)
    for name in "abc":
        cache[name] = name
    assert cache["a"] == "a"
    cache["d"] = "d"
    assert cache.keys() == ["c", "a", "d"]
    assert "b" not in cache
    cache["c"] = "c2"  # an update refreshes too
    cache["e"] = "e"
    assert cache.keys() == ["d", "c", "e"]
    assert cache.stats() == CacheStats(
        hits=1, misses=0, evictions=2, expirations=0, entries=3, bytes=cache.stats().bytes
    )


def test_byte_sizes_and_bound() -> None:
    cache = LRUCache(100, max_bytes=40, sizeof=lambda value: 7)
    cache["k1"] = b"x" * 8  # 2 + 8
    cache["k2"] = "\u00e9" * 4  # latin-1 storage: 1 byte per character -> 2 + 4
    cache["k3"] = "\u20ac" * 4  # 2 bytes per character -> 2 + 8
    cache["k4"] = object()  # sizeof -> 2 + 7
    assert cache.stats().bytes == 10 + 6 + 10 + 9
    cache["k5"] = b"y" * 8  # 10 more: evicts k1
    assert cache.keys() == ["k2", "k3", "k4", "k5"]
    assert cache.stats().bytes <= 40


def test_oversized_entry_is_not_stored_and_evicts_nothing() -> None:
    cache = LRUCache(100, max_bytes=20)
    cache["a"] = b"1234"
    cache["b"] = b"1234"
    cache["big"] = b"x" * 50
    assert "big" not in cache
    assert cache.keys() == ["a", "b"]
    cache["a"] = b"y" * 50  # replaces "a" with an oversized value: "a" is dropped
    assert "a" not in cache
    assert cache.keys() == ["b"]
    assert cache.stats().evictions == 0


def test_ttl_with_injected_clock() -> None:
    clock = FakeClock()
    cache = LRUCache(10, ttl=10, clock=clock)
    cache["a"] = 1
    cache.set("b", 2, ttl=100)
    cache2 = LRUCache(10, clock=clock)
    cache2["forever"] = 1
    clock.now += 9.999
    assert cache["a"] == 1
    clock.now += 0.001
    assert "a" not in cache
    assert cache.get("a") is None
    assert cache["b"] == 2
    assert len(cache) == 1
    clock.now += 100
    assert cache.keys() == []
    assert len(cache) == 0
    assert cache.stats().expirations == 2
    assert cache2["forever"] == 1
    assert cache.ttl == 10
    with pytest.raises(ConfigError, match="ttl"):
        cache.set("c", 1, ttl=0)


def test_expire_removes_expired_entries() -> None:
    clock = FakeClock()
    cache = LRUCache(10, clock=clock)
    cache.set("a", 1, ttl=1)
    cache.set("b", 2, ttl=5)
    cache["c"] = 3
    clock.now += 2
    assert cache.expire() == 1
    assert cache.keys() == ["b", "c"]


def test_default_clock_is_monotonic_and_used_for_ttl() -> None:
    cache = LRUCache(10, ttl=3600)
    cache["a"] = 1
    assert cache["a"] == 1


def test_values_are_released_on_evict_delete_clear_replace_and_death() -> None:
    cache = LRUCache(2)
    values = [Blob() for _ in range(6)]
    refs = [weakref.ref(v) for v in values]
    cache["0"], cache["1"] = values[0], values[1]
    cache["2"] = values[2]  # evicts 0
    cache["1"] = values[3]  # replaces 1
    cache.delete("2")
    popped = cache.pop("1")
    assert popped is values[3]
    del popped
    cache["4"] = values[4]
    cache.clear()
    cache["5"] = values[5]
    del values
    gc.collect()
    assert [r() is None for r in refs] == [True, True, True, True, True, False]
    del cache
    assert refs[5]() is None


def test_refcounts_balance_on_hits_and_misses() -> None:
    value = Blob()
    cache = LRUCache(10)
    cache["a"] = value
    before = sys.getrefcount(value)
    for _ in range(1000):
        assert cache.get("a") is value
        assert cache["a"] is value
        cache.get("missing", value)
        _ = "a" in cache
    cache["a"] = value
    assert sys.getrefcount(value) == before


def test_reference_cycles_through_the_cache_are_collected() -> None:
    cache = LRUCache(10)
    blob = Blob()
    blob.cache = cache  # type: ignore[attr-defined]
    cache["self"] = blob
    ref = weakref.ref(cache)
    del cache, blob
    gc.collect()
    assert ref() is None


def test_value_destructor_may_use_the_cache() -> None:
    cache = LRUCache(1)

    class Reentrant:
        def __del__(self) -> None:
            cache.get("anything")
            cache["from_del"] = 1

    cache["a"] = Reentrant()
    cache["b"] = 2  # evicts a; its __del__ runs after the cache released its locks
    assert cache["from_del"] == 1
