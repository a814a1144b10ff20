"""The background WAL checkpointer keeps the log small without checkpointing in commits."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from mastra._sqlite_wal import WalCheckpointer


def write_megabytes(conn: sqlite3.Connection, wal: WalCheckpointer | None, megabytes: int) -> None:
    blob = os.urandom(64 * 1024)
    for _ in range(megabytes * 16):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (data) VALUES (?)", (blob,))
        conn.execute("COMMIT")
        if wal is not None:
            wal.committed()
            time.sleep(0.001)  # let the checkpoint thread run between commits


def open_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (data BLOB)")
    return conn


def open_attached(path: Path, pages: int = 4096) -> tuple[sqlite3.Connection, WalCheckpointer]:
    conn = open_db(path)
    wal = WalCheckpointer(str(path), pages=pages)
    wal.attach(conn)
    return conn, wal


def test_the_log_stays_small_while_commits_never_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    conn, wal = open_attached(path, pages=256)  # 1 MiB
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    write_megabytes(conn, wal, 12)
    wal.close()
    assert wal.checkpoints >= 2
    assert os.stat(str(path) + "-wal").st_size < 6 * 1024 * 1024
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 12 * 16
    conn.close()


def test_without_it_the_log_would_grow(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    conn = open_db(path)
    WalCheckpointer(str(path)).attach(conn)  # commits no longer checkpoint
    write_megabytes(conn, None, 12)
    assert os.stat(str(path) + "-wal").st_size > 11 * 1024 * 1024
    conn.close()


def test_by_default_the_log_starts_over_only_past_16_mib(tmp_path: Path) -> None:
    # Each start over syncs the log's header inside a commit: the default keeps that
    # to once every 16 MiB of commits.
    path = tmp_path / "db.sqlite"
    conn, wal = open_attached(path)
    write_megabytes(conn, wal, 14)
    assert wal.checkpoints == 0
    write_megabytes(conn, wal, 4)
    wal.close()
    assert wal.checkpoints >= 1
    conn.close()


def test_the_log_length_is_read_from_the_wal_index(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    conn, wal = open_attached(path)
    write_megabytes(conn, None, 1)
    # a passive checkpoint reports the log's length in frames as its second column
    other = sqlite3.connect(path, isolation_level=None)
    frames = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    assert frames > 256
    assert wal.log_frames() == frames
    other.close()
    wal.close()
    conn.close()


def test_the_log_starts_over_in_place_without_truncating_in_a_commit(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    conn, wal = open_attached(path, pages=256)
    write_megabytes(conn, wal, 3)
    frames = wal.log_frames()
    wal.close()
    assert wal.checkpoints >= 1
    # the log started over after a checkpoint (3 MiB of commits are ~800 frames): it is
    # short, but its file kept its size
    assert frames is not None
    assert frames < 600
    assert os.stat(str(path) + "-wal").st_size >= 256 * 4096
    conn.close()


def test_without_a_wal_index_file_the_log_file_size_decides(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    (tmp_path / "db.sqlite-wal").write_bytes(b"\0" * 300_000)
    wal = WalCheckpointer(str(path), pages=64)
    assert wal.log_frames() is None
    assert wal._log_bytes() == 300_000
    wal.close()
