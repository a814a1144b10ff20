"""HNSW indexes side by side: mastra beside hnswlib, usearch and faiss (IndexHNSWFlat).

Run: ``pytest benchmarks/test_hnsw.py --benchmark-only`` (``-k minilm`` or ``-k synthetic``
to pick a data set). Same parameters for everyone (M=16, efConstruction=200, cosine).
Data: (a) 100k x 128 clustered synthetic vectors from a fixed seed, (b) the real
all-MiniLM-L6-v2 embeddings in ``../shared/data/minilm-debian`` (25k x 384) when present.
The summary prints a recall/QPS table: one query per call (as an agent calls it) and
batched, latency p50/p99, build time on 1 and 2 threads, and memory (the resident growth
of one build in a fresh interpreter, where no memory an earlier build freed is reused).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from benchmarks.conftest import RECORDS, Record
from mastra.vector import HNSWIndex, exact_search

hnswlib = pytest.importorskip("hnswlib")
usearch_index = pytest.importorskip("usearch.index")
faiss = pytest.importorskip("faiss")

F32 = npt.NDArray[np.float32]
EF_VALUES = [16, 32, 64, 128, 256]
ROOT = Path(__file__).resolve().parents[1]
MINILM = ROOT.parent / "shared" / "data" / "minilm-debian"


@dataclass
class Dataset:
    name: str
    base: F32
    queries: F32
    truth: npt.NDArray[np.int64]


def synthetic() -> Dataset:
    rng = np.random.default_rng(2026)
    dim, n = 128, 100_000
    centers = rng.standard_normal((200, dim))
    basis = rng.standard_normal((24, dim)) / np.sqrt(24)

    def draw(count: int) -> F32:
        local = rng.standard_normal((count, 24)) @ basis + 0.1 * rng.standard_normal((count, dim))
        return (centers[rng.integers(0, 200, count)] + 0.6 * local).astype(np.float32)

    base, queries = draw(n), draw(1000)
    truth, _ = exact_search(queries, base, k=10)
    return Dataset("synthetic 100k x 128", base, queries, truth)


def minilm() -> Dataset:
    base = np.load(MINILM / "base.f16.npy").astype(np.float32)
    queries = np.load(MINILM / "queries.f16.npy").astype(np.float32)
    truth = np.load(MINILM / "gt_ids.npy")[:, :10].astype(np.int64)
    return Dataset("minilm 25k x 384", base, queries, truth)


DATASETS: dict[str, Callable[[], Dataset]] = {"synthetic": synthetic}
if (MINILM / "base.f16.npy").exists():
    DATASETS["minilm"] = minilm


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


# ---- adapters: build, set ef, search one, search a batch ---------------------------


class Adapter:
    name: str

    def build(self, data: F32, threads: int) -> None: ...
    def set_ef(self, ef: int) -> None: ...
    def one(self, q: F32) -> npt.NDArray[np.int64]: ...
    def batch(self, q: F32, threads: int) -> npt.NDArray[np.int64]: ...


class Mastra(Adapter):
    def __init__(self, dtype: str = "f32") -> None:
        self.name = f"mastra {dtype}"
        self.dtype = dtype

    def build(self, data: F32, threads: int) -> None:
        self.index = HNSWIndex(data.shape[1], "cosine", m=16, ef_construction=200, dtype=self.dtype)  # type: ignore[arg-type]
        self.index.add(np.arange(len(data)), data, threads=threads)

    def set_ef(self, ef: int) -> None:
        self.index.ef_search = ef

    def one(self, q: F32) -> npt.NDArray[np.int64]:
        return self.index.search(q, 10, threads=1)[0]

    def batch(self, q: F32, threads: int) -> npt.NDArray[np.int64]:
        return self.index.search(q, 10, threads=threads)[0]


class Hnswlib(Adapter):
    name = "hnswlib"

    def build(self, data: F32, threads: int) -> None:
        self.index = hnswlib.Index("cosine", data.shape[1])
        self.index.init_index(max_elements=len(data), M=16, ef_construction=200, random_seed=0)
        self.index.add_items(data, np.arange(len(data)), num_threads=threads)

    def set_ef(self, ef: int) -> None:
        self.index.set_ef(ef)

    def one(self, q: F32) -> npt.NDArray[np.int64]:
        return self.index.knn_query(q, k=10, num_threads=1)[0][0]

    def batch(self, q: F32, threads: int) -> npt.NDArray[np.int64]:
        return self.index.knn_query(q, k=10, num_threads=threads)[0]


class Usearch(Adapter):
    name = "usearch"

    def build(self, data: F32, threads: int) -> None:
        self.index = usearch_index.Index(
            ndim=data.shape[1], metric="cos", connectivity=16, expansion_add=200
        )
        self.index.add(np.arange(len(data)), data, threads=threads)

    def set_ef(self, ef: int) -> None:
        self.index.expansion_search = ef

    def one(self, q: F32) -> npt.NDArray[np.int64]:
        return self.index.search(q, 10, threads=1).keys

    def batch(self, q: F32, threads: int) -> npt.NDArray[np.int64]:
        return self.index.search(q, 10, threads=threads).keys


class Faiss(Adapter):
    name = "faiss IndexHNSWFlat"

    def build(self, data: F32, threads: int) -> None:
        faiss.omp_set_num_threads(threads)
        self.index = faiss.IndexHNSWFlat(data.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = 200
        self.index.add(data / np.linalg.norm(data, axis=1, keepdims=True))

    def set_ef(self, ef: int) -> None:
        self.index.hnsw.efSearch = ef

    def one(self, q: F32) -> npt.NDArray[np.int64]:
        faiss.omp_set_num_threads(1)
        qn = q / np.linalg.norm(q)
        return self.index.search(qn[None, :], 10)[1][0]

    def batch(self, q: F32, threads: int) -> npt.NDArray[np.int64]:
        faiss.omp_set_num_threads(threads)
        qn = q / np.linalg.norm(q, axis=1, keepdims=True)
        return self.index.search(qn, 10)[1]


ADAPTERS: dict[str, Callable[[], Adapter]] = {
    "mastra f32": Mastra,
    "mastra f16": lambda: Mastra("f16"),
    "mastra i8": lambda: Mastra("i8"),
    "hnswlib": Hnswlib,
    "usearch": Usearch,
    "faiss": Faiss,
}

_DATA: dict[str, Dataset] = {}
_BUILT: dict[tuple[str, str], Adapter] = {}


def dataset(name: str) -> Dataset:
    if name not in _DATA:
        _DATA[name] = DATASETS[name]()
    return _DATA[name]


def recall(found: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> float:
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def note(group: str, name: str, seconds: float, **extra: Any) -> None:
    RECORDS.append(Record(group, name, seconds, 0, extra))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", list(ADAPTERS))
@pytest.mark.parametrize("data_name", list(DATASETS))
def test_build(benchmark: Any, data_name: str, impl: str, threads: int) -> None:
    data = dataset(data_name)
    benchmark.group = f"{data.name}: build, {threads} thread(s)"
    adapter = ADAPTERS[impl]()
    benchmark.pedantic(adapter.build, args=(data.base, threads), rounds=1, iterations=1)
    note(benchmark.group, impl, benchmark.stats.stats.median)
    _BUILT[(data_name, impl)] = adapter


MEMORY_SCRIPT = """
import sys
from benchmarks.test_hnsw import ADAPTERS, DATASETS, resident_bytes
data = DATASETS[sys.argv[1]]()
adapter = ADAPTERS[sys.argv[2]]()
before = resident_bytes()
adapter.build(data.base, 2)
print(resident_bytes() - before)
"""


def build_memory(data_name: str, impl: str) -> int:
    """Resident bytes one 2-thread build adds, measured in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, data_name, impl],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize("impl", list(ADAPTERS))
@pytest.mark.parametrize("data_name", list(DATASETS))
def test_memory(benchmark: Any, data_name: str, impl: str) -> None:
    data = dataset(data_name)
    benchmark.group = f"{data.name}: resident memory of a built index"
    grown = benchmark.pedantic(build_memory, args=(data_name, impl), rounds=1, iterations=1)
    extra = {"f32_vectors_MB": round(data.base.nbytes / 1e6, 1)}
    RECORDS.append(Record(benchmark.group, impl, grown / 1e6, 0, extra, "MB"))


@pytest.mark.parametrize("impl", list(ADAPTERS))
@pytest.mark.parametrize("data_name", list(DATASETS))
def test_search(benchmark: Any, data_name: str, impl: str) -> None:
    data = dataset(data_name)
    adapter = _BUILT.get((data_name, impl))
    if adapter is None:
        adapter = ADAPTERS[impl]()
        adapter.build(data.base, 2)
    benchmark.group = f"{data.name}: search"
    queries = data.queries

    def one_per_call() -> npt.NDArray[np.int64]:
        return np.stack([adapter.one(q) for q in queries])

    for ef in EF_VALUES:
        adapter.set_ef(ef)
        found = one_per_call()
        latencies = []
        for q in queries[:300]:
            start = time.perf_counter_ns()
            adapter.one(q)
            latencies.append(time.perf_counter_ns() - start)
        start = time.perf_counter()
        one_per_call()
        single = time.perf_counter() - start
        start = time.perf_counter()
        adapter.batch(queries, 2)
        batched = time.perf_counter() - start
        note(
            f"{data.name}: ef={ef}",
            impl,
            single / len(queries),
            recall=round(recall(found, data.truth), 3),
            qps_one=round(len(queries) / single),
            qps_batch=round(len(queries) / batched),
            p50_us=round(float(np.percentile(latencies, 50)) / 1e3, 1),
            p99_us=round(float(np.percentile(latencies, 99)) / 1e3, 1),
        )
    adapter.set_ef(64)
    benchmark.pedantic(one_per_call, rounds=3, iterations=1)


@pytest.mark.parametrize("impl", ["mastra f32", "mastra i8", "hnswlib", "usearch"])
@pytest.mark.parametrize("ef", [10, 64])
def test_small_index_call_overhead(benchmark: Any, ef: int, impl: str) -> None:
    """A query on a 1,000-vector index: what a call costs when the graph is tiny (ef=10
    is hnswlib's default; at ef=64 mastra scans the index, which costs less there)."""
    data = np.random.default_rng(7).standard_normal((1000, 384)).astype(np.float32)
    adapter = ADAPTERS[impl]()
    adapter.build(data, 2)
    adapter.set_ef(ef)
    q = data[3].copy()
    benchmark.group = f"1,000 x 384 index: one query, ef={ef}"
    benchmark(adapter.one, q)
    note(benchmark.group, impl, benchmark.stats.stats.median)


def test_view_and_load_100k(benchmark: Any, tmp_path: Path) -> None:
    """Opening a saved 100k x 384 index: memory map (view) and full load."""
    data = np.random.default_rng(8).standard_normal((100_000, 384)).astype(np.float32)
    index = HNSWIndex(384, ef_construction=40)
    index.add(np.arange(len(data)), data)
    path = tmp_path / "index.hnsw"
    index.save(path)
    benchmark.group = "100k x 384 index: open"
    benchmark.pedantic(HNSWIndex.view, args=(path,), rounds=5, iterations=1)
    note(benchmark.group, "mastra view", benchmark.stats.stats.median)
    loads = []
    for _ in range(5):
        start = time.perf_counter()
        HNSWIndex.load(path)
        loads.append(time.perf_counter() - start)
    note(benchmark.group, "mastra load", float(np.median(loads)))
