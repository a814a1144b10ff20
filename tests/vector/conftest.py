"""Data shared by the vector tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def clustered(
    n: int,
    dim: int,
    *,
    clusters: int = 50,
    spread: float = 0.8,
    intrinsic: int = 24,
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """Gaussian clusters whose spread lies mostly in a low-dimensional subspace.

    Real embedding collections look like this: many topics, and within a topic
    variation along few directions. The basis and centres depend only on ``dim``
    and ``clusters``, so two calls with different seeds draw from one distribution.
    """
    shape_rng = np.random.default_rng(dim * 1000 + clusters)
    centers = shape_rng.standard_normal((clusters, dim))
    basis = shape_rng.standard_normal((min(intrinsic, dim), dim)) / np.sqrt(min(intrinsic, dim))
    rng = np.random.default_rng(seed)
    local = rng.standard_normal((n, basis.shape[0])) @ basis
    noise = 0.05 * rng.standard_normal((n, dim))
    points = centers[rng.integers(0, clusters, n)] + spread * (local + noise)
    return points.astype(np.float32)
