"""One query against 100k x 384 vectors, each implementation beside the pure read.

Run: ``python benchmarks/interleaved_scan.py``. Every round times each case once, in turn,
and the best of 25 rounds is kept, so that a noisy host shifts all cases alike; results are
printed as a fraction of the read bandwidth measured in the same rounds (``_core.sum``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from mastra import _core
from mastra.vector import cosine_similarity, exact_search, inner_product, l2_squared

try:
    import simsimd
except ImportError:
    simsimd = None


def cases(x: np.ndarray, q: np.ndarray, threads: int) -> dict[str, Callable[[], object]]:
    found: dict[str, Callable[[], object]] = {
        "read (sum)": lambda: _core.sum(x, threads),
        "mastra cosine": lambda: cosine_similarity(q, x, threads=threads),
        "mastra ip": lambda: inner_product(q, x, threads=threads),
        "mastra l2": lambda: l2_squared(q, x, threads=threads),
        "mastra top-10": lambda: exact_search(q, x, 10, threads=threads),
        "numpy X@q": lambda: x @ q,
        "numpy cosine": lambda: (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q)),
    }
    if simsimd is not None:
        found["simsimd cosine"] = lambda: simsimd.cdist(
            q[None], x, metric="cosine", threads=threads
        )
    return found


def main() -> None:
    x = np.random.default_rng(1).standard_normal((100_000, 384), dtype=np.float32)
    q = x[7].copy()
    for threads in (1, 2):
        fns = cases(x, q, threads)
        best = dict.fromkeys(fns, float("inf"))
        with threadpool_limits(threads):
            for _ in range(25):
                for name, fn in fns.items():
                    start = time.perf_counter()
                    fn()
                    best[name] = min(best[name], time.perf_counter() - start)
        read = x.nbytes / best["read (sum)"] / 1e9
        print(f"{threads} thread(s): read bandwidth {read:.1f} GB/s")
        for name, seconds in best.items():
            rate = x.nbytes / seconds / 1e9
            ratio = seconds / best["mastra cosine"]
            print(f"  {name:16s} {rate:6.1f} GB/s  {rate / read:5.2f} of read  ", end="")
            print(f"{ratio:5.2f}x the time of mastra cosine")


if __name__ == "__main__":
    main()
