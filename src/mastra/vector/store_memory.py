"""The in-process vector store: every index in memory, nothing on disk."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy.typing as npt

from mastra.errors import VectorError
from mastra.vector.filters import Filter
from mastra.vector.store import (
    IndexStats,
    QueryResult,
    StoreMetric,
    as_matrix,
    canonical_metric,
    check_batch,
    check_dimension,
    check_name,
    check_query,
    json_metadata,
)
from mastra.vector.store_engine import Collection, HNSWSettings

__all__ = ["InMemoryVectorStore"]


class InMemoryVectorStore:
    """A :class:`~mastra.vector.VectorStore` in process memory.

    Small collections (and small filtered subsets) are searched exactly; larger ones
    through an HNSW graph with the filter applied inside the graph walk. Work runs on
    a worker thread, so a large upsert never blocks the event loop; only a query
    whose exact search is smaller than a thread hop (about 0.1 ms) runs on the
    caller's thread.

    Args:
        settings: Graph parameters and the exact-search threshold.

    Example:
        >>> import asyncio
        >>> from mastra.vector import InMemoryVectorStore
        >>> async def main() -> list[str]:
        ...     async with InMemoryVectorStore() as store:
        ...         await store.create_index("docs", 2)
        ...         await store.upsert("docs", [[1, 0], [0, 1]], [{"k": 1}, {"k": 2}], ["a", "b"])
        ...         hits = await store.query("docs", [1, 0.1], top_k=1, filter={"k": {"$gt": 1}})
        ...         return [hit.id for hit in hits]
        >>> asyncio.run(main())
        ['b']
    """

    def __init__(self, settings: HNSWSettings | None = None) -> None:
        self.settings = settings or HNSWSettings()
        self._collections: dict[str, Collection] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _get(self, name: str) -> Collection:
        if self._closed:
            raise VectorError("the vector store is closed")
        found = self._collections.get(name)
        if found is None:
            raise VectorError(f"no index named {name!r}", index=name)
        return found

    async def create_index(self, name: str, dimension: int, metric: StoreMetric = "cosine") -> None:
        """Creates an index; creating it again with the same settings does nothing.

        Raises:
            VectorError: A bad name, dimension or metric, or an index of that name with
                other settings.
        """
        check_name(name)
        canonical = canonical_metric(metric)
        check_dimension(dimension)
        with self._lock:
            old = self._collections.get(name)
            if old is not None:
                if (old.dimension, old.metric) != (dimension, canonical):
                    raise VectorError(
                        f"index {name!r} exists with dimension {old.dimension} and metric "
                        f"{old.metric!r}",
                        index=name,
                    )
                return
            self._collections[name] = Collection(name, dimension, canonical, self.settings)

    async def list_indexes(self) -> list[str]:
        """The names of every index, sorted."""
        return sorted(self._collections)

    async def describe_index(self, name: str) -> IndexStats:
        """Dimension, count and metric of an index."""
        return self._get(name).stats()

    async def delete_index(self, name: str) -> None:
        """Deletes an index and its vectors."""
        self._get(name)
        with self._lock:
            self._collections.pop(name, None)

    async def upsert(
        self,
        name: str,
        vectors: npt.ArrayLike,
        metadata: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Adds or replaces vectors (with new uuid4 ids when ``ids`` is None).

        The whole batch is checked first: a wrong dimension, NaN, duplicate ids or
        non-JSON metadata raise :class:`VectorError` and nothing is written.
        """
        collection = self._get(name)
        matrix = as_matrix(vectors, collection.dimension, name)
        metas, given = check_batch(name, len(matrix), metadata, ids)
        batch = given or [str(uuid.uuid4()) for _ in range(len(matrix))]

        def work() -> None:
            with collection.lock:
                collection.upsert(batch, collection.plan_keys(batch), matrix, metas)

        await asyncio.to_thread(work)
        return batch

    async def query(
        self,
        name: str,
        vector: npt.ArrayLike,
        top_k: int = 10,
        filter: Filter | None = None,
        include_vector: bool = False,
        min_score: float | None = None,
    ) -> list[QueryResult]:
        """The ``top_k`` closest vectors whose metadata matches ``filter``, best first.

        Returns ``min(top_k, matches)`` results (fewer only when ``min_score`` drops some).

        Raises:
            VectorError: Unknown index, wrong dimension, NaN, bad ``top_k`` or a
                malformed filter (naming the operator).
        """
        collection = self._get(name)
        check_query(top_k, min_score)
        query = as_matrix(vector, collection.dimension, name)[0]
        found = collection.query_inline(query, top_k, filter, include_vector, min_score)
        if found is not None:
            return found
        return await asyncio.to_thread(
            collection.query, query, top_k, filter, include_vector, min_score
        )

    async def update(
        self,
        name: str,
        id: str,
        vector: npt.ArrayLike | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Replaces the vector and/or the metadata of one id (unknown ids raise)."""
        collection = self._get(name)
        if vector is None and metadata is None:
            raise VectorError("update needs a vector or metadata", index=name, id=id)
        new_vector = None if vector is None else as_matrix(vector, collection.dimension, name)
        new_meta = None if metadata is None else json_metadata(metadata, name)
        with collection.lock:
            row = collection.row(id)
            vec = collection.matrix[row : row + 1] if new_vector is None else new_vector
            meta = collection.metas[row] if new_meta is None else new_meta
            collection.upsert([id], collection.keys[row : row + 1].copy(), vec.copy(), [meta])

    async def delete(self, name: str, ids: Sequence[str]) -> int:
        """Deletes vectors by id; returns how many existed."""
        collection = self._get(name)
        return len(await asyncio.to_thread(collection.delete, list(ids)))

    async def close(self) -> None:
        """Drops every index."""
        self._closed = True
        self._collections.clear()

    async def __aenter__(self) -> InMemoryVectorStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
