"""Vectors: distance kernels, exact search, the HNSW index and vector stores.

:class:`PgVectorStore` (PostgreSQL with pgvector) needs the ``mastra[postgres]`` extra
and is imported on first use.
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from mastra.vector.store_pgvector import PgVectorStore


def __getattr__(name: str) -> Any:
    # psycopg is an optional extra: imported only when PgVectorStore is asked for.
    if name == "PgVectorStore":
        from mastra.vector.store_pgvector import PgVectorStore

        globals()[name] = PgVectorStore
        return PgVectorStore
    raise AttributeError(f"module 'mastra.vector' has no attribute {name!r}")


__all__ = [
    "Filter",
    "HNSWIndex",
    "HNSWSettings",
    "InMemoryVectorStore",
    "IndexStats",
    "Metric",
    "PgVectorStore",
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
