"""Vectors: distance kernels, exact search and the HNSW index."""

from mastra.vector.distance import (
    Metric,
    cosine_similarity,
    exact_search,
    inner_product,
    l2_squared,
)
from mastra.vector.hnsw import HNSWIndex, StorageDType

__all__ = [
    "HNSWIndex",
    "Metric",
    "StorageDType",
    "cosine_similarity",
    "exact_search",
    "inner_product",
    "l2_squared",
]
