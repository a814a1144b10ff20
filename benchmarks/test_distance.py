"""Distance kernels beside NumPy/OpenBLAS and SimSIMD, in the same run.

Run: ``pytest benchmarks/test_distance.py --benchmark-only`` (add ``-k 1M`` etc. to pick
cases). Each case records GB/s of vector data read; "read bandwidth" is the pure
streaming sum of the same array, measured in the same run. The summary prints every
peer's time as a ratio of mastra's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from threadpoolctl import threadpool_limits

from benchmarks.conftest import record
from mastra import _core
from mastra.vector import cosine_similarity, exact_search, inner_product, l2_squared

try:
    import simsimd
except ImportError:  # not built for every platform
    simsimd = None

DIM = 384
F32 = npt.NDArray[np.float32]


def make_data(n: int, seed: int) -> F32:
    return np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)


@pytest.fixture(scope="module")
def data_100k() -> F32:
    return make_data(100_000, 1)


@pytest.fixture(scope="module")
def data_1m() -> Iterator[F32]:
    data = make_data(1_000_000, 2)
    yield data
    del data


@pytest.fixture(scope="module")
def data_10k() -> F32:
    return make_data(10_000, 3)


@pytest.fixture(scope="module")
def queries_1000() -> F32:
    return make_data(1000, 4)


def run(benchmark: Any, fn: Callable[[], object], *, rounds: int) -> None:
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)


def numpy_cosine(q: F32, x: F32) -> F32:
    result: F32 = (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    return result


SCAN_CASES: dict[str, Callable[[F32, F32, int], object]] = {
    "mastra cosine": lambda q, x, t: cosine_similarity(q, x, threads=t),
    "mastra ip": lambda q, x, t: inner_product(q, x, threads=t),
    "mastra l2": lambda q, x, t: l2_squared(q, x, threads=t),
    "read bandwidth (sum)": lambda q, x, t: _core.sum(x, t),
    "numpy X@q (pre-normalised)": lambda q, x, t: x @ q,
    "numpy cosine (un-normalised)": lambda q, x, t: numpy_cosine(q, x),
}
if simsimd is not None:
    SCAN_CASES["simsimd cdist cosine"] = lambda q, x, t: simsimd.cdist(
        q[None, :], x, metric="cosine", threads=t
    )


def scan_case(benchmark: Any, x: F32, group: str, impl: str, threads: int, rounds: int) -> None:
    q = x[7].copy()
    fn = SCAN_CASES[impl]
    with threadpool_limits(limits=threads):
        run(benchmark, lambda: fn(q, x, threads), rounds=rounds)
    record(benchmark, group=f"{group}, {threads} thread(s)", name=impl, nbytes=x.nbytes)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", list(SCAN_CASES))
def test_scan_1x100k(benchmark: Any, data_100k: F32, impl: str, threads: int) -> None:
    benchmark.group = f"1x100k x384 scan, {threads} thread(s)"
    scan_case(benchmark, data_100k, "1x100k x384 scan", impl, threads, rounds=30)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", list(SCAN_CASES))
def test_scan_1x1M(benchmark: Any, data_1m: F32, impl: str, threads: int) -> None:
    benchmark.group = f"1x1M x384 scan, {threads} thread(s)"
    scan_case(benchmark, data_1m, "1x1M x384 scan", impl, threads, rounds=8)


@pytest.mark.parametrize("impl", list(SCAN_CASES))
def test_call_overhead_1x10k(benchmark: Any, data_10k: F32, impl: str) -> None:
    benchmark.group = "1x10k x384 (call overhead)"
    scan_case(benchmark, data_10k, "1x10k x384 (call overhead)", impl, 1, rounds=300)


def test_call_overhead_1x384(benchmark: Any, data_10k: F32) -> None:
    """One vector against one vector: what a Python call costs beyond the arithmetic."""
    q, x = data_10k[0].copy(), data_10k[:1].copy()
    benchmark.group = "1x1 x384 (Python overhead)"
    benchmark(cosine_similarity, q, x)
    record(benchmark, group="1x1 x384 (Python overhead)", name="mastra cosine")


TOPK_CASES: dict[str, Callable[[F32, F32, int], object]] = {
    "mastra exact_search cosine": lambda q, x, t: exact_search(q, x, k=10, threads=t),
    "mastra exact_search ip": lambda q, x, t: exact_search(q, x, k=10, metric="ip", threads=t),
    "numpy X@q + argpartition": lambda q, x, t: np.argpartition(-(x @ q), 10)[:10],
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", list(TOPK_CASES))
def test_top10_100k(benchmark: Any, data_100k: F32, impl: str, threads: int) -> None:
    benchmark.group = f"exact top-10 over 100k x384, {threads} thread(s)"
    q = data_100k[11].copy()
    fn = TOPK_CASES[impl]
    with threadpool_limits(limits=threads):
        run(benchmark, lambda: fn(q, data_100k, threads), rounds=30)
    record(benchmark, group=benchmark.group, name=impl, nbytes=data_100k.nbytes)


BATCH_CASES: dict[str, Callable[[F32, F32], object]] = {
    "mastra inner_product": lambda q, x: inner_product(q, x),
    "numpy Q @ X.T": lambda q, x: q @ x.T,
    "mastra cosine_similarity": lambda q, x: cosine_similarity(q, x),
    "numpy cosine (normalise + GEMM)": lambda q, x: (
        (q / np.linalg.norm(q, axis=1, keepdims=True))
        @ (x / np.linalg.norm(x, axis=1, keepdims=True)).T
    ),
    "mastra exact_search top-10": lambda q, x: exact_search(q, x, k=10),
}


@pytest.mark.parametrize("impl", list(BATCH_CASES))
def test_batch_1000x100k(benchmark: Any, queries_1000: F32, data_100k: F32, impl: str) -> None:
    benchmark.group = "1000x100k x384 batch (2 threads)"
    fn = BATCH_CASES[impl]
    run(benchmark, lambda: fn(queries_1000, data_100k), rounds=3)
    flops = 2 * 1000 * 100_000 * DIM
    record(
        benchmark,
        group=benchmark.group,
        name=impl,
        GFLOPs=round(flops / benchmark.stats.stats.median / 1e9, 1),
    )
