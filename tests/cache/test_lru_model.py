"""LRUCache against an OrderedDict reference model with the same promises.

The model states them plainly: exact LRU order (reads and writes refresh), the entry and
byte bounds, oversized entries refused, TTL judged by an injected clock, and which
removals count as evictions or expirations.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mastra.cache import LRUCache

KEYS = st.sampled_from(["a", "b", "c", "d", "e", "f", b"a", b"b", "\u00e9", "long-key-" * 3])
VALUES = st.one_of(st.binary(max_size=24), st.text(max_size=8), st.integers())
TTLS = st.one_of(st.none(), st.sampled_from([1.0, 2.5, 10.0]))
SIZEOF = 11


def value_size(value: object) -> int:
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, str):
        widest = max((ord(ch) for ch in value), default=0)
        return len(value) * (1 if widest < 256 else 2 if widest < 65536 else 4)
    return SIZEOF


def key_size(key: str | bytes) -> int:
    return len(key.encode()) if isinstance(key, str) else len(key)


@dataclass
class Entry:
    value: Any
    size: int
    expires_at: float | None


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


class Model:
    def __init__(self, max_entries: int, max_bytes: int | None, clock: Clock) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self.data: OrderedDict[str | bytes, Entry] = OrderedDict()
        self.hits = self.misses = self.evictions = self.expirations = 0

    def expired(self, entry: Entry) -> bool:
        return entry.expires_at is not None and self.clock.now >= entry.expires_at

    def total(self) -> int:
        return sum(e.size for e in self.data.values())

    def get(self, key: str | bytes) -> tuple[bool, Any]:
        entry = self.data.get(key)
        if entry is None or self.expired(entry):
            self.misses += 1
            if entry is not None:
                self.expirations += 1
                del self.data[key]
            return False, None
        self.hits += 1
        self.data.move_to_end(key)
        return True, entry.value

    def remove(self, key: str | bytes) -> tuple[bool, Any]:
        entry = self.data.pop(key, None)
        if entry is None:
            return False, None
        if self.expired(entry):
            self.expirations += 1
            return False, None
        return True, entry.value

    def set(self, key: str | bytes, value: Any, ttl: float | None) -> None:
        size = key_size(key) + value_size(value)
        if self.max_bytes is not None and size > self.max_bytes:
            self.remove(key)
            return
        expires_at = None if ttl is None else self.clock.now + ttl
        self.data[key] = Entry(value, size, expires_at)
        self.data.move_to_end(key)
        while len(self.data) > self.max_entries or (
            self.max_bytes is not None and self.total() > self.max_bytes
        ):
            _, victim = self.data.popitem(last=False)
            if self.expired(victim):
                self.expirations += 1
            else:
                self.evictions += 1

    def purge(self) -> None:
        for key in [k for k, e in self.data.items() if self.expired(e)]:
            del self.data[key]
            self.expirations += 1

    def live_keys(self) -> list[str | bytes]:
        return [k for k, e in self.data.items() if not self.expired(e)]


class LRUCacheMachine(RuleBasedStateMachine):
    cache: LRUCache
    model: Model

    @initialize(
        max_entries=st.integers(1, 6),
        max_bytes=st.one_of(st.none(), st.integers(12, 80)),
        shards=st.sampled_from([1, 2, 8]),
    )
    def create(self, max_entries: int, max_bytes: int | None, shards: int) -> None:
        self.clock = Clock()
        self.cache = LRUCache(
            max_entries, max_bytes=max_bytes, sizeof=lambda v: SIZEOF, clock=self.clock
        )
        if shards != 8:  # the compiled type takes the shard count directly
            super(LRUCache, self.cache).__init__(
                max_entries,
                max_bytes=max_bytes,
                sizeof=lambda v: SIZEOF,
                clock=self.clock,
                shards=shards,
            )
        self.model = Model(max_entries, max_bytes, self.clock)

    @rule(key=KEYS, value=VALUES, ttl=TTLS)
    def set(self, key: str | bytes, value: Any, ttl: float | None) -> None:
        self.cache.set(key, value, ttl=ttl)
        self.model.set(key, value, ttl)

    @rule(key=KEYS)
    def get(self, key: str | bytes) -> None:
        found, expected = self.model.get(key)
        sentinel = object()
        got = self.cache.get(key, sentinel)
        assert got == expected if found else got is sentinel

    @rule(key=KEYS)
    def contains(self, key: str | bytes) -> None:
        entry = self.model.data.get(key)
        assert (key in self.cache) == (entry is not None and not self.model.expired(entry))

    @rule(key=KEYS)
    def delete(self, key: str | bytes) -> None:
        assert self.cache.delete(key) == self.model.remove(key)[0]

    @rule(key=KEYS)
    def pop(self, key: str | bytes) -> None:
        found, expected = self.model.remove(key)
        assert self.cache.pop(key, None) == (expected if found else None)

    @rule(seconds=st.sampled_from([0.5, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        self.clock.now += seconds

    @rule()
    def length(self) -> None:
        self.model.purge()
        assert len(self.cache) == len(self.model.data)

    @rule()
    def clear(self) -> None:
        self.cache.clear()
        self.model.data.clear()

    @invariant()
    def same_order_and_counters(self) -> None:
        assert self.cache.keys() == self.model.live_keys()
        stats = self.cache.stats()
        model = self.model
        assert (stats.hits, stats.misses, stats.evictions, stats.expirations) == (
            model.hits,
            model.misses,
            model.evictions,
            model.expirations,
        )
        assert stats.entries == len(model.data) <= model.max_entries
        assert stats.bytes == model.total()
        if model.max_bytes is not None:
            assert stats.bytes <= model.max_bytes


LRUCacheMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestLRUCacheModel = LRUCacheMachine.TestCase
