"""Vectors: distance kernels and exact search (the HNSW index and stores build on these)."""

from mastra.vector.distance import (
    Metric,
    cosine_similarity,
    exact_search,
    inner_product,
    l2_squared,
)

__all__ = ["Metric", "cosine_similarity", "exact_search", "inner_product", "l2_squared"]
