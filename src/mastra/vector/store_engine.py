"""One index of a vector store in memory: dense rows, an HNSW graph, filtered queries.

Rows are kept dense (a delete moves the last row into the hole) in a buffer that grows
by half its size, so the exact path scans one contiguous matrix and a small write copies
nothing. Every vector also lives in an :class:`HNSWIndex` under an int64 key that is
never reused, so a deleted id can never come back through the graph. Small writes wait
in a buffer of keys that queries scan exactly, and join the graph together once
``HNSWSettings.graph_buffer`` of them wait (as Chroma's brute-force buffer): a write
of a few vectors then costs no graph insertion.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from mastra.errors import VectorError
from mastra.vector.distance import Metric, exact_search
from mastra.vector.field_index import FieldIndexes, equality_terms
from mastra.vector.filters import Filter, Predicate, compile_filter
from mastra.vector.hnsw import HNSWIndex
from mastra.vector.store import IndexStats, QueryResult, score_of

__all__ = ["Collection", "HNSWSettings"]

_FILTER_CACHE = 32
# A write re-checks every remembered filter on its rows while that costs less than this
# many predicate calls; a larger write forgets the filters instead.
_FILTER_UPKEEP = 50_000
_Ints = npt.NDArray[np.int64]
INLINE_WORK = 1 << 20
"""Exact searches scoring at most this many numbers (vectors x dimension, about a
tenth of a millisecond) may run on the caller's thread: see ``Collection.query_inline``."""


class _Matches:
    """The keys whose metadata matches one filter, kept current through writes."""

    __slots__ = ("_keys", "_rows", "keys", "predicate")

    def __init__(self, predicate: Predicate, keys: set[int]) -> None:
        self.predicate = predicate
        self.keys = keys
        self._keys: _Ints | None = None
        self._rows: _Ints | None = None

    def changed(self) -> None:
        self._keys = self._rows = None

    def extend(self, added: list[int], row_of_key: dict[int, int]) -> None:
        """Adds newly matching keys to the arrays built so far (rows only grow)."""
        if self._keys is None or self._rows is None:
            return
        fresh = np.asarray(added, dtype=np.int64)
        self._keys = np.concatenate([self._keys, fresh])
        self._rows = np.concatenate(
            [self._rows, np.asarray([row_of_key[k] for k in added], dtype=np.int64)]
        )

    def arrays(self, row_of_key: dict[int, int]) -> tuple[_Ints, _Ints]:
        """``(rows, keys)`` of the matches, rebuilt only after a change."""
        if self._keys is None:
            self._keys = np.fromiter(self.keys, dtype=np.int64, count=len(self.keys))
        if self._rows is None:
            self._rows = np.fromiter(
                (row_of_key[k] for k in self._keys.tolist()), dtype=np.int64, count=len(self._keys)
            )
        return self._rows, self._keys


@dataclass(frozen=True)
class HNSWSettings:
    """How a store builds and searches its graphs.

    Attributes:
        m: Links per node (see :class:`~mastra.vector.HNSWIndex`).
        ef_construction: Beam width while building.
        ef_search: Beam width of queries (raised to ``top_k`` when smaller).
        exact_threshold: Collections, or filtered subsets, of at most this many vectors
            are searched exactly (brute force) instead of through the graph.
        graph_buffer: Vectors written in batches smaller than this wait, searched
            exactly, until this many wait; then they join the graph in one parallel
            batch. 0 puts every write in the graph at once.
    """

    m: int = 16
    ef_construction: int = 200
    ef_search: int = 64
    exact_threshold: int = 4096
    graph_buffer: int = 1024


class Collection:
    """The vectors, ids and metadata of one index, with its graph. Thread-safe."""

    def __init__(self, name: str, dimension: int, metric: Metric, settings: HNSWSettings) -> None:
        self.name = name
        self.dimension = dimension
        self.metric: Metric = metric
        self.settings = settings
        self.lock = threading.RLock()
        self.matrix = np.empty((0, dimension), dtype=np.float32)
        self.keys = np.empty(0, dtype=np.int64)
        # matrix and keys are views of the first rows of these buffers, when set.
        self._matrix_buffer: npt.NDArray[np.float32] | None = None
        self._keys_buffer: _Ints | None = None
        self.pending: dict[int, None] = {}  # keys written but not yet in the graph
        self._pending_rows: _Ints | None = None  # their rows, built at need
        self.ids: list[str] = []
        self.metas: list[dict[str, Any]] = []
        self.row_of_id: dict[str, int] = {}
        self.row_of_key: dict[int, int] = {}
        self.next_key = 0
        self.hnsw = self._new_graph()
        # Filter JSON -> its matches, for the filters used last.
        self._filters: OrderedDict[bytes, _Matches] = OrderedDict()
        self._fields = FieldIndexes()  # equality indexes for filters seen the first time
        self._load_graph: Callable[[], HNSWIndex] | None = None

    def _new_graph(self) -> HNSWIndex:
        s = self.settings
        return HNSWIndex(
            self.dimension,
            self.metric,
            m=s.m,
            ef_construction=s.ef_construction,
            ef_search=s.ef_search,
        )

    @property
    def count(self) -> int:
        return len(self.ids)

    def stats(self) -> IndexStats:
        return IndexStats(self.dimension, self.count, self.metric)

    # ---- loading -------------------------------------------------------------------

    def load(
        self,
        keys: npt.NDArray[np.int64],
        ids: list[str],
        matrix: npt.NDArray[np.float32],
        metas: list[dict[str, Any]],
        graph: HNSWIndex | None,
        load_graph: Callable[[], HNSWIndex] | None = None,
    ) -> None:
        """Fills an empty collection; builds the graph unless a current one is given.

        ``matrix`` and ``graph`` may be read-only (memory-mapped files): they are served
        as they are and replaced by in-memory copies at the first write, the graph by
        ``load_graph()``.
        """
        with self.lock:
            self.keys = np.array(keys, dtype=np.int64)
            self.matrix = matrix
            self.ids, self.metas = ids, metas
            self.row_of_id = {i: row for row, i in enumerate(ids)}
            self.row_of_key = {int(k): row for row, k in enumerate(self.keys.tolist())}
            self.next_key = int(self.keys.max()) + 1 if len(self.keys) else 0
            if graph is None or len(graph) != len(ids):
                graph = self._rebuilt()
            self.hnsw = graph
            self._load_graph = load_graph
            self._filters.clear()
            self._fields.clear()
            self._matrix_buffer = self._keys_buffer = None
            self.pending.clear()
            self._pending_rows = None

    def _make_writable(self) -> None:
        if not self.matrix.flags.writeable:
            self.matrix = np.array(self.matrix, dtype=np.float32)
            self._matrix_buffer = self._keys_buffer = None
        if self.hnsw.read_only:
            graph = None
            if self._load_graph is not None:
                try:
                    graph = self._load_graph()
                except VectorError:
                    graph = None
            self.hnsw = graph if graph is not None and len(graph) == self.count else self._rebuilt()

    def _rebuilt(self) -> HNSWIndex:
        graph = self._new_graph()
        if self.count:
            graph.add(self.keys, self.matrix)
        return graph

    # ---- writes --------------------------------------------------------------------

    def plan_keys(self, ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """The key of each id: its current key, or a new one for a new id."""
        with self.lock:
            keys = np.empty(len(ids), dtype=np.int64)
            fresh = self.next_key
            for n, i in enumerate(ids):
                row = self.row_of_id.get(i)
                if row is None:
                    keys[n] = fresh
                    fresh += 1
                else:
                    keys[n] = self.keys[row]
            return keys

    def upsert(
        self,
        ids: Sequence[str],
        keys: npt.NDArray[np.int64],
        vectors: npt.NDArray[np.float32],
        metas: Sequence[dict[str, Any]],
    ) -> None:
        """Applies an upsert whose keys came from :meth:`plan_keys`."""
        with self.lock:
            self._make_writable()
            self._pending_rows = None
            new_rows = [n for n, i in enumerate(ids) if i not in self.row_of_id]
            for n, i in enumerate(ids):
                row = self.row_of_id.get(i)
                if row is not None:
                    self.matrix[row] = vectors[n]
                    self.metas[row] = metas[n]
            replaced_in_graph = [
                int(keys[n])
                for n, i in enumerate(ids)
                if i in self.row_of_id and int(keys[n]) not in self.pending
            ]
            if new_rows:
                start = self.count
                self._append_rows(vectors[new_rows], keys[new_rows])
                for offset, n in enumerate(new_rows):
                    self.ids.append(ids[n])
                    self.metas.append(metas[n])
                    self.row_of_id[ids[n]] = start + offset
                    self.row_of_key[int(keys[n])] = start + offset
                self.next_key = max(self.next_key, int(keys[new_rows].max()) + 1)
            self._index(keys, vectors, replaced_in_graph)
            self._recheck(keys.tolist(), metas)
            self._fields.write(keys.tolist(), metas)

    def _append_rows(self, vectors: npt.NDArray[np.float32], keys: _Ints) -> None:
        """Appends rows, growing the buffers by half when they are full."""
        count, n = self.count, len(vectors)
        buffer = self._matrix_buffer
        if buffer is None or self._keys_buffer is None or len(buffer) < count + n:
            capacity = max(count + n, count + count // 2, 64)
            buffer = np.empty((capacity, self.dimension), dtype=np.float32)
            keys_buffer = np.empty(capacity, dtype=np.int64)
            buffer[:count] = self.matrix
            keys_buffer[:count] = self.keys
            self._matrix_buffer, self._keys_buffer = buffer, keys_buffer
        buffer[count : count + n] = vectors
        self._keys_buffer[count : count + n] = keys
        self.matrix = buffer[: count + n]
        self.keys = self._keys_buffer[: count + n]

    def _index(self, keys: _Ints, vectors: npt.NDArray[np.float32], replaced: list[int]) -> None:
        """Puts written vectors in the graph, or in the buffer of waiting keys."""
        if len(keys) >= self.settings.graph_buffer:
            self.hnsw.add(keys, vectors)  # replaces the vectors of known keys
            for key in keys.tolist():
                self.pending.pop(key, None)
            self.flush()
            return
        if replaced:
            self.hnsw.remove(np.asarray(replaced, dtype=np.int64))
        self.pending.update(dict.fromkeys(keys.tolist()))
        if len(self.pending) >= self.settings.graph_buffer:
            self.flush()

    def flush(self) -> None:
        """Adds every waiting vector to the graph (one parallel batch)."""
        with self.lock:
            if not self.pending:
                return
            self._make_writable()
            self._pending_rows = None
            keys = np.fromiter(self.pending, dtype=np.int64, count=len(self.pending))
            rows = [self.row_of_key[k] for k in self.pending]
            self.hnsw.add(keys, self.matrix[rows])
            self.pending.clear()

    def delete(self, ids: Sequence[str]) -> list[int]:
        """Removes ids (unknown ones are ignored); returns the removed keys."""
        with self.lock:
            if any(i in self.row_of_id for i in ids):
                self._make_writable()
                self._pending_rows = None
            removed: list[int] = []
            for i in dict.fromkeys(ids):
                row = self.row_of_id.pop(i, None)
                if row is None:
                    continue
                key = int(self.keys[row])
                removed.append(key)
                del self.row_of_key[key]
                last = self.count - 1
                if row != last:
                    self.matrix[row] = self.matrix[last]
                    self.keys[row] = self.keys[last]
                    self.ids[row] = self.ids[last]
                    self.metas[row] = self.metas[last]
                    self.row_of_id[self.ids[row]] = row
                    self.row_of_key[int(self.keys[row])] = row
                self.ids.pop()
                self.metas.pop()
                self.pending.pop(key, None)
                self.matrix = self.matrix[:last]
                self.keys = self.keys[:last]
            if removed:
                self.hnsw.remove(np.asarray(removed, dtype=np.int64))
                self._fields.remove(removed)
                gone = set(removed)
                for matches in self._filters.values():
                    matches.keys -= gone
                    matches.changed()
            return removed

    def row(self, id: str) -> int:
        """The row of ``id``; unknown ids raise :class:`VectorError`."""
        row = self.row_of_id.get(id)
        if row is None:
            raise VectorError(f"index {self.name!r} has no vector {id!r}", index=self.name, id=id)
        return row

    # ---- queries -------------------------------------------------------------------

    def _recheck(self, keys: list[int], metas: Sequence[dict[str, Any]]) -> None:
        """Brings the remembered filters up to date with written rows."""
        if len(keys) * len(self._filters) > _FILTER_UPKEEP:
            self._filters.clear()
            return
        for matches in self._filters.values():
            added: list[int] = []
            dropped = False
            for key, meta in zip(keys, metas, strict=True):
                if matches.predicate(meta):
                    if key not in matches.keys:
                        matches.keys.add(key)
                        added.append(key)
                elif key in matches.keys:
                    matches.keys.discard(key)
                    dropped = True
            if dropped:
                matches.changed()
            elif added:
                matches.extend(added, self.row_of_key)

    def _allowed(self, filter: Filter, *, scan: bool = True) -> _Matches | None:
        """The keys whose metadata matches ``filter`` (None: no filter, or with
        ``scan=False`` a filter not remembered).

        The metadata is scanned once per distinct filter; the filters used last are
        remembered and kept current by later writes, which check only their own rows.
        """
        predicate = compile_filter(filter)
        if predicate is None:
            return None
        cache_key = orjson.dumps(filter, option=orjson.OPT_SORT_KEYS)
        matches = self._filters.get(cache_key)
        if matches is None:
            if not scan:
                return None
            matches = _Matches(predicate, self._scan(filter, predicate))
            self._filters[cache_key] = matches
            if len(self._filters) > _FILTER_CACHE:
                self._filters.popitem(last=False)
        else:
            self._filters.move_to_end(cache_key)
        return matches

    def _scan(self, filter: Filter, predicate: Predicate) -> set[int]:
        """The keys matching a filter not remembered: through the field indexes when it
        is made of equalities, else by running its predicate on every row."""
        keys = self.keys.tolist()
        terms = equality_terms(filter)
        if terms is not None:
            return self._fields.matching(terms, keys, self.metas)
        return {keys[row] for row, meta in enumerate(self.metas) if predicate(meta)}

    def query(
        self,
        query: npt.NDArray[np.float32],
        top_k: int,
        filter: Filter | None,
        include_vector: bool,
        min_score: float | None,
    ) -> list[QueryResult]:
        """The best ``top_k`` matches of ``filter``, best first."""
        with self.lock:
            matches = self._allowed(filter) if filter else None
            return self._search(query, top_k, matches, include_vector, min_score)

    def query_inline(
        self,
        query: npt.NDArray[np.float32],
        top_k: int,
        filter: Filter | None,
        include_vector: bool,
        min_score: float | None,
    ) -> list[QueryResult] | None:
        """:meth:`query` when it is small enough to answer on the calling thread at
        once, else None (then run :meth:`query` on a worker thread).

        Small enough, with no writer holding the collection: an exact search of at
        most ``INLINE_WORK`` numbers over the whole collection or a filter's
        remembered matches, or an unfiltered graph search whose beam (``ef x m``
        vectors) and waiting vectors are as small. Handing such a search to a worker
        thread costs more than the search, and under load a thread hop is what makes
        the slow tail.
        """
        if not self.lock.acquire(blocking=False):
            return None
        try:
            matches = None
            if filter:
                matches = self._allowed(filter, scan=False)
                if matches is None and compile_filter(filter) is not None:
                    return None  # a filter seen the first time: its scan may be long
            if matches is not None and len(matches.keys) == self.count:
                matches = None  # the filter keeps every vector
            size = self.count if matches is None else len(matches.keys)
            if size > self.settings.exact_threshold:
                # A graph search costs about the same at any size; the vectors
                # waiting for the graph are searched exactly beside it.
                beam = max(self.settings.ef_search, top_k) * self.settings.m
                waiting = len(self.pending)
                if matches is not None or max(beam, waiting) * self.dimension > INLINE_WORK:
                    return None
            elif size * self.dimension > INLINE_WORK:
                return None
            return self._search(query, top_k, matches, include_vector, min_score)
        finally:
            self.lock.release()

    def _search(
        self,
        query: npt.NDArray[np.float32],
        top_k: int,
        matches: _Matches | None,
        include_vector: bool,
        min_score: float | None,
    ) -> list[QueryResult]:
        if matches is not None and len(matches.keys) == self.count:
            matches = None  # the filter keeps every vector: search without it
        found = None if matches is None else matches.arrays(self.row_of_key)
        allowed = None if found is None else found[0]
        size = self.count if allowed is None else len(allowed)
        k = min(top_k, size)
        if k == 0:
            return []
        if size <= self.settings.exact_threshold:
            # Small searches stay on this thread: spreading them costs more than it saves.
            threads = 1 if size * self.dimension <= INLINE_WORK else 0
            rows, distances = exact_search(
                query, self.matrix, k, self.metric, threads=threads, rows=allowed
            )
        else:
            rows, distances = self._graph_search(query, k, matches)
        return self._results(rows, distances, include_vector, min_score)

    def _graph_search(
        self, query: npt.NDArray[np.float32], k: int, matches: _Matches | None
    ) -> tuple[_Ints, npt.NDArray[np.float32]]:
        """The graph's best ``k``, merged with an exact scan of the waiting vectors."""
        keys, distances = self.hnsw.search(
            query,
            k,
            ef=max(self.settings.ef_search, k),
            filter=None if matches is None else matches.arrays(self.row_of_key)[1],
        )
        keep = keys >= 0
        rows = np.asarray([self.row_of_key[key] for key in keys[keep].tolist()], dtype=np.int64)
        distances = distances[keep]
        if matches is None:
            waiting = self._waiting_rows()
        else:
            waiting = np.asarray(
                [self.row_of_key[key] for key in self.pending if key in matches.keys],
                dtype=np.int64,
            )
        if len(waiting):
            near, far = exact_search(query, self.matrix[waiting], min(k, len(waiting)), self.metric)
            rows = np.concatenate([rows, waiting[near]])
            distances = np.concatenate([distances, far])
            order = np.argsort(distances, kind="stable")[:k]
            rows, distances = rows[order], distances[order]
        return rows, distances

    def _waiting_rows(self) -> _Ints:
        """The rows of the vectors waiting for the graph (kept until the next write)."""
        if self._pending_rows is None:
            self._pending_rows = np.fromiter(
                (self.row_of_key[key] for key in self.pending),
                dtype=np.int64,
                count=len(self.pending),
            )
        return self._pending_rows

    def _results(
        self,
        rows: npt.NDArray[Any],
        distances: npt.NDArray[np.float32],
        include_vector: bool,
        min_score: float | None,
    ) -> list[QueryResult]:
        results: list[QueryResult] = []
        for row, distance in zip(rows.tolist(), distances.tolist(), strict=False):
            score = score_of(distance, self.metric)
            if min_score is not None and score < min_score:
                break
            vector = self.matrix[row].tolist() if include_vector else None
            metadata = orjson.loads(orjson.dumps(self.metas[row]))
            results.append(QueryResult(self.ids[row], score, metadata, vector))
        return results
