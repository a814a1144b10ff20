"""HNSW approximate nearest-neighbour index over the compiled core.

The index keeps int64 keys beside float32, float16 or int8 vectors, answers
one query or a batch with the GIL released, and saves to a versioned,
checksummed file that can be loaded or memory-mapped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from mastra import _core
from mastra.vector.distance import Metric

__all__ = ["HNSWIndex", "StorageDType"]

StorageDType = Literal["f32", "f16", "i8"]
"""Vector storage: float32, float16 (half the memory), int8 (a quarter, per-vector scale)."""

KeyFilter = Collection[int] | npt.NDArray[np.integer[Any]] | Callable[[int], bool]
Keys = int | npt.ArrayLike


def _as_keys(keys: Keys) -> npt.NDArray[Any]:
    array = np.atleast_1d(np.asarray(keys))
    return array if array.size else np.empty(0, dtype=np.int64)


class HNSWIndex:
    """An HNSW graph index (hnswlib's parameters, mastra's kernels).

    Args:
        dim: Vector dimension.
        metric: ``"cosine"`` (distance 1 - similarity), ``"ip"`` (distance -dot) or
            ``"l2"`` (squared Euclidean), as in :func:`mastra.vector.exact_search`.
        m: Links per node on the upper levels (2m on the bottom level).
        ef_construction: Beam width while building; higher builds slower, better graphs.
        ef_search: Default beam width of searches (raise for recall, lower for speed).
        capacity: Slots to reserve up front; the index grows past it by itself.
        dtype: Storage of the vectors: ``"f32"``, ``"f16"`` or ``"i8"``.
        seed: Seed of the level generator (builds on one thread are reproducible).

    Adding a key that is already present replaces its vector. Removed keys are never
    returned and their slots are reused by later adds. Any number of threads may search
    at once; adds and removes take the index exclusively and use several threads themselves.

    Example:
        >>> import numpy as np
        >>> from mastra.vector import HNSWIndex
        >>> index = HNSWIndex(dim=4, metric="l2")
        >>> index.add([10, 20, 30], np.eye(3, 4, dtype=np.float32))
        >>> keys, distances = index.search(np.array([1, 0, 0, 0], dtype=np.float32), k=2)
        >>> int(keys[0]), float(distances[0])
        (10, 0.0)
    """

    __slots__ = ("_index",)

    def __init__(
        self,
        dim: int,
        metric: Metric = "cosine",
        *,
        m: int = 16,
        ef_construction: int = 200,
        ef_search: int = 64,
        capacity: int = 0,
        dtype: StorageDType = "f32",
        seed: int = 0,
    ) -> None:
        self._index = _core.HNSWIndex(
            dim, metric, m, ef_construction, ef_search, capacity, dtype, seed
        )

    @classmethod
    def _wrap(cls, index: _core.HNSWIndex) -> HNSWIndex:
        self = cls.__new__(cls)
        self._index = index
        return self

    # ---- changing the index --------------------------------------------------------

    def add(self, keys: Keys, vectors: npt.ArrayLike, *, threads: int = 0) -> None:
        """Adds vectors ``(n, dim)`` (or one ``(dim,)``) under non-negative int keys.

        A key already in the index gets the new vector. Large batches are linked in
        parallel on ``threads`` threads (0 = every core), with the GIL released.

        Raises:
            VectorError: wrong dimension, NaN/inf, negative keys, or a key count that
                does not match the vectors.
        """
        self._index.add(_as_keys(keys), vectors, threads)

    def remove(self, keys: Keys) -> int:
        """Removes keys (unknown ones are ignored); returns how many were removed."""
        return self._index.remove(_as_keys(keys))

    # ---- queries ---------------------------------------------------------------------

    def search(
        self,
        queries: npt.ArrayLike,
        k: int = 10,
        *,
        ef: int | None = None,
        filter: KeyFilter | None = None,
        threads: int = 0,
        exact: bool | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` nearest keys of each query, nearest first.

        Args:
            queries: One query ``(dim,)`` or a batch ``(m, dim)``.
            k: Results per query.
            ef: Beam width for this call (defaults to ``ef_search``; at least ``k``).
            filter: Allowed keys (a collection or an int array), or a callable
                ``key -> bool``. A filtered search still returns ``min(k, matches)``
                results: when the graph walk finds too few, an exact scan completes it.
            threads: Threads for a batch; 0 uses every core.
            exact: ``None`` (default) walks the graph, or scans every vector where
                that costs less: when the beam is wide for the index (``ef`` at least
                a sixteenth of its slots) or the filter allows few keys; a scan's
                answer is exact. ``True`` always scans (brute force, exact);
                ``False`` always walks the graph.

        Returns:
            ``(keys, distances)`` shaped ``(k,)`` or ``(m, k)``, padded with -1 and
            +inf when fewer than ``k`` keys exist. Distances are those of
            :func:`mastra.vector.exact_search`.
        """
        allowed: Any = None
        predicate: Any = None
        if filter is not None:
            if callable(filter):
                predicate = filter
            else:
                allowed = (
                    np.fromiter(filter, dtype=np.int64)
                    if not isinstance(filter, np.ndarray)
                    else filter
                )
        return self._index.search(
            queries, k, 0 if ef is None else ef, allowed, predicate, threads, exact
        )

    def get(self, key: int) -> npt.NDArray[np.float32] | None:
        """The stored vector of ``key`` (decoded to float32), or None."""
        return self._index.get(key)

    def keys(self) -> npt.NDArray[np.int64]:
        """Every key in the index."""
        return self._index.keys()

    def stats(self) -> dict[str, Any]:
        """Size, slots, levels, edges, bytes, nodes per level, and ``unreachable``:
        live vectors that no link path reaches (kept at 0 by every add)."""
        return self._index.stats()

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, (int, np.integer)) and self._index.contains(int(key))

    def __iter__(self) -> Iterator[int]:
        return iter(self.keys().tolist())

    # ---- parameters ------------------------------------------------------------------

    @property
    def dim(self) -> int:
        return self._index.dim

    @property
    def metric(self) -> str:
        return self._index.metric

    @property
    def dtype(self) -> str:
        return self._index.dtype

    @property
    def m(self) -> int:
        return self._index.m

    @property
    def ef_construction(self) -> int:
        return self._index.ef_construction

    @property
    def ef_search(self) -> int:
        return self._index.ef_search

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        self._index.ef_search = value

    @property
    def read_only(self) -> bool:
        """True for an index opened with :meth:`view`."""
        return self._index.read_only

    # ---- persistence -----------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the index to ``path`` atomically (a temporary file moved into place)."""
        self._index.save(os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> HNSWIndex:
        """Reads an index into memory, verifying its checksum.

        Raises:
            VectorError: the file is missing, truncated, corrupt or not an index.
        """
        return cls._wrap(_core.HNSWIndex.load(os.fspath(path)))

    @classmethod
    def view(cls, path: str | os.PathLike[str]) -> HNSWIndex:
        """Opens an index read-only over a memory map: instant, shared between processes."""
        return cls._wrap(_core.HNSWIndex.view(os.fspath(path)))

    def __getstate__(self) -> bytes:
        return self._index.to_bytes()

    def __setstate__(self, state: bytes) -> None:
        self._index = _core.HNSWIndex.from_bytes(state)

    def __copy__(self) -> HNSWIndex:
        return self._wrap(self._index.clone())

    def __deepcopy__(self, memo: dict[int, Any]) -> HNSWIndex:
        return self._wrap(self._index.clone())

    def __repr__(self) -> str:
        return (
            f"HNSWIndex(dim={self.dim}, metric={self.metric!r}, m={self.m}, "
            f"ef_search={self.ef_search}, dtype={self.dtype!r}, size={len(self)})"
        )
