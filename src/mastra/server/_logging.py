"""Structured logs: one JSON object a line, and the per-request access line; to stderr
or to a file rotated by size or by time.

Only chosen fields are written: headers (``Authorization``, API keys) never are.
"""

from __future__ import annotations

import logging
import sys
import time
from logging.handlers import RotatingFileHandler, TimedRotatingFileHandler
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "JsonFormatter",
    "LogRotation",
    "access_logger",
    "configure_logging",
    "file_handler",
    "log_request",
]

access_logger = logging.getLogger("mastra.server.access")

_FIELDS = (
    "request_id",
    "run_id",
    "method",
    "route",
    "path",
    "status",
    "duration_ms",
    "principal",
)


class LogRotation(BaseModel):
    """How the log file rotates (``[server.log_rotation]`` in the settings file).

    Attributes:
        by: ``"size"`` (at ``max_bytes``) or ``"time"`` (every ``interval`` ``when``).
        max_bytes: The size at which the file rotates (``by = "size"``).
        when: The unit of time rotation, as ``TimedRotatingFileHandler`` reads it:
            ``S``, ``M``, ``H``, ``D``, ``midnight`` or ``W0``-``W6`` (a weekday).
        interval: How many ``when`` units between rotations.
        utc: Whether time rotation follows UTC rather than local time.
        backup_count: Rotated files kept (the oldest are deleted).
    """

    model_config = ConfigDict(extra="forbid")

    by: Literal["size", "time"] = "size"
    max_bytes: int = Field(default=50_000_000, gt=0)
    when: str = Field(default="midnight", pattern=r"^(?i:S|M|H|D|midnight|W[0-6])$")
    interval: int = Field(default=1, ge=1)
    utc: bool = True
    backup_count: int = Field(default=5, ge=0)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and the
    request fields given through ``extra``."""

    _second = -1
    _prefix = ""

    def _time(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # strftime once a second, not once a line
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._prefix}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def file_handler(file: str, rotation: LogRotation | None = None) -> logging.Handler:
    """A handler writing to ``file``, rotated by size or by time as ``rotation`` says."""
    rotation = rotation or LogRotation()
    if rotation.by == "time":
        return TimedRotatingFileHandler(
            file,
            when=rotation.when,
            interval=rotation.interval,
            backupCount=rotation.backup_count,
            encoding="utf-8",
            utc=rotation.utc,
        )
    return RotatingFileHandler(
        file, maxBytes=rotation.max_bytes, backupCount=rotation.backup_count, encoding="utf-8"
    )


def configure_logging(
    level: str,
    file: str | None = None,
    max_bytes: int = 50_000_000,
    *,
    rotation: LogRotation | None = None,
) -> None:
    """Sends the ``mastra`` loggers to stderr, or to a rotated file, as JSON lines.

    Args:
        level: The level of the ``mastra`` loggers.
        file: The log file (none: stderr).
        max_bytes: The size rotation's threshold when ``rotation`` is not given.
        rotation: How the file rotates (by size at ``max_bytes`` when not given).

    Example:
        >>> configure_logging("INFO", "/var/log/mastra.jsonl",
        ...                   rotation=LogRotation(by="time", when="midnight"))  # doctest: +SKIP
    """
    handler: logging.Handler
    if file:
        handler = file_handler(file, rotation or LogRotation(max_bytes=max_bytes))
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("mastra")
    for old in root.handlers:
        old.close()  # a file handler replaced must not keep its file open
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def log_request(fields: dict[str, Any]) -> None:
    """Writes the access line of one request (when the access logger is enabled)."""
    if access_logger.isEnabledFor(logging.INFO):
        # makeRecord + handle: what info() does, without its stack walk for the caller.
        record = access_logger.makeRecord(
            access_logger.name, logging.INFO, __file__, 0, "request", (), None, extra=fields
        )
        access_logger.handle(record)
