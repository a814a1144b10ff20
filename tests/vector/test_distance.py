"""Distance kernels against a float64 NumPy reference, at every SIMD level."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastra.errors import VectorError
from mastra.vector import cosine_similarity, exact_search, inner_product, l2_squared

F32_EPS = float(np.finfo(np.float32).eps)
pytestmark = pytest.mark.usefixtures("simd_backend")


def reference(metric: str, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    a64 = np.atleast_2d(a).astype(np.float64)
    b64 = b.astype(np.float64)
    dots = a64 @ b64.T
    if metric == "ip":
        return dots
    na = np.linalg.norm(a64, axis=1)
    nb = np.linalg.norm(b64, axis=1)
    if metric == "cosine":
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = dots / np.outer(na, nb)
        return np.where(np.outer(na, nb) == 0, 0.0, sim)
    return ((a64[:, None, :] - b64[None, :, :]) ** 2).sum(axis=2)


def tolerance(metric: str, a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Error bound for float32 accumulation: grows like sqrt(d) times the magnitudes."""
    d = a.shape[-1]
    a64 = np.atleast_2d(a).astype(np.float64)
    b64 = b.astype(np.float64)
    scale = 8 * F32_EPS * (np.sqrt(d) + 4)
    if metric == "ip":
        return scale * (np.abs(a64) @ np.abs(b64).T) + 1e-30
    if metric == "cosine":
        return np.full((a64.shape[0], b64.shape[0]), scale * 4)
    sq = (a64**2).sum(1)[:, None] + (b64**2).sum(1)[None, :]
    return scale * 4 * sq + 1e-30


KERNELS = {"cosine": cosine_similarity, "ip": inner_product, "l2": l2_squared}


@st.composite
def vector_sets(draw: st.DrawFn) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    d = draw(st.one_of(st.integers(1, 40), st.integers(41, 4096)))
    m = draw(st.sampled_from([1, 1, 2, 7, 13]))
    n = draw(st.integers(1, 70))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    exponent = draw(st.integers(-12, 12))
    a = rng.standard_normal((m, d)) * 10.0**exponent
    b = rng.standard_normal((n, d)) * 10.0**exponent
    if draw(st.booleans()):
        a[rng.integers(m)] = 0.0
        b[rng.integers(n)] = 0.0
    return a.astype(np.float32), b.astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "ip", "l2"])
@given(data=vector_sets())
def test_pairwise_matches_float64_reference(
    metric: str, data: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]
) -> None:
    a, b = data
    got = KERNELS[metric](a, b)
    assert got.dtype == np.float32
    assert got.shape == (a.shape[0], b.shape[0])
    np.testing.assert_array_less(np.abs(got - reference(metric, a, b)), tolerance(metric, a, b))
    single = KERNELS[metric](a[0], b)
    assert single.shape == (b.shape[0],)
    np.testing.assert_array_less(
        np.abs(single - reference(metric, a[:1], b)[0]), tolerance(metric, a[:1], b)[0]
    )


@pytest.mark.parametrize("metric", ["ip", "l2"])
@pytest.mark.parametrize("d", [1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 384, 385, 1023, 4096])
def test_integer_vectors_are_exact(metric: str, d: int) -> None:
    """Small integers make every product and sum exact in float32: no element is lost."""
    rng = np.random.default_rng(d)
    a = rng.integers(-8, 9, (9, d)).astype(np.float32)
    b = rng.integers(-8, 9, (37, d)).astype(np.float32)
    expected = reference(metric, a, b)
    np.testing.assert_array_equal(KERNELS[metric](a, b), expected)
    np.testing.assert_array_equal(KERNELS[metric](a[3], b), expected[3])


def test_zero_vectors_have_cosine_similarity_zero() -> None:
    a = np.zeros(5, dtype=np.float32)
    b = np.array([[1, 2, 3, 4, 5], [0, 0, 0, 0, 0]], dtype=np.float32)
    np.testing.assert_array_equal(cosine_similarity(a, b), [0.0, 0.0])
    np.testing.assert_array_equal(cosine_similarity(b, b)[1], [0.0, 0.0])


def test_cosine_of_parallel_vectors_is_clamped_to_one() -> None:
    rng = np.random.default_rng(1)
    v = rng.standard_normal((50, 300)).astype(np.float32)
    sims = cosine_similarity(v, v)
    assert np.all(np.diag(sims) <= 1.0)
    np.testing.assert_allclose(np.diag(sims), 1.0, atol=1e-6)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_do_not_change_results(threads: int) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20_000, 64)).astype(np.float32)
    q = rng.standard_normal((9, 64)).astype(np.float32)
    np.testing.assert_array_equal(
        inner_product(q, x, threads=threads), inner_product(q, x, threads=1)
    )
    np.testing.assert_array_equal(
        cosine_similarity(q[0], x, threads=threads), cosine_similarity(q[0], x, threads=1)
    )
    k1, d1 = exact_search(q, x, k=7, threads=1)
    k2, d2 = exact_search(q, x, k=7, threads=threads)
    np.testing.assert_array_equal(k1, k2)
    np.testing.assert_array_equal(d1, d2)


# ---- exact search -----------------------------------------------------------------


def reference_search(
    metric: str, q: npt.NDArray[np.float32], x: npt.NDArray[np.float32], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    scores = reference(metric, q, x)
    dist = {"cosine": 1.0 - scores, "ip": -scores, "l2": scores}[metric]
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(dist, order, axis=1)


@pytest.mark.parametrize("metric", ["cosine", "ip", "l2"])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3000),
    d=st.integers(1, 200),
    m=st.sampled_from([1, 3, 8]),
    k=st.integers(1, 40),
)
def test_exact_search_matches_sorting(
    metric: str, seed: int, n: int, d: int, m: int, k: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    q = rng.standard_normal((m, d)).astype(np.float32)
    keys, dist = exact_search(q, x, k=k, metric=metric)  # type: ignore[arg-type]
    assert keys.shape == dist.shape == (m, k)
    assert keys.dtype == np.int64
    assert dist.dtype == np.float32
    ref_keys, ref_dist = reference_search(metric, q, x, k)
    found = min(k, n)
    np.testing.assert_allclose(dist[:, :found], ref_dist, rtol=1e-4, atol=2e-4 * np.sqrt(d))
    # Keys agree wherever the reference's distances are not near-ties.
    gaps = np.diff(np.sort(reference(metric, q, x) * (1 if metric == "l2" else -1), axis=1), axis=1)
    if gaps.size == 0 or gaps.min() > 1e-3 * np.sqrt(d):
        np.testing.assert_array_equal(keys[:, :found], ref_keys)
    assert np.all(np.diff(dist[:, :found], axis=1) >= 0)
    if k > n:
        assert np.all(keys[:, n:] == -1)
        assert np.all(np.isinf(dist[:, n:]))


def test_single_query_gives_one_dimensional_results() -> None:
    x = np.eye(4, dtype=np.float32)
    keys, dist = exact_search(x[2], x, k=2, metric="l2")
    assert keys.tolist() == [2, 0]  # tie between rows 0, 1, 3 goes to the smallest key
    assert dist.tolist() == [0.0, 2.0]


def test_ties_break_by_smaller_key_at_any_thread_count() -> None:
    x = np.ones((50_000, 8), dtype=np.float32)
    for threads in (1, 2):
        keys, dist = exact_search(
            np.ones(8, dtype=np.float32), x, k=5, metric="l2", threads=threads
        )
        assert keys.tolist() == [0, 1, 2, 3, 4]
        assert dist.tolist() == [0.0] * 5


def test_inner_product_distance_is_negative_dot() -> None:
    x = np.array([[1, 0], [3, 0], [2, 0]], dtype=np.float32)
    keys, dist = exact_search(np.array([1, 0], dtype=np.float32), x, k=3, metric="ip")
    assert keys.tolist() == [1, 2, 0]
    assert dist.tolist() == [-3.0, -2.0, -1.0]


@pytest.mark.parametrize("metric", ["cosine", "ip", "l2"])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3000),
    m=st.sampled_from([1, 4]),
    k=st.integers(1, 30),
)
def test_a_row_subset_searches_as_a_copy_of_those_rows(
    metric: str, seed: int, n: int, m: int, k: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 24)).astype(np.float32)
    q = rng.standard_normal((m, 24)).astype(np.float32)
    rows = rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False)
    keys, dist = exact_search(q, x, k=k, metric=metric, rows=rows)  # type: ignore[arg-type]
    copy_keys, copy_dist = exact_search(q, x[rows], k=k, metric=metric)  # type: ignore[arg-type]
    np.testing.assert_allclose(dist, copy_dist, rtol=1e-5, atol=1e-5)
    found = copy_keys >= 0
    np.testing.assert_array_equal(keys[~found], -1)
    assert set(keys[found].tolist()) <= set(rows.tolist())
    # each key is a listed row at the distance given (keys may differ on exact ties)
    scores = reference(metric, q, x)
    true_dist = {"cosine": 1.0 - scores, "ip": -scores, "l2": scores}[metric]
    for i in range(m):
        got = keys[i][found[i]]
        np.testing.assert_allclose(true_dist[i][got], dist[i][found[i]], rtol=1e-4, atol=1e-4)


def test_a_row_outside_the_matrix_or_a_nan_in_a_listed_row_is_refused() -> None:
    x = np.ones((10, 4), dtype=np.float32)
    q = np.ones(4, dtype=np.float32)
    with pytest.raises(VectorError, match="not a row of vectors"):
        exact_search(q, x, k=2, rows=[3, 10])
    with pytest.raises(VectorError, match="not a row of vectors"):
        exact_search(q, x, k=2, rows=[-1])
    with pytest.raises(VectorError, match="rows is empty"):
        exact_search(q, x, k=2, rows=np.array([], dtype=np.int64))
    with pytest.raises(VectorError, match="integer row numbers"):
        exact_search(q, x, k=2, rows=[1.5, 2.0])
    with pytest.raises(VectorError, match="integer row numbers"):
        exact_search(q, x, k=2, rows=[[1, 2]])
    x[7, 2] = np.nan
    with pytest.raises(VectorError, match="row 7 holds NaN"):
        exact_search(q, x, k=2, rows=[1, 7])
    keys, _ = exact_search(q, x, k=2, rows=[1, 2])  # row 7 is not read
    assert sorted(keys.tolist()) == [1, 2]
