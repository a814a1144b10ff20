"""Vectors: distance kernels, exact search, the HNSW index and vector stores."""

from mastra.vector.distance import (
    Metric,
    cosine_similarity,
    exact_search,
    inner_product,
    l2_squared,
)
from mastra.vector.filters import Filter, compile_filter
from mastra.vector.hnsw import HNSWIndex, StorageDType
from mastra.vector.store import IndexStats, QueryResult, StoreMetric, VectorStore
from mastra.vector.store_engine import HNSWSettings
from mastra.vector.store_memory import InMemoryVectorStore
from mastra.vector.store_sqlite import SQLiteVectorStore

__all__ = [
    "Filter",
    "HNSWIndex",
    "HNSWSettings",
    "InMemoryVectorStore",
    "IndexStats",
    "Metric",
    "QueryResult",
    "SQLiteVectorStore",
    "StorageDType",
    "StoreMetric",
    "VectorStore",
    "compile_filter",
    "cosine_similarity",
    "exact_search",
    "inner_product",
    "l2_squared",
]
