"""WAL checkpoints off the commit path, for the SQLite stores.

By default SQLite checkpoints inside the commit that makes the write-ahead log pass
1,000 pages: that commit copies the log into the database and syncs it, tens of
milliseconds that land on one unlucky caller now and then (the p99 of every write).
A :class:`WalCheckpointer` switches that off on the writer connection and instead runs
a passive checkpoint on its own thread and connection once the log holds more than a
threshold: writers and readers go on meanwhile, and the log still stays small.

After a complete checkpoint the next commit starts the log over from its first frame,
in place. The file is not truncated then (``journal_size_limit`` is left far above the
threshold): truncating a file whose pages are still being written back takes
milliseconds on a busy disk, inside the commit. So the file's size does not tell how
much the log holds; the log's length is read from the header of the WAL index (the
``-shm`` file, whose layout is part of SQLite's documented file format).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import struct
import threading

__all__ = ["WalCheckpointer"]

_PAGE_BYTES = 4096
_FRAME_HEADER_BYTES = 24
_MX_FRAME = struct.Struct("=I")  # WalIndexHdr.mxFrame: native byte order
_MX_FRAME_OFFSET = 16


def _read_start(fd: int, size: int) -> bytes:
    """The first ``size`` bytes of a file (``os.pread`` where the platform has it)."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, size)


class WalCheckpointer:
    """Checkpoints one database's WAL on a background thread.

    Args:
        path: The database file.
        pages: Log length (in pages) past which a checkpoint starts.
    """

    def __init__(self, path: str, pages: int = 4096) -> None:
        self.path = path
        self._pages = pages
        self._frame_bytes = _PAGE_BYTES + _FRAME_HEADER_BYTES
        self._index_fd: int | None = None
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.checkpoints = 0

    def attach(self, conn: sqlite3.Connection) -> None:
        """Stops ``conn`` (the writer) from checkpointing in its commits.

        The log file is truncated only after a transaction made it four times the
        threshold (a bulk load), not each time the log starts over.
        """
        page_bytes = conn.execute("PRAGMA page_size").fetchone()[0]
        self._frame_bytes = page_bytes + _FRAME_HEADER_BYTES
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute(f"PRAGMA journal_size_limit = {4 * self._pages * self._frame_bytes}")

    def log_frames(self) -> int | None:
        """How many frames the log holds now, or None when there is no WAL index file
        to read (an exclusive-locking connection keeps it in memory)."""
        try:
            if self._index_fd is None:
                self._index_fd = os.open(self.path + "-shm", os.O_RDONLY)
            header = _read_start(self._index_fd, _MX_FRAME_OFFSET + _MX_FRAME.size)
        except OSError:
            return None
        if len(header) < _MX_FRAME_OFFSET + _MX_FRAME.size:
            return None
        return int(_MX_FRAME.unpack_from(header, _MX_FRAME_OFFSET)[0])

    def _log_bytes(self) -> int:
        """The log's length in bytes; without an index, the log file's size (an upper
        bound: the file is reused in place after a checkpoint)."""
        frames = self.log_frames()
        if frames is not None:
            return frames * self._frame_bytes
        try:
            return os.stat(self.path + "-wal").st_size
        except OSError:
            return 0

    def committed(self) -> None:
        """Called after a commit: starts a checkpoint when the log has grown enough."""
        if self._log_bytes() < self._pages * self._frame_bytes:
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
        if self._index_fd is not None:
            os.close(self._index_fd)
            self._index_fd = None
