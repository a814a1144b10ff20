"""The vector-store contract (Mastra's vector API) and the values it exchanges."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import orjson

from mastra.errors import VectorError
from mastra.vector.distance import Metric
from mastra.vector.filters import Filter

__all__ = ["IndexStats", "QueryResult", "StoreMetric", "VectorStore"]

StoreMetric = Literal["cosine", "euclidean", "dotproduct", "ip", "l2"]
"""Index metrics: Mastra's names (``"euclidean"``, ``"dotproduct"``) or mastra's
(``"l2"``, ``"ip"``) for the same thing."""

_METRICS: dict[str, Metric] = {
    "cosine": "cosine",
    "euclidean": "l2",
    "l2": "l2",
    "dotproduct": "ip",
    "ip": "ip",
}


@dataclass(frozen=True)
class IndexStats:
    """What :meth:`VectorStore.describe_index` reports.

    Attributes:
        dimension: The vectors' dimension.
        count: How many vectors the index holds.
        metric: ``"cosine"``, ``"ip"`` or ``"l2"``.
    """

    dimension: int
    count: int
    metric: Metric


@dataclass(frozen=True)
class QueryResult:
    """One match of :meth:`VectorStore.query`, best first.

    Attributes:
        id: The vector's id.
        score: Higher is closer: cosine similarity for ``"cosine"``, the dot product
            for ``"ip"``, and ``1 / (1 + euclidean distance)`` for ``"l2"``.
        metadata: The vector's metadata.
        vector: The stored vector when asked for with ``include_vector=True``.
    """

    id: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: list[float] | None = None


@runtime_checkable
class VectorStore(Protocol):
    """Named indexes of vectors with JSON metadata, queried by similarity and filters.

    Implementations: :class:`~mastra.vector.SQLiteVectorStore` (persistent, the
    embedded default) and :class:`~mastra.vector.InMemoryVectorStore`.
    """

    async def create_index(self, name: str, dimension: int, metric: StoreMetric = "cosine") -> None:
        """Creates an index; creating it again with the same settings does nothing."""
        ...

    async def list_indexes(self) -> list[str]:
        """The names of every index, sorted."""
        ...

    async def describe_index(self, name: str) -> IndexStats:
        """Dimension, count and metric of an index."""
        ...

    async def delete_index(self, name: str) -> None:
        """Deletes an index and its vectors."""
        ...

    async def upsert(
        self,
        name: str,
        vectors: npt.ArrayLike,
        metadata: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Adds or replaces vectors (with new uuid4 ids when ``ids`` is None)."""
        ...

    async def query(
        self,
        name: str,
        vector: npt.ArrayLike,
        top_k: int = 10,
        filter: Filter | None = None,
        include_vector: bool = False,
        min_score: float | None = None,
    ) -> list[QueryResult]:
        """The ``top_k`` closest vectors whose metadata matches ``filter``."""
        ...

    async def update(
        self,
        name: str,
        id: str,
        vector: npt.ArrayLike | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Replaces the vector and/or the metadata of one id."""
        ...

    async def delete(self, name: str, ids: Sequence[str]) -> int:
        """Deletes vectors by id; returns how many existed."""
        ...

    async def close(self) -> None:
        """Releases the store's resources."""
        ...


# ---- validation shared by the implementations ----------------------------------------


def canonical_metric(metric: str) -> Metric:
    """mastra's name of ``metric``; unknown names raise :class:`VectorError`."""
    found = _METRICS.get(metric)
    if found is None:
        raise VectorError(
            f"unknown metric {metric!r}; use one of {sorted(_METRICS)}", metric=metric
        )
    return found


def check_name(name: str) -> None:
    """Rejects an index name that is not a non-empty string."""
    if not isinstance(name, str) or not name:
        raise VectorError(f"index names are non-empty strings, got {name!r}", index=name)


def check_dimension(dimension: int) -> None:
    """Rejects a dimension that is not a positive integer."""
    if not isinstance(dimension, int) or isinstance(dimension, bool) or dimension < 1:
        raise VectorError(f"dimension must be a positive integer, got {dimension!r}")


def as_matrix(vectors: npt.ArrayLike, dimension: int, index: str) -> npt.NDArray[np.float32]:
    """``vectors`` as a C-contiguous float32 ``(n, dimension)`` array of finite values."""
    try:
        array = np.ascontiguousarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise VectorError(f"vectors must be numbers: {exc}", index=index) from None
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[1] != dimension:
        raise VectorError(
            f"index {index!r} holds {dimension}-dimensional vectors, got shape {array.shape}",
            index=index,
            expected=dimension,
            shape=array.shape,
        )
    if not np.isfinite(array).all():
        raise VectorError("vectors must not contain NaN or infinity", index=index)
    return array


def check_batch(
    index: str, n: int, metadata: Sequence[dict[str, Any]] | None, ids: Sequence[str] | None
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """Checks an upsert batch; returns the metadata (as JSON would return it) and ids."""
    if metadata is not None and len(metadata) != n:
        raise VectorError(f"{n} vectors but {len(metadata)} metadata", index=index)
    if ids is not None:
        if len(ids) != n:
            raise VectorError(f"{n} vectors but {len(ids)} ids", index=index)
        if any(not isinstance(i, str) or not i for i in ids):
            raise VectorError("ids must be non-empty strings", index=index)
        if len(set(ids)) != len(ids):
            dupes = sorted(i for i, count in Counter(ids).items() if count > 1)
            raise VectorError(f"duplicate ids in one batch: {dupes}", index=index, ids=dupes)
    return [json_metadata(m, index) for m in (metadata or [{}] * n)], (
        None if ids is None else list(ids)
    )


def json_metadata(metadata: Any, index: str) -> dict[str, Any]:
    """A copy of ``metadata`` as JSON returns it; rejects non-objects and non-JSON."""
    if not isinstance(metadata, dict):
        raise VectorError(f"metadata must be an object, got {metadata!r}", index=index)
    try:
        copied: dict[str, Any] = orjson.loads(orjson.dumps(metadata))
    except orjson.JSONEncodeError as exc:
        raise VectorError(f"metadata is not JSON-serialisable: {exc}", index=index) from None
    return copied


def score_of(distance: float, metric: Metric) -> float:
    """The score (higher is closer) of a distance from the kernels."""
    if metric == "cosine":
        return 1.0 - distance
    if metric == "ip":
        return -distance
    return 1.0 / (1.0 + math.sqrt(max(distance, 0.0)))


def check_query(top_k: int, min_score: float | None) -> None:
    """Rejects ``top_k < 1`` and a non-finite ``min_score``."""
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise VectorError(f"top_k must be a positive integer, got {top_k!r}", top_k=top_k)
    if min_score is not None and not math.isfinite(min_score):
        raise VectorError(f"min_score must be finite, got {min_score!r}", min_score=min_score)
