"""WAL checkpoints off the commit path, for the SQLite stores.

By default SQLite checkpoints inside the commit that makes the write-ahead log pass
1,000 pages: that commit copies the log into the database and syncs it, tens of
milliseconds that land on one unlucky caller now and then (the p99 of every write).
A :class:`WalCheckpointer` switches that off on the writer connection and instead runs
a passive checkpoint on its own thread and connection once the log has grown past a
threshold: writers and readers go on meanwhile, and the log still stays small.

One cost stays on the commit path: the first commit after a complete checkpoint
starts the log over and syncs its header (``synchronous=NORMAL`` needs that sync so
that a power loss cannot mix old and new frames), a few milliseconds on a busy disk.
The threshold sets how often that happens: at 16 MiB, once every few hundred
commits of an agent's turn (about 30 kB of log each) instead of once every hundred.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading

__all__ = ["WalCheckpointer"]

_PAGE_BYTES = 4096


class WalCheckpointer:
    """Checkpoints one database's WAL on a background thread.

    Args:
        path: The database file.
        pages: Log size (in 4 KiB pages) past which a checkpoint starts.
    """

    def __init__(self, path: str, pages: int = 4096) -> None:
        self.path = path
        self._wal = path + "-wal"
        self._threshold = pages * _PAGE_BYTES
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.checkpoints = 0

    def attach(self, conn: sqlite3.Connection) -> None:
        """Stops ``conn`` (the writer) from checkpointing in its commits.

        The log is also truncated whenever it starts over after a complete
        checkpoint, so that its size on disk tells how much it holds.
        """
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA journal_size_limit = 0")

    def committed(self) -> None:
        """Called after a commit: starts a checkpoint when the log has grown enough."""
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return
        if size < self._threshold:
            return
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name=f"wal-checkpoint {self.path}", daemon=True
            )
            self._thread.start()
        self._wake.set()

    def _loop(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                with contextlib.suppress(sqlite3.Error):  # busy: the next commit retries
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
        finally:
            conn.close()

    def close(self) -> None:
        """Stops the thread (the last connection to close checkpoints what is left)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
