"""LRUCache under 8 threads of mixed operations: no crash, bounds and books hold after."""

from __future__ import annotations

import random
import sys
import threading
import time

from mastra.cache import LRUCache

THREADS = 8
SECONDS = 2.0


def test_threaded_stress_keeps_invariants() -> None:
    cache = LRUCache(300, max_bytes=12_000, ttl=0.05)
    keys = [f"key-{i:04d}" for i in range(1000)] + [f"key-{i:04d}".encode() for i in range(200)]
    deadline = time.monotonic() + SECONDS
    errors: list[BaseException] = []
    counts = [0] * THREADS
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> None:
        rng = random.Random(index)
        barrier.wait()
        try:
            while time.monotonic() < deadline:
                for _ in range(200):
                    key = rng.choice(keys)
                    op = rng.random()
                    if op < 0.5:
                        value = cache.get(key)
                        assert value is None or value[:1] == b"v"
                    elif op < 0.8:
                        ttl = 0.01 if op < 0.55 else None
                        cache.set(key, b"v" * rng.randrange(1, 80), ttl=ttl)
                    elif op < 0.9:
                        cache.delete(key)
                    elif op < 0.95:
                        cache.pop(key, None)
                    else:
                        _ = key in cache
                    counts[index] += 1
        except BaseException as exc:
            errors.append(exc)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # hand the GIL over often, to interleave operations
    try:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)

    assert errors == []
    assert all(count > 0 for count in counts)
    stats = cache.stats()
    assert stats.entries <= 300
    assert stats.bytes <= 12_000
    live = cache.keys()
    assert len(set(live)) == len(live)
    # Entries with a short TTL may expire while they are summed: skip those.
    total = sum(len(k) + len(value) for k in live if (value := cache.get(k)) is not None)
    assert total <= stats.bytes
    assert stats.hits + stats.misses > 0
    cache.clear()
    assert cache.stats().entries == 0
    assert cache.stats().bytes == 0
