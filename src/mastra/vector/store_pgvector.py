"""The scale-out vector store: one PostgreSQL table per index, searched by pgvector."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from mastra._pg import Conn, Pool, describe_dsn, make_pool, map_postgres_error
from mastra.errors import VectorError
from mastra.vector._pg_filter import filter_to_sql
from mastra.vector.distance import Metric
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
from mastra.vector.store_engine import HNSWSettings

__all__ = ["PgVectorStore"]

# pgvector's operator (a distance) and operator class of each metric.
_OPERATORS: dict[Metric, tuple[str, str]] = {
    "cosine": ("<=>", "cosine_ops"),
    "ip": ("<#>", "ip_ops"),
    "l2": ("<->", "l2_ops"),
}
# The most dimensions an HNSW index takes (pgvector 0.8); wider indexes scan exactly.
_MAX_INDEXED = {"vector": 2000, "halfvec": 4000}
_MAX_EF_SEARCH = 1000
# A filtered query fetches this many times top_k from the relaxed-order index scan.
_FILTERED_OVERFETCH = 2
# A batch this large into an empty index is copied in, then the graph is built once
# (several times faster than growing it row by row).
_BULK_ROWS = 1000
_LOCK = 0x6D766563  # the advisory lock that serialises index creation and deletion

_REGISTRY = """CREATE TABLE IF NOT EXISTS mastra_vector_indexes (
    name TEXT COLLATE "C" PRIMARY KEY,
    dimension INTEGER NOT NULL,
    metric TEXT NOT NULL,
    table_name TEXT NOT NULL,
    vector_type TEXT NOT NULL
)"""


@dataclass(frozen=True)
class _Index:
    name: str
    dimension: int
    metric: Metric
    table: str
    vector_type: str

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.table)


def _vector_text(row: npt.NDArray[np.float32]) -> str:
    # repr of the float64 of a float32 parses back to the same float32.
    return "[" + ",".join(map(repr, row.tolist())) + "]"


def _score(distance: float, metric: Metric) -> float:
    if metric == "cosine":
        return 1.0 - distance
    if metric == "ip":
        return -distance
    return 1.0 / (1.0 + distance)


class PgVectorStore:
    """A :class:`~mastra.vector.VectorStore` on PostgreSQL with pgvector.

    Each index is a table of ``(id, embedding vector(d), metadata jsonb)`` with an
    HNSW index built with ``settings.m`` and ``settings.ef_construction``. A query sets
    ``hnsw.ef_search`` (``settings.ef_search``, raised to ``top_k``) for its own
    transaction and turns on pgvector's iterative index scans, so a filtered query
    keeps walking the graph until ``top_k`` rows pass the filter; should the scan still
    stop short, the query is answered by an exact scan, so it returns
    ``min(top_k, matches)`` results like the embedded stores. Mastra's metadata filters
    are translated to SQL over ``jsonb`` and select the same rows as the embedded
    stores' (see :mod:`mastra.vector.filters`). ``settings.exact_threshold`` and
    ``graph_buffer`` do not apply: PostgreSQL's planner chooses between the index and
    a scan.

    Args:
        dsn: A libpq connection string or URL (``postgresql://user@host:5432/db``).
        settings: ``m``, ``ef_construction`` and ``ef_search`` of the HNSW indexes.
        halfvec: Store vectors as ``halfvec`` (16-bit floats): half the memory and
            disk, indexes up to 4,000 dimensions, slightly less precise scores.
        schema: The PostgreSQL schema holding the tables (created if missing); None
            uses the connection's ``search_path``. The ``vector`` extension is created
            if missing (which needs the right to) and is looked up in ``public``.
        min_connections: Connections the pool keeps open.
        max_connections: The most connections it opens.
        timeout: Seconds to wait for a connection before raising
            :class:`~mastra.errors.StorageUnavailableError`.

    Example:
        >>> import asyncio
        >>> from mastra.vector import PgVectorStore
        >>> async def main(dsn: str) -> list[str]:  # doctest: +SKIP
        ...     async with PgVectorStore(dsn) as store:
        ...         await store.create_index("docs", 2)
        ...         await store.upsert("docs", [[1, 0], [0, 1]], [{"k": 1}, {"k": 2}], ["a", "b"])
        ...         hits = await store.query("docs", [1, 0.1], top_k=1, filter={"k": {"$gt": 1}})
        ...         return [hit.id for hit in hits]
        >>> asyncio.run(main("postgresql://mastra@127.0.0.1/mastra"))  # doctest: +SKIP
        ['b']
    """

    def __init__(
        self,
        dsn: str,
        *,
        settings: HNSWSettings | None = None,
        halfvec: bool = False,
        schema: str | None = None,
        min_connections: int = 1,
        max_connections: int = 10,
        timeout: float = 10.0,
    ) -> None:
        self.dsn = dsn
        self.settings = settings or HNSWSettings()
        self.vector_type = "halfvec" if halfvec else "vector"
        self.schema = schema
        self.where = describe_dsn(dsn) + (f" (schema {schema})" if schema else "")
        self._sizes = (min_connections, max_connections)
        self._timeout = timeout
        self._pool: Pool | None = None
        self._open_lock: asyncio.Lock | None = None
        self._closed = False

    # ---- opening and closing -------------------------------------------------------

    async def open(self) -> None:
        """Opens the pool, creating the extension and the index registry if missing.

        Raises:
            StorageUnavailableError: The server cannot be reached within ``timeout``.
            StorageError: The server refused the setup (no pgvector, no rights).
        """
        if self._pool is not None and not self._closed:
            return
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self._closed:
                raise VectorError("the vector store is closed")
            if self._pool is None:
                try:
                    self._pool = await make_pool(
                        self.dsn,
                        schema=self.schema,
                        min_size=self._sizes[0],
                        max_size=self._sizes[1],
                        timeout=self._timeout,
                        name="mastra-pgvector",
                        setup=self._setup,
                    )
                except psycopg.Error as exc:
                    raise map_postgres_error(exc, self.where) from exc

    @staticmethod
    async def _setup(conn: Conn) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            await conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
            await conn.execute(_REGISTRY)

    async def close(self) -> None:
        """Waits for connections in use to come back, then closes the pool."""
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            await self._pool.close()

    async def __aenter__(self) -> PgVectorStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        if self._closed:
            raise VectorError("the vector store is closed")
        await self.open()
        if self._pool is None:  # closed while opening
            raise VectorError("the vector store is closed")
        try:
            async with self._pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.errors.UntranslatableCharacter:
            raise VectorError(
                "PostgreSQL's jsonb cannot hold the character U+0000 in metadata strings"
            ) from None
        except psycopg.Error as exc:
            raise map_postgres_error(exc, self.where) from exc

    async def _index(self, conn: Conn, name: str) -> _Index:
        cur = await conn.execute(
            "SELECT dimension, metric, table_name, vector_type FROM mastra_vector_indexes "
            "WHERE name = %s",
            (name,),
        )
        row = await cur.fetchone()
        if row is None:
            raise VectorError(f"no index named {name!r}", index=name)
        return _Index(name, int(row[0]), row[1], row[2], row[3])

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
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            try:
                old = await self._index(conn, name)
            except VectorError:
                old = None
            if old is not None:
                if (old.dimension, old.metric) != (dimension, canonical):
                    raise VectorError(
                        f"index {name!r} exists with dimension {old.dimension} and metric "
                        f"{old.metric!r}",
                        index=name,
                    )
                return
            table = "mastra_vectors_" + hashlib.sha256(name.encode()).hexdigest()[:20]
            index = _Index(name, dimension, canonical, table, self.vector_type)
            await self._create_table(conn, index)
            await conn.execute(
                "INSERT INTO mastra_vector_indexes VALUES (%s, %s, %s, %s, %s)",
                (name, dimension, canonical, table, self.vector_type),
            )

    async def _create_table(self, conn: Conn, index: _Index) -> None:
        column = sql.SQL(f"{index.vector_type}({int(index.dimension)})")
        await conn.execute(
            sql.SQL(
                'CREATE TABLE {} (id TEXT COLLATE "C" PRIMARY KEY, embedding {} NOT NULL, '
                "metadata JSONB NOT NULL)"
            ).format(index.ident, column)
        )
        await self._create_hnsw(conn, index)

    async def _create_hnsw(self, conn: Conn, index: _Index) -> None:
        if index.dimension > _MAX_INDEXED[index.vector_type]:
            return
        s = self.settings
        opclass = sql.SQL(f"{index.vector_type}_{_OPERATORS[index.metric][1]}")
        await conn.execute(
            sql.SQL(
                "CREATE INDEX {} ON {} USING hnsw (embedding {}) "
                "WITH (m = {}, ef_construction = {})"
            ).format(
                sql.Identifier(index.table + "_hnsw"),
                index.ident,
                opclass,
                sql.Literal(int(s.m)),
                sql.Literal(int(s.ef_construction)),
            )
        )

    async def list_indexes(self) -> list[str]:
        """The names of every index, sorted."""
        async with self._transaction() as conn:
            cur = await conn.execute("SELECT name FROM mastra_vector_indexes ORDER BY name")
            return [row[0] for row in await cur.fetchall()]

    async def describe_index(self, name: str) -> IndexStats:
        """Dimension, count and metric of an index."""
        async with self._transaction() as conn:
            index = await self._index(conn, name)
            cur = await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(index.ident))
            row = await cur.fetchone()
            return IndexStats(index.dimension, int(row[0]) if row else 0, index.metric)

    async def delete_index(self, name: str) -> None:
        """Deletes an index and its vectors."""
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            index = await self._index(conn, name)
            await conn.execute(sql.SQL("DROP TABLE {}").format(index.ident))
            await conn.execute("DELETE FROM mastra_vector_indexes WHERE name = %s", (name,))

    # ---- vectors -------------------------------------------------------------------

    async def upsert(
        self,
        name: str,
        vectors: npt.ArrayLike,
        metadata: Sequence[dict[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Adds or replaces vectors (with new uuid4 ids when ``ids`` is None), in one
        transaction: a bad batch raises :class:`VectorError` and writes nothing."""
        async with self._transaction() as conn:
            index = await self._index(conn, name)
            matrix = as_matrix(vectors, index.dimension, name)
            metas, given = check_batch(name, len(matrix), metadata, ids)
            batch = given or [str(uuid.uuid4()) for _ in range(len(matrix))]
            if len(batch) >= _BULK_ROWS and await self._lock_if_empty(conn, index):
                await self._bulk_load(conn, index, batch, matrix, metas)
                return batch
            query = sql.SQL(
                "INSERT INTO {} (id, embedding, metadata) VALUES (%s, %s::{}, %s) "
                "ON CONFLICT (id) DO UPDATE SET embedding = excluded.embedding, "
                "metadata = excluded.metadata"
            ).format(index.ident, sql.SQL(index.vector_type))
            rows = [
                (i, _vector_text(vector), Jsonb(meta))
                for i, vector, meta in zip(batch, matrix, metas, strict=True)
            ]
            async with conn.cursor() as cur:
                await cur.executemany(query, rows)
        return batch

    async def _lock_if_empty(self, conn: Conn, index: _Index) -> bool:
        await conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(index.ident))
        cur = await conn.execute(
            sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(index.ident)
        )
        row = await cur.fetchone()
        return bool(row and row[0])

    async def _bulk_load(
        self,
        conn: Conn,
        index: _Index,
        ids: list[str],
        matrix: npt.NDArray[np.float32],
        metas: list[dict[str, Any]],
    ) -> None:
        """Copies rows into the (locked, empty) table, then builds the graph once."""
        await conn.execute(
            sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index.table + "_hnsw"))
        )
        copy = sql.SQL("COPY {} (id, embedding, metadata) FROM STDIN").format(index.ident)
        async with conn.cursor() as cur, cur.copy(copy) as writer:
            for i, vector, meta in zip(ids, matrix, metas, strict=True):
                await writer.write_row((i, _vector_text(vector), orjson.dumps(meta).decode()))
        await conn.execute("SELECT set_config('maintenance_work_mem', '1GB', true)")
        await self._create_hnsw(conn, index)

    async def update(
        self,
        name: str,
        id: str,
        vector: npt.ArrayLike | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Replaces the vector and/or the metadata of one id (unknown ids raise)."""
        if vector is None and metadata is None:
            raise VectorError("update needs a vector or metadata", index=name, id=id)
        async with self._transaction() as conn:
            index = await self._index(conn, name)
            text = None
            if vector is not None:
                text = _vector_text(as_matrix(vector, index.dimension, name)[0])
            meta = None if metadata is None else Jsonb(json_metadata(metadata, name))
            cur = await conn.execute(
                sql.SQL(
                    "UPDATE {} SET embedding = coalesce(%s::{}, embedding), "
                    "metadata = coalesce(%s::jsonb, metadata) WHERE id = %s"
                ).format(index.ident, sql.SQL(index.vector_type)),
                (text, meta, id),
            )
            if cur.rowcount == 0:
                raise VectorError(f"index {name!r} has no vector {id!r}", index=name, id=id)

    async def delete(self, name: str, ids: Sequence[str]) -> int:
        """Deletes vectors by id; returns how many existed."""
        async with self._transaction() as conn:
            index = await self._index(conn, name)
            cur = await conn.execute(
                sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(index.ident), (list(ids),)
            )
            return cur.rowcount

    # ---- queries -------------------------------------------------------------------

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
        check_query(top_k, min_score)
        condition = filter_to_sql(filter)
        async with self._transaction() as conn:
            index = await self._index(conn, name)
            query = _vector_text(as_matrix(vector, index.dimension, name)[0])
            ef = min(max(self.settings.ef_search, top_k), _MAX_EF_SEARCH)
            await conn.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                # JIT compiling the filter costs more than the whole index scan.
                "set_config('jit', 'off', true)",
                (str(ef),),
            )
            rows = await self._nearest(conn, index, query, top_k, condition, include_vector)
            if condition is not None and len(rows) < top_k:
                # The index scan gave up early (hnsw.max_scan_tuples): scan exactly.
                await conn.execute("SET LOCAL enable_indexscan = off")
                rows = await self._nearest(conn, index, query, top_k, condition, include_vector)
        results = [
            QueryResult(
                row[0],
                _score(float(row[2]), index.metric),
                row[1],
                orjson.loads(row[3]) if include_vector else None,
            )
            for row in rows
        ]
        if min_score is not None:
            results = [r for r in results if r.score >= min_score]
        return results

    async def _nearest(
        self,
        conn: Conn,
        index: _Index,
        query: str,
        top_k: int,
        condition: tuple[str, list[Any]] | None,
        include_vector: bool,
    ) -> list[tuple[Any, ...]]:
        where, params = condition if condition is not None else ("TRUE", [])
        operator = _OPERATORS[index.metric][0]
        # Iterative scans may return rows slightly out of order: sort again outside. A
        # filtered scan stops at its first matches in that relaxed order, so it fetches
        # twice top_k and keeps the best (recall@10 0.94 -> 0.98 on a 1 % filter).
        fetch = top_k if condition is None else _FILTERED_OVERFETCH * top_k
        statement = sql.SQL(
            "WITH hits AS MATERIALIZED (SELECT id, metadata, embedding {op} %s::{vt} AS d"
            "{vec} FROM {table} WHERE {where} ORDER BY d LIMIT %s) "
            "SELECT * FROM hits ORDER BY d, id LIMIT %s"
        ).format(
            op=sql.SQL(operator),
            vt=sql.SQL(index.vector_type),
            vec=sql.SQL(", embedding::text" if include_vector else ""),
            table=index.ident,
            where=sql.SQL(where),
        )
        cur = await conn.execute(statement, [query, *params, fetch, top_k])
        return await cur.fetchall()
