"""The persistent vector store: vectors and metadata in SQLite, graphs saved beside it."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import orjson

from mastra._sqlite_wal import WalCheckpointer
from mastra.errors import StorageError, VectorError
from mastra.vector.filters import Filter
from mastra.vector.hnsw import HNSWIndex
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

__all__ = ["SQLiteVectorStore"]

T = TypeVar("T")
SCHEMA_VERSION = 1
_SCHEMA = (
    """CREATE TABLE vector_indexes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        dimension INTEGER NOT NULL,
        metric TEXT NOT NULL,
        generation INTEGER NOT NULL DEFAULT 0,
        saved_generation INTEGER
    )""",
    """CREATE TABLE vectors (
        index_id INTEGER NOT NULL REFERENCES vector_indexes (id) ON DELETE CASCADE,
        key INTEGER NOT NULL,
        id TEXT NOT NULL,
        metadata TEXT NOT NULL,
        PRIMARY KEY (index_id, key),
        UNIQUE (index_id, id)
    )""",
    # The vectors apart from ids and metadata, so that reading those skips the blobs.
    """CREATE TABLE vector_data (
        index_id INTEGER NOT NULL,
        key INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (index_id, key),
        FOREIGN KEY (index_id, key) REFERENCES vectors (index_id, key) ON DELETE CASCADE
    )""",
)


class SQLiteVectorStore:
    """A :class:`~mastra.vector.VectorStore` persisted in one SQLite file.

    SQLite (WAL mode) is the source of truth: an upsert, update or delete returns once
    it has committed. Queries are served from memory: small collections and small
    filtered subsets by exact search, larger ones by an :class:`HNSWIndex` per index
    with the filter applied inside the graph walk (on a worker thread, unless the
    exact search is smaller than a thread hop). Each graph is saved beside the
    database (``<path>.hnsw/``) by :meth:`checkpoint` and :meth:`close`, and loaded,
    not rebuilt, at the next open when nothing changed since; otherwise (say, after a
    crash) it is rebuilt from the vectors in SQLite. A copy of the vectors is saved
    with the graph, so that a current index opens from memory maps of both files and
    is copied into memory only at its first write.

    Args:
        path: The database file.
        settings: Graph parameters and the exact-search threshold.
        synchronous: SQLite's ``synchronous`` pragma (``"NORMAL"`` survives a killed
            process; ``"FULL"`` also a power loss).

    The file is opened on first use (or by ``async with``/:meth:`open`).

    Example:
        >>> import asyncio, os, tempfile
        >>> from mastra.vector import SQLiteVectorStore
        >>> async def main(path: str) -> list[str]:
        ...     async with SQLiteVectorStore(path) as store:
        ...         await store.create_index("docs", 3)
        ...         await store.upsert("docs", [[1, 0, 0], [0, 1, 0]], ids=["a", "b"])
        ...     async with SQLiteVectorStore(path) as store:
        ...         return [hit.id for hit in await store.query("docs", [0, 1, 0], top_k=1)]
        >>> asyncio.run(main(os.path.join(tempfile.mkdtemp(), "vectors.db")))
        ['b']
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        settings: HNSWSettings | None = None,
        synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "NORMAL",
    ) -> None:
        if synchronous not in ("NORMAL", "FULL", "EXTRA"):
            raise StorageError(f"unknown synchronous mode {synchronous!r}")
        self.path = os.fspath(path)
        self.graph_dir = Path(self.path + ".hnsw")
        self._wal = WalCheckpointer(self.path)
        self.settings = settings or HNSWSettings()
        self._synchronous = synchronous
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="mastra-vectors")
        self._conn: sqlite3.Connection | None = None
        self._collections: dict[str, Collection] = {}
        self._index_ids: dict[str, int] = {}
        self._generations: dict[str, tuple[int, int | None]] = {}
        self._open_lock = threading.Lock()
        self._closed = False

    # ---- plumbing ------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise VectorError("the vector store is closed", path=self.path)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, fn, *args)
        except sqlite3.Error as exc:
            raise StorageError(f"SQLite error on {self.path}: {exc}", path=self.path) from exc

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise VectorError("the vector store is closed", path=self.path)
        return self._conn

    def _graph_path(self, name: str) -> Path:
        return self.graph_dir / f"{self._index_ids[name]}.hnsw"

    def _vectors_path(self, name: str) -> Path:
        return self.graph_dir / f"{self._index_ids[name]}.vectors.npy"

    async def open(self) -> None:
        """Opens the file and loads every index (later calls do nothing).

        Raises:
            StorageError: The file is not a database or has a newer schema.
        """
        if self._conn is None:
            await self._run(self._open_sync)

    def _open_sync(self) -> None:
        with self._open_lock:
            if self._conn is not None:
                return
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("PRAGMA busy_timeout = 5000")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute(f"PRAGMA synchronous = {self._synchronous}")
                conn.execute("PRAGMA journal_mode = WAL")
                self._wal.attach(conn)
                self._migrate(conn)
                rows = conn.execute(
                    "SELECT id, name, dimension, metric, generation, saved_generation "
                    "FROM vector_indexes"
                ).fetchall()
                for row in rows:
                    self._load_index(conn, *row)
            except BaseException:
                conn.close()
                raise
            self._conn = conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS mastra_vector_schema (version INTEGER)")
            row = conn.execute("SELECT max(version) FROM mastra_vector_schema").fetchone()
            found = row[0] or 0
            if found > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path} has vector schema version {found}, newer than the version "
                    f"{SCHEMA_VERSION} this mastra supports; upgrade mastra to open it",
                    path=self.path,
                    found=found,
                )
            if found == 0:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute("INSERT INTO mastra_vector_schema VALUES (?)", (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _load_index(
        self,
        conn: sqlite3.Connection,
        index_id: int,
        name: str,
        dimension: int,
        metric: str,
        generation: int,
        saved: int | None,
    ) -> None:
        self._index_ids[name] = index_id
        collection = Collection(name, dimension, canonical_metric(metric), self.settings)
        if saved == generation and self._load_snapshot(conn, collection, index_id):
            self._collections[name] = collection
            self._generations[name] = (generation, saved)
            return
        rows = conn.execute(
            "SELECT v.key, v.id, d.vector, v.metadata FROM vectors v JOIN vector_data d "
            "USING (index_id, key) WHERE v.index_id = ? ORDER BY v.key",
            (index_id,),
        ).fetchall()
        keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32)
        matrix = matrix.reshape(len(rows), dimension).copy()
        metas = [orjson.loads(r[3]) for r in rows]
        graph = self._saved_graph(name, saved == generation, keys)
        collection.load(keys, [r[1] for r in rows], matrix, metas, graph)
        self._collections[name] = collection
        # Not served from complete saved files: save them again at the next checkpoint.
        self._generations[name] = (generation, None)

    def _load_snapshot(
        self, conn: sqlite3.Connection, collection: Collection, index_id: int
    ) -> bool:
        """Serves a current index from its saved files, mapped read-only; False if the
        files are missing or do not match the database."""
        graph_path, vectors_path = (
            self._graph_path(collection.name),
            self._vectors_path(collection.name),
        )
        if not graph_path.exists() or not vectors_path.exists():
            return False
        rows = conn.execute(
            "SELECT key, id, metadata FROM vectors WHERE index_id = ? ORDER BY key", (index_id,)
        ).fetchall()
        keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        try:
            matrix = np.load(vectors_path, mmap_mode="r")
            graph = HNSWIndex.view(graph_path)
        except (OSError, ValueError):  # VectorError is a ValueError
            return False
        if matrix.shape != (len(rows), collection.dimension) or matrix.dtype != np.float32:
            return False
        if len(graph) != len(keys) or not np.array_equal(np.sort(graph.keys()), keys):
            return False
        metas = [orjson.loads(r[2]) for r in rows]
        collection.load(
            keys,
            [r[1] for r in rows],
            matrix,
            metas,
            graph,
            load_graph=lambda: HNSWIndex.load(graph_path),
        )
        return True

    def _saved_graph(
        self, name: str, current: bool, keys: npt.NDArray[np.int64]
    ) -> HNSWIndex | None:
        path = self._graph_path(name)
        if not current or not path.exists():
            return None
        try:
            graph = HNSWIndex.load(path)
        except VectorError:
            return None
        if len(graph) != len(keys) or not np.array_equal(np.sort(graph.keys()), keys):
            return None
        return graph

    def _commit(self, name: str, write: Callable[[sqlite3.Connection, int], None]) -> None:
        """Runs ``write`` and bumps the index's generation in one transaction."""
        conn = self._db()
        index_id = self._index_ids[name]
        conn.execute("BEGIN IMMEDIATE")
        try:
            write(conn, index_id)
            conn.execute(
                "UPDATE vector_indexes SET generation = generation + 1 WHERE id = ?", (index_id,)
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._wal.committed()
        generation, saved = self._generations[name]
        self._generations[name] = (generation + 1, saved)

    def _get(self, name: str) -> Collection:
        if self._closed:
            raise VectorError("the vector store is closed", path=self.path)
        found = self._collections.get(name)
        if found is None:
            raise VectorError(f"no index named {name!r}", index=name)
        return found

    # ---- indexes -------------------------------------------------------------------

    async def create_index(self, name: str, dimension: int, metric: StoreMetric = "cosine") -> None:
        """Creates an index; creating it again with the same settings does nothing.

        Raises:
            VectorError: A bad name, dimension or metric, or an index of that name with
                other settings.
        """
        check_name(name)
        canonical = canonical_metric(metric)
        check_dimension(dimension)
        await self.open()
        await self._run(self._create_index_sync, name, dimension, canonical)

    def _create_index_sync(self, name: str, dimension: int, metric: Any) -> None:
        old = self._collections.get(name)
        if old is not None:
            if (old.dimension, old.metric) != (dimension, metric):
                raise VectorError(
                    f"index {name!r} exists with dimension {old.dimension} and metric "
                    f"{old.metric!r}",
                    index=name,
                )
            return
        cursor = self._db().execute(
            "INSERT INTO vector_indexes (name, dimension, metric) VALUES (?, ?, ?)",
            (name, dimension, metric),
        )
        if cursor.lastrowid is None:
            raise StorageError(f"index {name!r} was not created", path=self.path)
        self._index_ids[name] = cursor.lastrowid
        self._generations[name] = (0, None)
        self._collections[name] = Collection(name, dimension, metric, self.settings)

    async def list_indexes(self) -> list[str]:
        """The names of every index, sorted."""
        await self.open()
        return sorted(self._collections)

    async def describe_index(self, name: str) -> IndexStats:
        """Dimension, count and metric of an index."""
        await self.open()
        return self._get(name).stats()

    async def delete_index(self, name: str) -> None:
        """Deletes an index, its vectors and its saved graph."""
        await self.open()
        self._get(name)
        await self._run(self._delete_index_sync, name)

    def _delete_index_sync(self, name: str) -> None:
        files = (self._graph_path(name), self._vectors_path(name))
        self._db().execute("DELETE FROM vector_indexes WHERE id = ?", (self._index_ids[name],))
        del self._collections[name], self._index_ids[name], self._generations[name]
        for file in files:
            file.unlink(missing_ok=True)

    # ---- vectors -------------------------------------------------------------------

    async def upsert(
        self,
        name: str,
        vectors: npt.ArrayLike,
        metadata: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Adds or replaces vectors (with new uuid4 ids when ``ids`` is None).

        The whole batch is checked first, then committed in one transaction: a wrong
        dimension, NaN, duplicate ids or non-JSON metadata raise :class:`VectorError`
        and nothing is written.
        """
        await self.open()
        collection = self._get(name)
        matrix = as_matrix(vectors, collection.dimension, name)
        metas, given = check_batch(name, len(matrix), metadata, ids)
        batch = given or [str(uuid.uuid4()) for _ in range(len(matrix))]
        await self._run(self._upsert_sync, collection, batch, matrix, metas)
        return batch

    def _upsert_sync(
        self,
        collection: Collection,
        ids: list[str],
        matrix: npt.NDArray[np.float32],
        metas: list[dict[str, Any]],
    ) -> None:
        keys = collection.plan_keys(ids)

        def write(conn: sqlite3.Connection, index_id: int) -> None:
            key_list = keys.tolist()
            conn.executemany(
                """INSERT INTO vectors (index_id, key, id, metadata) VALUES (?, ?, ?, ?)
                   ON CONFLICT (index_id, key) DO UPDATE SET metadata = excluded.metadata""",
                [
                    (index_id, key, i, orjson.dumps(meta).decode())
                    for key, i, meta in zip(key_list, ids, metas, strict=True)
                ],
            )
            conn.executemany(
                """INSERT INTO vector_data (index_id, key, vector) VALUES (?, ?, ?)
                   ON CONFLICT (index_id, key) DO UPDATE SET vector = excluded.vector""",
                [(index_id, key, row.tobytes()) for key, row in zip(key_list, matrix, strict=True)],
            )

        self._commit(collection.name, write)
        self._apply(collection, lambda: collection.upsert(ids, keys, matrix, metas))

    def _apply(self, collection: Collection, change: Callable[[], object]) -> None:
        """Applies a committed change to memory; on failure reloads the index from SQLite."""
        try:
            change()
        except BaseException:
            name = collection.name
            row = (
                self._db()
                .execute(
                    "SELECT id, name, dimension, metric, generation, saved_generation "
                    "FROM vector_indexes WHERE name = ?",
                    (name,),
                )
                .fetchone()
            )
            self._load_index(self._db(), row[0], row[1], row[2], row[3], row[4], None)
            raise

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
        await self.open()
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
        await self.open()
        collection = self._get(name)
        if vector is None and metadata is None:
            raise VectorError("update needs a vector or metadata", index=name, id=id)
        new_vector = None if vector is None else as_matrix(vector, collection.dimension, name)
        new_meta = None if metadata is None else json_metadata(metadata, name)
        await self._run(self._update_sync, collection, id, new_vector, new_meta)

    def _update_sync(
        self,
        collection: Collection,
        id: str,
        vector: npt.NDArray[np.float32] | None,
        meta: dict[str, Any] | None,
    ) -> None:
        with collection.lock:
            row = collection.row(id)
            vec = collection.matrix[row : row + 1].copy() if vector is None else vector
            self._upsert_sync(
                collection, [id], vec, [collection.metas[row] if meta is None else meta]
            )

    async def delete(self, name: str, ids: Sequence[str]) -> int:
        """Deletes vectors by id; returns how many existed."""
        await self.open()
        collection = self._get(name)
        return await self._run(self._delete_sync, collection, list(ids))

    def _delete_sync(self, collection: Collection, ids: list[str]) -> int:
        present = [i for i in dict.fromkeys(ids) if i in collection.row_of_id]
        if not present:
            return 0

        def write(conn: sqlite3.Connection, index_id: int) -> None:
            conn.execute(
                "DELETE FROM vectors WHERE index_id = ? AND id IN (SELECT value FROM json_each(?))",
                (index_id, orjson.dumps(present).decode()),
            )

        self._commit(collection.name, write)
        self._apply(collection, lambda: collection.delete(present))
        return len(present)

    # ---- persistence of the graphs -------------------------------------------------

    async def checkpoint(self) -> None:
        """Saves every graph changed since its last save, so the next open loads it."""
        await self.open()
        await self._run(self._checkpoint_sync)

    def _checkpoint_sync(self) -> None:
        for name, collection in self._collections.items():
            generation, saved = self._generations[name]
            if saved == generation:
                continue
            self.graph_dir.mkdir(exist_ok=True)
            with collection.lock:
                collection.flush()  # the saved graph holds every vector
                self._save_vectors(collection)
                collection.hnsw.save(self._graph_path(name))
            self._db().execute(
                "UPDATE vector_indexes SET saved_generation = ? WHERE id = ?",
                (generation, self._index_ids[name]),
            )
            self._generations[name] = (generation, generation)

    def _save_vectors(self, collection: Collection) -> None:
        # In key order, as the database lists them, so that loading needs no shuffle.
        path = self._vectors_path(collection.name)
        partial = path.with_name(path.name + ".partial")
        with open(partial, "wb") as file:
            np.save(file, collection.matrix[np.argsort(collection.keys, kind="stable")])
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)

    async def close(self) -> None:
        """Saves changed graphs, then closes the database and the worker thread."""
        if self._closed:
            return
        if self._conn is not None:
            await self._run(self._checkpoint_sync)
            await self._run(self._wal.close)
            await self._run(self._db().close)
        self._closed = True
        self._conn = None
        self._collections.clear()
        self._pool.shutdown(wait=True)

    async def __aenter__(self) -> SQLiteVectorStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
