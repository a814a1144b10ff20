"""Distance kernels: pairwise scores and exact top-k search over float32 vectors.

The work runs in the compiled core with the GIL released, on SIMD kernels picked
for this CPU at run time (see :func:`mastra.info`). float32 C-contiguous arrays are
read in place; other float arrays and sequences of numbers are converted once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from mastra import _core

__all__ = ["Metric", "cosine_similarity", "exact_search", "inner_product", "l2_squared"]

Metric = Literal["cosine", "ip", "l2"]
"""Distance metrics: cosine, inner product ("ip") and squared Euclidean ("l2")."""

_cosine_similarity = _core.cosine_similarity
_inner_product = _core.inner_product
_l2_squared = _core.l2_squared
_exact_search = _core.exact_search


def cosine_similarity(
    a: npt.ArrayLike, b: npt.ArrayLike, *, threads: int = 0
) -> npt.NDArray[np.float32]:
    """Cosine similarity of every row of ``a`` with every row of ``b``.

    Args:
        a: One vector ``(d,)`` or a batch ``(m, d)``.
        b: The vectors to compare with, ``(n, d)``.
        threads: Threads for large inputs; 0 uses every core.
        rows: Search only these row numbers of ``vectors`` (a filtered subset),
            read in place instead of copied out; the keys returned are row numbers
            of ``vectors`` all the same.

    Returns:
        float32 scores in [-1, 1], shape ``(n,)`` for one vector or ``(m, n)``.
        A zero vector scores 0 against everything.

    Raises:
        VectorError: wrong shapes or dtypes, mismatched dimensions, empty input,
            NaN or infinity in the input.

    Example:
        >>> import numpy as np
        >>> from mastra.vector import cosine_similarity
        >>> cosine_similarity(np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 1.0]]))
        array([1., 0.], dtype=float32)
    """
    return _cosine_similarity(a, b, threads)


def inner_product(
    a: npt.ArrayLike, b: npt.ArrayLike, *, threads: int = 0
) -> npt.NDArray[np.float32]:
    """Inner (dot) product of every row of ``a`` with every row of ``b``.

    Shapes, threads and errors are as in :func:`cosine_similarity`.
    """
    return _inner_product(a, b, threads)


def l2_squared(a: npt.ArrayLike, b: npt.ArrayLike, *, threads: int = 0) -> npt.NDArray[np.float32]:
    """Squared Euclidean distance of every row of ``a`` to every row of ``b``.

    Shapes, threads and errors are as in :func:`cosine_similarity`. For a batch
    ``a`` the distance is computed as ``|a|^2 + |b|^2 - 2 a.b`` (as BLAS-based
    libraries do), so its absolute error scales with the squared norms.
    """
    return _l2_squared(a, b, threads)


def exact_search(
    queries: npt.ArrayLike,
    vectors: npt.ArrayLike,
    k: int = 10,
    metric: Metric = "cosine",
    *,
    threads: int = 0,
    rows: npt.ArrayLike | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The exact ``k`` nearest rows of ``vectors`` for each query, by brute force.

    The ground truth for the HNSW index and the engine for small collections: every
    row is scored once and offered to a bounded top-k selection while in cache.

    Args:
        queries: One query ``(d,)`` or a batch ``(m, d)``.
        vectors: The collection ``(n, d)``.
        k: Number of neighbours per query (>= 1).
        metric: ``"cosine"`` (distance 1 - similarity), ``"ip"`` (distance -dot)
            or ``"l2"`` (squared Euclidean distance).
        threads: Threads for large inputs; 0 uses every core.

    Returns:
        ``(keys, distances)``: int64 row numbers and float32 distances, nearest
        first, shape ``(k,)`` for one query or ``(m, k)``. Ties are broken by the
        smaller row number. When ``k > n`` rows are padded with key -1 and
        distance +inf.

    Raises:
        VectorError: as :func:`cosine_similarity`, or ``k < 1``, an unknown metric,
            or a row number that is not a row of ``vectors``.

    Example:
        >>> import numpy as np
        >>> from mastra.vector import exact_search
        >>> keys, dist = exact_search(np.eye(3)[0], np.eye(3), k=2, metric="l2")
        >>> keys.tolist(), dist.tolist()
        ([0, 1], [0.0, 2.0])
    """
    return _exact_search(queries, vectors, k, metric, threads, rows)
