"""The SQLite schema, one migration per version, and the version table that tracks it.

A file records its schema version in ``mastra_schema_version``. Opening an older file
applies the missing migrations in one transaction; opening a file written by a newer
mastra raises :class:`~mastra.errors.StorageError` instead of guessing at its layout.
"""

from __future__ import annotations

import sqlite3

from mastra.errors import StorageError

__all__ = ["SCHEMA_VERSION", "migrate", "schema_version"]

_V1 = (
    """CREATE TABLE threads (
        id TEXT PRIMARY KEY,
        resource_id TEXT NOT NULL,
        title TEXT,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )""",
    "CREATE INDEX threads_by_resource ON threads (resource_id, created_at, id)",
    """CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
        resource_id TEXT,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        created_at INTEGER NOT NULL
    )""",
    "CREATE INDEX messages_by_thread ON messages (thread_id, created_at, seq)",
    """CREATE TABLE resources (
        id TEXT PRIMARY KEY,
        working_memory TEXT,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )""",
    """CREATE TABLE workflow_snapshots (
        workflow_name TEXT NOT NULL,
        run_id TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (workflow_name, run_id)
    )""",
)

# Version 2 keeps each run's status in its own column (listing by status needs no JSON
# scan); existing rows take the status recorded inside their snapshot.
_V2 = (
    "ALTER TABLE workflow_snapshots ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown'",
    """UPDATE workflow_snapshots
       SET status = coalesce(json_extract(snapshot, '$.status'), 'unknown')""",
    "CREATE INDEX snapshots_by_update ON workflow_snapshots (updated_at)",
)

# Version 3 adds the server's audit log, append-only: triggers refuse updates and deletes.
_V3 = (
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        principal TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        request_id TEXT
    )""",
    "CREATE INDEX audit_by_principal ON audit_log (principal, id)",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)

# Version 4 saves a run step by step (one row per step record, so a step's write does
# not grow with the run) and adds the lease that keeps two processes off one run.
_V4 = (
    """CREATE TABLE workflow_steps (
        workflow_name TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (workflow_name, run_id, step_id)
    )""",
    "ALTER TABLE workflow_snapshots ADD COLUMN lease_owner TEXT",
    "ALTER TABLE workflow_snapshots ADD COLUMN lease_expires INTEGER",
)

_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1, 2: _V2, 3: _V3, 4: _V4}
SCHEMA_VERSION = max(_MIGRATIONS)
"""The schema version this mastra writes."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The version recorded in the file (0 for a new, empty file)."""
    conn.execute("CREATE TABLE IF NOT EXISTS mastra_schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM mastra_schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: sqlite3.Connection, path: str, target: int = SCHEMA_VERSION) -> int:
    """Brings the file up to ``target`` in one transaction; returns the version found.

    Raises:
        StorageError: The file was written by a newer schema than this mastra knows.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = schema_version(conn)
        if found > SCHEMA_VERSION:
            raise StorageError(
                f"{path} has storage schema version {found}, newer than the version "
                f"{SCHEMA_VERSION} this mastra supports; upgrade mastra to open it",
                path=path,
                found=found,
                supported=SCHEMA_VERSION,
            )
        for version in range(found + 1, target + 1):
            for statement in _MIGRATIONS[version]:
                conn.execute(statement)
        if target > found:
            conn.execute("DELETE FROM mastra_schema_version")
            conn.execute("INSERT INTO mastra_schema_version (version) VALUES (?)", (target,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found
