"""Structured logs: one JSON object a line, and the per-request access line.

Only chosen fields are written: headers (``Authorization``, API keys) never are.
"""

from __future__ import annotations

import logging
import sys
import time
from logging.handlers import RotatingFileHandler
from typing import Any

import orjson

__all__ = ["JsonFormatter", "access_logger", "configure_logging", "log_request"]

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


def configure_logging(level: str, file: str | None = None, max_bytes: int = 50_000_000) -> None:
    """Sends the ``mastra`` loggers to stderr (or a size-rotated file) as JSON lines."""
    handler: logging.Handler
    if file:
        handler = RotatingFileHandler(file, maxBytes=max_bytes, backupCount=5, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("mastra")
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
