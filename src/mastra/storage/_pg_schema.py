"""The PostgreSQL schema: the SQLite schema's tables, versions and migrations, in
PostgreSQL's dialect.

A database schema records its version in ``mastra_schema_version``, as a SQLite file
does. Opening applies the missing migrations in one transaction under an advisory lock,
so several workers starting together migrate once; a schema written by a newer mastra
raises :class:`~mastra.errors.StorageError`.

JSON is kept as text, as in SQLite: ``jsonb`` cannot hold the ``\\u0000`` that message
text may contain. Times are microseconds since the epoch, and ids compare byte-wise
(``COLLATE "C"``) so that orderings match the other stores.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from mastra.errors import StorageError
from mastra.storage._schema import SCHEMA_VERSION

__all__ = ["migrate"]

# An arbitrary constant: the advisory lock that serialises migrations of one database.
_MIGRATION_LOCK = 0x6D617374

_V1 = (
    """CREATE TABLE threads (
        id TEXT COLLATE "C" PRIMARY KEY,
        resource_id TEXT COLLATE "C" NOT NULL,
        title TEXT,
        metadata TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    )""",
    "CREATE INDEX threads_by_resource ON threads (resource_id, created_at, id)",
    """CREATE TABLE messages (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        thread_id TEXT COLLATE "C" NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
        resource_id TEXT,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )""",
    "CREATE INDEX messages_by_thread ON messages (thread_id, created_at, seq)",
    """CREATE TABLE resources (
        id TEXT COLLATE "C" PRIMARY KEY,
        working_memory TEXT,
        metadata TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    )""",
    """CREATE TABLE workflow_snapshots (
        workflow_name TEXT COLLATE "C" NOT NULL,
        run_id TEXT COLLATE "C" NOT NULL,
        snapshot TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (workflow_name, run_id)
    )""",
)

_V2 = (
    "ALTER TABLE workflow_snapshots ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown'",
    """UPDATE workflow_snapshots
       SET status = coalesce(snapshot::json ->> 'status', 'unknown')""",
    "CREATE INDEX snapshots_by_update ON workflow_snapshots (updated_at)",
)

_V3 = (
    """CREATE TABLE audit_log (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        time BIGINT NOT NULL,
        principal TEXT COLLATE "C" NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        request_id TEXT
    )""",
    "CREATE INDEX audit_by_principal ON audit_log (principal, id)",
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)

# Version 4: one row per step record (a step's write does not grow with the run) and
# the lease that keeps two processes off one run.
_V4 = (
    """CREATE TABLE workflow_steps (
        workflow_name TEXT COLLATE "C" NOT NULL,
        run_id TEXT COLLATE "C" NOT NULL,
        step_id TEXT COLLATE "C" NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        record TEXT NOT NULL,
        PRIMARY KEY (workflow_name, run_id, step_id)
    )""",
    "ALTER TABLE workflow_snapshots ADD COLUMN lease_owner TEXT",
    "ALTER TABLE workflow_snapshots ADD COLUMN lease_expires BIGINT",
)

_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1, 2: _V2, 3: _V3, 4: _V4}


async def migrate(conn: AsyncConnection[Any], where: str) -> int:
    """Brings the connection's schema up to :data:`SCHEMA_VERSION`; returns the version
    found. The connection must be idle (not in a transaction).

    Raises:
        StorageError: The schema was written by a newer mastra.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS mastra_schema_version (version INTEGER NOT NULL)"
        )
        cur = await conn.execute("SELECT max(version) FROM mastra_schema_version")
        row = await cur.fetchone()
        found = int(row[0]) if row and row[0] is not None else 0
        if found > SCHEMA_VERSION:
            raise StorageError(
                f"{where} has storage schema version {found}, newer than the version "
                f"{SCHEMA_VERSION} this mastra supports; upgrade mastra to open it",
                where=where,
                found=found,
                supported=SCHEMA_VERSION,
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[version]:
                await conn.execute(statement)
        if found < SCHEMA_VERSION:
            await conn.execute("DELETE FROM mastra_schema_version")
            await conn.execute(
                "INSERT INTO mastra_schema_version (version) VALUES (%s)", (SCHEMA_VERSION,)
            )
    return found
