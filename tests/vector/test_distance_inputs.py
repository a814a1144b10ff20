"""Input handling of the distance kernels: conversion, zero-copy, and clear errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from mastra.errors import VectorError
from mastra.vector import cosine_similarity, exact_search, inner_product, l2_squared

PAIRWISE: list[Callable[..., Any]] = [cosine_similarity, inner_product, l2_squared]


@pytest.mark.parametrize("fn", PAIRWISE)
def test_other_float_dtypes_and_layouts_are_converted(fn: Callable[..., Any]) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 16)).astype(np.float32)
    b = rng.standard_normal((10, 16)).astype(np.float32)
    expected = fn(a, b)
    np.testing.assert_allclose(fn(a.astype(np.float64), b.astype(np.float16)), expected, atol=0.05)
    fortran = np.asfortranarray(b)
    np.testing.assert_array_equal(fn(a, fortran), expected)
    strided = np.repeat(b, 2, axis=0)[::2]
    np.testing.assert_array_equal(fn(a, strided), expected)
    np.testing.assert_allclose(fn(a.tolist(), b.tolist()), expected, rtol=1e-6)


def test_inputs_are_not_modified() -> None:
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.arange(20, dtype=np.float32).reshape(5, 4)
    a0, b0 = a.copy(), b.copy()
    for fn in PAIRWISE:
        fn(a, b)
    exact_search(a, b, k=2)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("fn", PAIRWISE)
@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (np.ones(3, np.int64), np.ones((2, 3), np.float32), r"a has dtype int64.*astype"),
        (np.ones(3, np.float32), np.ones((2, 3), bool), r"b has dtype bool"),
        (np.ones(3, np.float32), np.ones((2, 4), np.float32), r"dimension mismatch.*3.*4"),
        (np.ones((0, 3), np.float32), np.ones((2, 3), np.float32), r"a is empty"),
        (np.ones(3, np.float32), np.ones((0, 3), np.float32), r"b is empty"),
        (np.ones(3, np.float32), np.ones(3, np.float32), r"b must be a matrix \(n, d\)"),
        (np.ones((2, 2, 3), np.float32), np.ones((2, 3), np.float32), r"a must be a vector"),
        ("text", np.ones((2, 3), np.float32), r"a must be a float array or a sequence"),
    ],
)
def test_bad_inputs_raise_vector_error(
    fn: Callable[..., Any], a: Any, b: Any, message: str
) -> None:
    with pytest.raises(VectorError, match=message):
        fn(a, b)


@pytest.mark.parametrize("fn", PAIRWISE)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["a", "b"])
@pytest.mark.parametrize("m", [1, 4])
def test_non_finite_values_are_reported(
    fn: Callable[..., Any], bad: float, where: str, m: int
) -> None:
    a = np.ones((m, 20), np.float32)
    b = np.ones((300, 20), np.float32)
    (a if where == "a" else b)[-1, 7] = bad
    kind = "NaN" if np.isnan(bad) else "infinity"
    with pytest.raises(
        VectorError,
        match=rf"{where} row {(m if where == 'a' else 300) - 1} holds {kind} at index 7",
    ):
        fn(a if m > 1 else a[0], b)


def test_overflow_is_reported_not_returned() -> None:
    a = np.full((1, 64), 1e30, np.float32)
    with pytest.raises(VectorError, match="overflowed float32"):
        inner_product(a[0], a)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be >= 1"),
        ({"k": -3}, "k must be >= 1"),
        ({"metric": "hamming"}, "unknown metric 'hamming'"),
        ({"threads": -1}, "threads must be >= 0"),
    ],
)
def test_exact_search_argument_errors(kwargs: dict[str, Any], message: str) -> None:
    x = np.ones((4, 3), np.float32)
    with pytest.raises(VectorError, match=message):
        exact_search(x[0], x, **kwargs)


def test_exact_search_reports_nan_in_vectors() -> None:
    x = np.ones((5000, 8), np.float32)
    x[4321, 2] = np.nan
    with pytest.raises(VectorError, match="vectors row 4321 holds NaN at index 2"):
        exact_search(np.ones(8, np.float32), x, k=3)
    with pytest.raises(VectorError, match="vectors row 4321 holds NaN at index 2"):
        exact_search(np.ones((3, 8), np.float32), x, k=3)
