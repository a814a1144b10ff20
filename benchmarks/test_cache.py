"""mastra.cache.LRUCache beside functools.lru_cache, cachetools and a plain dict.

Capacity 100k, 32-character str keys, 32-byte bytes values, seeded. Each round runs
OPS operations in a Python loop (the loop is part of the figure, as for every peer), on
one thread or split over two. cachetools is not thread-safe, so its two-thread runs hold
a threading.Lock around each call, as its documentation asks. The summary prints each
time relative to mastra's; ``ns/op`` is in each record.

Run: ``pytest benchmarks/test_cache.py --benchmark-only -q``
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable
from typing import Any

import cachetools
import pytest

from benchmarks.conftest import record
from mastra.cache import LRUCache

CAPACITY = 100_000
OPS = 20_000
VALUE = b"v" * 32

Op = Callable[[str], Any]


def make_keys(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.randbytes(16).hex() for _ in range(n)]


RESIDENT = make_keys(CAPACITY, 1)
FRESH = make_keys(3 * CAPACITY, 2)  # never resident at the start; cycled through for misses
HIT_KEYS = random.Random(3).choices(RESIDENT, k=OPS)


class Impl:
    """One implementation under test: how to build it and its get/set operations."""

    def __init__(self, name: str, threaded: bool) -> None:
        self.name = name
        self.threaded = threaded
        self.get: Op
        self.set: Callable[[str, bytes], Any]
        self.read_through: Op  # get, and set on a miss (a cache in front of a computation)
        build = getattr(self, "_build_" + name.replace(".", "_"))
        build()
        for key in RESIDENT:
            self.set(key, VALUE)

    def _build_mastra(self) -> None:
        cache = LRUCache(CAPACITY)
        self.get, self.set = cache.get, cache.set

        def read_through(key: str) -> Any:
            value = cache.get(key)
            if value is None:
                cache.set(key, VALUE)
            return value

        self.read_through = read_through

    def _build_dict(self) -> None:
        data: dict[str, bytes] = {}
        self.get, self.set = data.get, data.__setitem__
        self.read_through = lambda key: data.setdefault(key, VALUE)

    def _build_functools_lru_cache(self) -> None:
        @functools.lru_cache(maxsize=CAPACITY)
        def compute(key: str) -> bytes:
            return VALUE

        self.get = self.read_through = compute
        self.set = lambda key, value: compute(key)

    def _build_cachetools_LRUCache(self) -> None:
        self._cachetools(cachetools.LRUCache(CAPACITY))

    def _build_cachetools_TTLCache(self) -> None:
        self._cachetools(cachetools.TTLCache(CAPACITY, ttl=3600))

    def _cachetools(self, cache: cachetools.Cache[str, bytes]) -> None:
        if not self.threaded:
            self.get, self.set = cache.get, cache.__setitem__

            def read_through(key: str) -> Any:
                value = cache.get(key)
                if value is None:
                    cache[key] = VALUE
                return value

            self.read_through = read_through
            return
        lock = threading.Lock()

        def get(key: str) -> Any:
            with lock:
                return cache.get(key)

        def set_(key: str, value: bytes) -> None:
            with lock:
                cache[key] = value

        def locked_read_through(key: str) -> Any:
            with lock:
                value = cache.get(key)
                if value is None:
                    cache[key] = VALUE
                return value

        self.get, self.set, self.read_through = get, set_, locked_read_through


IMPLS = ["mastra", "dict", "functools.lru_cache", "cachetools.LRUCache", "cachetools.TTLCache"]


class FreshKeys:
    """Hands out keys that are not in the cache, OPS at a time, cycling a large pool."""

    def __init__(self) -> None:
        self.pos = 0

    def take(self, n: int) -> list[str]:
        if self.pos + n > len(FRESH):
            self.pos = 0
        chunk = FRESH[self.pos : self.pos + n]
        self.pos += n
        return chunk


def mixed_keys(fresh: FreshKeys) -> list[str]:
    keys = list(HIT_KEYS)
    misses = fresh.take(OPS // 10)
    for i, key in enumerate(misses):
        keys[i * 10 + 5] = key
    return keys


def run_loop(op: Op, keys: list[str], threads: int) -> None:
    if threads == 1:
        for key in keys:
            op(key)
        return
    parts = [keys[i::threads] for i in range(threads)]

    def work(part: list[str]) -> None:
        for key in part:
            op(key)

    workers = [threading.Thread(target=work, args=(part,)) for part in parts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


CASES = ["get-hit", "get-miss", "set-evict", "mixed-90"]
SKIP = {("dict", "set-evict"), ("functools.lru_cache", "get-miss")}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", IMPLS)
def test_cache(benchmark: Any, name: str, case: str, threads: int) -> None:
    if (name, case) in SKIP:
        pytest.skip(
            "not meaningful for this implementation (dict never evicts; lru_cache "
            "stores every miss)"
        )
    impl = Impl(name, threaded=threads > 1)
    fresh = FreshKeys()
    if case == "set-evict":

        def op(key: str) -> Any:
            return impl.set(key, VALUE)

    else:
        op = {"get-hit": impl.get, "get-miss": impl.get, "mixed-90": impl.read_through}[case]

    def setup() -> tuple[tuple[Op, list[str], int], dict[str, Any]]:
        if case == "get-hit":
            keys = HIT_KEYS
        elif case == "mixed-90":
            keys = mixed_keys(fresh)
        else:
            keys = fresh.take(OPS)
        return (op, keys, threads), {}

    benchmark.group = f"cache {case} x{threads} thread(s)"
    benchmark.pedantic(run_loop, setup=setup, rounds=5, iterations=1, warmup_rounds=1)
    correct = impl.get(HIT_KEYS[-1]) == VALUE if case == "get-hit" else True
    stats = benchmark.stats.stats if benchmark.stats is not None else None
    ns_per_op = round(stats.median / OPS * 1e9, 1) if stats is not None else None
    record(benchmark, group=benchmark.group, name=name, correct=correct, ns_per_op=ns_per_op)
    assert correct
