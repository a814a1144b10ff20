"""The cache cases of ``test_cache.py`` timed in interleaved rounds.

Run: ``python benchmarks/interleaved_cache.py``. Every round times each implementation
once, in turn, and the best of the rounds is kept, so that a noisy host shifts all of them
alike; the summary prints nanoseconds per operation and mastra's ratios to each peer.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.test_cache import HIT_KEYS, OPS, VALUE, FreshKeys, Impl, run_loop

PEERS = ["mastra", "dict", "functools.lru_cache", "cachetools.LRUCache"]
ROUNDS = 15


def best_ns(ops: dict[str, Callable[[], None]]) -> dict[str, float]:
    best = dict.fromkeys(ops, float("inf"))
    for _ in range(ROUNDS):
        for name, op in ops.items():
            start = time.perf_counter()
            op()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds / OPS * 1e9 for name, seconds in best.items()}


def fresh_loop(impl: Impl, case: str, threads: int) -> Callable[[], None]:
    fresh = FreshKeys()

    def set_value(key: str) -> Any:
        return impl.set(key, VALUE)

    op = impl.get if case == "get-miss" else set_value
    return lambda: run_loop(op, fresh.take(OPS), threads)


def main() -> None:
    for threads in (1, 2):
        impls = {name: Impl(name, threaded=threads > 1) for name in PEERS}
        hit = best_ns(
            {
                name: (lambda i=impl, t=threads: run_loop(i.get, HIT_KEYS, t))
                for name, impl in impls.items()
            }
        )
        print(
            f"{threads} thread(s), get-hit: " + "  ".join(f"{n} {v:.0f} ns" for n, v in hit.items())
        )
        print(
            f"  mastra / dict {hit['mastra'] / hit['dict']:.2f}   "
            f"cachetools / mastra {hit['cachetools.LRUCache'] / hit['mastra']:.2f}   "
            f"mastra / functools {hit['mastra'] / hit['functools.lru_cache']:.2f}"
        )
        for case in ("get-miss", "set-evict"):
            # A dict miss is the floor of a miss; a dict never evicts, so it sits out set-evict.
            peers = ("mastra", "cachetools.LRUCache") + (("dict",) if case == "get-miss" else ())
            ns = best_ns({name: fresh_loop(impls[name], case, threads) for name in peers})
            ours, theirs = ns["mastra"], ns["cachetools.LRUCache"]
            floor = f", dict {ns['dict']:.0f} ns" if "dict" in ns else ""
            print(
                f"  {case}: mastra {ours:.0f} ns, cachetools {theirs:.0f} ns{floor}: "
                f"cachetools / mastra {theirs / ours:.2f}"
            )


if __name__ == "__main__":
    main()
