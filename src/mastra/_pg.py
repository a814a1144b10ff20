"""What the PostgreSQL backends share: the connection pool and the one place where
psycopg's errors become mastra's.

Imported only by :class:`~mastra.storage.PostgresStorage` and
:class:`~mastra.vector.PgVectorStore`, so psycopg stays an optional extra.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mastra.errors import StorageError, StorageUnavailableError

try:
    import psycopg
    from psycopg import AsyncConnection, sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import AsyncConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the PostgreSQL backends need psycopg 3 and psycopg_pool: pip install 'mastra[postgres]'"
    ) from exc

__all__ = ["Conn", "Pool", "describe_dsn", "make_pool", "map_postgres_error"]

Conn = AsyncConnection[Any]
Pool = AsyncConnectionPool[Conn]


def describe_dsn(dsn: str) -> str:
    """``host:port/dbname`` of a connection string, without its user or password."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "postgresql"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def map_postgres_error(exc: psycopg.Error, where: str) -> StorageError:
    """psycopg's error as mastra's.

    A lost or refused connection (the server stopping, restarting or out of reach, the
    pool finding no connection in time) is a :class:`StorageUnavailableError`, which a
    caller may retry; anything else is a plain :class:`StorageError`.
    """
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(exc, psycopg.OperationalError):
        return StorageUnavailableError(
            f"PostgreSQL at {where} is unavailable ({exc}); the store reconnects by "
            "itself, so the call can be retried",
            where=where,
            sqlstate=sqlstate,
        )
    return StorageError(f"PostgreSQL error on {where}: {exc}", where=where, sqlstate=sqlstate)


def search_path(schema: str | None) -> sql.Composed | None:
    """``SET search_path`` to ``schema`` then ``public`` (where extensions live)."""
    if schema is None:
        return None
    return sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema))


async def make_pool(
    dsn: str,
    *,
    schema: str | None,
    min_size: int,
    max_size: int,
    timeout: float,
    name: str,
    setup: Callable[[Conn], Awaitable[None]],
) -> Pool:
    """An open pool whose connections use ``schema`` (created if missing), after
    ``setup(conn)`` ran once on a connection (migrations).

    Each connection is checked before it is lent, so connections broken by a server
    restart are replaced instead of failing the next call.
    """
    set_path = search_path(schema)

    async def configure(conn: Conn) -> None:
        if set_path is not None:
            await conn.execute(set_path)
            await conn.commit()

    pool: Pool = AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        open=False,
        configure=configure,
        check=AsyncConnectionPool.check_connection,
        name=name,
    )
    try:
        await pool.open(wait=min_size > 0, timeout=timeout)
        async with pool.connection() as conn:
            if schema is not None:
                create = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                await conn.execute(create)
                await conn.commit()
                await configure(conn)
            await setup(conn)
    except BaseException:
        await pool.close()
        raise
    return pool
