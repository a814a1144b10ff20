"""Recall/QPS table of the HNSW adapters in ``test_hnsw.py``, all in one process.

Run, for example::

    python benchmarks/hnsw_table.py minilm "mastra f32,mastra f16,hnswlib,faiss" 16,32,64

(data sets: ``synthetic``, ``minilm``). Builds each index on 2 threads, then for every ef
prints recall@10, one-query-per-call and batched queries/s, latency p50/p99, and the
ratios to hnswlib. Timings are the best of ROUNDS rounds in which the libraries take
turns, so that a noisy host shifts them alike.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.test_hnsw import ADAPTERS, DATASETS, recall, resident_bytes

ROUNDS = 5


def main(name: str, impls: list[str], efs: list[int]) -> None:
    data = DATASETS[name]()
    print(data.name, flush=True)
    built = {}
    for impl in impls:
        adapter = ADAPTERS[impl]()
        before = resident_bytes()
        start = time.perf_counter()
        adapter.build(data.base, 2)
        seconds = time.perf_counter() - start
        grown = (resident_bytes() - before) / 1e6
        print(f"  build {impl:12s} {seconds:6.1f} s (2 threads)  +{grown:.0f} MB", flush=True)
        built[impl] = adapter
    queries = data.queries
    for ef in efs:
        for adapter in built.values():
            adapter.set_ef(ef)
        found = {impl: np.stack([a.one(q) for q in queries]) for impl, a in built.items()}
        best_one = dict.fromkeys(built, float("inf"))
        best_batch = dict.fromkeys(built, float("inf"))
        latencies: dict[str, list[int]] = {impl: [] for impl in built}
        # Alternating rounds, best of each: a noisy host slows every library alike.
        for _ in range(ROUNDS):
            for impl, adapter in built.items():
                start = time.perf_counter()
                for q in queries:
                    adapter.one(q)
                best_one[impl] = min(best_one[impl], time.perf_counter() - start)
                start = time.perf_counter()
                adapter.batch(queries, 2)
                best_batch[impl] = min(best_batch[impl], time.perf_counter() - start)
                for q in queries[:100]:
                    begin = time.perf_counter_ns()
                    adapter.one(q)
                    latencies[impl].append(time.perf_counter_ns() - begin)
        rows = {}
        for impl in built:
            p50, p99 = (np.percentile(latencies[impl], p) / 1e3 for p in (50, 99))
            n = len(queries)
            qps = (n / best_one[impl], n / best_batch[impl])
            rows[impl] = (recall(found[impl], data.truth), *qps, p50, p99)
        base = rows.get("hnswlib")
        for impl, (r, single, batched, p50, p99) in rows.items():
            rel = f"{single / base[1]:.2f}x / {batched / base[2]:.2f}x hnswlib" if base else ""
            print(
                f"  ef={ef:<4d} {impl:12s} recall {r:.3f}  one/call {single:7.0f} q/s  "
                f"batched {batched:7.0f} q/s  p50 {p50:6.1f} us  p99 {p99:6.1f} us  {rel}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2].split(","), [int(x) for x in sys.argv[3].split(",")])
